"""The peer port before authentication, and the node key: a stranger costs little and
learns nothing; no key lies on disk; a TLS key is worth nothing without the node key."""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import struct
import time
import tracemalloc
from pathlib import Path

import aiohttp
import msgpack
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.identity import KeyPair
from node import tls
from node.peer_gate import PeerLimits, RefusalLog
from node.peers import Link, Peers, pack, unpack
from node.signer import TLS_BINDING_DOMAIN, LocalSigner, SignerError
from tests.nodeproc import closed_within, free_port, make_network, running
from tests.test_peers import CHAIN, Endpoint, config, dialler_and_dialled, eventually, peer_url

FAST = PeerLimits(handshake_deadline_s=1.5)
UPGRADE = (b"GET /v1/peer HTTP/1.1\r\nHost: peer\r\nUpgrade: websocket\r\n"
           b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           b"Sec-WebSocket-Version: 13\r\n\r\n")


def frame_header(length: int) -> bytes:
    """A client's binary websocket frame header declaring `length` bytes (mask zero)."""
    return b"\x82" + bytes([0x80 | 127]) + struct.pack(">Q", length) + bytes(4)


async def stranger(port: int, source: str = "127.0.0.1", use_tls: bool = True):
    return await asyncio.open_connection(
        "127.0.0.1", port, ssl=tls.client_context() if use_tls else None,
        local_addr=(source, 0))


async def upgraded(port: int, source: str = "127.0.0.1"):
    reader, writer = await stranger(port, source)
    writer.write(UPGRADE)
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 101")
    return reader, writer


@pytest.fixture
def two() -> tuple:
    nodes = {name: (KeyPair.generate(), free_port()) for name in ("a", "b")}
    return config(nodes), nodes


async def test_strangers_cannot_make_the_node_buffer_large_frames(two) -> None:
    # Before: a stranger's frame of up to 16 MiB was read whole before the handshake.
    cfg, nodes = two
    key, port = nodes["a"]
    end = Endpoint(cfg, key, port)
    end.peers.limits = FAST
    await end.start()
    chunk = bytes(1 << 16)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()

        async def push() -> bool:
            reader, writer = await upgraded(port)
            writer.write(frame_header(8 << 20))
            try:
                for _ in range(64):  # 4 MiB of the declared 8
                    writer.write(chunk)
                    await writer.drain()
            except (ConnectionError, ssl.SSLError):
                pass
            closed = await closed_within(reader, 1.0)
            writer.close()
            return closed

        closed = await asyncio.gather(*(push() for _ in range(4)))
        grown = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
        await end.stop()
    assert all(closed), "a stranger's large frame did not close its connection"
    assert grown < 6 << 20, f"{grown} bytes held for four strangers"
    assert end.peers.listener.refusals.counts["peer.preauth_bytes"] == 4


async def test_a_large_hello_is_refused(two) -> None:
    cfg, nodes = two
    key, port = nodes["a"]
    end = await Endpoint(cfg, key, port).start()
    try:
        async with aiohttp.ClientSession() as session, \
                session.ws_connect(peer_url(port), ssl=tls.client_context()) as ws:
            await ws.send_bytes(pack("hello", [CHAIN, bytes(5000), bytes(32)]))
            assert unpack((await ws.receive()).data) == ("refused",
                                                         "peer.handshake_frame_too_big")
    finally:
        await end.stop()


async def test_pending_connections_beyond_the_caps_are_closed_at_once(two) -> None:
    # Before: nothing capped them; each held its socket (and TLS state) for seconds.
    cfg, nodes = two
    key, port = nodes["a"]
    end = Endpoint(cfg, key, port)
    end.peers.limits = PeerLimits(handshake_deadline_s=3, max_pending=6,
                                  max_pending_per_address=4)
    await end.start()
    try:
        first = [await stranger(port, "127.0.0.1", use_tls=False) for _ in range(6)]
        second = [await stranger(port, "127.0.0.2", use_tls=False) for _ in range(3)]
        shut = list(await asyncio.gather(*(closed_within(r, 0.5)
                                           for r, _ in (*first, *second))))
        # Four from 127.0.0.1 (per address), then two from 127.0.0.2 (six in all).
        assert shut == [False] * 4 + [True] * 2 + [False] * 2 + [True]
        counts = end.peers.listener.refusals.counts
        assert counts["peer.too_many_pending_from_address"] == 2
        assert counts["peer.too_many_pending"] == 1
        for _, writer in (*first, *second):
            writer.close()
        # Their slots come back: the validators still link.
        await eventually(lambda: end.peers.listener.pending == 0)
        b = await Endpoint(cfg, *nodes["b"]).start()
        try:
            await eventually(lambda: len(end.peers.links) == 1)
        finally:
            await b.stop()
    finally:
        await end.stop()


async def test_new_connections_from_one_address_beyond_its_rate_are_closed_at_once(
        two) -> None:
    # Before: each new connection cost a TLS handshake, as many a second as one asked.
    cfg, nodes = two
    key, port = nodes["a"]
    end = Endpoint(cfg, key, port)
    end.peers.limits = PeerLimits(connection_burst=5, connections_per_s=0.5)
    await end.start()
    try:
        shut = []
        for _ in range(8):
            reader, writer = await stranger(port, use_tls=False)
            shut.append(await closed_within(reader, 0.2))
            writer.close()
            await eventually(lambda: end.peers.listener.pending == 0)
        assert shut == [False] * 5 + [True] * 3
        assert end.peers.listener.refusals.counts["peer.connection_rate"] == 3
        reader, writer = await stranger(port, "127.0.0.3", use_tls=False)
        assert not await closed_within(reader, 0.2)  # another address has its own
        writer.close()
    finally:
        await end.stop()


async def test_silent_and_slow_connections_are_closed_at_the_deadline(two) -> None:
    # Before: a TCP connection that sent nothing stayed for asyncio's 60 s TLS deadline,
    # and one that finished the upgrade had 5 s per handshake frame, renewed each time.
    cfg, nodes = two
    key, port = nodes["a"]
    end = Endpoint(cfg, key, port)
    end.peers.limits = FAST
    await end.start()
    try:
        started = time.monotonic()
        silent, kept = await stranger(port, use_tls=False)
        after_upgrade, kept_too = await upgraded(port)  # (a writer dropped closes)
        trickle_reader, trickle = await stranger(port)

        async def slowly() -> None:
            for byte in UPGRADE:
                trickle.write(bytes([byte]))
                await asyncio.sleep(0.1)

        dripping = asyncio.create_task(slowly())
        assert kept and kept_too
        try:
            results = await asyncio.gather(closed_within(silent, 4),
                                           closed_within(after_upgrade, 4),
                                           closed_within(trickle_reader, 4))
        finally:
            dripping.cancel()
        assert all(results)
        assert time.monotonic() - started < 3.5
        assert end.peers.listener.refusals.counts["peer.handshake_timeout"] == 3, \
            end.peers.listener.refusals.counts
    finally:
        await end.stop()


async def test_garbage_instead_of_tls_is_closed_and_the_port_keeps_serving(two) -> None:
    cfg, nodes = two
    key, port = nodes["a"]
    end = Endpoint(cfg, key, port)
    end.peers.limits = FAST
    await end.start()
    try:
        for garbage in (os.urandom(3000), b"\x16\x03\x01\xff\xff" + bytes(100), UPGRADE):
            reader, writer = await stranger(port, use_tls=False)
            writer.write(garbage)
            assert await closed_within(reader, 3)
            writer.close()
        assert end.peers.listener.refusals.counts["peer.tls_failed"] == 3
        b = await Endpoint(cfg, *nodes["b"]).start()
        try:
            await eventually(lambda: len(end.peers.links) == 1)
        finally:
            await b.stop()
    finally:
        await end.stop()


async def test_an_upgrade_request_with_large_headers_is_refused(two, caplog) -> None:
    cfg, nodes = two
    key, port = nodes["a"]
    end = await Endpoint(cfg, key, port).start()
    try:
        reader, writer = await stranger(port)
        writer.write(UPGRADE[:-2] + b"X-Padding: " + b"a" * 4000 + b"\r\n\r\n")
        head = await asyncio.wait_for(reader.read(200), 3)
        assert head.startswith((b"HTTP/1.1 400", b"HTTP/1.0 400")) or head == b""
        writer.close()
        assert end.peers.listener.refusals.counts["peer.bad_http"] == 1
        assert "Traceback" not in caplog.text
    finally:
        await end.stop()


async def test_refusals_of_strangers_cannot_fill_the_log(two, caplog) -> None:
    # Before: one warning line per refused connection, as many as a stranger liked.
    caplog.set_level(logging.WARNING, logger="claimledger.peers")
    cfg, nodes = two
    key, port = nodes["a"]
    end = await Endpoint(cfg, key, port).start()
    stranger_key = KeyPair.generate()
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(30):
                async with session.ws_connect(peer_url(port), ssl=tls.client_context()) as ws:
                    await ws.send_bytes(pack("hello", [CHAIN, stranger_key.address,
                                                       bytes(32)]))
                    await ws.receive()
        assert end.peers.listener.refusals.counts["peer.unknown_key"] == 30
        lines = [r for r in caplog.records if "refused a peer connection" in r.getMessage()]
        assert 1 <= len(lines) <= 2
    finally:
        await end.stop()


def test_the_refusal_log_says_how_many_it_left_out(caplog) -> None:
    caplog.set_level(logging.WARNING, logger="claimledger.peers")
    refusals = RefusalLog(interval_s=0.05)
    for _ in range(10):
        refusals.note("peer.bad_handshake", "10.0.0.1\n forged line")
    time.sleep(0.06)
    refusals.note("peer.bad_handshake", "10.0.0.1")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and "9 more since the last line" in lines[1]
    assert "\n" not in lines[0]  # what a peer sent is escaped


async def test_a_validator_refuses_a_link_from_one_it_dials_itself(two) -> None:
    cfg, nodes = two
    dialler, dialled, _ = dialler_and_dialled(nodes)
    port = nodes["a"][1] if nodes["a"][0] is dialler else nodes["b"][1]
    end = await Endpoint(cfg, dialler, port).start()
    try:
        async with aiohttp.ClientSession() as session, \
                session.ws_connect(peer_url(port), ssl=tls.client_context()) as ws:
            await ws.send_bytes(pack("hello", [CHAIN, dialled.address, bytes(32)]))
            assert unpack((await ws.receive()).data) == ("refused", "peer.wrong_direction")
    finally:
        await end.stop()


async def ignore(link: Link, kind: str, payload: object) -> None:
    """A handler for links the test does not read."""


class StolenTls:
    """An attacker's signer: it claims a node key it does not hold."""

    def __init__(self, claimed: bytes) -> None:
        self.address = claimed
        self._key = KeyPair.generate()

    def sign_consensus(self, message: bytes) -> bytes:
        return self._key.sign(message)

    sign_handshake = sign_tls_binding = sign_consensus


async def test_a_copied_tls_key_cannot_complete_the_handshake(two, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="claimledger.peers")
    # Before: the TLS key was the node key, so a copy of DATA/tls/node.key was the node.
    cfg, nodes = two
    dialler, dialled, _ = dialler_and_dialled(nodes)
    real = Peers(cfg, dialled, frozenset({"ping"}), ignore)
    stolen = real.make_identity()  # what a copy of the TLS key and certificate gives
    fake_port = free_port()
    fake = Peers(cfg, StolenTls(dialled.address), frozenset({"ping"}), ignore)
    await fake.listen("127.0.0.1", fake_port)
    fake.listener.renew(stolen)  # serves the real TLS key and its valid binding
    dialler_port = nodes["a"][1] if nodes["a"][0] is dialler else nodes["b"][1]
    end = Endpoint(cfg, dialler, dialler_port)
    end.peers.routes[dialled.address] = f"127.0.0.1:{fake_port}"
    await end.start()
    try:
        await eventually(lambda: "peer.bad_proof" in caplog.text)  # past the binding
        assert dialled.address not in end.peers.links
    finally:
        await end.stop()
        await fake.stop()


def certificate_der(private: Ed25519PrivateKey, extension: bytes) -> bytes:
    from cryptography.hazmat.primitives import serialization
    name = x509.Name([])
    now = time.time()
    import datetime
    when = datetime.datetime.fromtimestamp
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(private.public_key()).serial_number(1)
            .not_valid_before(when(now - 60, datetime.UTC))
            .not_valid_after(when(now + 3600, datetime.UTC))
            .add_extension(x509.UnrecognizedExtension(tls.BINDING_OID, extension), False)
            .sign(private, algorithm=None))
    return cert.public_bytes(serialization.Encoding.DER)


def test_an_attacker_cannot_bind_its_tls_key_to_another_node_key() -> None:
    node = KeyPair.generate()
    attacker = KeyPair.generate()
    real = tls.make_identity(LocalSigner(node), CHAIN, "bank")
    real_extension = x509.load_pem_x509_certificate(real.certificate_pem).extensions \
        .get_extension_for_oid(tls.BINDING_OID).value.value
    mine = Ed25519PrivateKey.generate()
    mine_raw = tls.raw_public(mine.public_key())
    now = int(time.time())
    forged = attacker.sign(tls.binding_bytes(CHAIN, node.address, mine_raw, now - 60,
                                             now + 3600))
    attempts = {
        # the real binding, copied into a certificate of the attacker's TLS key
        "copied binding": certificate_der(mine, real_extension),
        # a binding naming the node key, signed by the attacker's own key
        "forged binding": certificate_der(mine, msgpack.packb(
            [1, node.address, now - 60, now + 3600, forged])),
        "no binding": certificate_der(mine, b"\x90"),
    }
    codes = {}
    for name, der in attempts.items():
        with pytest.raises(tls.TlsError) as refused:
            tls.certificate_binding(der, CHAIN, node.address)
        codes[name] = refused.value.code
    assert codes == {"copied binding": "peer.tls_bad_binding",
                     "forged binding": "peer.tls_bad_binding",
                     "no binding": "peer.tls_no_binding"}


def test_each_signing_door_signs_only_its_own_messages() -> None:
    signer = LocalSigner(KeyPair.generate())
    vote = b"claimledger/vote/v1\x00" + bytes(10)
    assert len(signer.sign_consensus(vote)) == 64
    for sign in (signer.sign_handshake, signer.sign_tls_binding):
        with pytest.raises(SignerError) as refused:
            sign(vote)
        assert refused.value.code == "signer.wrong_domain"
    with pytest.raises(SignerError):
        signer.sign_consensus(TLS_BINDING_DOMAIN + bytes(10))
    assert "seed" not in repr(signer) and signer.address.hex()[:8] in repr(signer)


class SlowSocket:
    closed = False

    async def close(self) -> None:
        self.closed = True


async def test_a_peer_that_does_not_read_is_cut_off_by_bytes_waiting() -> None:
    # Before: only 10,000 frames were counted, so 10,000 sync replies of 15 MiB could wait.
    ws = SlowSocket()
    link = Link(b"p" * 32, "slow", ws, max_queued_bytes=1 << 20)  # type: ignore[arg-type]
    sent = 0
    while link.send("blocks", [bytes(100_000)]):
        sent += 1
    await asyncio.sleep(0)
    assert sent == 10 and link.closed and ws.closed
    assert link.queue.empty() and link.queued_bytes == 0


def test_no_key_lies_on_disk_after_a_node_ran(tmp_path: Path) -> None:
    # Before: DATA/tls/node.key held the node key's seed in clear, and stayed.
    net = make_network(tmp_path)
    legacy = net.data_dir / "tls"
    legacy.mkdir(parents=True)
    (legacy / "node.key").write_bytes(b"-----BEGIN PRIVATE KEY-----\nold\n")
    with running(net) as node:
        node.wait_ready()
        reply = None
        for _ in range(50):  # the peer port serves a certificate bound to the node key
            try:
                der = ssl.get_server_certificate(("127.0.0.1", net.peer_port), timeout=2)
                reply = ssl.PEM_cert_to_DER_cert(der)
                break
            except OSError:
                time.sleep(0.1)
        assert reply is not None
        assert tls.certificate_binding(reply, net.chain_id, net.validator.address)
        assert node.stop() == 0
    assert "held the node key in clear" in node.stderr()
    assert not (net.data_dir / "tls").exists()
    seed = net.validator.seed
    for path in net.data_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert seed not in data and seed.hex().encode() not in data, path
            assert b"PRIVATE KEY" not in data, path


async def test_a_running_node_renews_its_tls_key_and_binding(two) -> None:
    cfg, nodes = two
    key, port = nodes["a"]
    end = Endpoint(cfg, key, port)
    end.peers.limits = PeerLimits(renew_s=0.2)
    await end.start()
    seen = set()
    try:
        for _ in range(3):
            der = ssl.PEM_cert_to_DER_cert(await asyncio.to_thread(
                ssl.get_server_certificate, ("127.0.0.1", port), timeout=5))
            seen.add(tls.certificate_binding(der, CHAIN, key.address))
            await asyncio.sleep(0.3)
    finally:
        await end.stop()
    assert len(seen) == 3 and key.address not in seen


async def test_a_failed_tls_renewal_is_logged_and_the_current_binding_serves_on(
        two, caplog: pytest.LogCaptureFixture) -> None:
    cfg, nodes = two
    key, port = nodes["a"]
    end = Endpoint(cfg, key, port)
    end.peers.limits = PeerLimits(renew_s=0.2)
    await end.start()
    calls = []

    def out_of_reach():  # a remote signer that no longer answers
        calls.append(1)
        raise OSError("the signer is out of reach")

    try:
        der = ssl.PEM_cert_to_DER_cert(await asyncio.to_thread(
            ssl.get_server_certificate, ("127.0.0.1", port), timeout=5))
        before = tls.certificate_binding(der, CHAIN, key.address)
        end.peers.make_identity = out_of_reach
        with caplog.at_level(logging.ERROR, logger="claimledger.peers"):
            await asyncio.sleep(0.7)
        der = ssl.PEM_cert_to_DER_cert(await asyncio.to_thread(
            ssl.get_server_certificate, ("127.0.0.1", port), timeout=5))
        assert tls.certificate_binding(der, CHAIN, key.address) == before
    finally:
        await end.stop()
    assert calls, "the renewal ran"
    assert any("renewing the peer port's TLS key failed" in r.getMessage()
               for r in caplog.records)
