"""Byzantine-fault-tolerant agreement on blocks: pure, deterministic, no I/O.

It knows nothing of vouchers: it is handed a verifier, a signer and a validity callback.

The Tendermint algorithm (Buchman, Kwon, Milosevic 2018, Algorithm 1), sans-I/O:

- `core`         the state machine: `apply(state, input) -> Transition`, one branch per
                 line of the paper; abstract inputs in, actions out.
- `keeper`       votes of one height: power per (round, type, value), evidence of
                 equivocation, each threshold emitted once.
- `driver`       one validator: checks messages and signatures, feeds the core, signs
                 through the guard; the object a node drives (events in, actions out).
- `guard`, `wal` the signing guard and its checksummed write-ahead log: nothing is
                 signed before it is synced, nothing conflicting is ever signed.
- `messages`     proposals and votes, their sign bytes and wire form.
- `certificate`  vote sign bytes and commit certificates.
- `validators`, `timeouts`   the validator set and proposer rotation; step timeouts.
- `sim`          a deterministic simulation of validators over a faulty network.
"""
