"""Byzantine-fault-tolerant agreement on blocks: pure, deterministic, no I/O.

It knows nothing of vouchers: it is handed a verifier, a signer and a validity callback.
"""
