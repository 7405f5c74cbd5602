"""The wallet's language (English or Chinese) and how much a yuan figure is shown in
(元 or 万元), chosen once per command and read where text is made.

The catalogue is a Python dict (wallet/catalogue_zh.py), not gettext .po/.mo files:
it ships with the package as a module (no package-data, no compile step in CI or at
install), and its keys are the English text itself, as gettext's msgids are, so a
string with no entry is shown in English. Placeholders are `str.format` names, the
same in both languages (tests/test_wallet_i18n.py checks it). A command's --help reads
three more dicts the same way: HELP_ZH (its help's first sentence, as the lists show it),
DOCS_ZH (the rest of its help) and OPTIONS_ZH (its options' help); wallet/help.py's
SpeakingCommand lays them out.

The choice lives in a ContextVar rather than being passed down: the text is made deep
inside the review screen and the tables, and a command sets it once (`use`) and puts it
back when done, so one in-process run (the tests) does not leak into the next.

Errors: the code is always printed as is; a code with a Chinese sentence shows it,
with the ledger's English message after it for the figures and ids it names; a code
without one shows the English message. --json output stays English (keys and
messages), for scripts."""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from wallet.catalogue_zh import DOCS_ZH, ERRORS_ZH, HELP_ZH, OPTIONS_ZH, TEXT_ZH

LANGUAGES = ("en", "zh")
UNITS = ("yuan", "wan")


@dataclass(frozen=True)
class Speech:
    """How the wallet speaks in this command: `language` en or zh, `unit` yuan or wan."""

    language: str = "en"
    unit: str = "yuan"


# Speech is frozen, so the shared default cannot be changed in place.
_current: ContextVar[Speech] = ContextVar("claimledger_wallet_speech",
                                          default=Speech())  # noqa: B039

CATALOGUES: Mapping[str, Mapping[str, str]] = {"zh": TEXT_ZH}
ERROR_CATALOGUES: Mapping[str, Mapping[str, str]] = {"zh": ERRORS_ZH}
HELP_CATALOGUES: Mapping[str, Mapping[str, str]] = {"zh": HELP_ZH}
DOCS_CATALOGUES: Mapping[str, Mapping[str, str]] = {"zh": DOCS_ZH}
OPTIONS_CATALOGUES: Mapping[str, Mapping[str, str]] = {"zh": OPTIONS_ZH}


def language_from_env(env: Mapping[str, str] | None = None) -> str:
    """The language the environment asks for: LANGUAGE (its first entry), then LC_ALL,
    then LANG, as gettext reads them; zh_CN.UTF-8, zh_TW, zh → zh; anything else en."""
    env = os.environ if env is None else env
    for name in ("LANGUAGE", "LC_ALL", "LANG"):
        value = env.get(name, "").split(":")[0].strip()
        if value and value not in ("C", "POSIX"):
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def current() -> Speech:
    return _current.get()


@contextmanager
def use(speech: Speech) -> Iterator[Speech]:
    """Speak `speech` inside the block, and as before after it."""
    assert speech.language in LANGUAGES and speech.unit in UNITS, speech
    token = _current.set(speech)
    try:
        yield speech
    finally:
        _current.reset(token)


def set_speech(speech: Speech) -> None:
    """Speak `speech` from now on in this context (the command line's entry point)."""
    assert speech.language in LANGUAGES and speech.unit in UNITS, speech
    _current.set(speech)


def _(text: str) -> str:
    """`text` (English) in the current language; English when the catalogue lacks it."""
    catalogue = CATALOGUES.get(current().language)
    return text if catalogue is None else catalogue.get(text, text)


def pgettext(context: str, text: str) -> str:
    """`text` as said in `context` (gettext's msgctxt): the same English word may need two
    Chinese ones (a transfer "pending" 待签收, a transaction "pending" 待入账). The
    catalogue's key is "context|text"; without one, `_(text)`."""
    catalogue = CATALOGUES.get(current().language)
    if catalogue is None:
        return text
    return catalogue.get(f"{context}|{text}") or _(text)


def first_sentence(help_text: str) -> str:
    """The first sentence of a command's help, as click lists it: the first paragraph's
    words up to one ending in "." that closes the text or comes before a word not in
    lowercase (so "e.g. foo" does not end it)."""
    words = help_text.partition("\n\n")[0].split()
    if words and words[0] == "\b":
        words = words[1:]
    for i, word in enumerate(words):
        if word.endswith(".") and (i == len(words) - 1 or not words[i + 1][0].islower()):
            return " ".join(words[: i + 1])
    return " ".join(words)


def short_help(help_text: str | None) -> str | None:
    """A command's one-line help in the current language, None in English (click makes
    it): the Chinese of its first sentence (HELP_ZH), or None when it has none."""
    catalogue = HELP_CATALOGUES.get(current().language)
    if catalogue is None or not help_text:
        return None
    return catalogue.get(first_sentence(help_text))


def help_pieces(help_text: str) -> list[list[str]]:
    """A command's help as its full --help shows it (up to a form feed), paragraph by
    paragraph, each as the catalogue keys its text: the first paragraph's first sentence
    (HELP_ZH) and the rest of that paragraph (DOCS_ZH, if any), every later paragraph whole
    (DOCS_ZH); words joined by single spaces, as click rewraps them."""
    text = inspect.cleandoc(help_text).partition("\f")[0]
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n")]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        return []
    first = first_sentence(text)
    assert paragraphs[0].startswith(first), (paragraphs[0], first)
    rest = paragraphs[0][len(first):].strip()
    return [[first, rest] if rest else [first], *([p] for p in paragraphs[1:])]


def spoken_paragraphs(help_text: str | None) -> list[str] | None:
    """A command's help paragraphs in the current language, None in English (click shows
    its own): each piece of help_pieces in Chinese, or in English when it has no entry."""
    first_sentences = HELP_CATALOGUES.get(current().language)
    rest = DOCS_CATALOGUES.get(current().language)
    if first_sentences is None or rest is None or not help_text:
        return None
    spoken = []
    for number, pieces in enumerate(help_pieces(help_text)):
        said = ""
        for index, piece in enumerate(pieces):
            catalogue = first_sentences if number == 0 and index == 0 else rest
            chinese = catalogue.get(piece)
            if chinese is not None and (not said or not said[-1].isascii()):
                said += chinese
            else:  # English beside Chinese, or Chinese after English: a space between
                said = f"{said} {chinese or piece}".strip()
        spoken.append(said)
    return spoken


def option_help(help_text: str) -> str:
    """An option's help text in the current language (OPTIONS_ZH), else as written."""
    catalogue = OPTIONS_CATALOGUES.get(current().language)
    return help_text if catalogue is None else catalogue.get(help_text, help_text)


def error_line(code: str, message: str) -> str:
    """The error line on stderr: `error: code: message`, or in Chinese
    `错误 code: 中文句子（message）` when the code has a sentence, else the English
    message after the code."""
    if current().language != "zh":
        return f"error: {code}: {message}"
    sentence = ERROR_CATALOGUES["zh"].get(code)
    if sentence is None:
        return f"错误 {code}: {message}"
    return f"错误 {code}: {sentence}（{message}）"
