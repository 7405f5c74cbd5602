"""The wallet in Chinese and English (wallet/i18n.py, wallet/catalogue_zh.py) and amounts
in 万元 (wallet/units.py): the same command in both languages, chosen by --lang or by
LANG; the review screen in Chinese; an error in Chinese with its code as is, and the
English message for a code without a sentence; --json unchanged; 万元 exact from fen.
In process, against a node stand-in and tests/memledger.py: no node processes."""

from __future__ import annotations

import ast
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from contracts.errors import LedgerError, Rejected
from tests.standins import NodeRoutes
from tests.test_wallet_review import SAMPLES, World, sample_tx
from wallet import session
from wallet.catalogue_zh import DOCS_ZH, ERRORS_ZH, HELP_ZH, OPTIONS_ZH, TEXT_ZH
from wallet.cli import main
from wallet.exits import EXIT_ERROR
from wallet.help import fit, wrap_columns
from wallet.i18n import Speech, current, first_sentence, help_pieces, language_from_env, use
from wallet.sentences import show_tx
from wallet.tables import standing
from wallet.units import parse_wan, plain_yuan, wan, yuan

ROOT = Path(__file__).resolve().parent.parent
HOLDER = "5a" * 32
DEBTOR = "de" * 32
VOUCHER = "1a2b3c4d5e" + "1" * 54
VOUCHERS = {"vouchers": [{"id": VOUCHER, "holder": HOLDER, "debtor": DEBTOR,
                          "amount_fen": 125_000_000, "due_ms": 1_798_732_800_000,
                          "status": "active", "pledge": "77" * 32}], "next": None}


class Node(NodeRoutes):
    """The node's answers these tests need; `refuse` makes every voucher query fail."""

    def __init__(self) -> None:
        self.refuse: LedgerError | None = None

    def vouchers(self, holder: str | None = None, debtor: str | None = None,
                 status: str | None = None, **_: Any) -> dict:
        if self.refuse is not None:
            raise self.refuse
        return VOUCHERS

    def lineage(self, voucher_id: str) -> dict:
        raise AssertionError("a prefix too short to look up was looked up")


@pytest.fixture
def node(monkeypatch: pytest.MonkeyPatch) -> Node:
    stand_in = Node()
    monkeypatch.setattr(session, "Client", lambda **_: stand_in)
    return stand_in


def run(*args: str, lang: str | None = None) -> Result:
    env = {"LANGUAGE": "", "LC_ALL": "", "LANG": lang or "C.UTF-8"}
    return CliRunner().invoke(main, [*args], env=env)


# ------------------------------------------------------------------ choosing the language


def test_lang_and_the_environment_choose_the_language() -> None:
    assert language_from_env({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert language_from_env({"LC_ALL": "zh_TW", "LANG": "en_US.UTF-8"}) == "zh"
    assert language_from_env({"LANGUAGE": "en_GB:zh_CN", "LANG": "zh_CN.UTF-8"}) == "en"
    assert language_from_env({"LANG": "de_DE.UTF-8"}) == "en"
    assert language_from_env({}) == "en"


def test_the_same_command_in_both_languages(node: Node) -> None:
    english = run("vouchers", "--holder", HOLDER)
    chinese = run("--lang", "zh", "vouchers", "--holder", HOLDER)
    by_lang = run("vouchers", "--holder", HOLDER, lang="zh_CN.UTF-8")
    assert english.exit_code == chinese.exit_code == by_lang.exit_code == 0, english.output
    for header in ("voucher", "holder", "debtor", "amount", "due by", "status", "standing"):
        assert header in english.stdout
    assert "pledged" in english.stdout and "active" in english.stdout
    for header in ("凭证", "持有人", "债务人", "金额", "到期日", "状态", "情况"):
        assert header in chinese.stdout
    assert "已质押" in chinese.stdout and "有效" in chinese.stdout
    assert "standing" not in chinese.stdout
    assert by_lang.stdout == chinese.stdout
    for result in (english, chinese):
        assert "¥1,250,000.00" in result.stdout and VOUCHER[:10] in result.stdout


def test_lang_en_overrides_a_chinese_environment(node: Node) -> None:
    result = run("--lang", "en", "vouchers", "--holder", HOLDER, lang="zh_CN.UTF-8")
    assert "standing" in result.stdout and "情况" not in result.stdout


def test_a_run_leaves_no_language_behind(node: Node) -> None:
    run("--lang", "zh", "--unit", "wan", "vouchers", "--holder", HOLDER)
    assert current() == Speech("en", "yuan")
    assert yuan(125_000_000) == "¥1,250,000.00"


def test_the_help_exit_table_in_chinese() -> None:
    result = run("--lang", "zh", "--help")
    assert result.exit_code == 0
    assert "退出状态" in result.stdout and "4  待定" in result.stdout
    assert "Exit status" in run("--help").stdout


def test_json_keeps_english_keys_and_values(node: Node) -> None:
    english = run("--json", "vouchers", "--holder", HOLDER)
    chinese = run("--json", "--lang", "zh", "--unit", "wan", "vouchers", "--holder", HOLDER)
    assert json.loads(chinese.stdout) == json.loads(english.stdout) == VOUCHERS


# ------------------------------------------------------------------ errors


def test_an_error_in_chinese_keeps_its_code_and_the_english_figures(node: Node) -> None:
    node.refuse = Rejected("voucher.pledged", f"voucher {VOUCHER} is pledged")
    result = run("--lang", "zh", "vouchers", "--holder", HOLDER)
    assert result.exit_code == EXIT_ERROR
    assert f"错误 voucher.pledged: 该凭证已质押（voucher {VOUCHER} is pledged）" \
        in result.stderr
    english = run("vouchers", "--holder", HOLDER)
    assert f"error: voucher.pledged: voucher {VOUCHER} is pledged" in english.stderr


def test_a_wallet_error_in_chinese(node: Node) -> None:
    result = run("lineage", "1a2b3c4", lang="zh_CN.UTF-8")
    assert result.exit_code == EXIT_ERROR
    assert "错误 wallet.short_id: 编号太短" in result.stderr


def test_a_code_without_a_sentence_falls_back_to_the_english_message(node: Node) -> None:
    assert "store.unavailable" not in ERRORS_ZH  # an operator's code
    node.refuse = LedgerError("store.unavailable", "the node's store is closed")
    result = run("--json", "--lang", "zh", "vouchers", "--holder", HOLDER)
    assert "错误 store.unavailable: the node's store is closed" in result.stderr
    assert json.loads(result.stdout)["error"] == {
        "code": "store.unavailable", "message": "the node's store is closed"}


def test_a_submitted_transaction_and_a_pending_transfer_are_told_apart() -> None:
    view = {"operation": "offer", "id": "ab" * 32, "status": "pending"}
    console = Console(record=True, width=200)
    with use(Speech("zh")):
        show_tx(console, view)
        assert standing({"reserved_by": "cd" * 32, "pledge": "77" * 32}) == "已质押, 已预留"
    assert f"offer {'ab' * 32}: 已提交，待入账" in console.export_text()
    assert TEXT_ZH["pending"] == "待签收"  # a transfer's state


# ------------------------------------------------------------------ the review screen


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def test_the_review_screen_in_chinese(world: World) -> None:
    tx, _, _ = sample_tx(world, ("transfer", "offer"))
    english = world.screen(tx, "bank")
    with use(Speech("zh")):
        chinese = world.screen(tx, "bank")
    assert "Offer ¥10,000.00 (1,000,000 fen) of voucher" in english
    assert "由 supplier (" in chinese and "发起转让凭证" in chinese
    assert "¥10,000.00（1,000,000 分）" in chinese
    assert "受让人须在 5 天内签收" in chinese
    assert "质押给银行 bank (" in chinese and "有效" in chinese
    assert "  预留      无" in chinese
    assert "服务费：supplier (" in chinese and "您无需支付" in chinese
    assert "签署人：" in chinese and "，您): 待签" in chinese
    assert "Signers:" not in chinese and "Fee:" not in chinese
    assert len(chinese.splitlines()) == len(english.splitlines())


@pytest.mark.parametrize("key", sorted(SAMPLES), ids=lambda k: ".".join(k))
def test_every_operation_reads_in_chinese(world: World, key: tuple[str, str]) -> None:
    tx, _, me = sample_tx(world, key)
    english = world.screen(tx, me).splitlines()
    with use(Speech("zh")):
        chinese = world.screen(tx, me).splitlines()
    assert len(chinese) == len(english)
    assert chinese[1] != english[1]  # the operation's sentence
    assert not any(line.startswith(("Fee:", "Signers:", "Voucher ")) for line in chinese)


def test_the_review_screen_in_wan(world: World) -> None:
    tx, _, _ = sample_tx(world, ("pledge", "create"))
    with use(Speech("zh", "wan")):
        text = world.screen(tx, "supplier")
    # ¥60,000.00 secured: 6,000,000 fen, exactly ¥6.00万, with the fen beside it
    assert "担保 ¥6.00万（6,000,000 分）" in text
    assert "服务费：您 将支付 ¥0.008889万（8,889 分）" in text


# ------------------------------------------------------------------ 万元


def test_wan_is_exact() -> None:
    assert wan(125_000_000) == "¥125.00万"  # ¥1,250,000.00
    assert wan(125_000_050) == "¥125.00005万"
    assert wan(1) == "¥0.000001万"
    assert wan(0) == "¥0.00万"
    assert wan(123_456_789_000_000) == "¥123,456,789.00万"
    assert parse_wan("125.00万元") == parse_wan("¥125万") == 125_000_000
    with pytest.raises(LedgerError) as refused:
        parse_wan("¥1.0000001万")  # a tenth of a fen
    assert refused.value.code == "wallet.bad_amount"


@given(st.integers(min_value=-(10**18), max_value=10**18))
def test_wan_reads_back_as_the_same_fen(fen: int) -> None:
    assert parse_wan(wan(fen)) == fen
    with use(Speech(unit="wan")):
        assert yuan(fen) == wan(fen)
    assert yuan(fen) == plain_yuan(fen)


def test_unit_wan_in_a_table(node: Node) -> None:
    result = run("--unit", "wan", "vouchers", "--holder", HOLDER)
    assert "¥125.00万" in result.stdout and "1,250,000" not in result.stdout


# ------------------------------------------------------------------ the catalogue


def placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"\{[^{}]*\}", text))


def test_every_translation_keeps_the_english_placeholders() -> None:
    for english, chinese in TEXT_ZH.items():
        assert placeholders(chinese) == placeholders(english), english
        assert chinese.strip(), english


def constants(*roots: str) -> set[str]:
    """Every string constant in the sources under `roots` (implicit concatenation joined)."""
    found: set[str] = set()
    for root in roots:
        for path in (ROOT / root).rglob("*.py"):
            if path.name == "catalogue_zh.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    found.add(node.value)
    return found


CODE = re.compile(r"^[a-z_]+\.[a-z_]+$")
ERROR_CALLS = ("require", "_require", "Rejected", "LedgerError", "Forbidden", "Unauthenticated",
               "QuotaExceeded", "error_response", "Verdict")
# The families of codes only a node's operator meets (its store, config, peers, backups,
# consensus and state sync, genesis and init, its metrics): the node's own log and command
# line show them, in English; every other code a member may meet has a Chinese sentence.
OPERATOR_FAMILIES = ("backup", "config", "consensus", "evidence", "genesis", "init",
                     "metrics", "peer", "signer", "snapshot", "store", "sync")


def raised_codes() -> set[str]:
    """The codes the ledger, the node and the wallet raise: a code-shaped string given to
    require(), Rejected(), LedgerError() or another *Error, a mempool quota, an HTTP error
    answer or a health verdict; plus the error classes that fix their code in __init__
    (wallet.pending, auth.busy) or default it (read.forbidden)."""
    codes: set[str] = set()
    for root in ("contracts", "node", "wallet"):
        for path in (ROOT / root).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.arguments):
                    named = [*node.posonlyargs, *node.args][-len(node.defaults):] \
                        if node.defaults else []
                    for arg, default in [*zip(named, node.defaults, strict=True),
                                         *zip(node.kwonlyargs, node.kw_defaults, strict=True)]:
                        if arg.arg == "code" and isinstance(default, ast.Constant) \
                                and isinstance(default.value, str) \
                                and CODE.match(default.value):
                            codes.add(default.value)
                if not isinstance(node, ast.Call):
                    continue
                f = node.func
                name = f.id if isinstance(f, ast.Name) else \
                    f.attr if isinstance(f, ast.Attribute) else ""
                if name in ERROR_CALLS or name.endswith("Error") or name == "__init__":
                    for arg in [*node.args, *(k.value for k in node.keywords)]:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) \
                                and CODE.match(arg.value):
                            codes.add(arg.value)
    return codes | {"wallet.usage"}  # the CLI's own code for click's usage errors


def test_every_translated_code_is_one_that_is_raised() -> None:
    codes = raised_codes()
    assert "voucher.pledged" in codes and "wallet.pending" in codes and "auth.busy" in codes
    assert sorted(set(ERRORS_ZH) - codes) == []


def test_every_code_a_member_may_meet_has_a_sentence() -> None:
    codes = raised_codes()
    assert {"read.forbidden", "mempool.member_quota", "setoff.over_limit",
            "financing.quote_expired"} <= codes
    missing = sorted(c for c in codes
                     if c.split(".")[0] not in OPERATOR_FAMILIES and c not in ERRORS_ZH)
    assert missing == []


def test_every_catalogue_entry_is_text_the_wallet_or_the_ledger_shows() -> None:
    shown = constants("wallet", "contracts")
    assert sorted({key.split("|")[-1] for key in TEXT_ZH} - shown) == []


def test_the_catalogue_ships_with_every_package_of_the_code_base() -> None:
    """A built wheel holds the packages pyproject lists, and only those: every directory
    with an __init__.py is listed (wallet.verbs was not), the catalogue's among them."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
                 ["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for root in ("consensus", "contracts", "node", "wallet")
             for p in (ROOT / root).rglob("__init__.py")}
    assert "wallet" in listed and (ROOT / "wallet" / "catalogue_zh.py").is_file()
    assert sorted(found - listed) == []


# ------------------------------------------------------------------ every verb's text


PRINTS = ("print", "echo", "secho", "prompt", "confirm")


def has_words(text: str) -> bool:
    """Text for people: at least one word of two letters outside rich's [markup]."""
    return re.search(r"[A-Za-z]{2}", re.sub(r"\[/?[a-z ]*\]", "", text)) is not None


def bare_text(node: ast.expr) -> bool:
    """Whether `node` makes English text that does not go through `_()`: a string
    constant, an f-string, `"...".format(...)`, or a sum or choice of these."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and has_words(node.value)
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.Constant) and has_words(str(v.value))
                   for v in node.values)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "format":
        return bare_text(node.func.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return bare_text(node.left) or bare_text(node.right)
    if isinstance(node, ast.IfExp):
        return bare_text(node.body) or bare_text(node.orelse)
    return False


SHELL = "# shell code"  # a line printed for `eval`, not for people: stays as it is


def untranslated_prints(source: str) -> list[int]:
    """The lines of `source` that print English text not wrapped in `_()`: a call to
    print, echo or secho (click's or a console's), or a prompt or a confirmation, whose
    first argument is bare text."""
    lines = []
    text = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) \
            else ""
        if name in PRINTS and bare_text(node.args[0]) \
                and not text[node.lineno - 1].endswith(SHELL):
            lines.append(node.lineno)
    return sorted(lines)


def test_the_check_finds_a_printed_sentence_not_wrapped() -> None:
    assert untranslated_prints('c.print(f"round {r} proposed")') == [1]
    assert untranslated_prints('click.echo("key written to {p}".format(p=p))') == [1]
    assert untranslated_prints('c.print("note: " + text)') == [1]
    assert untranslated_prints('click.echo(f"{a}: {b}", err=True)') == []  # no words
    assert untranslated_prints('c.print(_("round {r} proposed").format(r=r))') == []
    assert untranslated_prints("c.print(table)") == []
    assert untranslated_prints('c.print(f"[bold]{title}[/bold] {id}")') == []
    assert untranslated_prints('click.echo(f"unset {ENV};")  # shell code') == []


def test_the_wallet_prints_its_sentences_through_the_catalogue() -> None:
    sources = sorted((ROOT / "wallet").glob("*.py")) + \
        sorted((ROOT / "wallet" / "verbs").glob("*.py"))
    found = {str(path.relative_to(ROOT)): lines for path in sources
             if (lines := untranslated_prints(path.read_text(encoding="utf-8")))}
    assert found == {}


# ------------------------------------------------------------------ verbs in Chinese, end to end


PLEDGE = "77" * 32
BANK = "ba" * 32
TX = "c0" * 32


class Ledger(Node):
    """The node stand-in, answering also a committed pledge, the set-off plan and a
    debtor's credit (what `tx show`, `setoff plan` and `credit show` read)."""

    def tx(self, tx_id: str, wait_ms: int = 0) -> dict:
        return {"id": tx_id, "contract": {"name": "pledge", "version": 1},
                "operation": "create", "status": "committed", "height": 42,
                "body": {"holder": HOLDER, "voucher": VOUCHER, "bank": BANK,
                         "secured_fen": 6_000_000, "loan_due_ms": 1_798_732_800_000},
                "events": [{"kind": "pledge.registered", "subject": PLEDGE}]}

    def setoff_plan(self, exclude: list[str] | None = None, run_batches: bool = False) -> dict:
        reduction = {"kind": "obligation", "id": "0b" * 32, "debtor": DEBTOR,
                     "creditor": HOLDER, "amount_fen": 500_000}
        return {"height": 42, "time_ms": 1_767_225_600_000, "debts": 3,
                "total_fen": 3_000_000, "cleared_fen": 1_500_000, "remaining_fen": 1_500_000,
                "bound_fen": 1_000_000, "gap_fen": 500_000, "in_rounds_fen": 1_500_000,
                "rounds": [{"reductions": [reduction] * 3, "cleared_fen": 1_500_000,
                            "members": [HOLDER, DEBTOR, BANK]}],
                "bilateral_fen": 0, "deferred_fen": 0,
                "run": {"mandated_members": 2, "optimum_fen": 200_000, "planned_fen": 200_000,
                        "batches": 1, "held_by_limits_fen": 0, "open_run": None},
                "unmandated_fen": 1_300_000, "rounds_optimum_fen": 1_300_000}

    def credit_debtor(self, address: str) -> dict:
        return {"limit": {"limit_fen": 100_000_000, "bank": BANK}, "outstanding_fen": 125_000_000,
                "pending_fen": 0, "used_fen": 125_000_000, "available_fen": 0,
                "standing": {"since_ms": 1_767_225_600_000, "overdue_in_period": 1,
                             "late_in_period": 2, "overdue_vouchers": 3,
                             "late_confirmations": 4},
                "listing": {"status": "listed", "listed_at_ms": 1_767_225_600_000,
                            "reason": "逾期未兑付"}}


@pytest.fixture
def ledger(monkeypatch: pytest.MonkeyPatch) -> Ledger:
    stand_in = Ledger()
    monkeypatch.setattr(session, "Client", lambda **_: stand_in)
    return stand_in


# An English sentence: two English words in a row, once ids (hex), event codes
# (pledge.registered) and option names (--after) are taken out.
ENGLISH = re.compile(r"\b[A-Za-z]{2,}[ ,;:()]+[A-Za-z]{2,}\b")
NOT_WORDS = re.compile(r"[0-9a-f…]{8,}|\b[a-z_]+\.[a-z_]+\b|--[a-z-]+|`[^`]*`")


def english_in(text: str) -> list[str]:
    return [m.group(0) for line in text.splitlines()
            for m in ENGLISH.finditer(NOT_WORDS.sub(" ", line))]


@pytest.mark.parametrize("args", [("tx", "show", TX), ("setoff", "plan"),
                                  ("credit", "show", DEBTOR)], ids=lambda a: " ".join(a[:2]))
def test_a_verb_speaks_chinese_from_end_to_end(ledger: Ledger, args: tuple[str, ...]) -> None:
    english = run(*args)
    chinese = run(*args, lang="zh_CN.UTF-8")
    assert english.exit_code == chinese.exit_code == 0, chinese.output
    assert english_in(english.stdout)  # the check finds the English it should
    assert english_in(chinese.stdout) == [], chinese.stdout
    assert re.search(r"[\u4e00-\u9fff]", chinese.stdout)


def test_a_committed_pledge_reads_as_a_chinese_sentence(ledger: Ledger) -> None:
    result = run("--lang", "zh", "tx", "show", TX)
    assert f"质押 {PLEDGE} 已登记：" in result.stdout
    assert "担保 ¥60,000.00" in result.stdout and "已入账，高度 42" in result.stdout


# ------------------------------------------------------------------ the commands' help


def command_helps(group: click.Group, path: str = "") -> dict[str, str]:
    """Every command under `group` by its path ("setoff plan"), with its help."""
    found: dict[str, str] = {}
    for name, command in group.commands.items():
        where = f"{path} {name}".strip()
        found[where] = command.help or ""
        if isinstance(command, click.Group):
            found.update(command_helps(command, where))
    return found


def test_every_command_has_its_one_line_help_in_chinese() -> None:
    helps = {"": main.help or "", **command_helps(main)}  # the wallet's own, in its --help
    sentences = {path: first_sentence(text) for path, text in helps.items()}
    assert {path for path, s in sentences.items() if s not in HELP_ZH} == set()
    assert sorted(set(HELP_ZH) - set(sentences.values())) == []  # none left behind


def test_the_commands_are_listed_in_chinese() -> None:
    chinese = run("--lang", "zh", "--help")
    assert "节点名册：验证节点、观察节点及其变更。" in chinese.stdout
    assert "命令:" in chinese.stdout and "Commands:" not in chinese.stdout
    group = run("setoff", "--help", lang="zh_CN.UTF-8")
    assert "当前债务的最优抵销方案，以及将提议的轮次。" in group.stdout
    english = run("setoff", "--help")
    assert "The optimal set-off of the debts now" in english.stdout
    assert "抵销方案" not in english.stdout


def test_a_long_chinese_line_is_cut_to_the_columns_it_has() -> None:
    assert fit("当前债务的最优抵销方案", 10) == "当前债务…"  # 8 columns and the mark
    assert fit("plan", 10) == "plan"


# ------------------------------------------------------------------ a command's full help


def every_command(group: click.Group) -> list[click.Command]:
    """`group` and every command under it."""
    found: list[click.Command] = [group]
    for command in group.commands.values():
        found.extend(every_command(command) if isinstance(command, click.Group) else [command])
    return found


def docstring_rests() -> set[str]:
    """What a command's full help says after its first sentence, as DOCS_ZH keys it."""
    return {piece for command in every_command(main)
            for number, pieces in enumerate(help_pieces(command.help or ""))
            for index, piece in enumerate(pieces) if (number, index) != (0, 0)}


def option_helps() -> set[str]:
    return {param.help for command in every_command(main) for param in command.params
            if isinstance(param, click.Option) and param.help}


def test_every_paragraph_of_a_command_s_help_has_its_chinese() -> None:
    rests = docstring_rests()
    assert rests, "every command's help is one sentence: the check checks nothing"
    assert sorted(rests - set(DOCS_ZH)) == []
    assert sorted(set(DOCS_ZH) - rests) == []  # none left behind


def test_every_option_s_help_has_its_chinese() -> None:
    helps = option_helps()
    assert "write an unsigned draft to FILE instead of submitting" in helps
    assert sorted(helps - set(OPTIONS_ZH)) == []
    assert sorted(set(OPTIONS_ZH) - helps) == []  # none left behind


# What a Chinese help keeps as the English writes it: option names, metavars and
# environment variables (FILE, VOUCHER, $CLAIMLEDGER_KEY) and placeholders.
KEPT = re.compile(r"--[a-z][a-z0-9-]*|\$?\b[A-Z][A-Z0-9_]{2,}\b|\{[a-z_]*\}")


@pytest.mark.parametrize("catalogue", [DOCS_ZH, OPTIONS_ZH, HELP_ZH],
                         ids=["docs", "options", "first sentences"])
def test_a_chinese_help_keeps_the_names_the_english_gives(catalogue: dict[str, str]) -> None:
    for english, chinese in catalogue.items():
        assert set(KEPT.findall(english)) <= set(KEPT.findall(chinese)), english


# Three or more English words in a row (a metavar, INTEGER RANGE, is no word): a sentence
# the help left in English.
WORD = r"[A-Za-z]*[a-z][A-Za-z]*"
ENGLISH_WORDS = re.compile(rf"\b{WORD}(?: {WORD}){{2,}}\b")


@pytest.mark.parametrize("args", [("--help",), ("setoff", "--help"),
                                  ("setoff", "mandate", "--help"),
                                  ("transfer", "--help"), ("member", "--help")])
def test_a_command_s_full_help_in_chinese(args: tuple[str, ...]) -> None:
    result = run(*args, lang="zh_CN.UTF-8")
    assert result.exit_code == 0, result.output
    usage, _blank, rest = result.stdout.partition("\n")
    assert usage.startswith("用法: ")
    assert "选项:" in rest and "显示本帮助并退出。" in rest
    assert ENGLISH_WORDS.findall(rest) == []
    english = run(*args)
    assert english.stdout.startswith("Usage: ") and "Options:" in english.stdout
    assert "Show this message and exit." in english.stdout
    assert "选项" not in english.stdout and "显示本帮助" not in english.stdout


def command_paths(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, command in group.commands.items():
        found.extend(command_paths(command, (*path, name)) if isinstance(command, click.Group)
                     else [(*path, name)])
    return found


def test_no_command_s_full_help_leaves_an_english_sentence() -> None:
    paths = command_paths(main)
    assert ("setoff", "plan") in paths and ("member", "show") in paths
    for path in paths:
        result = run("--lang", "zh", *path, "--help")
        assert result.exit_code == 0, (path, result.output)
        body = re.sub(r"`[^`]*`", "", result.stdout.partition("\n")[2])  # code stays code
        assert ENGLISH_WORDS.findall(body) == [], path


def test_a_default_shows_in_chinese() -> None:
    chinese = run("--lang", "zh", "--help").stdout
    assert "[默认：http://127.0.0.1:8701]" in chinese
    assert "[default: http://127.0.0.1:8701]" in run("--help").stdout


def test_a_chinese_help_is_wrapped_to_the_columns_it_has() -> None:
    lines = wrap_columns("以口令打开 --key，启动在内存中持有密钥的签名代理；输出导出 "
                         "CLAIMLEDGER_AGENT 的 shell 命令（供 `eval`）。", 24)
    assert all(fit(line, 24) == line for line in lines)
    assert "--key，" in "".join(lines) and any("CLAIMLEDGER_AGENT" in line for line in lines)
    assert not any(line.startswith(("，", "。", "）")) for line in lines)


def test_every_role_and_person_type_has_its_chinese_word() -> None:
    from contracts.membership import PERSON_TYPES, ROLES
    from wallet.i18n import pgettext
    with use(Speech("zh")):
        for role in ROLES:
            assert re.fullmatch(r"[\u4e00-\u9fff]+", pgettext("role", role)), role
        for kind in PERSON_TYPES:
            assert re.fullmatch(r"[\u4e00-\u9fff]+", TEXT_ZH.get(kind, "")), kind
