"""A member's light node: `claimledger-node run --member ADDRESS --home DIR`.

It trusts the genesis document and nothing else (trust), follows certified headers from
it (headers), fetches its member's events and the records they name, each proven against
a header it verified (member, naming), keeps them in its own store (store), and serves
the member's wallet on 127.0.0.1 (api), passing submissions to its upstream full nodes
(upstream). service runs the rounds; run starts it all from the home's node.toml (config).
"""
