"""The HTTP API (JSON under /v1), the regulator's explorer and the OpenAPI document.

Imports run one way, from the route table down to the parameters: app -> explorer ->
(vouchers, members, settlement, setoff, plan, chain, submit) -> params, and app ->
openapi -> schemas (openapi also reads submit's bounds). Beside them, each imported by
app alone: auth (signed requests), sessions (the explorer's sign-in), access_log.
Nothing here spells a storage key: the reads are contracts/' (tests/test_key_ownership.py).
"""
