"""scripts/chaos: its fault-injecting proxy, its schedule, its checker, and a short run.

The proxy is driven against a local echo server; the schedule's membership changes keep
the set in force able to reach 2/3; the checker is fed chains with a fork, a lost
transaction and a stuck head, and must report each, and counts a removed validator as
out and a new one as faulty until it has caught up; the short run starts the real
network of four validators and an observer under load, faults and membership changes
from a fixed seed.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "chaos.py"
SEED = 7
VALIDATORS = [f"validator-{i}" for i in range(4)]
OBSERVERS = ["observer-0"]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("claimledger_chaos", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["claimledger_chaos"] = module
    spec.loader.exec_module(module)
    return module


chaos = _load()


# ------------------------------------------------------------------ the proxy


class Echo:
    """A TCP echo server that remembers what reached it."""

    def __init__(self) -> None:
        self.received = bytearray()
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(4096):
                self.received += data
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]


@asynccontextmanager
async def proxied() -> AsyncIterator[tuple[Echo, object]]:
    echo = Echo()
    port = await echo.start()
    proxy = await chaos.Proxy("test", port).start()
    try:
        yield echo, proxy
    finally:
        await proxy.close()
        assert echo.server is not None
        echo.server.close()


async def connect(proxy) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", proxy.port)


async def read_exactly(reader: asyncio.StreamReader, n: int, timeout: float = 2) -> bytes:
    return await asyncio.wait_for(reader.readexactly(n), timeout)


async def test_proxy_forwards_both_ways_in_order() -> None:
    async with proxied() as (echo, proxy):
        reader, writer = await connect(proxy)
        chunks = [bytes([i]) * 1000 for i in range(50)]
        for chunk in chunks:
            writer.write(chunk)
        assert await read_exactly(reader, 50_000) == b"".join(chunks)
        assert bytes(echo.received) == b"".join(chunks)
        writer.close()


async def test_proxy_drop_closes_connections_and_refuses_new_ones_until_healed() -> None:
    async with proxied() as (_, proxy):
        reader, writer = await connect(proxy)
        writer.write(b"ping")
        assert await read_exactly(reader, 4) == b"ping"
        proxy.drop()
        assert await asyncio.wait_for(reader.read(), 2) == b""  # closed under it
        reader, writer = await connect(proxy)  # the listener accepts, then closes at once
        writer.write(b"again")
        with pytest.raises((asyncio.IncompleteReadError, ConnectionError)):
            await read_exactly(reader, 5)
        proxy.heal()
        reader, writer = await connect(proxy)
        writer.write(b"healed")
        assert await read_exactly(reader, 6) == b"healed"
        writer.close()


async def test_proxy_delay_holds_bytes_each_way() -> None:
    async with proxied() as (_, proxy):
        reader, writer = await connect(proxy)
        proxy.set_delay(300)
        started = time.monotonic()
        for i in range(20):  # many chunks: delayed together, not one after another
            writer.write(bytes([i]) * 100)
        got = await read_exactly(reader, 2000, timeout=5)
        took = time.monotonic() - started
        assert got == b"".join(bytes([i]) * 100 for i in range(20))
        assert 0.6 <= took < 1.5, took  # 300 ms there and 300 ms back
        proxy.heal()
        started = time.monotonic()
        writer.write(b"fast")
        assert await read_exactly(reader, 4) == b"fast"
        assert time.monotonic() - started < 0.3
        writer.close()


async def test_proxy_one_way_cut_up_holds_bytes_while_the_connection_stays_open() -> None:
    async with proxied() as (echo, proxy):
        reader, writer = await connect(proxy)
        writer.write(b"before")
        assert await read_exactly(reader, 6) == b"before"
        proxy.cut(chaos.UP)
        writer.write(b"during")
        with pytest.raises(TimeoutError):
            await read_exactly(reader, 6, timeout=0.5)
        assert bytes(echo.received) == b"before"  # never reached the peer
        assert proxy.connections == 1 and not reader.at_eof()
        proxy.heal()
        assert await read_exactly(reader, 6) == b"during"  # held, not lost
        writer.close()


async def test_proxy_one_way_cut_down_delivers_to_the_peer_but_not_back() -> None:
    async with proxied() as (echo, proxy):
        reader, writer = await connect(proxy)
        proxy.cut(chaos.DOWN)
        writer.write(b"hello")
        deadline = time.monotonic() + 2
        while bytes(echo.received) != b"hello":
            assert time.monotonic() < deadline, echo.received
            await asyncio.sleep(0.02)
        with pytest.raises(TimeoutError):
            await read_exactly(reader, 5, timeout=0.5)
        assert not reader.at_eof()
        proxy.heal()
        assert await read_exactly(reader, 5) == b"hello"
        writer.close()


# ------------------------------------------------------------------ faulty validators


def test_faulty_count_is_the_fewest_validators_that_cover_every_fault() -> None:
    def count(down: list[str], broken: list[tuple[int, int]]) -> int:
        return chaos.faulty_count(VALIDATORS, down, [(VALIDATORS[a], VALIDATORS[b])
                                                     for a, b in broken])

    assert count([], []) == 0
    assert count(["validator-1"], []) == 1
    assert count(["observer-0"], []) == 0
    assert chaos.faulty_count(VALIDATORS, [], [("observer-0", "validator-1")]) == 0
    assert count([], [(0, 1)]) == 1
    assert count([], [(0, 1), (0, 2), (0, 3)]) == 1  # one validator cut off from the rest
    assert count([], [(0, 1), (2, 3)]) == 2
    assert count(["validator-2"], [(0, 1)]) == 2
    assert count(["validator-0"], [(0, 1)]) == 1


# ------------------------------------------------------------------ the schedule


def test_the_same_seed_replays_the_same_schedule_and_another_seed_does_not() -> None:
    first = chaos.make_schedule(SEED, 10, VALIDATORS, OBSERVERS)
    assert first == chaos.make_schedule(SEED, 10, VALIDATORS, OBSERVERS)
    assert first != chaos.make_schedule(SEED + 1, 10, VALIDATORS, OBSERVERS)
    assert len(first) > 50


def test_a_one_minute_schedule_injects_every_kind_and_an_f_plus_1_episode() -> None:
    for seed in range(200):
        schedule = [f for f in chaos.make_schedule(seed, 1, VALIDATORS, OBSERVERS)
                    if f.kind in chaos.KINDS]
        assert {f.kind for f in schedule} == set(chaos.KINDS), seed
        episodes = {f.episode for f in schedule if f.episode is not None}
        assert episodes, seed
        for episode in episodes:  # two validators down at the same moment
            down = [f for f in schedule if f.episode == episode]
            assert len(down) == 2 and down[0].kind == "kill", seed
            assert down[1].kind in chaos.PROCESS_KINDS, seed
            assert down[0].start_s == down[1].start_s and down[0].target != down[1].target
        assert all(f.end_s <= 60 - chaos.TAIL_S for f in schedule), seed


def test_more_than_f_validators_are_faulty_only_in_f_plus_1_episodes() -> None:
    for seed in range(20):
        schedule = chaos.make_schedule(seed, 10, VALIDATORS, OBSERVERS, membership=False)
        for tenth in range(0, 6000, 5):
            t = tenth / 10
            active = [f for f in schedule if f.start_s <= t < f.end_s]
            if chaos.faults_faulty(VALIDATORS, active) > chaos.F:
                assert any(f.episode is not None for f in active), (seed, t, active)
        kills = [f for f in schedule if f.kind in chaos.PROCESS_KINDS]
        for a in kills:  # a process has one fault at a time
            for b in kills:
                if a.id < b.id and a.target == b.target:
                    assert a.end_s <= b.start_s or b.end_s <= a.start_s, (seed, a, b)


# ------------------------------------------------------------------ membership changes


def changes_of(schedule: list) -> list:
    return [f for f in schedule if f.kind in chaos.MEMBERSHIP_KINDS]


def test_without_membership_the_schedule_holds_faults_alone() -> None:
    for seed in range(10):
        schedule = chaos.make_schedule(seed, 10, VALIDATORS, OBSERVERS, membership=False)
        assert {f.kind for f in schedule} <= set(chaos.KINDS), seed


def test_a_long_schedule_plans_every_membership_change_and_one_newcomer_of_each_kind() -> None:
    for seed in range(15):
        schedule = chaos.make_schedule(seed, 10, VALIDATORS, OBSERVERS)
        assert schedule == chaos.make_schedule(seed, 10, VALIDATORS, OBSERVERS), seed
        changes = changes_of(schedule)
        assert {c.kind for c in changes} == set(chaos.MEMBERSHIP_KINDS), seed
        assert [c.target for c in changes if c.kind == "join"] == [(chaos.JOINER,)]
        assert [c.target for c in changes if c.kind == "observe"] == [(chaos.NEW_OBSERVER,)]
        for c in changes:
            if c.kind in ("remove", "power", "rotate"):
                assert c.target[0] in VALIDATORS, (seed, c)
            assert c.end_s + chaos.RECOVERY_S[c.kind] <= 600 - chaos.TAIL_S, (seed, c)
        assert len({f.id for f in schedule}) == len(schedule)


def test_a_one_minute_schedule_mixes_in_membership_changes() -> None:
    with_changes = [seed for seed in range(200)
                    if changes_of(chaos.make_schedule(seed, 1, VALIDATORS, OBSERVERS))]
    assert len(with_changes) >= 190
    assert SEED in with_changes


def test_validator_changes_come_one_at_a_time_and_never_beside_an_episode() -> None:
    for seed in range(30):
        schedule = chaos.make_schedule(seed, 10, VALIDATORS, OBSERVERS)
        changes = [c for c in changes_of(schedule) if c.kind != "observe"]
        for a in changes:
            for b in changes:
                if a.id < b.id:  # apart, the recovery of the first one included
                    assert a.end_s + chaos.RECOVERY_S[a.kind] <= b.start_s or \
                        b.end_s + chaos.RECOVERY_S[b.kind] <= a.start_s, (seed, a, b)
            for f in schedule:
                if f.episode is not None:
                    assert f.end_s + chaos.RECOVERY_S[f.kind] <= a.start_s or \
                        a.end_s + chaos.RECOVERY_S[a.kind] <= f.start_s, (seed, a, f)
                if f.kind in chaos.KINDS and a.target[0] in f.target:
                    # the node a change acts on takes no fault while it changes
                    assert f.end_s <= a.start_s or \
                        a.end_s + chaos.RECOVERY_S[a.kind] <= f.start_s, (seed, a, f)


def test_the_set_in_force_keeps_more_than_two_thirds_up_outside_episodes() -> None:
    for seed in range(20):
        schedule = chaos.make_schedule(seed, 10, VALIDATORS, OBSERVERS)
        changes = changes_of(schedule)
        faults = [f for f in schedule if f.kind in chaos.KINDS]
        members = [*VALIDATORS, *(c.target[0] for c in changes if c.kind == "join")]
        for tenth in range(0, 6000, 5):
            t = tenth / 10
            active = [f for f in faults if f.start_s <= t < f.end_s]
            if any(f.episode is not None for f in active):
                continue
            faulty, allowed = chaos.load_at(members, active, changes, t)
            assert faulty <= allowed, (seed, t, active)


def test_no_removal_while_another_validator_is_down_and_no_power_to_a_faulty_one() -> None:
    import random

    down = [chaos.Fault(0, "kill", ("validator-1",), 10.0, 20.0)]
    for seed in range(20):
        rng = random.Random(seed)
        assert chaos._plan_change(rng, "remove", 12.0, 500.0, down, VALIDATORS, [], 1) is None
        assert chaos._plan_change(rng, "join", 12.0, 500.0, down, VALIDATORS, [], 1) is None
        power = chaos._plan_change(rng, "power", 12.0, 500.0, down, VALIDATORS, [], 1)
        assert power is not None and power.target != ("validator-1",)
    # While a validator is out of the set, three are left: no validator fault fits (an
    # observer's still does).
    removed = [chaos.Fault(0, "remove", ("validator-1",), 10.0, 20.0)]
    links = [("validator-0", "validator-2"), ("observer-0", "validator-2")]
    for kind in ("kill", "pause", "drop", "cut"):
        for seed in range(10):
            fault = chaos._plan_fault(random.Random(seed), kind, 12.0, 500.0, [], VALIDATORS,
                                      VALIDATORS + OBSERVERS, links, 1, removed)
            assert fault is None or "observer-0" in fault.target, (kind, fault)


def test_powers_and_tolerance_follow_the_set_in_force() -> None:
    assert chaos.tolerated({v: 1 for v in VALIDATORS}) == 1
    assert chaos.tolerated({v: 1 for v in VALIDATORS[:3]}) == 0
    assert chaos.tolerated({**{v: 1 for v in VALIDATORS}, "validator-4": 1}) == 1
    heavy = {**{v: 1 for v in VALIDATORS}, "validator-0": 2}
    assert chaos.min_cover(heavy, ["validator-0"], []) == 2 > chaos.tolerated(heavy)
    assert chaos.min_cover(heavy, [], [("validator-0", "validator-1")]) == 1


def bare_run(samples: list, power_log: list, syncing: list = (), restarting: list = ()):
    """A Run with no network: what its liveness accounting reads."""
    run = object.__new__(chaos.Run)
    run.schedule, run.happened = [], {}
    run.cluster = type("C", (), {"crashes": []})()
    run.samples, run.power_log = samples, power_log
    run.syncing, run.restarting = list(syncing), list(restarting)
    return run


def test_a_removed_validator_is_not_faulty_and_an_added_one_is_until_it_caught_up() -> None:
    base = [(0.0, v, 1) for v in VALIDATORS]
    heights = [(float(t), {"validator-0": t, "validator-3": None if 5 <= t < 10 else t,
                           "validator-4": (t // 3 if t < 14 else t) if t >= 10 else None})
               for t in range(20)]
    run = bare_run(heights, [*base, (5.0, "validator-3", 0), (10.0, "validator-4", 1)],
                   syncing=[("validator-4", 10.0)])
    samples = run.liveness_samples()
    assert [s.faulty for s in samples[:10]] == [0] * 10  # validator-3 out: not faulty
    assert [s.tolerated for s in samples[5:10]] == [0] * 5  # three left tolerate none
    assert [s.faulty for s in samples[10:14]] == [1] * 4  # validator-4 syncing
    assert [s.faulty for s in samples[14:]] == [0] * 6  # caught up
    assert all(s.down == 0 for s in samples)
    rotating = bare_run(heights[:6], base, restarting=[("validator-2", 2.0, 4.0)])
    assert [s.down for s in rotating.liveness_samples()] == [0, 0, 1, 1, 0, 0]


# ------------------------------------------------------------------ the checker


def chain(*blocks: tuple[str, str, tuple[str, ...]]) -> list:
    return [chaos.BlockSummary(h, b, r, txs) for h, (b, r, txs) in enumerate(blocks)]


GENESIS = ("g", "r0", ())


def test_the_checker_finds_nothing_wrong_in_agreeing_chains() -> None:
    good = chain(GENESIS, ("b1", "r1", ("t1",)), ("b2", "r2", ("t2", "t3")))
    chains = {"a": good, "b": good, "c": good[:2]}  # c is one block behind: no fork
    commits = [chaos.Commit("t1", 1, "a")]
    assert chaos.find_forks(chains) == []
    assert chaos.find_lost(chains, commits) == []
    assert chaos.find_duplicates(chains) == []


def test_the_checker_reports_a_fork_in_blocks_or_in_state_roots() -> None:
    a = chain(GENESIS, ("b1", "r1", ()), ("b2", "r2", ()))
    b = chain(GENESIS, ("b1", "r1", ()), ("x2", "r2", ()))
    c = chain(GENESIS, ("b1", "r1-other", ()))
    forks = chaos.find_forks({"a": a, "b": b, "c": c})
    assert [f["height"] for f in forks] == [1, 2]
    assert {tuple(v["nodes"]) for v in forks[0]["versions"]} == {("a", "b"), ("c",)}
    assert {tuple(v["nodes"]) for v in forks[1]["versions"]} == {("a",), ("b",)}


def test_the_checker_reports_a_lost_transaction() -> None:
    a = chain(GENESIS, ("b1", "r1", ("t1",)), ("b2", "r2", ("t2",)))
    b = chain(GENESIS, ("b1", "r1", ("t1",)), ("b2", "r2", ()))  # t2 missing
    c = chain(GENESIS, ("b1", "r1", ("t1",)))  # stopped below t2's height
    commits = [chaos.Commit("t1", 1, "a"), chaos.Commit("t2", 2, "a"),
               chaos.Commit("t9", 1, "b")]  # reported, in no chain at all
    lost = chaos.find_lost({"a": a, "b": b, "c": c}, commits)
    assert [(x["tx"], sorted(x["found_at"])) for x in lost] == [
        ("t2", ["b", "c"]), ("t9", ["a", "b", "c"])]
    # Committed at another height than the API said is lost too.
    moved = chaos.find_lost({"a": a}, [chaos.Commit("t2", 1, "a")])
    assert moved[0]["found_at"] == {"a": [2]}


def test_the_checker_reports_a_transaction_held_twice() -> None:
    a = chain(GENESIS, ("b1", "r1", ("t1",)), ("b2", "r2", ("t1",)))
    assert chaos.find_duplicates({"a": a}) == [{"node": "a", "tx": "t1", "heights": [1, 2]}]
    assert chaos.find_lost({"a": a}, [chaos.Commit("t1", 1, "a")])[0]["found_at"] == \
        {"a": [1, 2]}


def samples(heights: list[int | None], faulty: list[int], down: list[int] | None = None):
    down = down or [0] * len(heights)
    return [chaos.Sample(float(t), h, c, d)
            for t, (h, c, d) in enumerate(zip(heights, faulty, down, strict=True))]


def test_liveness_holds_when_the_chain_grows() -> None:
    report = chaos.check_liveness(samples(list(range(60)), [1] * 60))
    assert report["violations"] == [] and report["windows_checked"] > 30


def test_liveness_is_violated_by_a_stuck_chain_with_at_most_f_faulty() -> None:
    heights = list(range(20)) + [19] * 25 + list(range(20, 35))
    report = chaos.check_liveness(samples(heights, [1] * 60))
    assert len(report["violations"]) == 1
    violation = report["violations"][0]
    assert violation["height"] == 19 and 19 <= violation["from_s"] and violation["to_s"] <= 45
    # A node that does not answer does not lower the head.
    gaps = [h if t % 3 else None for t, h in enumerate(range(60))]
    assert chaos.check_liveness(samples(gaps, [0] * 60))["violations"] == []


def test_a_stall_while_the_set_in_force_tolerates_nothing_is_no_violation() -> None:
    heights = list(range(20)) + [19] * 25 + list(range(20, 35))
    stalled = [chaos.Sample(float(t), h, 1, 0, 0 if 20 <= t < 45 else 1)
               for t, h in enumerate(heights)]
    report = chaos.check_liveness(stalled)
    assert report["violations"] == [] and len(report["f_plus_1_stretches"]) == 1


def test_a_halt_with_f_plus_1_faulty_is_reported_apart_and_is_no_violation() -> None:
    heights = list(range(20)) + [19] * 25 + list(range(20, 45))
    faulty = [0] * 20 + [2] * 25 + [0] * 25
    report = chaos.check_liveness(samples(heights, faulty, faulty))
    assert report["violations"] == [] and report["halt_violations"] == []
    [stretch] = report["f_plus_1_stretches"]
    assert (stretch["from_s"], stretch["to_s"], stretch["grew_by"]) == (20.0, 44.0, 0)
    # The grace after f + 1: the chain must grow again within it plus a window.
    late = list(range(20)) + [19] * 50
    stuck = chaos.check_liveness(samples(late, [0] * 20 + [2] * 25 + [0] * 25))
    assert len(stuck["violations"]) == 1 and stuck["violations"][0]["from_s"] >= 50


def test_a_chain_that_grows_while_f_plus_1_are_down_breaks_the_halt() -> None:
    heights = list(range(40))
    down = [0] * 10 + [2] * 20 + [0] * 10
    report = chaos.check_liveness(samples(heights, down, down))
    assert len(report["halt_violations"]) == 1
    assert report["halt_violations"][0]["grew_by"] > 0


# ------------------------------------------------------------------ a short run


@pytest.mark.process
def test_a_one_minute_chaos_run_loses_nothing_forks_nothing_and_stays_live(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = chaos.main(["--minutes", "1", "--seed", str(SEED), "--work", str(tmp_path / "run"),
                       "--quiet"])
    report = json.loads(capsys.readouterr().out)
    assert report["transactions"]["lost"] == 0, report["lost"]
    assert report["forks"] == 0, report["fork_heights"]
    assert report["certificate_failures"] == 0, report["certificate_failure_list"]
    assert report["liveness_violations"] == 0, (report["liveness"], report["convergence"])
    assert report["crashes"] == [], report["crashes"]
    assert all(v["exit"] == 0 for v in report["verify_store"].values()), report["verify_store"]
    assert all(report["faults_injected"][kind] >= 1 for kind in chaos.KINDS), \
        report["faults_injected"]
    assert report["faults_injected"]["f+1_episodes"] >= 1
    assert report["liveness"]["f_plus_1_stretches"], report["liveness"]
    assert report["transactions"]["committed"] > 100
    changes = report["membership_changes"]  # carried out, in force, undone where planned
    assert changes and all("applied_height" in c and "note" not in c for c in changes), changes
    assert len(report["validator_sets"]) > 1, report["validator_sets"]
    # The observer the run admits starts from a peer's snapshot, and agrees from its base.
    assert report["state_synced"].get(chaos.NEW_OBSERVER, 0) > 0, report["state_synced"]
    assert report["final_height"] > 0 and report["ok"] and code == 0, report["failures"]


@pytest.mark.process
def test_a_validator_resumed_behind_catches_up_while_another_one_is_down(
        tmp_path: Path) -> None:
    schedule = [chaos.Fault(0, "pause", ("validator-2",), 5.0, 15.0),
                chaos.Fault(1, "kill", ("validator-0",), 15.5, 38.0)]
    args = chaos.parse(["--minutes", "1", "--seed", str(SEED), "--work", str(tmp_path),
                        "--quiet"])
    run = chaos.Run(args, tmp_path, schedule)
    try:
        report = asyncio.run(run.run())
    finally:
        run.cluster.kill_all()
    assert report["liveness"]["violations"] == [], report["liveness"]
    assert report["transactions"]["lost"] == 0 and report["forks"] == 0


def test_a_peer_route_holds_for_the_validator_name_after_its_key_is_rotated(
        tmp_path: Path) -> None:
    from node.cli import parse_routes
    from node.config import load_network
    from tests.nodeproc import make_cluster

    nets = make_cluster(tmp_path, validators=2)
    config = load_network(nets[0].network_file)
    routes = parse_routes(config, ("validator-1=127.0.0.1:7001", "validator-4=127.0.0.1:7002"))
    # By its genesis key, and by name: the registry keeps the name when the key changes.
    assert routes[nets[1].validator.address] == "127.0.0.1:7001"
    assert routes["validator-1"] == "127.0.0.1:7001"
    assert routes["validator-4"] == "127.0.0.1:7002"  # a validator the registry adds later
