"""The wallet's --help in its language: each command's usage line, its help's paragraphs
(HELP_ZH, DOCS_ZH), its options' help (OPTIONS_ZH) and click's own headings and extras,
laid out by the columns a character takes (a Chinese one two: rich.cells.cell_len), and
each group's list of commands with their one-line help. English per string when the
catalogue has none; in English, click's own help. The families build their groups with
click; `speak_in_groups` makes them speak from here."""

from __future__ import annotations

import re

import click
from rich.cells import cell_len

from wallet.i18n import _, current, option_help, short_help, spoken_paragraphs


def fit(text: str, width: int) -> str:
    """`text` cut to `width` columns (a Chinese character takes two), "…" marking a cut."""
    columns = 0
    for index, character in enumerate(text):
        columns += cell_len(character)
        if columns > width:
            return text[:max(index - 1, 0)] + "…"
    return text


# A run of printable ASCII (an option's name, a figure, an English word), a run of spaces,
# an option's extras ("[默认：yuan]"), or one other character; punctuation stays on the
# line of the word it opens or closes.
TOKENS = re.compile(r"\s+|\[[^\]\s]{1,40}\]|[（“「『《]*(?:[!-~]+|.)[，。、；：）”」』》？！]*")


def wrap_columns(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` columns (a Chinese character takes two), broken
    between Chinese characters or at spaces, never inside an ASCII word."""
    lines: list[str] = []
    line = ""
    for token in TOKENS.findall(text):
        if line and not token.isspace() and cell_len(line + token) > width:
            lines.append(line.rstrip())
            line = ""
        if line or not token.isspace():
            line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines


class SpeakingCommand(click.Command):
    """A command whose full --help speaks the wallet's language: its usage line, its help's
    paragraphs (HELP_ZH, DOCS_ZH), its options' help (OPTIONS_ZH) and click's own headings
    and extras ([default: …]); English per string when the catalogue has none. In English
    it is click's own help. The headings are the wallet's catalogue's, passed to click's
    formatter here, so click's gettext is left as it is."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=_("Usage: "))

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        paragraphs = spoken_paragraphs(self.help)
        if paragraphs is None or self.deprecated:
            super().format_help_text(ctx, formatter)
            return
        formatter.write_paragraph()
        with formatter.indentation():
            width = formatter.width - formatter.current_indent
            text = "\n\n".join("\n".join(formatter.current_indent * " " + line
                                         for line in wrap_columns(paragraph, width))
                               for paragraph in paragraphs)
            formatter.write(text + "\n")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if current().language == "en":
            super().format_options(ctx, formatter)
            return
        rows = [(param.get_help_spec(ctx), self.option_help(ctx, param))
                for param in self.get_params(ctx)
                if isinstance(param, click.Option) and not param.hidden]
        if rows:
            with formatter.section(_("Options")):
                write_columns_dl(formatter, rows)

    def option_help(self, ctx: click.Context, option: click.Option) -> str:
        """An option's help and its extras ([default: …]) in the wallet's language."""
        if option is self.get_help_option(ctx):
            text = _("Show this message and exit.")
        else:
            text = option_help(option.help or "")
        extra = option.get_help_extra(ctx)
        items = []
        if "envvars" in extra:
            items.append(_("env var: {var}").format(var=", ".join(extra["envvars"])))
        if "default" in extra:
            items.append(_("default: {default}").format(default=extra["default"]))
        if "range" in extra:
            items.append(extra["range"])
        if "required" in extra:
            items.append(_("required"))
        if items:
            shown = _("; ").join(items)
            text = f"{text}  [{shown}]" if text else f"[{shown}]"
        return text


def write_columns_dl(formatter: click.HelpFormatter, rows: list[tuple[str, str]]) -> None:
    """click's definition list (HelpFormatter.write_dl), its second column wrapped by the
    columns a Chinese character takes (two) rather than by characters."""
    first_col = min(max(cell_len(first) for first, _second in rows), 30) + 2
    indent = formatter.current_indent
    for first, second in rows:
        formatter.write(f"{'':>{indent}}{first}")
        if not second:
            formatter.write("\n")
            continue
        if cell_len(first) <= first_col - 2:
            formatter.write(" " * (first_col - cell_len(first)))
        else:
            formatter.write("\n" + " " * (first_col + indent))
        lines = wrap_columns(second, max(formatter.width - first_col - 2, 10))
        formatter.write("\n".join([lines[0], *(" " * (first_col + indent) + line
                                                for line in lines[1:])]) + "\n")


class SpeakingGroup(click.Group, SpeakingCommand):
    """A group that lists its commands' one-line help in the wallet's language (the
    language is chosen by --lang or LANG before --help formats anything: both are eager,
    --lang first when given first), and speaks it in its own help as a SpeakingCommand."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        commands = [(name, command) for name in self.list_commands(ctx)
                    if (command := self.get_command(ctx, name)) is not None
                    and not command.hidden]
        if not commands:
            return
        limit = formatter.width - 6 - max(len(name) for name, _command in commands)
        rows = []
        for name, command in commands:
            spoken = None if command.short_help else short_help(command.help)
            rows.append((name, command.get_short_help_str(limit) if spoken is None
                         else fit(spoken, limit)))
        with formatter.section(_("Commands")):
            formatter.write_dl(rows)


def speak_in_groups(group: click.Group) -> None:
    """Make every group under `group` (the families' groups) a SpeakingGroup and every
    other command a SpeakingCommand: the families build theirs with click, and their help
    is spoken from here. A family's own class (membership's MemberGroup) keeps its
    behaviour, and speaks as well."""
    for command in group.commands.values():
        if not isinstance(command, SpeakingCommand):
            plain = type(command)
            speaking = SpeakingGroup if isinstance(command, click.Group) else SpeakingCommand
            command.__class__ = speaking if plain in (click.Group, click.Command) else \
                type(plain.__name__, (plain, speaking), {"__doc__": plain.__doc__})
        if isinstance(command, click.Group):
            speak_in_groups(command)
