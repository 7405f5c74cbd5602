"""Key stores: written with mode 0600; a wrong passphrase is a clear error with a stable
code from the wallet and from the node; a key store others may read opens with a warning
that says how to fix it; and no seed, private key or passphrase ever shows up in a log or
in what the commands print, even at DEBUG."""

from __future__ import annotations

import base64
import importlib.util
import json
import logging
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from contracts import issuance
from contracts.contract import default_registry
from contracts.identity import KeyPair
from contracts.keystore import seal, unsafe_mode_warning, unseal
from contracts.ledger import make_transaction
from tests.nodeproc import (
    MEMBER_ROLES,
    NODE_BIN,
    ROOT,
    free_port,
    network_toml,
    now_ms,
    request,
    terms,
)
from wallet.cli import Wallet, main

PASSPHRASE = "kestrel-Canyon-7291-lantern"
UNUSED_NODE = "http://127.0.0.1:9"  # nothing listens there: these checks need no node


def write_store(path: Path, key: KeyPair, mode: int = 0o600, name: str = "") -> Path:
    path.write_text(json.dumps(seal(key, PASSPHRASE, name)), encoding="utf-8")
    path.chmod(mode)
    return path


def wallet(node: str, key: Path | None, *args: str, passphrase: str = PASSPHRASE) -> Result:
    command = ["--node", node, "--json", *(["--key", str(key)] if key else []), *args]
    return CliRunner().invoke(main, command, env={"CLAIMLEDGER_PASSPHRASE": passphrase})


def ok(result: Result) -> dict:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def draft_for(path: Path, signer: KeyPair) -> Path:
    """A draft issuance application that `signer` (the creditor) must sign."""
    body = issuance.Apply(signer.address, terms(KeyPair.generate(), now_ms() + 10**10))
    tx = make_transaction(default_registry(), "claimledger-test", "issuance", "apply", body,
                          100, 1)
    Wallet(UNUSED_NODE, None, False).write_draft(path, tx)
    return path


@contextmanager
def umask(value: int) -> Iterator[None]:
    previous = os.umask(value)
    try:
        yield
    finally:
        os.umask(previous)


# ------------------------------------------------------------------ file mode


def test_keygen_writes_a_key_store_only_its_owner_may_read(tmp_path: Path) -> None:
    out = tmp_path / "new.json"
    with umask(0):  # even where new files would be world-writable
        made = ok(wallet(UNUSED_NODE, None, "keygen", "--out", str(out), "--name", "mine"))
    assert out.stat().st_mode & 0o777 == 0o600
    key = unseal(json.loads(out.read_text()), PASSPHRASE)
    assert key.address.hex() == made["address"]
    again = wallet(UNUSED_NODE, None, "keygen", "--out", str(out))
    assert again.exit_code == 1 and "keystore.exists" in again.stderr


def test_the_devnet_script_writes_its_key_stores_with_mode_0600(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("devnet_script", ROOT / "scripts" / "devnet.py")
    assert spec is not None and spec.loader is not None
    devnet = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(devnet)
    path = tmp_path / "keys" / "agency.json"
    key = devnet.load_or_make_key(path, "agency")
    assert path.stat().st_mode & 0o777 == 0o600
    assert devnet.load_or_make_key(path, "agency").address == key.address


# ------------------------------------------------------------------ wrong passphrase


def test_a_wrong_passphrase_is_a_clear_error_from_the_wallet(tmp_path: Path) -> None:
    key = KeyPair.generate()
    store = write_store(tmp_path / "supplier.json", key)
    draft = draft_for(tmp_path / "apply.json", key)
    before = draft.read_text()
    result = wallet(UNUSED_NODE, store, "sign", str(draft), "--yes",
                    passphrase="not-the-passphrase")
    assert result.exit_code == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: keystore.wrong_passphrase: ")
    assert str(store) in last and "$CLAIMLEDGER_PASSPHRASE" in last
    assert "Traceback" not in result.stderr
    assert "not-the-passphrase" not in result.stdout + result.stderr
    assert draft.read_text() == before  # nothing was signed


def test_a_wrong_passphrase_stops_the_node_with_a_clear_error(tmp_path: Path) -> None:
    validator = KeyPair.generate()
    members = {name: KeyPair.generate() for name in MEMBER_ROLES}
    network = tmp_path / "network.toml"
    network.write_text(network_toml("keystore-test", validator, members, free_port(), now_ms()))
    store = write_store(tmp_path / "node-key.json", validator)
    wrong = tmp_path / "passphrase"
    wrong.write_text("not-the-passphrase\n")
    done = subprocess.run(
        [str(NODE_BIN), "run", "--network", str(network), "--data", str(tmp_path / "data"),
         "--key", str(store), "--passphrase-file", str(wrong)],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 1, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: keystore.wrong_passphrase: "), done.stderr
    assert "Traceback" not in done.stderr
    assert "not-the-passphrase" not in done.stdout + done.stderr


# ------------------------------------------------------------------ unsafe mode


def test_a_key_store_others_may_read_opens_with_a_warning_saying_how_to_fix_it(
        tmp_path: Path) -> None:
    key = KeyPair.generate()
    store = write_store(tmp_path / "supplier.json", key, mode=0o644)
    signed = wallet(UNUSED_NODE, store, "sign", str(draft_for(tmp_path / "a.json", key)),
                    "--yes")
    assert signed.exit_code == 0, signed.stderr
    assert f"warning: keystore.unsafe_mode: {store} has mode 0644" in signed.stderr
    assert f"chmod 600 {store}" in signed.stderr

    store.chmod(0o600)
    quiet = wallet(UNUSED_NODE, store, "sign", str(draft_for(tmp_path / "b.json", key)),
                   "--yes")
    assert quiet.exit_code == 0 and "keystore.unsafe_mode" not in quiet.stderr


def test_only_owner_permissions_count_as_safe() -> None:
    assert unsafe_mode_warning("k.json", 0o100600) is None
    assert unsafe_mode_warning("k.json", 0o100400) is None
    for mode in (0o640, 0o604, 0o620, 0o602, 0o660, 0o666):
        assert unsafe_mode_warning("k.json", mode) is not None, oct(mode)


# ------------------------------------------------------------------ nothing secret leaks


def secret_forms(key: KeyPair) -> list[str]:
    """How a key's secret could be spelled in text: the seed and libsodium's 64-byte secret
    key (seed + public key), in hex, base64 and Python's bytes repr."""
    forms = []
    for raw in (key.seed, key.seed + key.address):
        forms += [raw.hex(), raw.hex().upper(), base64.b64encode(raw).decode(),
                  base64.urlsafe_b64encode(raw).decode().rstrip("="), repr(raw)[2:-1]]
    return forms


@pytest.mark.process
def test_no_key_or_passphrase_appears_in_any_log_or_output(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # the wallet runs in this process, logging everything
    validator = KeyPair.generate()
    members = {name: KeyPair.generate() for name in MEMBER_ROLES}
    port = free_port()
    network = tmp_path / "network.toml"
    network.write_text(network_toml("leak-test", validator, members, port, now_ms() - 60_000,
                                    peer_port=free_port()))
    node_key = write_store(tmp_path / "node-key.json", validator)
    stores = {name: write_store(tmp_path / f"{name}.json", key, name=name)
              for name, key in members.items()}
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n")
    passphrase_file.chmod(0o600)
    api = f"http://127.0.0.1:{port}"
    node_log = tmp_path / "node.log"
    outputs: list[str] = []

    def run(key: Path | None, *args: str, passphrase: str = PASSPHRASE) -> Result:
        result = wallet(api, key, *args, passphrase=passphrase)
        outputs.extend([result.stdout, result.stderr])
        return result

    with node_log.open("wb") as log:
        process = subprocess.Popen(
            [str(NODE_BIN), "run", "--network", str(network), "--data", str(tmp_path / "data"),
             "--key", str(node_key), "--passphrase-file", str(passphrase_file),
             "--log-level", "DEBUG"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, node_log.read_text()
            try:
                if request(f"{api}/v1/status", timeout=1).status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, node_log.read_text()
            time.sleep(0.05)

        made = ok(run(None, "keygen", "--out", str(tmp_path / "new.json")))
        assert ok(run(tmp_path / "new.json", "address"))["address"] == made["address"]
        core = members["core"].address.hex()
        applied = ok(run(stores["supplier"], "apply", "--debtor", core, "--amount", "1000.00",
                         "--due", "2099-06-30", "--asset", "--basis-ref", "HT-LEAK-1",
                         "--basis-sha256", "ab" * 32))
        assert applied["status"] == "committed"
        ok(run(stores["core"], "confirm", applied["id"], "--yes"))
        ok(run(stores["agency"], "approve", applied["id"], "--yes"))
        ok(run(stores["supplier"], "vouchers"))
        refused = run(stores["core"], "confirm", applied["id"], "--yes",
                      passphrase="wrong-" + PASSPHRASE)
        assert refused.exit_code == 1 and "keystore.wrong_passphrase" in refused.stderr
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0

    new_key = unseal(json.loads((tmp_path / "new.json").read_text()), PASSPHRASE)
    node_text = node_log.read_text(encoding="utf-8", errors="replace")
    assert " DEBUG " in node_text  # the node did log at DEBUG
    texts = {"node log": node_text, "wallet log": caplog.text,
             "wallet output": "\n".join(outputs)}
    secrets = [PASSPHRASE, *secret_forms(validator), *secret_forms(new_key),
               *(form for key in members.values() for form in secret_forms(key))]
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"a secret appears in the {where}"


# ---------------------------------------------------------------- the passphrase's source


def test_an_empty_passphrase_variable_asks_as_if_unset(monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    from wallet import keys

    asked: list[str] = []
    monkeypatch.setattr(keys.click, "prompt",
                        lambda text, **kw: asked.append(text) or "from-the-prompt")
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "")
    assert keys.passphrase() == "from-the-prompt" and len(asked) == 1
    assert keys.passphrase_source() == "the prompt"
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "kestrel")
    assert keys.passphrase() == "kestrel" and len(asked) == 1
    assert keys.passphrase_source() == "$CLAIMLEDGER_PASSPHRASE"
