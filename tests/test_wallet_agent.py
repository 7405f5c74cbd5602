"""The wallet's agent: unlocked once, it signs the wallet's requests and transactions with
no passphrase asked; it signs nothing but those, answers its own user only, keeps its
socket private, and forgets the key when its time is up or when stopped."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from contracts.errors import LedgerError
from contracts.identity import KeyPair, verify
from contracts.keystore import seal
from contracts.requests import REQUEST_DOMAIN, SignedRequest, request_headers, signing_bytes
from contracts.tx import TX_DOMAIN
from tests.nodeproc import ROOT
from tests.test_keystores import draft_for
from tests.test_wallet_signing import node_api
from wallet.agent import (
    AGENT_ENV,
    MAX_LIFETIME_S,
    Agent,
    AgentSigner,
    call,
    check_peer,
    clock,
    listen_privately,
    parse_lifetime,
    serve,
)
from wallet.cli import Wallet, main

PASSPHRASE = "heron-Quarry-5120-mosaic"
KEY = KeyPair(bytes(range(32, 64)))


@pytest.fixture(scope="module")
def home() -> Iterator[Path]:
    """A short directory (a socket's path has at most 107 bytes) for the key store and,
    as TMPDIR, for the agents' sockets."""
    path = Path(tempfile.mkdtemp(prefix="cla-", dir="/tmp"))
    store = path / "member.json"
    store.write_text(json.dumps(seal(KEY, PASSPHRASE, "m")), encoding="utf-8")
    store.chmod(0o600)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def start_agent(home: Path, *args: str) -> tuple[str, int]:
    """`agent start` as a person runs it (a process of its own, which forks the agent);
    the socket path it exports and the agent's pid."""
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    env.update(TMPDIR=str(home), CLAIMLEDGER_PASSPHRASE=PASSPHRASE)
    done = subprocess.run(
        [sys.executable, "-m", "wallet.cli", "--key", str(home / "member.json"), "--json",
         "agent", "start", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=30)
    assert done.returncode == 0, done.stderr
    started = json.loads(done.stdout)
    assert started["member"] == KEY.address.hex()
    return started["socket"], started["pid"]


def wallet(home: Path, *args: str, agent: str | None, passphrase: str | None = None) -> Result:
    """The wallet with --key, $CLAIMLEDGER_AGENT and the passphrase (None: none given, so
    a prompt would meet an empty stdin and fail)."""
    env = {AGENT_ENV: agent, "CLAIMLEDGER_PASSPHRASE": passphrase}
    return CliRunner().invoke(main, ["--json", "--key", str(home / "member.json"), *args],
                              env=env, input="")


def gone(pid: int) -> bool:
    """Whether process `pid` has exited (a zombie nobody reaped counts as exited)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def start_agent_in_a_shell(home: Path) -> tuple[str, int]:
    """`eval "$(claimledger-wallet agent start)"` in a shell, the passphrase typed at the
    prompt (no terminal here: its stdin); the socket path the shell exported and the pid."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("XDG_RUNTIME_DIR", "CLAIMLEDGER_PASSPHRASE")}
    env.update(TMPDIR=str(home), CLAIMLEDGER_KEY=str(home / "member.json"))
    script = (f'eval "$({sys.executable} -m wallet.cli agent start --for 5m)" '
              '&& echo "socket=$CLAIMLEDGER_AGENT"')
    done = subprocess.run(["sh", "-c", script], cwd=ROOT, env=env, input=PASSPHRASE + "\n",
                          capture_output=True, text=True, timeout=30, start_new_session=True)
    assert done.returncode == 0, done.stderr
    said, exported = done.stdout.splitlines()
    assert said.startswith("Agent pid ") and KEY.address.hex() in said
    assert said.endswith(" China time")  # as every time the wallet shows
    assert "Passphrase" in done.stderr
    return exported.removeprefix("socket="), int(said.split()[2])


@pytest.fixture(scope="module")
def running(home: Path) -> Iterator[tuple[str, int]]:
    """One agent for the tests that only use it (starting one costs a process and the
    key store's argon2id)."""
    sock, pid = start_agent_in_a_shell(home)
    try:
        yield sock, pid
    finally:
        if not gone(pid):
            os.kill(pid, 15)


def test_the_agent_signs_reads_and_drafts_with_no_passphrase_asked(
        home: Path, running: tuple[str, int]) -> None:
    sock, pid = running
    with node_api() as url:
        read = wallet(home, "--node", url, "vouchers", agent=sock)
        assert read.exit_code == 0, read.stderr
        assert json.loads(read.stdout)["caller"] == KEY.address.hex()
        assert "Passphrase" not in read.output
    draft = draft_for(home / "apply.json", KEY)
    # Signed offline (no node listens at port 9): a node at the default address, a devnet
    # running on this machine, would refuse the test chain's draft (wallet.other_chain).
    signed = wallet(home, "--node", "http://127.0.0.1:9", "sign", str(draft), "--yes",
                    agent=sock)
    assert signed.exit_code == 0, signed.stderr
    assert json.loads(signed.stdout)["missing_signers"] == []
    tx = Wallet("http://127.0.0.1:9", None, False).read_draft(draft)
    assert [s.signer for s in tx.signatures] == [KEY.address]
    status = wallet(home, "agent", "status", agent=sock)
    assert status.exit_code == 0, status.stderr
    shown = json.loads(status.stdout)
    assert shown["member"] == KEY.address.hex() and shown["pid"] == pid
    assert 200_000 < shown["expires_in_ms"] <= 300_000


def test_the_agent_signs_only_transactions_and_requests(running: tuple[str, int]) -> None:
    sock, _ = running
    signer = AgentSigner(sock, KEY.address, KEY.address)
    headers = request_headers(signer, "chain", "GET", "/v1/vouchers", b"", 1_700_000_000_000)
    assert headers["X-Claimledger-Member"] == KEY.address.hex()
    for message, code in [(b"any bytes at all", "agent.wrong_domain"),
                          (b"claimledger/vote/v1\x00" + bytes(40), "agent.wrong_domain"),
                          (TX_DOMAIN + b"\x93\x01\x02\x03", "agent.malformed"),
                          (REQUEST_DOMAIN + b"not a request", "agent.malformed")]:
        with pytest.raises(LedgerError) as refused:
            signer.sign(message)
        assert refused.value.code == code
    # Still serving after the refusals, and what it signs verifies.
    request = SignedRequest("chain", "GET", "/v1/x", bytes(32), 1, bytes(16))
    assert verify(KEY.address, signing_bytes(request), signer.sign(signing_bytes(request)))


def test_the_agents_socket_is_private(running: tuple[str, int]) -> None:
    sock, _ = running
    path = Path(sock)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_ISSOCK(path.stat().st_mode)
    if os.getuid() == 0:  # another user (nobody) cannot even reach the socket
        assert connect_as(65534, sock) == "refused"


def connect_as(uid: int, path: str) -> str:
    """What a process of `uid` meets connecting to `path`: "refused" (no permission) or
    "connected"."""
    pid = os.fork()
    if pid == 0:
        code = 2
        try:
            os.setgid(uid)
            os.setuid(uid)
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(path)
            code = 0
        except PermissionError:
            code = 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) in (0, 1)
    return "connected" if os.WEXITSTATUS(status) == 0 else "refused"


def test_the_agent_answers_no_process_of_another_uid(home: Path) -> None:
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        check_peer(left, os.getuid())
        with pytest.raises(LedgerError) as refused:
            check_peer(left, os.getuid() + 1)
        assert refused.value.code == "agent.foreign_peer"
    # An agent that belongs to another uid refuses us before reading a request.
    path, listener = listen_privately(home)
    # Its time is up soon (the thread ends by itself), yet not before a loaded machine
    # gets the call through.
    agent = Agent(KEY, KEY.address, "store", clock() + 4)
    thread = threading.Thread(target=serve, args=(listener, agent, os.getuid() + 1))
    thread.start()
    try:
        with pytest.raises(LedgerError) as refused:
            call(str(path), ["status"])
        assert refused.value.code == "agent.foreign_peer"
    finally:
        thread.join(timeout=15)  # the agent's time is up within 4 s
        listener.close()
    assert not thread.is_alive()


def test_the_agent_expires_and_the_wallet_opens_the_key_store_again(home: Path) -> None:
    sock, pid = start_agent(home, "--for", "2s")
    assert json.loads(wallet(home, "agent", "status", agent=sock).stdout)["pid"] == pid
    assert wait_until(lambda: gone(pid), 6)
    assert not os.path.exists(sock) and not Path(sock).parent.exists()
    with node_api() as url:
        asked = wallet(home, "--node", url, "vouchers", agent=sock)
        assert asked.exit_code != 0  # it asked for the passphrase and got none
        assert "Passphrase" in asked.output
        read = wallet(home, "--node", url, "vouchers", agent=sock, passphrase=PASSPHRASE)
        assert read.exit_code == 0, read.stderr
        assert json.loads(read.stdout)["caller"] == KEY.address.hex()
        assert "not using the agent: agent.unavailable" in read.stderr


def test_agent_stop_forgets_the_key_and_removes_the_socket(home: Path) -> None:
    sock, pid = start_agent(home, "--for", "5m")
    stopped = wallet(home, "agent", "stop", agent=sock)
    assert stopped.exit_code == 0, stopped.stderr
    assert not os.path.exists(sock) and not Path(sock).parent.exists()
    assert wait_until(lambda: gone(pid), 3)
    status = wallet(home, "agent", "status", agent=sock)
    assert status.exit_code == 1 and "agent.unavailable" in status.stderr
    # In the agent itself: stop drops the key, and nothing is answered after it.
    agent = Agent(KEY, KEY.address, "store", clock() + 10)
    assert agent.answer(["stop"], time.monotonic()) == "stopped"
    assert agent.key is None
    with pytest.raises(LedgerError) as refused:
        agent.answer(["sign", TX_DOMAIN], time.monotonic())
    assert refused.value.code == "agent.expired"


def test_the_wallet_uses_no_agent_that_holds_another_key(
        home: Path, running: tuple[str, int]) -> None:
    sock, _ = running
    other = home / "other.json"
    other.write_text(json.dumps(seal(KeyPair.generate(), PASSPHRASE, "o")), encoding="utf-8")
    other.chmod(0o600)
    draft = draft_for(home / "other-apply.json", KEY)
    result = CliRunner().invoke(main, ["--json", "--key", str(other), "sign", str(draft),
                                       "--yes"], env={AGENT_ENV: sock,
                                                      "CLAIMLEDGER_PASSPHRASE": None}, input="")
    assert result.exit_code != 0 and "Passphrase" in result.output
    assert "holds the key of" in result.stderr


def test_agent_lifetimes_are_bounded() -> None:
    assert parse_lifetime("15m") == 900 and parse_lifetime("1h30m") == 5400
    assert parse_lifetime("2s") == 2 and parse_lifetime("90") == 90
    for text in ("0s", "13h", f"{MAX_LIFETIME_S + 1}s", "soon", ""):
        with pytest.raises(LedgerError) as refused:
            parse_lifetime(text)
        assert refused.value.code == "agent.bad_duration"


def test_an_idle_agent_ends_after_its_idle_time_unless_it_signs() -> None:
    agent = Agent(KEY, KEY.address, "store", deadline=100.0, idle_s=5.0, last_use=0.0)
    assert agent.seconds_left(3.0) == 2.0
    request = SignedRequest("chain", "GET", "/v1/x", bytes(32), 1, bytes(16))
    agent.answer(["sign", signing_bytes(request)], 4.0)  # signing restarts the idle time
    assert agent.seconds_left(8.0) == 1.0
    assert agent.answer(["status"], 8.0)["expires_in_ms"] == 1000
    with pytest.raises(LedgerError) as refused:
        agent.answer(["sign", signing_bytes(request)], 9.5)
    assert refused.value.code == "agent.expired"


# ------------------------------------------------------------------ against a hostile peer


def trickle(path: Path, every_s: float, for_s: float) -> float:
    """Connect to the agent at `path` and send a frame's bytes one every `every_s` for up
    to `for_s`; the seconds until the agent closed the connection (or `for_s`)."""
    started = time.monotonic()
    with socket.socket(socket.AF_UNIX) as conn:
        conn.connect(str(path))
        conn.sendall(b"\x00\x01\x00\x00")  # a frame of 64 KiB announced
        while time.monotonic() - started < for_s:
            time.sleep(every_s)
            try:
                conn.send(b"\x90")
            except OSError:  # the agent closed the connection: the write fails
                break
    return time.monotonic() - started


def test_a_peer_that_trickles_its_request_does_not_keep_the_agent_past_its_time(
        home: Path) -> None:
    path, listener = listen_privately(home)
    agent = Agent(KEY, KEY.address, "store", clock() + 1.0)
    thread = threading.Thread(target=serve, args=(listener, agent))
    thread.start()
    try:
        # A byte every 0.3 s beats any timeout per read; the agent's time is up after 1 s.
        held_s = trickle(path, 0.3, 8.0)
        thread.join(timeout=3)
        assert not thread.is_alive()  # the key left with its time, the trickle did not hold it
        assert held_s < 4.0
    finally:
        thread.join(timeout=10)
        listener.close()


def test_a_peer_that_trickles_its_request_is_dropped_after_the_connection_timeout(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("wallet.agent.CONNECTION_TIMEOUT_S", 1.0)
    path, listener = listen_privately(home)
    agent = Agent(KEY, KEY.address, "store", clock() + 30)
    thread = threading.Thread(target=serve, args=(listener, agent))
    thread.start()
    try:
        assert trickle(path, 0.3, 6.0) < 3.0  # closed on it after 1 s, not after 6
        assert call(str(path), ["status"])["member"] == KEY.address.hex()  # others served
    finally:
        with contextlib.suppress(LedgerError):
            call(str(path), ["stop"])
        thread.join(timeout=10)
        listener.close()
    assert not thread.is_alive()


def test_the_wallet_sends_nothing_to_a_socket_of_another_uid(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where $CLAIMLEDGER_AGENT points another user may listen (a directory of the old
    agent's name made again in /tmp): the wallet checks who listens before it writes."""
    directory = Path(tempfile.mkdtemp(prefix="impostor-", dir=home))
    path = directory / "agent.sock"
    received: list[bytes] = []
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
        listener.listen(1)

        def impostor() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(2)
                with contextlib.suppress(OSError):
                    received.append(conn.recv(1 << 16))

        thread = threading.Thread(target=impostor)
        thread.start()
        # The listening process is ours in this test: make it look like another uid's.
        monkeypatch.setattr("wallet.agent.peer_uid", lambda conn: os.getuid() + 1)
        with pytest.raises(LedgerError) as refused:
            AgentSigner(str(path), KEY.address, KEY.address).sign(TX_DOMAIN + b"secret draft")
        thread.join(timeout=5)
    assert refused.value.code == "agent.foreign_agent"
    assert received in ([], [b""])  # not a byte of the request


def test_the_agents_time_runs_on_while_the_machine_sleeps() -> None:
    """CLOCK_BOOTTIME counts a suspend; time.monotonic() does not, and an agent started
    `--for 15m` before a night's sleep would still sign in the morning."""
    assert abs(clock() - time.clock_gettime(time.CLOCK_BOOTTIME)) < 1.0
    assert Agent(KEY, KEY.address, "store", clock() + 60).last_use <= clock()


def test_the_agent_makes_its_socket_only_where_no_other_user_may_rename_it(
        home: Path) -> None:
    shared = home / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # anybody may rename our directory in it and put theirs instead
    with pytest.raises(LedgerError) as refused:
        listen_privately(shared)
    assert refused.value.code == "agent.unsafe_directory"
    assert list(shared.iterdir()) == []  # nothing made there
    shared.chmod(0o1777)  # as /tmp: sticky, so only the owner of an entry renames it
    path, listener = listen_privately(shared)
    listener.close()
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    if os.getuid() == 0:  # a directory another user owns
        os.chown(shared, 65534, 65534)
        with pytest.raises(LedgerError) as refused:
            listen_privately(shared)
        assert refused.value.code == "agent.unsafe_directory"


def test_in_chinese_the_shell_says_in_chinese_what_the_agent_does(home: Path) -> None:
    """`eval "$(agent start)"` and `eval "$(agent stop)"` under LANG=zh_CN.UTF-8: the
    lines the shell echoes are Chinese, quoted so that the shell runs them as they are."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("XDG_RUNTIME_DIR", "LANGUAGE", "LC_ALL")}
    env.update(TMPDIR=str(home), CLAIMLEDGER_KEY=str(home / "member.json"),
               CLAIMLEDGER_PASSPHRASE=PASSPHRASE, LANG="zh_CN.UTF-8")
    wallet_cli = f"{sys.executable} -m wallet.cli"
    script = (f'eval "$({wallet_cli} agent start --for 5m)" && echo "pid=$CLAIMLEDGER_AGENT" '
              f'&& eval "$({wallet_cli} agent stop)" && echo "left=$CLAIMLEDGER_AGENT"')
    done = subprocess.run(["sh", "-c", script], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=30, start_new_session=True)
    assert done.returncode == 0, done.stderr
    said, exported, stopped, left = done.stdout.splitlines()
    assert said.startswith("签名代理（进程 ") and KEY.address.hex() in said, said
    pid = int(said.removeprefix("签名代理（进程 ").split("）")[0])
    assert exported.startswith("pid=") and stopped == "签名代理已停止" and left == "left="
    assert wait_until(lambda: gone(pid), 5)
