"""What an operator asks of a running node: its versions, its peers, whether it is caught
up, whether it is healthy and ready, and the figures its metrics read.

Each answer is cheap (no scan of the store): a load balancer or an orchestrator asks
/health and /ready every few seconds, Prometheus asks /metrics every few seconds more.

The peer wiring (node.replication.Replication) sets `node.replication` when it is
started by the command line; a node without it (one opened in a test, or a resync) has
no peers and is behind no one.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Any

from contracts import governance
from contracts.errors import LedgerError
from contracts.nodes import Validator

if TYPE_CHECKING:
    from node.service import Node

PACKAGE = "claimledger"


def release_version() -> str:
    """This release's version, from the installed package's metadata."""
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "unknown"


def protocol_version() -> int:
    """The version of what every contract version shares and consensus decides (codec,
    state root, block format) this release runs."""
    try:
        from contracts.protocol import PROTOCOL_VERSION  # type: ignore[import-not-found]
    except ImportError:
        return 1  # the protocol of every chain before contracts/protocol.py existed
    return int(PROTOCOL_VERSION)


def protocol_view(node: Node) -> dict[str, Any]:
    """The protocol version in force for the next block (the state's), this release's,
    and those the agency scheduled for later heights."""
    height = node.chain.head.height + 1
    activations = governance.protocol_schedule(node.store).activations
    return {"in_force": governance.protocol_version(node.store, height),
            "release": protocol_version(),
            "scheduled": [{"version": a.version, "from_height": a.from_height}
                          for a in activations if a.from_height > height]}


def contract_versions(node: Node) -> list[dict[str, Any]]:
    """Each contract's version in force for the next block: name, version, code hash and
    the height it is in force from (its governance schedule)."""
    height = node.chain.head.height + 1
    out = []
    for schedule in governance.schedules(node.store):
        active = governance.active_activation(node.store, schedule.contract, height)
        if active is not None:
            out.append({"name": schedule.contract, "version": active.version,
                        "code_hash": active.code_hash.hex(), "from_height": active.from_height})
    return out


def scheduled_contracts(node: Node) -> list[dict[str, Any]]:
    """The contract versions the agency activated from a later height than the next
    block's, in height order, each with whether this release runs it."""
    height = node.chain.head.height + 1
    out = []
    for schedule in governance.schedules(node.store):
        for a in schedule.activations:
            if a.from_height > height:
                runs = node.registry.get(schedule.contract, a.version)
                out.append({"name": schedule.contract, "version": a.version,
                            "code_hash": a.code_hash.hex(), "from_height": a.from_height,
                            "this_release_runs": runs is not None
                            and runs.code_hash == a.code_hash})
    return sorted(out, key=lambda a: (a["from_height"], a["name"]))


# A node that lacks a version the chain schedules is not ready once fewer blocks than this
# remain before it takes over: a load balancer sends clients elsewhere, an orchestrator
# shows the operator what to do, while the node still serves and votes.
UPGRADE_READY_BLOCKS = 1_000


def upgrade_needed(node: Node) -> dict[str, Any] | None:
    """What the chain schedules that this release lacks (the earliest), or None: the
    contract (None for the protocol version), its version and code hash, the height it is
    in force from, the blocks left before it and what to do."""
    gap = node.chain.release_gap
    if gap is None:
        return None
    return {"contract": gap.contract, "version": gap.version,
            "code_hash": gap.code_hash.hex() if gap.code_hash is not None else None,
            "from_height": gap.from_height, "blocks_left": node.chain.blocks_to_upgrade(),
            "code": gap.code, "message": gap.warning()}


def _replication(node: Node) -> Any:
    return getattr(node, "replication", None)


def peer_views(node: Node) -> list[dict[str, Any]]:
    """Each authenticated peer link: name, node key, role, who dialled (outbound: this
    node), and the head the peer last reported (None before it did)."""
    replication = _replication(node)
    if replication is None:
        return []
    peers = replication.peers
    dialled = set(peers.dial_targets())
    validators = peers.validators  # the registry's, in force and coming
    out = []
    for key, link in sorted(peers.links.items()):
        out.append({"name": link.name, "key": key.hex(),
                    "role": "validator" if key in validators else "observer",
                    "direction": "outbound" if key in dialled else "inbound",
                    "height": replication.sync.peer_heights.get(key)})
    return out


def peers_head(node: Node) -> int | None:
    """The head the other validators report (node.validator `sync_target`: f + 1 of them
    agree it is at least this high), or None before enough of them reported."""
    replication = _replication(node)
    return None if replication is None else replication.sync_target()


def validators_now(node: Node) -> tuple[Validator, ...]:
    """The validators the node registry has in force at the height after the head."""
    return node.chain.registry_entries().validators


def has_other_validators(node: Node) -> bool:
    return any(v.key != node.address for v in validators_now(node))


def sync_lag(node: Node) -> int:
    """Blocks this node is behind the head its peers report (0 when it is not known)."""
    target = peers_head(node)
    return 0 if target is None else max(0, target - node.chain.head.height)


def catching_up(node: Node) -> bool:
    """True while the node is behind the head its peers report."""
    return sync_lag(node) > 0


def linked_power(node: Node) -> tuple[int, int]:
    """(power of the validators this node reaches: itself, if a validator, and its linked
    peers; the validators' total power)."""
    replication = _replication(node)
    links = replication.peers.links if replication is not None else {}
    total = linked = 0
    for v in validators_now(node):
        total += v.power
        if v.key == node.address or v.key in links:
            linked += v.power
    return linked, total


@dataclass(frozen=True)
class Verdict:
    """The answer of /health or /ready: ok, or the code and sentence of what is wrong."""

    ok: bool
    code: str = ""
    message: str = ""


def health(node: Node) -> Verdict:
    """The process is up and its store answers a read of its head."""
    if node.fault is not None:
        return Verdict(False, node.fault.code, node.fault.message)
    if node.stopping:
        return Verdict(False, "node.stopping", "the node is stopping")
    try:
        head = node.store.head()
    except LedgerError as e:
        return Verdict(False, e.code, e.message)
    if head is None:
        return Verdict(False, "store.empty", "the store holds no chain")
    return Verdict(True)


def readiness(node: Node) -> Verdict:
    """Healthy, caught up with its peers, not within UPGRADE_READY_BLOCKS of a version
    its release lacks and, for a validator of a network of several, linked to validators
    that hold more than 2/3 of the power with itself."""
    healthy = health(node)
    if not healthy.ok:
        return healthy
    left = node.chain.blocks_to_upgrade()
    gap = node.chain.release_gap
    if left is not None and gap is not None and left < UPGRADE_READY_BLOCKS:
        return Verdict(False, "node.upgrade_needed", f"{gap.warning()} ({left} blocks left)")
    if node.is_validator and has_other_validators(node):
        linked, total = linked_power(node)
        if 3 * linked <= 2 * total:
            return Verdict(False, "node.no_quorum",
                           f"linked to validators holding {linked} of {total} power, with "
                           "itself; a quorum needs more than 2/3")
    if has_other_validators(node) or not node.is_validator:
        target = peers_head(node)
        head = node.chain.head.height
        if target is None:
            return Verdict(False, "node.catching_up",
                           "not enough validators have reported their head yet")
        if target > head:
            return Verdict(False, "node.catching_up",
                           f"at height {head}, {target - head} blocks behind the peers' "
                           f"head {target}")
    return Verdict(True)


def status_fields(node: Node) -> dict[str, Any]:
    """The operator's part of /v1/status."""
    peers = peer_views(node)
    return {
        "version": release_version(),
        "protocol": protocol_view(node),
        "contracts": contract_versions(node),
        "contracts_scheduled": scheduled_contracts(node),
        "upgrade_needed": upgrade_needed(node),
        "peers": {"count": len(peers), "links": peers},
        "catching_up": catching_up(node),
        "sync_lag": sync_lag(node),
    }


def watch(node: Node) -> None:
    """Point the node's gauges at what they show (read when Prometheus scrapes)."""
    mempool = node.mempool

    def links() -> int:
        replication = _replication(node)
        return 0 if replication is None else len(replication.peers.links)

    node.metrics.read(height=lambda: node.chain.head.height,
                      mempool=lambda: (len(mempool), mempool.bytes), peers=links,
                      lag=lambda: sync_lag(node), store=node.store.path)
