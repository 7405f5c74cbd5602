"""The code identity of a deployed contract version: a hash of its rules alone.

A transaction names the contract version it was signed for by (name, version, code
hash), and governance schedules name the versions in force the same way, so the hash is
part of the chain: it must change when the rules change and never otherwise. It covers
the contract's own module only, not the shared modules it imports (the codec, state
overlays, voucher states, errors...: what every version shares is covered by the
protocol version, contracts/protocol.py), and it covers the module's syntax tree, not
its text. Comments, docstrings, blank lines, line endings (LF, CRLF, CR), indentation
width, line wrapping inside brackets and spacing leave it unchanged; an operator, a
constant, a name or an import the rules use changes it.

Read rules are not consensus rules: a node applies them to its own answers only. So the
hash leaves out, by a naming convention of contract modules,

- the module-level `READS` table (contracts.caller.Read entries),
- top-level functions whose names start with `may_read_` (the rules READS names, and
  the helpers they call),
- module-level constants whose names start with `READ_` (bounds of those rules).

Nothing the hash keeps may use what it leaves out (tests/test_code_identity.py checks
every contract module). Everything else in a contract module is a rule, the key layout
and its page readers included: they spell how the records the rules write are found.

The normalised form is this module's own serialisation of the tree (`normalised_form`),
not `ast.dump`, whose output changes between Python versions: each node is its type name
and its fields in `_fields` order, leaving out empty fields (None, []) and those that
record how a thing was written rather than what it is (`ctx`, `kind`, `type_comment`).
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

CODE_DOMAIN = b"claimledger/contract-code/v2\x00"
READ_RULE_PREFIX = "may_read_"
READ_CONSTANT_PREFIX = "READ_"
READ_TABLE = "READS"
# Fields that say how a node was written, or its role in an assignment, not what it does.
_SKIPPED_FIELDS = frozenset({"ctx", "kind", "type_comment"})


def source_text(source: str | bytes) -> str:
    """The source as text with LF line endings (CRLF and lone CR are line ends too)."""
    text = source.decode("utf-8") if isinstance(source, bytes) else source
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _is_docstring(statement: ast.stmt) -> bool:
    return (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str))


def _assigned_names(statement: ast.stmt) -> list[str]:
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, ast.AnnAssign):
        targets = [statement.target]
    else:
        return []
    return [t.id for t in targets if isinstance(t, ast.Name)]


def is_read_rule(statement: ast.stmt) -> bool:
    """A top-level statement that belongs to the read rules, left out of the hash."""
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
        return statement.name.startswith(READ_RULE_PREFIX)
    names = _assigned_names(statement)
    return bool(names) and all(
        n == READ_TABLE or n.startswith(READ_CONSTANT_PREFIX) for n in names)


class _DropDocstrings(ast.NodeTransformer):
    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        bodied = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
        if isinstance(node, bodied) and node.body and _is_docstring(node.body[0]):
            node.body = node.body[1:]
        return node


def rules_tree(source: str | bytes) -> ast.Module:
    """The module's syntax tree without docstrings and without its read rules."""
    tree = ast.parse(source_text(source))
    tree.body = [s for s in tree.body if not is_read_rule(s)]
    result = _DropDocstrings().visit(tree)
    assert isinstance(result, ast.Module)
    return result


def _length_prefixed(tag: bytes, data: bytes) -> bytes:
    return tag + str(len(data)).encode() + b":" + data


def _constant(value: object) -> bytes:
    # Each with a tag of its type, so that 1, True, 1.0 and "1" differ; bool before int.
    # (Capital tags: contracts/ spells its storage key prefixes in short lower case.)
    if value is None:
        return b"N"
    if value is Ellipsis:
        return b"E"
    if isinstance(value, bool):
        return b"T" if value else b"F"
    if isinstance(value, int):
        return b"I" + str(value).encode() + b";"
    if isinstance(value, float):
        return b"R" + value.hex().encode() + b";"
    if isinstance(value, complex):
        return b"J" + value.real.hex().encode() + b"," + value.imag.hex().encode() + b";"
    if isinstance(value, str):
        return _length_prefixed(b"S", value.encode("utf-8", "surrogatepass"))
    if isinstance(value, bytes):
        return _length_prefixed(b"B", value)
    if isinstance(value, tuple | frozenset):
        items = sorted(_constant(v) for v in value) if isinstance(value, frozenset) \
            else [_constant(v) for v in value]
        return b"(" + b"".join(items) + b")"
    raise TypeError(f"no normalised form for the constant {type(value).__name__}")


def _serialise(value: object, out: list[bytes]) -> None:
    if isinstance(value, ast.AST):
        out.append(b"<" + type(value).__name__.encode())
        for name in value._fields:
            if name in _SKIPPED_FIELDS:
                continue
            field = getattr(value, name, None)
            if field is None or (isinstance(field, list) and not field):
                continue
            out.append(b" " + name.encode() + b"=")
            _serialise(field, out)
        out.append(b">")
    elif isinstance(value, list):
        out.append(b"[")
        for item in value:
            _serialise(item, out)
            out.append(b",")
        out.append(b"]")
    else:
        out.append(_constant(value))


def normalised_form(source: str | bytes) -> bytes:
    """The bytes a contract module's code hash covers: its rules' tree, serialised."""
    out: list[bytes] = []
    _serialise(rules_tree(source), out)
    return b"".join(out)


def declared_identity(source: str | bytes) -> tuple[str, int]:
    """The module's `NAME` and `VERSION`, read from their top-level literal assignments."""
    found: dict[str, object] = {}
    for statement in ast.parse(source_text(source)).body:
        for name in _assigned_names(statement):
            if name in ("NAME", "VERSION"):
                assert isinstance(statement, ast.Assign | ast.AnnAssign) and statement.value
                found[name] = ast.literal_eval(statement.value)
    name, version = found.get("NAME"), found.get("VERSION")
    if not isinstance(name, str) or type(version) is not int:
        raise ValueError("a contract module assigns NAME a str and VERSION an int")
    return name, version


def source_code_hash(source: str | bytes) -> bytes:
    """The code hash of a contract module given its source: sha256 over a domain tag, the
    contract's name and version, and the normalised form of its rules."""
    name, version = declared_identity(source)
    encoded = name.encode()
    return hashlib.sha256(
        CODE_DOMAIN + len(encoded).to_bytes(2, "big") + encoded
        + version.to_bytes(4, "big") + normalised_form(source)
    ).digest()


def file_code_hash(path: str | Path) -> bytes:
    """The code hash of the contract module in the file at `path`."""
    return source_code_hash(Path(path).read_bytes())
