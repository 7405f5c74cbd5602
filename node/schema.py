"""What the genesis document and a node's configuration share: strict pydantic models and
errors that name the field.

A document an operator writes by hand is read strictly: a field the schema does not know
(a typo) is refused rather than ignored, and a value of the wrong type (`"5"` for 5, 2.5
for an integer) is refused rather than converted. Every refusal is a `LedgerError`
naming the field's path as the document spells it (`validators[2].power: Input should be
a valid integer`), so the operator finds the line to mend.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from contracts.errors import LedgerError
from contracts.identity import parse_address

ERRORS_SHOWN = 5  # a document with many mistakes: the first few are enough to start on


class Strict(BaseModel):
    """A document's table: unknown fields and converted types are errors."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def field_path(loc: tuple[int | str, ...]) -> str:
    """`("validators", 2, "power")` as `validators[2].power`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def describe(error: ValidationError, prefix: str = "") -> str:
    """The first few problems of `error`, each as `path: what is wrong`."""
    lines = []
    for item in error.errors()[:ERRORS_SHOWN]:
        where = field_path(tuple(item["loc"]))
        message = str(item["msg"]).removeprefix("Value error, ")
        if where:
            lines.append(f"{prefix}{where}: {message}")
        else:  # a rule over several fields: its message names them
            lines.append(message)
    more = error.error_count() - ERRORS_SHOWN
    if more > 0:
        lines.append(f"and {more} more")
    return "; ".join(lines)


def validated(model: type[Strict], data: Any, where: str, code: str = "config.invalid",
              prefix: str = "") -> Any:
    """`model` over `data`, or `LedgerError(code)` naming `where` and the bad fields
    (each path after `prefix`: `limits.` for a table read apart)."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise LedgerError(code, f"{where}: {describe(e, prefix)}") from None


def _host_port(text: str) -> str:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r} is not HOST:PORT")
    return text


def _hex_key(text: str) -> str:
    try:
        parse_address(text)
    except LedgerError:
        raise ValueError(f"{text!r} is not a key (64 hex digits)") from None
    return text.strip().lower()


def _hex_hash(text: str) -> str:
    return _hex_key(text)  # a sha256 is written as a key is: 64 hex digits


HostPort = Annotated[str, AfterValidator(_host_port)]
HexKey = Annotated[str, AfterValidator(_hex_key)]
HexHash = Annotated[str, AfterValidator(_hex_hash)]
Name = Annotated[str, Field(min_length=1, max_length=64)]
