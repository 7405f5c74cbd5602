"""TLS for the API against real node processes: the wallet pins the node's certificate
to the node key network.toml lists, a CA-issued certificate verifies the usual way, and
plain HTTP goes nowhere but the loopback (node/api_tls.py, wallet/endpoint.py)."""

from __future__ import annotations

import datetime
import ipaddress
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from contracts.errors import LedgerError
from contracts.identity import KeyPair
from node.config import parse_network
from tests.nodeproc import NODE_BIN, PASSPHRASE, Network, NodeProcess, make_network
from wallet.client import Client
from wallet.endpoint import node_endpoint

ROOT = Path(__file__).resolve().parent.parent
CA_PASSPHRASE = "api-key-test-passphrase"


def with_api_tls(net: Network, mode: str) -> None:
    """net's network.toml with `api_tls = mode` on its validator."""
    text = net.network_file.read_text(encoding="utf-8").replace(
        f'api = "127.0.0.1:{net.port}"', f'api = "127.0.0.1:{net.port}"\napi_tls = "{mode}"')
    net.network_file.write_text(text, encoding="utf-8")


def wallet(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wallet.cli", "--json", *args],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


def error_code(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, result.stdout
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: "), result.stderr
    return line.removeprefix("error: ").split(":")[0]


def wait_answering(node: NodeProcess, client: Client, timeout_s: float = 30) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        if not node.alive():
            raise AssertionError(f"the node exited:\n{node.stderr()}")
        try:
            return client.status()
        except LedgerError as e:
            if e.code != "node.unreachable" or time.monotonic() > deadline:
                raise AssertionError(f"{e}\n{node.stderr()}") from None
        time.sleep(0.1)


@pytest.mark.process
def test_wallet_pins_the_api_certificate_to_the_node_key(tmp_path: Path) -> None:
    net = make_network(tmp_path / "net")
    with_api_tls(net, "node-key")
    node = NodeProcess(net).start()
    try:
        endpoint = node_endpoint("validator", net.network_file)
        assert endpoint.pinned and endpoint.url == f"https://127.0.0.1:{net.port}"
        assert wait_answering(node, Client(endpoint=endpoint))["chain_id"] == net.chain_id
        assert "serving https://" in node.stderr()

        # The wallet, by name or by URL, with the network's file: the right key passes.
        by_name = wallet("--network", str(net.network_file), "--node", "validator", "status")
        assert by_name.returncode == 0, by_name.stderr
        url = f"https://127.0.0.1:{net.port}"
        by_url = wallet("--network", str(net.network_file), "--node", url, "status")
        assert by_url.returncode == 0, by_url.stderr

        # A network.toml that names another node key for this address: refused, with
        # nothing sent (the binding is checked before the request leaves).
        lying = tmp_path / "lying.toml"
        lying.write_text(net.network_file.read_text().replace(
            net.validator.address.hex(), KeyPair.generate().address.hex(), 1))
        assert error_code(wallet("--network", str(lying), "--node", "validator",
                                 "status")) == "node.tls_key_mismatch"
        # Another chain's network.toml with the right key: the binding names this chain.
        other = tmp_path / "other-chain.toml"
        other.write_text(net.network_file.read_text().replace(
            f'chain_id = "{net.chain_id}"', 'chain_id = "another-chain"'))
        assert error_code(wallet("--network", str(other), "--node", "validator",
                                 "status")) == "node.tls_bad_binding"
        # Without network.toml the self-made certificate verifies against no CA.
        assert error_code(wallet("--node", url, "status")) == "node.tls_unverified"
        # Plain HTTP to the TLS port answers nothing.
        assert error_code(wallet("--node", f"http://127.0.0.1:{net.port}", "status")) in {
            "node.unreachable", "node.http_error"}
    finally:
        node.stop()


def test_wallet_sends_plain_http_to_the_loopback_only(tmp_path: Path) -> None:
    for url in ("http://192.0.2.7:8701", "http://node.example:8701", "http://[2001:db8::1]:80"):
        with pytest.raises(LedgerError) as refused:
            node_endpoint(url)
        assert refused.value.code == "node.plain_http_refused"
    for url in ("http://127.0.0.1:8701", "http://localhost:8701", "http://[::1]:8701"):
        assert node_endpoint(url).url == url
    # A node network.toml lists as plain off the loopback: refused by name too.
    listed = tmp_path / "network.toml"
    listed.write_text(f'chain_id = "c"\n[[validators]]\nname = "far"\n'
                      f'key = "{KeyPair.generate().address.hex()}"\n'
                      'api = "192.0.2.7:8701"\napi_tls = "off"\npeer = "192.0.2.7:8711"\n')
    with pytest.raises(LedgerError) as refused:
        node_endpoint("far", listed)
    assert refused.value.code == "node.plain_http_refused"
    assert error_code(wallet("--node", "http://192.0.2.7:8701", "status")) == \
        "node.plain_http_refused"


@pytest.mark.process
def test_a_plain_listener_off_the_loopback_is_refused_at_start(tmp_path: Path) -> None:
    net = make_network(tmp_path / "net")  # api 127.0.0.1: api_tls "off" by default
    started = subprocess.run(
        [str(NODE_BIN), "run", "--network", str(net.network_file), "--data",
         str(net.data_dir), "--key", str(net.key_file), "--api", f"0.0.0.0:{net.port}"],
        env={**os.environ, "CLAIMLEDGER_PASSPHRASE": PASSPHRASE}, capture_output=True,
        text=True, timeout=60)
    assert started.returncode == 1
    last = started.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: config.plain_api:"), started.stderr
    assert 'api_tls = "off"' in last and "0.0.0.0" in last and "validator" in last


# ------------------------------------------------------------------ a CA of the test's own


def make_ca(root: Path, encrypt: bool = True) -> tuple[Path, Path, Path]:
    """A CA, and a certificate it issues for 127.0.0.1 with its key (encrypted PKCS#8
    unless told otherwise): ca.pem, chain.pem, key.pem."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                       False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    paths = root / "ca.pem", root / "chain.pem", root / "key.pem"
    paths[0].write_bytes(ca.public_bytes(pem))
    paths[1].write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    protection = serialization.BestAvailableEncryption(CA_PASSPHRASE.encode()) if encrypt \
        else serialization.NoEncryption()
    paths[2].write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                           protection))
    return paths


def ca_node(net: Network, chain: Path, key: Path) -> subprocess.Popen:
    log = (net.root / "ca-node.log").open("wb")
    return subprocess.Popen(
        [str(NODE_BIN), "run", "--network", str(net.network_file), "--data",
         str(net.data_dir), "--key", str(net.key_file), "--api-cert", str(chain),
         "--api-key", str(key)],
        env={**os.environ, "CLAIMLEDGER_PASSPHRASE": PASSPHRASE,
             "CLAIMLEDGER_API_KEY_PASSPHRASE": CA_PASSPHRASE},
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)


@pytest.mark.process
def test_a_ca_issued_certificate_verifies_the_usual_way(tmp_path: Path) -> None:
    net = make_network(tmp_path / "net")
    with_api_tls(net, "ca")
    ca, chain, key = make_ca(tmp_path)
    assert b"ENCRYPTED PRIVATE KEY" in key.read_bytes()  # what lies on disk
    process = ca_node(net, chain, key)
    node = NodeProcess(net)
    node.process, node.log = process, net.root / "ca-node.log"
    try:
        url = f"https://127.0.0.1:{net.port}"
        endpoint = node_endpoint(url, net.network_file, ca)
        assert not endpoint.pinned
        assert wait_answering(node, Client(endpoint=endpoint))["chain_id"] == net.chain_id
        good = wallet("--network", str(net.network_file), "--ca-file", str(ca),
                      "--node", "validator", "status")
        assert good.returncode == 0, good.stderr
        # Without the test's CA the certificate verifies against nothing the system knows.
        assert error_code(wallet("--node", url, "status")) == "node.tls_unverified"
        (tmp_path / "other").mkdir()
        another_ca, _, _ = make_ca(tmp_path / "other")
        assert error_code(wallet("--ca-file", str(another_ca), "--node", url, "status")) \
            == "node.tls_unverified"
    finally:
        node.stop()


@pytest.mark.process
def test_a_ca_key_in_clear_or_a_wrong_passphrase_is_refused_at_start(tmp_path: Path) -> None:
    net = make_network(tmp_path / "net")
    with_api_tls(net, "ca")
    _, chain, clear_key = make_ca(tmp_path, encrypt=False)
    started = ca_node(net, chain, clear_key)
    assert started.wait(timeout=60) == 1
    assert "config.api_key_in_clear" in (net.root / "ca-node.log").read_text()

    _, chain, key = make_ca(tmp_path)
    refused = subprocess.run(
        [str(NODE_BIN), "run", "--network", str(net.network_file), "--data",
         str(net.data_dir), "--key", str(net.key_file), "--api-cert", str(chain),
         "--api-key", str(key)],
        env={**os.environ, "CLAIMLEDGER_PASSPHRASE": PASSPHRASE,
             "CLAIMLEDGER_API_KEY_PASSPHRASE": "not it"},
        capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1].startswith("Error: config.api_certificate:")
    # And "ca" without a certificate names what is missing.
    missing = subprocess.run(
        [str(NODE_BIN), "run", "--network", str(net.network_file), "--data",
         str(net.data_dir), "--key", str(net.key_file)],
        env={**os.environ, "CLAIMLEDGER_PASSPHRASE": PASSPHRASE},
        capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1 and "--api-cert" in missing.stderr


def test_api_tls_is_plain_by_default_on_the_loopback_only() -> None:
    def entry(api: str, extra: str = "") -> str:
        key = KeyPair.generate().address.hex()
        agency = KeyPair.generate().address.hex()  # a genesis has its members
        return (f'chain_id = "c"\n[[members]]\nname = "a"\nroles = ["agency"]\n'
                f'address = "{agency}"\n[[validators]]\nname = "v"\nkey = "{key}"\n'
                f'api = "{api}"\npeer = "127.0.0.1:9"\n{extra}')

    assert parse_network(entry("127.0.0.1:8701")).validators[0].api_tls == "off"
    assert parse_network(entry("10.0.0.2:8701")).validators[0].api_tls == "node-key"
    assert parse_network(entry("127.0.0.1:8701", 'api_tls = "ca"\n')).validators[0].api_tls \
        == "ca"
    with pytest.raises(LedgerError) as refused:
        parse_network(entry("127.0.0.1:8701", 'api_tls = "none"\n'))
    assert refused.value.code == "config.invalid" and "api_tls" in refused.value.message
