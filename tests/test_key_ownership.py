"""The ledger's storage keys belong to contracts/: each family's reads sit beside its
writes, so node/ names no key prefix of theirs (it asks contracts.vouchers,
contracts.setoff, ... instead). The prefixes are read from contracts/ itself: every short
bytes literal its modules build keys from."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEY_TEXT = re.compile(rb"[a-z]{1,4}(/|$)")  # b"v/", b"srm/", b"st": how contracts/ spells keys


def _literals(path: Path) -> list[tuple[int, bytes | str]]:
    """Every bytes or str constant of a module, with its line."""
    return [(node.lineno, node.value)
            for node in ast.walk(ast.parse(path.read_text(), str(path)))
            if isinstance(node, ast.Constant) and isinstance(node.value, bytes | str)]


def contract_key_prefixes() -> set[bytes]:
    """The key prefixes contracts/ writes and reads under."""
    prefixes = set()
    for path in sorted((ROOT / "contracts").glob("*.py")):
        for _, value in _literals(path):
            if isinstance(value, bytes) and KEY_TEXT.fullmatch(value):
                prefixes.add(value)
    return prefixes


def spells_a_prefix(value: bytes | str, prefixes: set[bytes]) -> bool:
    """Whether a literal is a contract key prefix or starts with one (as bytes or text)."""
    if isinstance(value, str):  # texts: only prefixes with their slash, not short words
        value = value.encode()
        prefixes = {p for p in prefixes if p.endswith(b"/")}
    return value in prefixes or any(p.endswith(b"/") and value.startswith(p) for p in prefixes)


def test_the_prefixes_are_found_in_contracts() -> None:
    prefixes = contract_key_prefixes()
    # One of each kind: an index, a record, a counter without a slash.
    assert {b"v/", b"vhl/", b"m/", b"mr/", b"fc/", b"dr/", b"srn", b"st"} <= prefixes
    assert len(prefixes) > 40


def test_node_spells_no_storage_key_of_contracts() -> None:
    prefixes = contract_key_prefixes()
    spelled = [f"{path.relative_to(ROOT)}:{line}: {value!r}"
               for path in sorted((ROOT / "node").rglob("*.py"))
               for line, value in _literals(path)
               if isinstance(value, bytes) or len(value) <= 8  # short texts only: not prose
               if spells_a_prefix(value, prefixes)]
    assert spelled == [], "node/ spells storage keys that contracts/ owns:\n" + "\n".join(spelled)


def test_the_check_sees_a_spelled_prefix(tmp_path: Path) -> None:
    prefixes = contract_key_prefixes()
    module = tmp_path / "reads.py"
    module.write_text('def members(store):\n    return store.scan(b"mr/" + b"bank/")\n')
    assert [v for _, v in _literals(module) if spells_a_prefix(v, prefixes)] == [b"mr/"]
