"""The wallet's agent: unlock a key store once, then sign for a while, as ssh-agent does.

`claimledger-wallet agent start` opens the key store with its passphrase and forks a small
process that holds the key in memory, and nowhere else, for `--for` (15 minutes unless
told, at most 12 hours) or until `agent stop`; with `--idle` it also ends after that
long without signing. It listens on a Unix socket, mode 0600, in a directory of its own,
mode 0700, and answers only peers of its own uid (SO_PEERCRED). The wallet finds it
through $CLAIMLEDGER_AGENT (the socket's path, which `agent start` prints for the shell
to export) and uses it when it holds the key of the wallet's --key; otherwise it asks for
the passphrase as before.

The agent SIGNS; it never hands out the seed. It signs only a transaction's signing
bytes (contracts.tx: TX_DOMAIN, then a canonical Payload) or a request's
(contracts.requests: REQUEST_DOMAIN, then a canonical SignedRequest), and refuses
anything else (`agent.wrong_domain`, `agent.malformed`), so its socket is no general
signing oracle. `AgentSigner` is a contracts.identity.MemberSigner, the interface a
remote signer or an HSM stands behind too.

Wire: one request per connection; each way one frame, a 4-byte big-endian length then
msgpack: `["status"]`, `["sign", message]`, `["stop"]`; the answer is `["ok", value]` or
`["error", code, sentence]`. Frames are bounded (MAX_FRAME_BYTES) and a connection that
has not sent its whole request CONNECTION_TIMEOUT_S after it connected is closed (a
deadline for the whole request, not for each read: a peer that trickles a byte now and
then holds the agent no longer, and never past the agent's own time). The wallet talks
only to an agent of its own uid (SO_PEERCRED on its side too, `agent.foreign_agent`): a
socket another user put where $CLAIMLEDGER_AGENT points (a directory of the agent's name
in a shared /tmp, made again after the agent ended) is sent nothing.

Time: the agent's time runs on CLOCK_BOOTTIME (`clock`), which counts while the machine
sleeps, as OpenSSH's does: an agent started for 15 minutes before a laptop is closed for
the night has ended when it wakes, not 15 minutes later.

Ending: the agent drops its key, removes its socket and directory and exits. Python
cannot overwrite the key's bytes in place; they leave memory with the process, which
makes no core dump and which other processes of the user cannot attach to
(PR_SET_DUMPABLE 0, as ssh-agent).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import resource
import select
import signal
import socket
import stat
import struct
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack

from contracts.codec import decode
from contracts.errors import LedgerError
from contracts.identity import KeyPair, verify
from contracts.requests import REQUEST_DOMAIN, SignedRequest
from contracts.tx import MAX_LARGE_TX_BYTES, TX_DOMAIN, Payload

AGENT_ENV = "CLAIMLEDGER_AGENT"
SOCKET_NAME = "agent.sock"
DEFAULT_LIFETIME_S = 15 * 60
MAX_LIFETIME_S = 12 * 3600
MAX_FRAME_BYTES = MAX_LARGE_TX_BYTES + 4096  # the largest transaction's signing bytes, framed
CONNECTION_TIMEOUT_S = 5.0
BACKLOG = 16
_LENGTH = struct.Struct(">I")
_PEERCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid
_PR_SET_DUMPABLE = 4
_BOOTTIME: int | None = getattr(time, "CLOCK_BOOTTIME", None)

# What the agent signs: a domain tag, and the type the bytes after it must decode to.
SIGNABLE: tuple[tuple[bytes, type, str], ...] = (
    (TX_DOMAIN, Payload, "a transaction"),
    (REQUEST_DOMAIN, SignedRequest, "a request to a node"),
)


def clock() -> float:
    """Seconds on the clock the agent's time runs on: CLOCK_BOOTTIME where there is one
    (Linux), which keeps counting while the machine is suspended (time.monotonic() stops
    then, and would stretch `--for 15m` by every hour the machine slept); else
    time.monotonic()."""
    return time.clock_gettime(_BOOTTIME) if _BOOTTIME is not None else time.monotonic()


def check_signable(message: bytes) -> None:
    """Nothing unless `message` is a transaction's or a request's signing bytes:
    `agent.wrong_domain` for another domain tag, `agent.malformed` for bytes after the tag
    that are not the canonical record."""
    for domain, record, what in SIGNABLE:
        if message.startswith(domain):
            try:
                decode(record, message[len(domain):], max_bytes=MAX_FRAME_BYTES)
            except LedgerError as e:
                raise LedgerError("agent.malformed",
                                  f"the agent signs {what} only in its canonical form "
                                  f"({e.code})") from None
            return
    raise LedgerError("agent.wrong_domain", "the agent signs transactions and requests to "
                      "a node only (their domain tags); refused")


def parse_lifetime(text: str) -> int:
    """Seconds in `text`: `90`, `90s`, `15m`, `2h`, `1h30m`; from 1 s to MAX_LIFETIME_S."""
    found = re.fullmatch(r"\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s?)?\s*", text)
    if found is None or not any(found.groups()):
        raise LedgerError("agent.bad_duration",
                          f"{text!r} is no duration: write e.g. 90s, 15m, 2h or 1h30m")
    hours, minutes, seconds = (int(g or 0) for g in found.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if not 1 <= total <= MAX_LIFETIME_S:
        raise LedgerError("agent.bad_duration", f"a duration from 1 s to "
                          f"{MAX_LIFETIME_S // 3600} h, not {text!r}")
    return total


# -------------------------------------------------------------- frames


def write_frame(conn: socket.socket, value: Any) -> None:
    data = msgpack.packb(value, use_bin_type=True)
    assert len(data) <= MAX_FRAME_BYTES
    conn.sendall(_LENGTH.pack(len(data)) + data)


def read_frame(conn: socket.socket, until: float | None = None) -> Any:
    """One frame's value, whole by `until` (a `clock()` time; None: each read waits as
    long as the socket's timeout says); `agent.bad_frame` for an oversized or broken one,
    OSError or TimeoutError when the peer is gone, silent or too slow."""
    (length,) = _LENGTH.unpack(_read_exactly(conn, _LENGTH.size, until))
    if length > MAX_FRAME_BYTES:
        raise LedgerError("agent.bad_frame", f"a frame of {length} bytes is too long")
    try:
        return msgpack.unpackb(_read_exactly(conn, length, until), raw=False)
    except (ValueError, msgpack.UnpackException) as e:
        raise LedgerError("agent.bad_frame", "not a msgpack frame") from e


def _read_exactly(conn: socket.socket, n: int, until: float | None = None) -> bytes:
    chunks, left = [], n
    while left:
        if until is not None:
            # A timeout per read would let a peer that sends a byte now and then keep
            # the connection, and the agent with its key, for ever.
            wait = until - clock()
            if wait <= 0:
                raise TimeoutError("the peer did not send its request in time")
            conn.settimeout(wait)
        chunk = conn.recv(min(left, 1 << 16))
        if not chunk:
            raise ConnectionError("the peer closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# -------------------------------------------------------------- the agent process


def peer_uid(conn: socket.socket) -> int:
    """The uid of the process at the other end of the Unix socket `conn`, as the kernel
    recorded it when that process connected (SO_PEERCRED)."""
    raw = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size)
    return _PEERCRED.unpack(raw)[1]


def check_peer(conn: socket.socket, owner_uid: int) -> None:
    """Nothing when the peer of `conn` runs as `owner_uid`; `agent.foreign_peer` otherwise
    (the directory's mode keeps other users out already; this holds when it does not)."""
    uid = peer_uid(conn)
    if uid != owner_uid:
        raise LedgerError("agent.foreign_peer",
                          f"this agent signs for uid {owner_uid} only, not for uid {uid}")


@dataclass
class Agent:
    """An unlocked key and how long it may sign. Times are `clock()` seconds."""

    key: KeyPair | None
    member: bytes
    key_store: str
    deadline: float
    idle_s: float | None = None
    last_use: float = field(default_factory=clock)
    stopping: bool = False

    def seconds_left(self, now: float) -> float:
        """How long the key may still sign (0 once wiped or expired)."""
        if self.key is None:
            return 0.0
        left = self.deadline - now
        if self.idle_s is not None:
            left = min(left, self.last_use + self.idle_s - now)
        return max(left, 0.0)

    def wipe(self) -> None:
        self.key = None

    def answer(self, request: Any, now: float) -> Any:
        """The value answering `request`, or LedgerError."""
        if not isinstance(request, list) or not request or not isinstance(request[0], str):
            raise LedgerError("agent.bad_request", "a request is [verb, ...]")
        if self.key is None or self.seconds_left(now) <= 0:
            raise LedgerError("agent.expired", "the agent's time is up; it holds no key")
        match request:
            case ["status"]:
                left_ms = int(self.seconds_left(now) * 1000)
                return {"key": self.key.address.hex(), "member": self.member.hex(),
                        "key_store": self.key_store, "expires_in_ms": left_ms,
                        "idle_ms": None if self.idle_s is None else int(self.idle_s * 1000),
                        "pid": os.getpid()}
            case ["sign", bytes() as message]:
                check_signable(message)
                self.last_use = now
                return self.key.sign(message)
            case ["stop"]:
                self.wipe()
                self.stopping = True
                return "stopped"
        raise LedgerError("agent.bad_request", f"no such request: {request[0][:32]!r}")


def listen_privately(base: Path | None = None) -> tuple[Path, socket.socket]:
    """A listening Unix socket, mode 0600, in a new directory of mode 0700 under `base`
    ($XDG_RUNTIME_DIR when it is private, else the temporary directory); its path."""
    base = base or _runtime_dir() or Path(tempfile.gettempdir())
    check_base(base)
    directory = Path(tempfile.mkdtemp(prefix="claimledger-agent-", dir=base))  # mode 0700
    path = directory / SOCKET_NAME
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    umask = os.umask(0o177)  # the socket is 0600 from its creation on
    try:
        listener.bind(str(path))
    except OSError as e:
        listener.close()
        directory.rmdir()
        raise LedgerError("agent.no_socket", f"cannot listen at {path}: {e.strerror}") from e
    finally:
        os.umask(umask)
    os.chmod(path, 0o600)
    listener.listen(BACKLOG)
    return path, listener


def check_base(base: Path) -> None:
    """Nothing when only we (or root) may rename or replace what is made in `base`: it
    is ours or root's, and others may not write to it, or it is sticky (/tmp);
    `agent.unsafe_directory` otherwise. Whoever may rename entries of the base may swap
    the agent's private directory for one of their own between its creation and the
    socket's, and have the agent bind and chmod where they choose."""
    try:
        st = os.stat(base)
    except OSError as e:
        raise LedgerError("agent.no_socket", f"cannot use {base}: {e.strerror}") from e
    others_write = st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX
    if st.st_uid not in (0, os.getuid()) or others_write:
        raise LedgerError("agent.unsafe_directory",
                          f"{base} is not a safe place for the agent's socket (another user "
                          "owns it, or may rename what is in it): set TMPDIR to a directory "
                          "of yours")


def _runtime_dir() -> Path | None:
    """$XDG_RUNTIME_DIR when it is a directory of ours that only we may enter."""
    found = os.environ.get("XDG_RUNTIME_DIR")
    if not found:
        return None
    try:
        st = os.stat(found)
    except OSError:
        return None
    return Path(found) if st.st_uid == os.getuid() and st.st_mode & 0o077 == 0 else None


def harden() -> None:
    """No core dump of this process and no other process of the user attaching to it
    (Linux's PR_SET_DUMPABLE, as ssh-agent): the key lives in its memory. Best effort."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the core limit stays
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)


def serve(listener: socket.socket, agent: Agent, owner_uid: int | None = None) -> None:
    """Answer one request per connection until the agent's time is up or it is stopped.
    Only peers running as `owner_uid` (default: ours) are answered."""
    owner_uid = os.getuid() if owner_uid is None else owner_uid
    while not agent.stopping:
        wait = agent.seconds_left(clock())
        if wait <= 0:
            return
        ready, _, _ = select.select([listener], [], [], wait)
        if not ready:
            continue
        try:
            conn, _ = listener.accept()
        except OSError:
            continue
        with conn:
            # A silent or slow peer is dropped once its time is up, and never keeps the
            # agent past its own deadline (the answer is a few dozen bytes: it fits the
            # socket's buffer, and sending it waits for no reader).
            now = clock()
            until = now + min(CONNECTION_TIMEOUT_S, agent.seconds_left(now))
            conn.settimeout(max(0.1, until - now))
            try:
                check_peer(conn, owner_uid)
                reply = ["ok", agent.answer(read_frame(conn, until), clock())]
            except LedgerError as e:
                reply = ["error", e.code, e.message]
            except OSError:  # gone or silent (TimeoutError is one)
                continue
            with contextlib.suppress(OSError):  # a peer gone before its answer loses it
                write_frame(conn, reply)


def close(listener: socket.socket, path: Path) -> None:
    """Stop listening and remove the socket and its directory."""
    listener.close()
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # not empty (not ours alone) or gone: leave it
        path.parent.rmdir()


def run_detached(listener: socket.socket, path: Path, agent: Agent) -> int:
    """Fork the agent's process, detached from the terminal; its pid. The caller (the
    parent) goes on without the listener and should exit soon: it holds the key too."""
    pid = os.fork()
    if pid:
        listener.close()  # the child listens; the parent must not remove the socket
        return pid
    try:  # the child: never returns into the caller's code
        os.setsid()
        os.chdir("/")
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, _exit_on_signal)
        serve(listener, agent)
    finally:
        agent.wipe()
        close(listener, path)
        os._exit(0)


def _exit_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(0)


# -------------------------------------------------------------- the wallet's side


def call(path: str, request: list) -> Any:
    """The agent's answer to `request`; its refusal raised as LedgerError, and
    `agent.unavailable` when no agent answers at `path`."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(CONNECTION_TIMEOUT_S)
            conn.connect(path)
            check_agent(conn, path)  # before a byte of the request goes to a stranger
            # An agent that refuses us (another uid's) answers before reading and closes:
            # its answer waits to be read even when our request found it gone.
            with contextlib.suppress(OSError):
                write_frame(conn, request)
            reply = read_frame(conn)
    except OSError as e:
        raise LedgerError("agent.unavailable",
                          f"no agent answers at {path} ({e.strerror or e}): it expired or "
                          "was stopped; `claimledger-wallet agent start` unlocks again") from None
    match reply:
        case ["ok", value]:
            return value
        case ["error", str() as code, str() as message]:
            raise LedgerError(code, message)
    raise LedgerError("agent.bad_frame", f"the agent at {path} answered nonsense")


def check_agent(conn: socket.socket, path: str) -> None:
    """Nothing when the process listening at the other end of `conn` runs as our uid;
    `agent.foreign_agent` otherwise. The agent's directory is private, but the path the
    wallet is given may not lead there: after the agent ends, another user may make a
    directory of that name in a shared /tmp and listen in it, to read what the wallet
    asks to be signed and answer as it likes."""
    uid = peer_uid(conn)
    if uid != os.getuid():
        raise LedgerError("agent.foreign_agent",
                          f"the socket at {path} belongs to a process of uid {uid}, not to "
                          "your agent: nothing was sent to it")


class AgentSigner:
    """A MemberSigner whose key the agent at `path` holds: each signature is one request
    to it, checked against the key before it is used."""

    __slots__ = ("address", "member", "path")

    def __init__(self, path: str, address: bytes, member: bytes) -> None:
        self.path, self.address, self.member = path, address, member

    def sign(self, message: bytes) -> bytes:
        signature = call(self.path, ["sign", message])
        if not isinstance(signature, bytes) or not verify(self.address, message, signature):
            raise LedgerError("agent.bad_signature",
                              f"the agent at {self.path} answered a signature that does "
                              f"not verify against key {self.address.hex()}")
        return signature

    def __repr__(self) -> str:
        return f"AgentSigner({self.path}, {self.address.hex()[:8]})"


def agent_status(path: str) -> dict:
    """The agent's status: key, member, key_store, expires_in_ms, idle_ms, pid."""
    status = call(path, ["status"])
    if not isinstance(status, dict):
        raise LedgerError("agent.bad_frame", f"the agent at {path} answered nonsense")
    return status


def agent_for(key: bytes, member: bytes) -> tuple[AgentSigner | None, str | None]:
    """The agent at $CLAIMLEDGER_AGENT when it holds `key` signing for `member`; else
    None and why not (None when the variable is not set)."""
    path = os.environ.get(AGENT_ENV)
    if not path:
        return None, None
    try:
        status = agent_status(path)
    except LedgerError as e:
        return None, f"{e.code}: {e.message}"
    if status.get("key") != key.hex() or status.get("member") != member.hex():
        return None, (f"the agent at {path} holds the key of {status.get('key_store')}, "
                      "not the key store given with --key")
    return AgentSigner(path, key, member), None
