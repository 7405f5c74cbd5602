"""The protocol version: what every contract version shares and what decides consensus.

A contract version's code hash covers its own rule module alone
(contracts.code_identity). Everything else that decides whether nodes agree is covered
by this one number instead:

- contracts/codec.py: the canonical encoding of every record, body and message;
- contracts/state.py: the state overlay, record storage and the state root;
- contracts/tx.py: the transaction envelope, its signing bytes and bounds;
- contracts/ledger.py: how a transaction is checked and applied, the end of a block,
  the genesis state;
- contracts/contract.py: what a contract is, its context and the registry's bounds;
- contracts/code_identity.py: how a contract version's code hash is computed;
- contracts/errors.py, contracts/identity.py: rejection, keys and signatures;
- contracts/vouchers.py: voucher states and their indices, which several contracts
  write; contracts/evidence.py: the record of equivocations a block carries;
- contracts/blocks.py, node/blocks.py and node/chain.py: the block format, its hashes
  and roots, how a block is executed and validated; consensus/: votes and commit
  certificates.

A contract module that another contract imports (transfer imports pledge) is frozen by
its own code hash (contracts/deployed.py), not by this number. A change to any of the
modules above that could make two nodes disagree on a block is a new protocol version,
and the protocol version changes only by governance. The genesis
state holds the version a chain starts with, and the agency schedules a later one from a
future height (governance.activate_protocol; contracts.governance.protocol_version(state,
height) reads the version in force), so the state root commits to them.

A release runs exactly this one version: a node stops before the first height under
another (node.unsupported_protocol), and a release of the next version starts only on a
store whose next height is under it. A release that ran both, choosing by height, would
let nodes upgrade ahead of the height and replay history from genesis.
"""

PROTOCOL_VERSION = 1
