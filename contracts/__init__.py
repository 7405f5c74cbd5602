"""The ledger's rules: formats, identities, transactions, state and one module per
family of operations. Pure and deterministic: no clock, no I/O, no floats."""
