"""A deployed contract version keeps its code identity: comments, docstrings, formatting,
line endings and the shared modules it imports never change its code hash, hence never
the genesis or a transaction's contract reference; a change to its rules always does.
The deployed versions are frozen, and a node lacking one the chain uses refuses to start."""

from __future__ import annotations

import ast
import io
import json
import os
import shutil
import subprocess
import sys
import tokenize
import warnings
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import contracts
from contracts import governance
from contracts.code_identity import (
    file_code_hash,
    is_read_rule,
    normalised_form,
    rules_tree,
    source_code_hash,
)
from contracts.codec import encode
from contracts.commitment import root_of
from contracts.contract import Registry, contract_from_module, default_registry
from contracts.deployed import DEPLOYED, table_source
from contracts.errors import LedgerError
from contracts.identity import KeyPair
from contracts.ledger import (
    BlockInfo,
    Genesis,
    GenesisMember,
    end_block,
    genesis_state,
    require_contracts_run,
)
from contracts.protocol import PROTOCOL_VERSION
from contracts.state import MemoryStore, Overlay
from node import cli
from node.config import parse_network
from node.service import Node
from tests.fixtures import issuance_v2
from tests.memledger import Ledger
from tests.nodeproc import MEMBER_ROLES, build_tx, network_toml

CONTRACTS_DIR = Path(contracts.__file__).parent
REGISTRY = default_registry()


def contract_modules() -> list[ModuleType]:
    """Every contract module this release runs, in name order."""
    import importlib

    found = {}
    for path in sorted(CONTRACTS_DIR.glob("*.py")):
        module = importlib.import_module(f"contracts.{path.stem}")
        if hasattr(module, "OPERATIONS") and hasattr(module, "VERSION"):
            found[(module.NAME, module.VERSION)] = module
    assert set(found) == set(REGISTRY.by_key), "every contract module is registered"
    return [found[key] for key in sorted(found)]


MODULES = contract_modules()
IDS = [f"{m.NAME}-v{m.VERSION}" for m in MODULES]


def source(module: ModuleType) -> str:
    return Path(module.__file__ or "").read_text(encoding="utf-8")


def registered_hash(module: ModuleType) -> bytes:
    return REGISTRY.by_key[(module.NAME, module.VERSION)].code_hash


# ------------------------------------------------------------------ rewriting sources


def line_ends(text: str) -> list[tuple[int, int]]:
    """(row, column) of each line end outside strings, where a comment may go."""
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    return [t.start for t in tokens if t.type in (tokenize.NEWLINE, tokenize.NL)]


def with_comments_at(text: str, ends: list[tuple[int, int]], comment: str) -> str:
    lines = text.split("\n")
    for row, col in sorted(set(ends), reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + f"  # {comment}" + line[col:]
    return "\n".join(lines)


def statement_rows(text: str) -> list[tuple[int, int]]:
    """(row, indentation) of the first line of every statement."""
    lines = text.split("\n")
    rows = {}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.stmt):
            line = lines[node.lineno - 1]
            rows[node.lineno] = len(line) - len(line.lstrip(" "))
    return sorted(rows.items())


def with_lines_before(text: str, rows: list[tuple[int, int]], extra: str) -> str:
    """`extra` (a comment, or nothing: a blank line) on a line of its own before each row."""
    lines = text.split("\n")
    for row, indent in sorted(set(rows), reverse=True):
        lines.insert(row - 1, " " * indent + extra if extra else "")
    return "\n".join(lines)


def reindented(text: str, width: int) -> str:
    """Every logical line's indentation of 4 spaces a level made `width` spaces a level;
    lines inside brackets and strings kept as they are."""
    starts = set()
    at_start = True
    for t in tokenize.generate_tokens(io.StringIO(text).readline):
        if t.type in (tokenize.NEWLINE,):
            at_start = True
        elif t.type in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
            continue
        elif at_start:
            starts.add(t.start[0])
            at_start = False
    lines = text.split("\n")
    for row in starts:
        line = lines[row - 1]
        indent = len(line) - len(line.lstrip(" "))
        assert indent % 4 == 0, (row, line)
        lines[row - 1] = " " * (indent // 4 * width) + line[indent:]
    return "\n".join(lines)


def with_docstrings(text: str, replacement: str) -> str:
    """Every docstring replaced by `replacement` (a string literal)."""
    data = text.encode()
    spans = []
    for node in ast.walk(ast.parse(text)):
        bodied = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
        if isinstance(node, bodied) and node.body:
            first = node.body[0]
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                spans.append(first.value)
    lines = data.split(b"\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    for c in sorted(spans, key=lambda c: (c.lineno, c.col_offset), reverse=True):
        start = offsets[c.lineno - 1] + c.col_offset  # ast columns count UTF-8 bytes
        end = offsets[(c.end_lineno or c.lineno) - 1] + (c.end_col_offset or 0)
        data = data[:start] + replacement.encode() + data[end:]
    return data.decode()


# ------------------------------------------------------------------ (a) not the rules


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_comments_blank_lines_line_endings_indentation_and_docstrings_leave_the_hash(
    module: ModuleType,
) -> None:
    text = source(module)
    expected = registered_hash(module)
    assert source_code_hash(text) == expected
    variants = {
        "a comment at every line end": with_comments_at(text, line_ends(text), "note"),
        "a comment line before every statement":
            with_lines_before(text, statement_rows(text), "# why this is so"),
        "a blank line before every statement": with_lines_before(
            text, statement_rows(text), ""),
        "CRLF": text.replace("\n", "\r\n"),
        "CR": text.replace("\n", "\r"),
        "two spaces a level": reindented(text, 2),
        "eight spaces a level": reindented(text, 8),
        "other docstrings": with_docstrings(text, '"""Something else entirely."""'),
        "a byte order mark and trailing blank lines": "\ufeff" + text + "\n\n\n",
        "formatted again by ast.unparse": ast.unparse(ast.parse(text)),
    }
    for what, variant in variants.items():
        assert variant != text, what
        assert source_code_hash(variant) == expected, f"{module.NAME}: {what}"


@pytest.mark.parametrize("module", MODULES, ids=IDS)
@settings(max_examples=15, deadline=None, database=None)
@given(data=st.data())
def test_random_comments_and_blank_lines_leave_the_hash(module: ModuleType,
                                                         data: st.DataObject) -> None:
    text = source(module)
    ends = data.draw(st.lists(st.sampled_from(line_ends(text)), max_size=40))
    rows = data.draw(st.lists(st.sampled_from(statement_rows(text)), max_size=40))
    comment = data.draw(st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
                                max_size=20))
    variant = with_lines_before(with_comments_at(text, ends, comment), rows, "")
    if data.draw(st.booleans()):
        variant = variant.replace("\n", "\r\n")
    assert source_code_hash(variant) == registered_hash(module)


WRITTEN_ONE_WAY = '''"""A contract."""
from contracts.contract import Operation

NAME = "sample"
VERSION = 3
LIMITS = {"a": 1, "b": (2, 3)}


def rule(ctx, body) -> None:
    """Checks the body."""
    if body.amount_fen > 10 and body.holder in ctx.signers:  # the holder signs
        raise ValueError("too much")
    return total(body.parts, start=0)


def may_read_sample(state, caller, record) -> bool:
    return caller.member


READ_LIMIT = 10
READS = ()
OPERATIONS = (Operation("rule", object, lambda b: (b.holder,), rule),)
'''

WRITTEN_ANOTHER_WAY = (
    "# Written by another hand.\r\n"
    "from contracts.contract import (\r\n"
    "  Operation,\r\n"
    ")\r\n"
    "NAME = 'sample'\r\n"
    "VERSION = 3\r\n"
    "LIMITS = {\r\n"
    "    'a': 1,\r\n"
    "    'b': (2,\r\n"
    "          3),\r\n"
    "}\r\n"
    "def rule( ctx , body )->None :\r\n"
    "  '''Another docstring.'''\r\n"
    "  if (body.amount_fen>10\r\n"
    "      and body.holder in ctx.signers):\r\n"
    "    raise ValueError('too ' 'much')\r\n"
    "  return total(\r\n"
    "    body.parts,\r\n"
    "    start = 0)\r\n"
    "def may_read_sample(state, caller, record) -> bool:\r\n"
    "  return caller.member and caller.regulator\r\n"
    "READ_LIMIT = 20\r\n"
    "READS: tuple = (1,)\r\n"
    "OPERATIONS = (Operation('rule', object, lambda b: (b.holder,), rule),)\r\n"
)


def test_a_module_written_another_way_and_with_other_read_rules_has_the_same_hash() -> None:
    """Indentation width, wrapping inside brackets, spacing, quotes, implicit string
    concatenation, comments, docstrings and line endings; and the read rules."""
    assert normalised_form(WRITTEN_ANOTHER_WAY) == normalised_form(WRITTEN_ONE_WAY)
    assert source_code_hash(WRITTEN_ANOTHER_WAY) == source_code_hash(WRITTEN_ONE_WAY)


# ------------------------------------------------------------------ (b) the rules


@pytest.mark.parametrize(("what", "before", "after"), [
    ("an operator", "body.amount_fen > 10", "body.amount_fen >= 10"),
    ("a constant", "body.amount_fen > 10", "body.amount_fen > 11"),
    ("a name", "body.holder in ctx.signers", "body.payer in ctx.signers"),
    ("a keyword", "start=0", "first=0"),
    ("a literal's type", "start=0", "start=False"),
    ("a string", '"too much"', '"too little"'),
    ("a table", '{"a": 1,', '{"a": 2,'),
    ("the version", "VERSION = 3", "VERSION = 4"),
    ("the name", 'NAME = "sample"', 'NAME = "sampled"'),
    ("an import", "import Operation", "import Operation as Operation"),
    ("a statement", "    return total", "    total(body)\n    return total"),
])
def test_a_change_to_the_rules_changes_the_hash(what: str, before: str, after: str) -> None:
    assert WRITTEN_ONE_WAY.count(before) == 1, what
    changed = WRITTEN_ONE_WAY.replace(before, after)
    assert source_code_hash(changed) != source_code_hash(WRITTEN_ONE_WAY), what


class _Mutate(ast.NodeTransformer):
    """One change of one kind to the first rule (not a read rule) it meets."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.done = False

    def visit_Module(self, node: ast.Module) -> ast.Module:
        def identity(s: ast.stmt) -> bool:
            return isinstance(s, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id in ("NAME", "VERSION") for t in s.targets)
        node.body = [s if is_read_rule(s) or identity(s) else self.visit(s)
                     for s in node.body]
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        if self.kind == "operator" and not self.done:
            swap = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
                    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn,
                    ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
            node.ops = [swap[type(node.ops[0])](), *node.ops[1:]]
            self.done = True
        return self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        if self.kind == "operator" and not self.done:  # `Hash32 | None` is a rule too
            swap = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv,
                    ast.FloorDiv: ast.Mult, ast.Mod: ast.Mult, ast.Pow: ast.Mult,
                    ast.BitOr: ast.BitAnd, ast.BitAnd: ast.BitOr, ast.BitXor: ast.BitOr,
                    ast.LShift: ast.RShift, ast.RShift: ast.LShift, ast.Div: ast.Mult}
            node.op = swap[type(node.op)]()
            self.done = True
        return self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        value = node.value
        if self.kind == "constant" and not self.done and type(value) is int:
            self.done = True
            return ast.copy_location(ast.Constant(value + 1), node)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if self.kind == "name" and not self.done and isinstance(node.ctx, ast.Load):
            node.attr += "_x"
            self.done = True
        return self.generic_visit(node)


@pytest.mark.parametrize("module", MODULES, ids=IDS)
@pytest.mark.parametrize("kind", ["operator", "constant", "name"])
def test_a_changed_operator_constant_or_name_in_a_contract_changes_its_hash(
    module: ModuleType, kind: str,
) -> None:
    tree = ast.parse(source(module))
    mutation = _Mutate(kind)
    mutated = mutation.visit(tree)
    assert mutation.done, f"{module.NAME} has no {kind} to change"
    assert source_code_hash(ast.unparse(mutated)) != registered_hash(module)


def test_a_changed_read_rule_leaves_the_hash() -> None:
    from contracts import pledge

    text = source(pledge)
    changed = text.replace("    return caller.one_of(pledge.bank)",
                           "    return caller.one_of(pledge.bank, pledge.pledgor)")
    assert changed != text
    assert source_code_hash(changed) == registered_hash(pledge)


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_nothing_the_hash_covers_uses_a_read_rule_it_leaves_out(module: ModuleType) -> None:
    """Else a change to a read rule could change a consensus rule unseen."""
    full = ast.parse(source(module))
    left_out = set()
    for statement in full.body:
        if is_read_rule(statement):
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                left_out.add(statement.name)
            else:
                left_out.update(t.id for t in ast.walk(statement)
                                if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store))
    used = {n.id for n in ast.walk(rules_tree(source(module))) if isinstance(n, ast.Name)}
    assert not used & left_out, f"{module.NAME}'s rules use {sorted(used & left_out)}"


# ------------------------------------------------------------------ (c) every module


GENESIS_SCRIPT = """
import json, sys
import contracts
from contracts.contract import default_registry
from contracts.ledger import Genesis, GenesisMember, genesis_state
from contracts.commitment import root_of

registry = default_registry()
members = tuple(GenesisMember(bytes([i]) * 32, f"m{i}", roles)
                for i, roles in enumerate([("agency",), ("bank",), ("enterprise",)], 1))
changes = genesis_state(registry, Genesis("identity-test", 1_800_000_000_000, members, 5))
print(json.dumps({
    "package": contracts.__file__,
    "hashes": {f"{n}/{v}": c.code_hash.hex() for (n, v), c in sorted(registry.by_key.items())},
    "changes": [[k.hex(), v.hex()] for k, v in changes],
    "root": root_of(changes).hex(),
}))
"""


def genesis_from(package_root: Path) -> dict:
    """The registry's code hashes and the genesis state, computed by a Python process
    that imports `contracts` from `package_root`."""
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    done = subprocess.run([sys.executable, "-c", GENESIS_SCRIPT], cwd=package_root, env=env,
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def commented(text: str) -> str:
    """A comment at the top, at every line end, and on a line before every statement."""
    text = with_lines_before(with_comments_at(text, line_ends(text), "reviewed"),
                             statement_rows(text), "# a remark")
    return "# This file was reviewed.\n" + text


def test_a_comment_in_every_module_and_crlf_leave_the_genesis_and_every_code_hash(
    tmp_path: Path,
) -> None:
    package = tmp_path / "changed" / "contracts"
    shutil.copytree(CONTRACTS_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    for path in package.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        path.write_bytes(commented(text).replace("\n", "\r\n").encode())
        assert path.read_bytes() != (CONTRACTS_DIR / path.name).read_bytes()
    for module in MODULES:
        assert file_code_hash(package / Path(module.__file__ or "").name) \
            == registered_hash(module), module.NAME

    original = genesis_from(CONTRACTS_DIR.parent)
    changed = genesis_from(package.parent)
    assert changed["package"] == str(package / "__init__.py")  # the changed copy ran
    assert changed["hashes"] == original["hashes"]
    assert changed["changes"] == original["changes"]
    assert changed["root"] == original["root"]


def test_the_genesis_holds_the_protocol_version_and_its_root_commits_to_it() -> None:
    members = (GenesisMember(bytes(32), "agency", ("agency",)),)
    changes = genesis_state(REGISTRY, Genesis("protocol-test", 1_800_000_000_000, members))
    state = MemoryStore()
    state.apply(changes)
    assert governance.protocol_version(state, 1) == PROTOCOL_VERSION == 1
    written = dict(changes)
    assert governance.protocol_key() in written
    other = Overlay(MemoryStore())
    governance.write_protocol_version(other, 2)
    [(key, value)] = other.changes()
    written[key] = value
    assert root_of(sorted(written.items())) != root_of(changes)
    with pytest.raises(LedgerError) as refused:
        governance.protocol_version(MemoryStore(), 1)
    assert refused.value.code == "governance.no_protocol"


# ------------------------------------------------------------------ (d) deployed, frozen


def test_the_rules_of_a_deployed_version_never_change() -> None:
    changed = [f"{name} v{version}: {contract.code_hash.hex()} is deployed as "
               f"{DEPLOYED[(name, version)]}"
               for (name, version), contract in sorted(REGISTRY.by_key.items())
               if (name, version) in DEPLOYED
               and contract.code_hash.hex() != DEPLOYED[(name, version)]]
    assert not changed, ("the rules of a deployed version changed: add a new version "
                         "module instead (" + "; ".join(changed) + ")")
    developing = sorted(set(REGISTRY.by_key) - set(DEPLOYED))
    for name, version in developing:
        warnings.warn(f"{name} v{version} is not deployed yet", stacklevel=1)


def test_every_deployed_version_stays_registered_so_history_replays() -> None:
    missing = sorted(set(DEPLOYED) - set(REGISTRY.by_key))
    assert not missing, f"deployed versions this release does not run: {missing}"


def test_the_table_generator_prints_what_the_table_holds() -> None:
    table = table_source()
    namespace: dict = {}
    exec(table, namespace)  # our own generated literal
    printed = namespace["DEPLOYED"]
    assert set(printed) == set(REGISTRY.by_key)  # a version being developed too
    assert {key: printed[key] for key in DEPLOYED} == DEPLOYED


def test_a_version_being_developed_is_allowed_beside_the_table() -> None:
    registry = Registry([*REGISTRY.by_key.values(), contract_from_module(issuance_v2)])
    assert ("issuance", 3) not in DEPLOYED
    assert registry.get("issuance", 3) is not None


# ------------------------------------------------------------------ (e) missing code


def registry_with_v3() -> Registry:
    return Registry([*REGISTRY.by_key.values(), contract_from_module(issuance_v2)])


def v3_hash() -> bytes:
    return contract_from_module(issuance_v2).code_hash


def test_a_registry_lacking_a_version_the_schedule_names_is_refused() -> None:
    ledger = Ledger(registry_with_v3())
    activate = governance.Activate(ledger.addr("agency"), "issuance", 3, v3_hash(), 5)
    ledger.run("governance", "activate", activate, "agency")  # at height 1
    require_contracts_run(ledger.registry, ledger.store, ledger.height + 1)
    with pytest.raises(LedgerError) as refused:
        require_contracts_run(REGISTRY, ledger.store, ledger.height + 1)  # v2 still to come
    assert refused.value.code == "node.missing_contract"
    for part in ("issuance v3", v3_hash().hex(), "from height 5"):
        assert part in refused.value.message
    # A version in force whose code differs is missing too.
    bad = Ledger()
    schedule = governance.Schedule("transfer", (governance.Activation(1, bytes(32), 0),))
    overlay = Overlay(bad.store)
    governance.write_schedule(overlay, schedule)
    bad.store.apply(overlay.changes())
    with pytest.raises(LedgerError) as refused:
        require_contracts_run(REGISTRY, bad.store, 1)
    assert refused.value.code == "node.missing_contract"
    assert "transfer v1" in refused.value.message


def test_the_end_of_a_block_names_a_version_in_force_that_is_not_run() -> None:
    ledger = Ledger(registry_with_v3())
    activate = governance.Activate(ledger.addr("agency"), "issuance", 3, v3_hash(), 3)
    ledger.run("governance", "activate", activate, "agency")
    state = Overlay(ledger.store)
    end_block(REGISTRY, state, BlockInfo("rules-test", 2, ledger.time_ms + 1))  # v1 still
    with pytest.raises(LedgerError) as refused:
        end_block(REGISTRY, state, BlockInfo("rules-test", 3, ledger.time_ms + 2))
    assert refused.value.code == "node.missing_contract"
    assert "issuance v3" in refused.value.message


def test_a_node_whose_release_lacks_a_scheduled_version_refuses_to_start(
    tmp_path: Path,
) -> None:
    validator = KeyPair.generate()
    members = {name: KeyPair.generate() for name in MEMBER_ROLES}
    text = network_toml("identity-test", validator, members, port=1,
                        genesis_ms=1_800_000_000_000)
    config = parse_network(text)
    network = tmp_path / "network.toml"
    network.write_text(text)
    data = tmp_path / "node"
    node = Node(config, data, validator, registry=registry_with_v3())
    activate = governance.Activate(members["agency"].address, "issuance", 3, v3_hash(), 10)
    tx = build_tx("identity-test", "governance", "activate", activate, members["agency"])
    node.mempool.submit(encode(tx), node.chain.head.time_ms + 1000)
    node.produce(node.chain.head.time_ms + 1000)
    assert governance.get_schedule(node.store, "issuance").activations[-1].version == 3
    node.close()

    with pytest.raises(LedgerError) as refused:
        Node(config, data, validator)  # this release's registry: no issuance v3
    assert refused.value.code == "node.missing_contract"
    assert f"issuance v3 (code hash {v3_hash().hex()}) from height 10" \
        in refused.value.message

    with pytest.raises(cli.Failure) as failed:  # what `claimledger-node run` opens with
        cli.open_node(config, data, validator)  # type: ignore[arg-type]
    assert failed.value.exit_code == cli.EXIT_MISSING_CONTRACT
    assert failed.value.message.startswith("node.missing_contract: the chain runs issuance v3")

    result = CliRunner().invoke(cli.main, ["verify-store", "--network", str(network),
                                           "--data", str(data)])
    assert result.exit_code == cli.EXIT_MISSING_CONTRACT == 7
    assert "node.missing_contract" in result.output and "issuance v3" in result.output

    Node(config, data, validator, registry=registry_with_v3()).close()  # with it: starts
