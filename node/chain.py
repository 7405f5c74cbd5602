"""Block execution and commitment: the chain of blocks and the state they produce.

A block is executed once against the state after its parent, on an overlay; its
result (state changes, transaction records, end-of-block events, state root) is kept
and written in one batch when the block is committed.

A store is checked whenever a chain opens it, cheaply: the head names the block it
claims, the last `STARTUP_CHECK_BLOCKS` blocks link by hash, fit this chain and carry
certificates that verify against the validator set in force at their height, and the
head block's transactions have their records. `verify_all` checks everything (the
`verify-store` command).

The validator set of each height comes from the node registry in the state
(contracts.nodes): a change applied by block H is in force from H+2, so after block H
the sets of every height up to H+2 are known. Every header carries the hash of its
height's set and of the next height's; every certificate and every piece of evidence is
checked against the set of its own height.
A node whose release lacks a contract version the chain has put in force, now or from a
later height, refuses to open the chain (node.missing_contract; node.unsupported_protocol
for a protocol version other than its release's). A running node that commits a block
scheduling such a version (`release_gap`) logs a warning at that commit and every later
one, and once its head is the height before the version takes over, it stops
(`ReleaseBehind`, raised by the commit of that head and by any attempt to execute the next
height): it never executes, or votes on, a block it cannot execute, and its store keeps
whole blocks up to that head, from which the next release resumes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest

from consensus.certificate import Certificate, CertificateError, verify_certificate
from consensus.validators import ValidatorSet
from contracts import commitment, governance, nodes, state_tree, streams
from contracts.codec import CodecError, decode, encode
from contracts.contract import Registry
from contracts.errors import LedgerError, Rejected
from contracts.evidence import Equivocation, record_evidence
from contracts.identity import verify
from contracts.ledger import (
    BlockInfo,
    CheckedTx,
    Genesis,
    ReleaseGap,
    apply_transaction,
    check_transaction,
    end_block,
    genesis_state,
    release_gap,
    require_contracts_run,
)
from contracts.protocol import PROTOCOL_VERSION
from contracts.state import MemoryStore, Overlay, Reader
from contracts.state_tree import MemoryTree, TreeOverlay, TreeReader
from contracts.tx import decode_transaction, payload_id
from node.blocks import (
    MAX_BLOCK_TX_BYTES,
    ZERO_HASH,
    Block,
    BlockEvents,
    DuplicateVote,
    Head,
    Header,
    TxRecord,
    block_id,
    evidence_root,
    tx_root,
    validators_hash,
)
from node.config import NetworkConfig
from node.evidence import EvidenceError, verify_duplicate_vote
from node.metrics import NodeMetrics
from node.store import (
    KEY_SPACES,
    MAX_BLOCK_BYTES,
    Store,
    StoreCorrupt,
    StoreError,
    StoreFault,
    addressed_events,
)

log = logging.getLogger("claimledger.chain")

STARTUP_CHECK_BLOCKS = 16  # blocks back from the head that every start checks


class InvalidBlock(LedgerError):
    pass


class ReleaseBehind(StoreFault):
    """The next block is under a contract or protocol version this release does not run:
    the node stops the way it does for a store fault (nothing more is read or written),
    its store whole up to its head; a release that runs the version resumes from there."""

    def __init__(self, message: str, code: str = "node.missing_contract") -> None:
        super().__init__(code, message)


class ProtocolBehind(ReleaseBehind):
    def __init__(self, message: str) -> None:
        super().__init__(message, "node.unsupported_protocol")


@dataclass(frozen=True)
class NodeEntries:
    """The node registry as peer links need it (Chain.registry_entries)."""

    height: int  # the height these entries are for
    validators: tuple[nodes.Validator, ...]  # in force at `height`, by key
    upcoming: tuple[nodes.Validator, ...]  # in force at a later height only, by key
    observers: tuple[nodes.Observer, ...]  # by key


@dataclass
class Execution:
    """The outcome of executing transactions on top of the head."""

    height: int
    time_ms: int
    overlay: Overlay
    included: list[CheckedTx] = field(default_factory=list)
    records: list[TxRecord] = field(default_factory=list)
    failed: list[tuple[CheckedTx, LedgerError]] = field(default_factory=list)
    evidence: list[Equivocation] = field(default_factory=list)  # recorded by this block
    block_events: BlockEvents | None = None
    changes: list[tuple[bytes, bytes | None]] = field(default_factory=list)  # sorted by key
    state_root: bytes = ZERO_HASH
    tree_changes: list[tuple[bytes, bytes | None]] = field(default_factory=list)  # by position


@dataclass(frozen=True)
class StoreReport:
    """What `Chain.verify_all` read and found right."""

    height: int
    block_id: bytes
    state_root: bytes
    txs: int
    keys: dict[str, int]  # per key space


def execute_on(
    registry: Registry, chain_id: str, state: Reader, tree: TreeReader, parent_root: bytes,
    height: int, txs: list[CheckedTx], time_ms: int, evidence: Sequence[Equivocation] = (),
) -> Execution:
    """Apply `txs` in order on an overlay of `state` (the state after block `height - 1`,
    whose state tree is `tree` with root `parent_root`); failing ones are left out and
    reported. Then record `evidence` (verified equivocations): `Rejected`
    evidence.duplicate for one the ledger holds already. Then add the block's events to
    its members' streams (contracts.streams) and write the committed changes into an
    overlay of the tree: its root is the block's state root."""
    info = BlockInfo(chain_id, height, time_ms)
    run = Execution(height, time_ms, Overlay(state))
    for checked in txs:
        try:
            events = apply_transaction(registry, run.overlay, checked, info)
        except LedgerError as e:
            run.failed.append((checked, e))
            continue
        run.records.append(TxRecord(checked.id, height, len(run.included), tuple(events)))
        run.included.append(checked)
    found = [record_evidence(run.overlay, record) for record in evidence]
    run.evidence = list(evidence)
    run.block_events = BlockEvents(
        height, tuple(found + end_block(registry, run.overlay, info)))
    streams.record(run.overlay, addressed_events(height, time_ms, run.records,
                                                 run.block_events))
    run.changes = run.overlay.changes()
    written = TreeOverlay(tree)
    run.state_root = state_tree.apply(written, parent_root, commitment.committed(run.changes))
    run.tree_changes = written.changes()
    return run


def check_per_block(txs: list[CheckedTx]) -> None:
    """`InvalidBlock` block.too_many when a block holds more of an operation than its
    `per_block` bound allows (a proposer that packs a block full of heavy work)."""
    counted: dict[tuple[str, str], int] = {}
    for checked in txs:
        bound = checked.operation.per_block
        if not bound:
            continue
        op = (checked.contract.name, checked.operation.name)
        counted[op] = counted.get(op, 0) + 1
        if counted[op] > bound:
            raise InvalidBlock("block.too_many", f"a block holds at most {bound} "
                               f"{op[0]}.{op[1]} transactions")


def genesis_block(registry: Registry, genesis: Genesis
                  ) -> tuple[Block, list[tuple[bytes, bytes | None]], MemoryTree]:
    """Block 0 of the network `genesis` describes, the state it starts (as changes, by
    key) and that state's tree. Its block id is the genesis block id, the one thing a
    light client trusts (`claimledger-node genesis-id` prints it from genesis.json)."""
    changes = genesis_state(registry, genesis)
    state = MemoryStore()
    state.apply(changes)
    tree = MemoryTree()
    root = state_tree.build(tree, commitment.committed(state.items.items()))
    at_zero, at_one = nodes.set_at(state, 0), nodes.set_at(state, 1)
    if at_zero is None or at_one is None:
        raise LedgerError("genesis.no_validators", "the genesis names no validators")

    def hashed(node_set: nodes.NodeSet) -> bytes:
        return validators_hash({v.key: v.power for v in node_set.validators})

    header = Header(
        chain_id=genesis.chain_id,
        height=0,
        prev_hash=ZERO_HASH,
        time_ms=genesis.time_ms,
        proposer=ZERO_HASH,
        tx_root=tx_root([]),
        tx_count=0,
        state_root=root,
        validators_hash=hashed(at_zero),
        next_validators_hash=hashed(at_one),
        evidence_root=evidence_root([]),
    )
    return Block(header, ()), changes, tree


class Chain:
    def __init__(self, store: Store, registry: Registry, config: NetworkConfig) -> None:
        self.store = store
        self.registry = registry
        self.config = config
        self.chain_id = config.chain_id
        # Every set of the chain by from_height, with its consensus form and header hash.
        self._sets: list[tuple[nodes.NodeSet, ValidatorSet, bytes]] = []
        # The node's instruments (node/metrics.py), when a running node has them: the time
        # of verifying and executing blocks, and each committed block.
        self.metrics: NodeMetrics | None = None
        # The release's protocol version (one per release: contracts.protocol).
        self.protocol = PROTOCOL_VERSION
        # What the chain schedules that this release lacks (the earliest), if anything.
        self.release_gap: ReleaseGap | None = None
        self.head = self._open()

    # ----------------------------------------------------------------- validator sets

    def _load_sets(self, state: Reader) -> None:
        self._sets = []
        for node_set in nodes.set_history(state):
            powers = {v.key: v.power for v in node_set.validators}
            self._sets.append((node_set, ValidatorSet.from_powers(powers),
                               validators_hash(powers)))
        if not self._sets:
            raise StoreCorrupt("the state holds no validator set")

    def _set_at(self, height: int) -> tuple[nodes.NodeSet, ValidatorSet, bytes]:
        if height > self.head.height + nodes.APPLY_DELAY:
            raise InvalidBlock("block.unknown_validators", f"the validators of height {height} "
                               f"are not known before block {height - nodes.APPLY_DELAY}")
        found = self._sets[0]
        for entry in self._sets:
            if entry[0].from_height > height:
                break
            found = entry
        return found

    def validators_at(self, height: int) -> ValidatorSet:
        """The validator set in force at `height`, for every height up to head + 2;
        `InvalidBlock` block.unknown_validators beyond (a later block may still change it)."""
        return self._set_at(height)[1]

    def validators_hash_at(self, height: int) -> bytes:
        """The hash a header of `height` names as its `validators_hash`."""
        return self._set_at(height)[2]

    def registry_entries(self, height: int | None = None) -> NodeEntries:
        """The node registry for links at `height` (default head + 1, the height this node
        works on): the validators in force there with their peer addresses and operators,
        those of later heights already decided, and the observers."""
        at = self.head.height + 1 if height is None else height
        later = [s for s, _, _ in self._sets if at < s.from_height]
        upcoming = {v.key: v for s in later for v in s.validators}
        in_force = self._set_at(at)[0].validators
        for v in in_force:
            upcoming.pop(v.key, None)
        return NodeEntries(at, in_force, tuple(upcoming[k] for k in sorted(upcoming)),
                           tuple(nodes.observers(self.store)))

    def node_role(self, key: bytes) -> str | None:
        """What `key` is to this network now: "validator" (in force at head + 1 or at a
        later height already decided), "observer", or None. For peer handshakes."""
        return nodes.node_role(self.store, key, self.head.height + 1)

    def _took(self, kind: str, started: float) -> None:
        """Observe the seconds since `started` as block "verification" or "execution"."""
        if self.metrics is not None:
            getattr(self.metrics, kind).observe(time.perf_counter() - started)

    # ----------------------------------------------------------------- genesis

    def genesis(self) -> tuple[Block, list[tuple[bytes, bytes | None]], MemoryTree]:
        """Block 0, the state it starts (as changes, by key) and that state's tree."""
        return genesis_block(self.registry, self.config.genesis)

    def _open(self) -> Head:
        self._check_genesis_hash()
        block, changes, tree = self.genesis()
        expected = block_id(block.header)
        stored = self.store.genesis_id()
        if stored is None:
            head = Head(0, expected, block.header.state_root, block.header.time_ms)
            self.store.commit_block(
                block, None, [], BlockEvents(0, ()), changes, head,
                sorted(tree.nodes.items()), genesis=True,
            )
            if self.config.genesis_hash:
                self.store.record_genesis_hash(self.config.genesis_hash)
            log.info("initialised chain %s at genesis %s", self.chain_id, expected.hex())
            self._load_sets(self.store)
            return head
        if stored != expected:
            raise StoreError(
                "store.other_network",
                "this data directory holds another network's chain (genesis "
                f"{stored.hex()[:16]}…, network.toml gives {expected.hex()[:16]}…)",
            )
        if self.config.genesis_hash and self.store.genesis_hash() is None:
            self.store.record_genesis_hash(self.config.genesis_hash)  # a store of before
        head = self.store.head()
        if head is None:
            raise StoreCorrupt("the store has a genesis but no head")
        self._load_sets(self.store)
        self.head = head
        self.check_recent(head, STARTUP_CHECK_BLOCKS)
        require_contracts_run(self.registry, self.store, head.height + 1, self.protocol)
        return head

    def _check_genesis_hash(self) -> None:
        """`genesis.mismatch` when the store was started with another genesis document:
        even an edit that leaves block 0 alone (an address, a contract's hash) is
        another network's document, and nodes must hold the same one byte for byte."""
        kept, given = self.store.genesis_hash(), self.config.genesis_hash
        if kept is not None and given and kept != given:
            raise StoreError(
                "genesis.mismatch",
                f"this data directory was started with the genesis {kept.hex()}; the "
                f"genesis given now is {given.hex()}. Every node of a network holds the "
                "same genesis.json byte for byte: use the one it started with",
            )

    # ----------------------------------------------------------------- integrity

    def check_block(self, height: int, records: bool) -> Block:
        """The stored block at `height`, checked against the store around it: its header
        belongs to this chain, its transactions match its root, the id index and its
        end-of-block events are there, its validator hashes are those of the sets in force at
        its height and the next, its certificate verifies against its height's set
        (genesis: it is the genesis the store names), and with `records` each transaction
        has its record. `StoreCorrupt` names the first thing that does not hold."""
        store = self.store
        block = store.block(height)
        if block is None:
            raise StoreCorrupt(f"block {height} is missing")
        h = block.header
        if (h.height, h.chain_id) != (height, self.chain_id):
            raise StoreCorrupt(f"block {height}'s header does not belong to this chain")
        if (h.validators_hash, h.next_validators_hash) != (
                self.validators_hash_at(height), self.validators_hash_at(height + 1)):
            raise StoreCorrupt(f"block {height}'s header names other validators than the "
                               "registry's")
        if h.tx_count != len(block.txs) or h.tx_root != tx_root(block.txs):
            raise StoreCorrupt(f"block {height}'s transactions do not match its header")
        if h.evidence_root != evidence_root(block.evidence):
            raise StoreCorrupt(f"block {height}'s evidence does not match its header")
        if store.height_of(block.id) != height:
            raise StoreCorrupt(f"the block id index does not lead to block {height}")
        base = height > 0 and height == store.base()  # a snapshot's block: no events
        events = store.block_events(height)
        if not base and (events is None or events.height != height):
            raise StoreCorrupt(f"the end-of-block events of block {height} are missing")
        if height == 0:
            if block.id != store.genesis_id() or h.prev_hash != ZERO_HASH:
                raise StoreCorrupt("block 0 is not the genesis the store names")
        else:
            certificate = store.certificate(height)
            if certificate is None:
                raise StoreCorrupt(f"the certificate of block {height} is missing")
            try:
                self.verify_certificate(block, certificate)
            except InvalidBlock as e:
                raise StoreCorrupt(
                    f"the certificate of block {height} does not verify: {e.code}") from e
        if records and not base:  # the base block's transactions ran before the snapshot
            for index, raw in enumerate(block.txs):
                try:
                    tx_id = payload_id(decode_transaction(raw).payload)
                except CodecError as e:
                    raise StoreCorrupt(
                        f"transaction {index} of block {height} does not decode") from e
                record = store.tx_record(tx_id)
                if record is None or (record.height, record.index) != (height, index):
                    raise StoreCorrupt(f"the record of transaction {tx_id.hex()[:16]}… "
                                       f"(block {height}) is missing or elsewhere")
        return block

    @staticmethod
    def check_link(parent: Block, child: Block) -> None:
        if child.header.prev_hash != parent.id or child.header.time_ms <= parent.header.time_ms:
            raise StoreCorrupt(f"block {child.header.height} does not follow block "
                               f"{parent.header.height}")

    def check_recent(self, head: Head, depth: int) -> None:
        """The checks of every start: the head names its block, state root and time, and
        the last `depth` blocks pass `check_block` and link by hash (records of the head
        block's transactions only). Bounded work: a few reads and certificates per block."""
        assert depth >= 1
        block = self.check_block(head.height, records=True)
        h = block.header
        if (block.id, h.state_root, h.time_ms) != (head.block_id, head.state_root, head.time_ms):
            raise StoreCorrupt(f"the head does not describe block {head.height}")
        # A state-synced store has no blocks between genesis and its base.
        for height in range(head.height - 1, max(head.height - depth, self.store.base() - 1,
                                                  -1), -1):
            parent = self.check_block(height, records=False)
            self.check_link(parent, block)
            block = parent

    def verify_all(self) -> StoreReport:
        """Check everything the store holds; `StoreCorrupt` at the first fault.

        Every key is read once with its checksum; every block from genesis passes
        `check_block` with its records and links to its parent; every block is executed
        again from genesis in memory, and its state root, transaction records and
        end-of-block events must be the stored ones; the events addressed to members must
        be exactly those blocks' events; the state after the head must be the stored state,
        key for key; and no key space holds more or fewer keys than that.
        """
        store = self.store
        keys = store.count_keys()
        unknown = sorted(set(keys) - KEY_SPACES)
        if unknown:
            raise StoreCorrupt(f"keys outside the store's key spaces: {', '.join(unknown)}")
        if store.base():
            return self._verify_from_base(keys, store.base())
        head = self.head
        genesis, changes, tree = self.genesis()
        state = MemoryStore()
        state.apply(changes)
        root = genesis.header.state_root
        block = self.check_block(0, records=True)
        if block.id != genesis.id:
            raise StoreCorrupt("block 0 is not this network's genesis")
        addressed = txs = 0
        for height in range(head.height + 1):
            records: list[TxRecord] = []
            block_events = store.block_events(0)
            if height > 0:
                parent, block = block, self.check_block(height, records=True)
                self.check_link(parent, block)
                run = self._replay(state, tree, root, block)
                state.apply(run.changes)
                tree.apply(run.tree_changes)
                root = run.state_root
                records, block_events = run.records, run.block_events
                txs += len(records)
            assert block_events is not None
            addressed += self._check_streams(block, records, block_events)
        if (block.id, root) != (head.block_id, head.state_root):
            raise StoreCorrupt("executing the chain again does not reach the head")
        ours = sorted(state.items.items())
        for mine, stored in zip_longest(ours, store.scan(b"")):
            if mine != stored:
                key = (mine or stored or (b"",))[0]
                raise StoreCorrupt(f"state key {key.hex()[:32]} differs from what executing "
                                   "the chain gives")
        for mine, stored in zip_longest(sorted(tree.nodes.items()), store.tree_items()):
            if mine != stored:
                raise StoreCorrupt("the stored state tree differs from what executing the "
                                   "chain gives")
        expected = {"b/": head.height + 1, "c/": head.height, "e/": head.height + 1,
                    "i/": head.height + 1, "x/": txs, "ev/": addressed, "s/": len(ours),
                    "st/": len(tree.nodes),
                    "meta/": 2 + (store.genesis_hash() is not None)}  # head, genesis, hash
        for space, count in expected.items():
            if keys.get(space, 0) != count:
                raise StoreCorrupt(f"{keys.get(space, 0)} keys in {space}, expected {count}")
        return StoreReport(head.height, head.block_id, head.state_root, txs, keys)

    def _verify_from_base(self, keys: dict[str, int], base: int) -> StoreReport:
        """`verify_all` of a state-synced store: block 0 is the genesis; every block from
        the base on passes `check_block` (the base's certificate included) and links to its
        parent, with its records and its members' events; the stored state's tree, built
        again from its committed records, is the stored tree and has the head's certified
        state root; the derived indices are exactly those the records imply; and no key
        space holds more or fewer keys than that. The blocks after the base are not
        executed again: the state at the base is not kept once later blocks change it."""
        store, head = self.store, self.head
        if self.check_block(0, records=True).id != self.genesis()[0].id:
            raise StoreCorrupt("block 0 is not this network's genesis")
        block = self.check_block(base, records=False)
        addressed = txs = 0
        for height in range(base + 1, head.height + 1):
            parent, block = block, self.check_block(height, records=True)
            self.check_link(parent, block)
            records = [store.tx_record(payload_id(decode_transaction(raw).payload))
                       for raw in block.txs]
            block_events = store.block_events(height)
            assert block_events is not None and all(r is not None for r in records)
            txs += len(records)
            addressed += self._check_streams(block, records, block_events)  # type: ignore[arg-type]
        if block.id != head.block_id or block.header.state_root != head.state_root:
            raise StoreCorrupt("the blocks from the base do not reach the head")
        state = list(store.scan(b""))
        records_only = commitment.committed(state)
        tree = MemoryTree()
        if state_tree.build(tree, records_only) != head.state_root:
            raise StoreCorrupt("the stored state does not have the head's state root")
        for mine, stored in zip_longest(sorted(tree.nodes.items()), store.tree_items()):
            if mine != stored:
                raise StoreCorrupt("the stored state tree differs from the stored state's")
        derived = sorted([*records_only, *(entry for key, value in records_only
                                          for entry in commitment.index_entries(key, value))])
        if derived != state:
            raise StoreCorrupt("the stored indices are not those the stored records imply")
        blocks = head.height - base + 1
        expected = {"b/": blocks + 1, "c/": blocks, "e/": blocks, "i/": blocks + 1,
                    "x/": txs, "ev/": addressed, "s/": len(state), "st/": len(tree.nodes),
                    "meta/": 3 + (store.genesis_hash() is not None)}  # and the base
        for space, count in expected.items():
            if keys.get(space, 0) != count:
                raise StoreCorrupt(f"{keys.get(space, 0)} keys in {space}, expected {count}")
        return StoreReport(head.height, head.block_id, head.state_root, txs, keys)

    def restore(self, block: Block, certificate: Certificate,
                items: list[tuple[bytes, bytes]], tree: MemoryTree | None = None) -> Head:
        """Start this chain (at genesis, never synced before) from a snapshot: `items` are
        the committed records at `block`, every chunk checked against the state root of
        `block`'s header, whose `certificate` was verified (node/state_sync.py). Writes
        them with the indices they imply and the tree execution would have stored, the
        block, its certificate and the head at it, in one batch; then the chain goes on
        from there. `tree`: the records' tree built already (state_tree.ChunkBuilder, as
        the chunks were checked), else it is built here. `InvalidBlock` snapshot.wrong_root
        if the tree does not have the header's root."""
        assert self.head.height == 0 and not self.store.base(), "restore into a new store"
        h = block.header
        if tree is None:
            tree = MemoryTree()
            state_tree.build(tree, items)
        if state_tree.root_of(tree) != h.state_root:
            raise InvalidBlock("snapshot.wrong_root", "the snapshot's records do not have "
                               f"the state root of block {h.height}")
        state = sorted([*items, *(entry for key, value in items
                                  for entry in commitment.index_entries(key, value))])
        head = Head(h.height, block.id, h.state_root, h.time_ms)
        self.store.restore(block, certificate, state, sorted(tree.nodes.items()), head)
        self.head = head
        self._load_sets(self.store)
        self.release_gap = release_gap(self.registry, self.store, head.height + 1,
                                       self.protocol)
        log.info("restored the state of block %d (%d records) from a snapshot", h.height,
                 len(items))
        return head

    def _check_streams(self, block: Block, records: list[TxRecord],
                       block_events: BlockEvents) -> int:
        """The events of `block` are in the streams of the members they name, byte for
        byte (`StoreCorrupt` otherwise); how many (event, member) entries that is."""
        height = block.header.height
        found = 0
        for event in addressed_events(height, block.header.time_ms, records, block_events):
            value = encode(event)
            for party in set(event.parties):
                if self.store.event_bytes(party, event.cursor) != value:
                    raise StoreCorrupt(f"an event of block {height} is missing from its "
                                       "members' streams")
                found += 1
        return found

    def _replay(self, state: MemoryStore, tree: MemoryTree, root: bytes,
                block: Block) -> Execution:
        """Execute a stored block again on `state`: it must give what the store holds."""
        store = self.store
        h = block.header
        try:
            txs = [check_transaction(self.registry, self.chain_id, raw, h.height)
                   for raw in block.txs]
        except LedgerError as e:
            raise StoreCorrupt(f"a transaction of block {h.height} fails: {e.code}") from e
        try:
            evidence = self.verify_evidence(block)
        except InvalidBlock as e:
            raise StoreCorrupt(f"the evidence of block {h.height} fails: {e.code}") from e
        run = execute_on(self.registry, self.chain_id, state, tree, root, h.height, txs,
                         h.time_ms, evidence)
        if run.failed:
            raise StoreCorrupt(f"a transaction of block {h.height} fails when executed "
                               f"again: {run.failed[0][1].code}")
        if run.state_root != h.state_root:
            raise StoreCorrupt(f"executing block {h.height} again gives another state root")
        if any(store.tx_record(r.tx_id) != r for r in run.records) or \
                store.block_events(h.height) != run.block_events:
            raise StoreCorrupt(f"the records of block {h.height} are not what executing it "
                               "gives")
        return run

    # ----------------------------------------------------------------- execution

    def next_time_ms(self, wall_ms: int) -> int:
        """Block time: the proposer's clock, and always after the parent's time."""
        return max(wall_ms, self.head.time_ms + 1)

    def execute(self, txs: list[CheckedTx], time_ms: int,
                evidence: Sequence[Equivocation] = ()) -> Execution:
        """Apply `txs` in order on top of the head; failing ones are left out and
        reported; then record the verified `evidence`. `ReleaseBehind` (the node stops)
        when this release cannot execute the next height."""
        self.require_release()
        started = time.perf_counter()
        run = execute_on(self.registry, self.chain_id, self.store, self.store.tree,
                         self.head.state_root, self.head.height + 1, txs, time_ms, evidence)
        self._took("execution", started)
        return run

    def verify_evidence(self, block: Block) -> list[Equivocation]:
        """The records of a block's evidence, each verified (node.evidence); `InvalidBlock`
        with the evidence.* code of the first that fails, or evidence.duplicate for one
        step proven twice in the block."""
        h = block.header
        records = []
        seen = set()
        for item in block.evidence:
            try:
                record = verify_duplicate_vote(self.chain_id, self.powers_at, verify, item,
                                               h.height, h.time_ms)
            except EvidenceError as e:
                raise InvalidBlock(e.code, e.message) from e
            step = (record.validator, record.height, record.round, record.step)
            if step in seen:
                raise InvalidBlock("evidence.duplicate", "the block proves one validator's "
                                   "equivocation at one step twice")
            seen.add(step)
            records.append(record)
        return records

    def powers_at(self, height: int) -> dict[bytes, int]:
        """The voting power of each validator in force at `height` (evidence checks)."""
        return dict(self.validators_at(height).powers)

    def make_block(self, run: Execution, proposer: bytes) -> Block:
        raw = tuple(c.raw for c in run.included)
        evidence = tuple(DuplicateVote(r.vote_a, r.vote_b) for r in run.evidence)
        assert sum(len(r) for r in raw) <= MAX_BLOCK_TX_BYTES, "the batch was cut to fit"
        header = Header(
            chain_id=self.chain_id,
            height=run.height,
            prev_hash=self.head.block_id,
            time_ms=run.time_ms,
            proposer=proposer,
            tx_root=tx_root(raw),
            tx_count=len(raw),
            state_root=run.state_root,
            validators_hash=self.validators_hash_at(run.height),
            next_validators_hash=self.validators_hash_at(run.height + 1),
            evidence_root=evidence_root(evidence),
        )
        return Block(header, raw, evidence)

    def validate_block(
        self, block: Block, checked: Callable[[bytes], CheckedTx | None] = lambda raw: None
    ) -> Execution:
        """Execute a block received from elsewhere; `InvalidBlock` unless it is exactly right.

        `checked(raw)` gives a transaction this node already decoded and verified (its
        mempool), so a signature is verified once per node, not again in the block.
        `ReleaseBehind` (the node stops) when this release cannot execute the next height:
        never a verdict on the block.
        """
        self.require_release()
        h = block.header
        started = time.perf_counter()  # verification: all but executing the block
        expected = {
            "chain_id": self.chain_id,
            "height": self.head.height + 1,
            "prev_hash": self.head.block_id,
            "validators_hash": self.validators_hash_at(self.head.height + 1),
            "next_validators_hash": self.validators_hash_at(self.head.height + 2),
            "tx_count": len(block.txs),
            "tx_root": tx_root(block.txs),
            "evidence_root": evidence_root(block.evidence),
        }
        for name, value in expected.items():
            if getattr(h, name) != value:
                raise InvalidBlock("block.bad_header", f"header field {name} is wrong")
        if h.time_ms <= self.head.time_ms:
            raise InvalidBlock("block.bad_time", "block time is not after its parent's")
        size = sum(len(raw) for raw in block.txs)
        if size > MAX_BLOCK_TX_BYTES:
            raise InvalidBlock("block.too_large", f"the transactions add up to {size} bytes; "
                               f"a block holds at most {MAX_BLOCK_TX_BYTES}")
        evidence = self.verify_evidence(block)
        txs = [checked(raw) or check_transaction(self.registry, self.chain_id, raw, h.height)
               for raw in block.txs]
        check_per_block(txs)
        self._took("verification", started)
        try:
            run = self.execute(txs, h.time_ms, evidence)
        except Rejected as e:  # evidence the ledger holds already
            raise InvalidBlock(e.code, e.message) from e
        if run.failed:
            tx, error = run.failed[0]
            raise InvalidBlock("block.bad_tx", f"transaction {tx.id.hex()} fails: {error.code}")
        if run.state_root != h.state_root:
            raise InvalidBlock("block.bad_state_root", "the state root does not match")
        return run

    def verify_certificate(self, block: Block, certificate: Certificate) -> None:
        """`InvalidBlock` unless `certificate` finalises `block` by more than 2/3 of the
        power in force at the block's height (known up to head + 2)."""
        started = time.perf_counter()
        try:
            verify_certificate(
                certificate, self.chain_id, block.header.height, block.id,
                self.validators_at(block.header.height).powers, verify,
            )
        except CertificateError as e:
            raise InvalidBlock(e.code, e.message) from e
        self._took("verification", started)

    def commit(self, block: Block, certificate: Certificate, run: Execution) -> Head:
        assert block.header.height == self.head.height + 1 == run.height
        assert block.header.state_root == run.state_root
        head = Head(run.height, block.id, run.state_root, run.time_ms)
        assert run.block_events is not None
        self.store.commit_block(
            block, certificate, run.records, run.block_events, run.changes, head,
            run.tree_changes,
        )
        if self.metrics is not None:
            self.metrics.committed(run.time_ms, self.head.time_ms, len(block.txs),
                                   sum(len(raw) for raw in block.txs))
        self.head = head
        if any(key.startswith(nodes.SETS) for key, _ in run.changes):
            self._load_sets(self.store)  # a change applied: the set of head + 2 is new
        if any(governance.is_schedule_key(key) for key, _ in run.changes):
            self.release_gap = release_gap(self.registry, self.store, head.height + 1,
                                           self.protocol)
        if self.release_gap is not None:
            log.warning("%s", self.release_gap.warning(),
                        extra={"code": "node.upgrade_needed"})
            self.require_release()  # the block is committed; the next one is not for us
        return head

    # ----------------------------------------------------------------- releases

    def require_release(self) -> None:
        """`ReleaseBehind` unless this release runs the contract and protocol versions in
        force at the next height (head + 1). Raised once, it stops the node: the store
        refuses everything after it."""
        gap = self.release_gap
        if gap is None or gap.from_height > self.head.height + 1:
            return
        error = gap.error()
        fault = ProtocolBehind(error.message) if gap.contract is None \
            else ReleaseBehind(error.message)
        raise self.store.halt(fault)  # the node's `fail` logs it and stops

    def blocks_to_upgrade(self) -> int | None:
        """Blocks left before the first height this release cannot execute (0: the next
        one), or None when it runs everything the chain schedules."""
        gap = self.release_gap
        return None if gap is None else max(0, gap.from_height - self.head.height - 1)

    def block(self, height: int) -> Block | None:
        return self.store.block(height)

    def decode_block(self, raw: bytes) -> Block:
        return decode(Block, raw, max_bytes=MAX_BLOCK_BYTES)
