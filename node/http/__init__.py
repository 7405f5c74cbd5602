"""The HTTP API (JSON under /v1), the regulator's explorer and the OpenAPI document.

Imports run one way, from the route table down to the parameters: app -> explorer ->
(vouchers, members, settlement, setoff, plan, chain, submit) -> params, and app ->
openapi/ -> schemas (the document's package: one module per family of paths, each reading
the bounds and sets it states from the module it describes). Beside them, each imported by
app alone: auth (signed requests), sessions (the explorer's sign-in), access_log.
Nothing here spells a storage key: the reads are contracts/' (tests/test_key_ownership.py).
"""
