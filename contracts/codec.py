"""The one canonical encoding: msgpack of fixed-order arrays derived from frozen dataclasses.

A record type is a frozen dataclass whose fields are annotated with the types below.
`encode` turns a record into an array of its fields in declaration order; `decode`
accepts exactly the bytes `encode` would produce and nothing else: no trailing bytes,
no floats, no maps, no missing or extra fields, no out-of-range integers, no
non-minimal msgpack forms. So `digest(record)` is the same on every node.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin, get_type_hints

import msgpack

from contracts.errors import CodecError

T = TypeVar("T")

MAX_INPUT_BYTES = 1 << 20  # default bound on any decoded input


@dataclass(frozen=True)
class IntRange:
    lo: int
    hi: int


@dataclass(frozen=True)
class Size:
    """Bounds on a length: bytes, characters of a str, items of a tuple."""

    lo: int
    hi: int


@dataclass(frozen=True)
class OneOf:
    """A str restricted to a fixed set of values (an enumeration on the wire)."""

    values: frozenset[str]


U32 = Annotated[int, IntRange(0, 2**32 - 1)]
U64 = Annotated[int, IntRange(0, 2**64 - 1)]
MAX_FEN = 10**16  # 100 trillion yuan: far above any real claim, far below 2**63
Fen = Annotated[int, IntRange(0, MAX_FEN)]
TimeMs = Annotated[int, IntRange(0, 2**63 - 1)]
Height = Annotated[int, IntRange(0, 2**63 - 1)]
Hash32 = Annotated[bytes, Size(32, 32)]
Sig64 = Annotated[bytes, Size(64, 64)]
Name = Annotated[str, Size(1, 64)]
Text = Annotated[str, Size(0, 512)]


# ---------------------------------------------------------------- field codecs
# A field codec is a pair (to_wire, from_wire). to_wire checks the value (an
# out-of-range value is a local bug, reported with the same codes); from_wire
# checks what came off the wire and builds the Python value.

ToWire = Callable[[Any, str], Any]
FromWire = Callable[[Any, str], Any]


# A path names where a value sits, for error messages only: a str, or (path, ".field") or
# (path, index) pairs, built cheaply as a record is walked and spelled out only on failure.
Path = Any


def _spell(path: Path) -> str:
    parts = []
    while isinstance(path, tuple):
        path, part = path
        parts.append(f"[{part}]" if isinstance(part, int) else part)
    return str(path) + "".join(reversed(parts))


def _fail(code: str, path: Path, message: str) -> CodecError:
    return CodecError(f"codec.{code}", f"{_spell(path)}: {message}")


def _int_codec(bounds: IntRange | None) -> tuple[ToWire, FromWire]:
    lo, hi = (bounds.lo, bounds.hi) if bounds else (-(2**63), 2**64 - 1)

    def check(value: Any, path: str) -> int:
        if type(value) is not int:
            raise _fail("type", path, f"expected an integer, got {type(value).__name__}")
        if not lo <= value <= hi:
            raise _fail("range", path, f"{value} is outside [{lo}, {hi}]")
        return value

    check.inline = f"type({{v}}) is not int or not {lo} <= {{v}} <= {hi}"  # type: ignore[attr-defined]
    return check, check


def _bool_codec() -> tuple[ToWire, FromWire]:
    def check(value: Any, path: str) -> bool:
        if type(value) is not bool:
            raise _fail("type", path, f"expected a boolean, got {type(value).__name__}")
        return value

    check.inline = "type({v}) is not bool"  # type: ignore[attr-defined]
    return check, check


def _bytes_codec(size: Size | None) -> tuple[ToWire, FromWire]:
    lo, hi = (size.lo, size.hi) if size else (0, MAX_INPUT_BYTES)

    def check(value: Any, path: str) -> bytes:
        if type(value) is not bytes:
            raise _fail("type", path, f"expected bytes, got {type(value).__name__}")
        if not lo <= len(value) <= hi:
            raise _fail("size", path, f"length {len(value)} is outside [{lo}, {hi}]")
        return value

    check.inline = f"type({{v}}) is not bytes or not {lo} <= len({{v}}) <= {hi}"  # type: ignore[attr-defined]
    return check, check


def _str_codec(size: Size | None, one_of: OneOf | None) -> tuple[ToWire, FromWire]:
    lo, hi = (size.lo, size.hi) if size else (0, 4096)

    def check(value: Any, path: str) -> str:
        if type(value) is not str:
            raise _fail("type", path, f"expected a string, got {type(value).__name__}")
        if not lo <= len(value) <= hi:
            raise _fail("size", path, f"length {len(value)} is outside [{lo}, {hi}]")
        if one_of is not None and value not in one_of.values:
            allowed = ", ".join(sorted(one_of.values))
            raise _fail("value", path, f"{value!r} is not one of: {allowed}")
        return value

    if one_of is None:  # an enumeration keeps its own check
        check.inline = f"type({{v}}) is not str or not {lo} <= len({{v}}) <= {hi}"  # type: ignore[attr-defined]
    return check, check


def _tuple_codec(item: tuple[ToWire, FromWire], size: Size | None) -> tuple[ToWire, FromWire]:
    item_to, item_from = item
    lo, hi = (size.lo, size.hi) if size else (0, 1024)

    def to_wire(value: Any, path: str) -> list:
        if type(value) is not tuple:
            raise _fail("type", path, f"expected a tuple, got {type(value).__name__}")
        if not lo <= len(value) <= hi:
            raise _fail("size", path, f"{len(value)} items is outside [{lo}, {hi}]")
        return [item_to(v, (path, i)) for i, v in enumerate(value)]

    def from_wire(value: Any, path: str) -> tuple:
        if type(value) is not list:
            raise _fail("type", path, f"expected an array, got {type(value).__name__}")
        if not lo <= len(value) <= hi:
            raise _fail("size", path, f"{len(value)} items is outside [{lo}, {hi}]")
        return tuple([item_from(v, (path, i)) for i, v in enumerate(value)])

    return to_wire, from_wire


def _optional_codec(inner: tuple[ToWire, FromWire]) -> tuple[ToWire, FromWire]:
    inner_to, inner_from = inner

    def to_wire(value: Any, path: str) -> Any:
        return None if value is None else inner_to(value, path)

    def from_wire(value: Any, path: str) -> Any:
        return None if value is None else inner_from(value, path)

    inline = getattr(inner_to, "inline", None)
    if inline is not None and inner_to is inner_from:
        condition = f"{{v}} is not None and ({inline})"
        to_wire.inline = from_wire.inline = condition  # type: ignore[attr-defined]
    return to_wire, from_wire


def _record_codec(cls: type) -> tuple[ToWire, FromWire]:
    compiled = _compiled(cls)
    return compiled.to_wire, compiled.from_wire


def _field_codec(annotation: Any) -> tuple[ToWire, FromWire]:
    constraints: tuple = ()
    if get_origin(annotation) is Annotated:
        annotation, *extra = get_args(annotation)
        constraints = tuple(extra)

    def constraint(kind: type) -> Any:
        return next((c for c in constraints if isinstance(c, kind)), None)

    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) != 1 or len(get_args(annotation)) != 2:
            raise TypeError(f"only `X | None` unions are encodable, not {annotation}")
        return _optional_codec(_field_codec(args[0]))
    if origin is tuple:
        args = get_args(annotation)
        if len(args) != 2 or args[1] is not Ellipsis:
            raise TypeError(f"only homogeneous tuple[X, ...] is encodable, not {annotation}")
        return _tuple_codec(_field_codec(args[0]), constraint(Size))
    if annotation is bool:
        return _bool_codec()
    if annotation is int:
        return _int_codec(constraint(IntRange))
    if annotation is bytes:
        return _bytes_codec(constraint(Size))
    if annotation is str:
        return _str_codec(constraint(Size), constraint(OneOf))
    if isinstance(annotation, type) and is_dataclass(annotation):
        return _record_codec(annotation)
    raise TypeError(f"no canonical encoding for {annotation!r}")


@dataclass(frozen=True)
class _Compiled:
    to_wire: ToWire
    from_wire: FromWire


_COMPILED: dict[type, _Compiled] = {}


def _compiled(cls: type) -> _Compiled:
    """The codec of a record type, built once from its field annotations."""
    found = _COMPILED.get(cls)
    if found is not None:
        return found
    if not (is_dataclass(cls) and cls.__dataclass_params__.frozen):  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__name__} must be a frozen dataclass to be encodable")
    hints = get_type_hints(cls, include_extras=True)
    names = [f.name for f in fields(cls)]
    name = cls.__name__
    # A record type may refer to itself through a tuple: while its fields' codecs are
    # built, it is registered as a trampoline to the functions made below.
    made: list[Callable] = []
    _COMPILED[cls] = _Compiled(lambda v, path=name: made[0](v, path),
                               lambda v, path=name: made[1](v, path))
    try:
        slots = [_field_codec(hints[field]) for field in names]
    except Exception:
        del _COMPILED[cls]
        raise
    to_wire, from_wire = _generate(cls, names, slots)
    made.extend((to_wire, from_wire))
    compiled = _Compiled(to_wire, from_wire)
    _COMPILED[cls] = compiled
    return compiled


def _generate(cls: type, names: list[str], slots: list[tuple[ToWire, FromWire]]
              ) -> tuple[ToWire, FromWire]:
    """The record's two functions, written out as Python for its fields: a scalar field
    is checked inline (its check function runs, and raises with the field's path, only
    when the inline test fails); a nested field calls its codec with a lazily built
    path; the record is made without the dataclass __init__ (which sets each field of a
    frozen dataclass through object.__setattr__)."""
    name = cls.__name__
    env: dict[str, Any] = {"cls": cls, "name": name, "count": len(names), "list": list,
                           "new": object.__new__, "_fail": _fail, "slots": slots}
    to_lines, from_lines = [], []
    for i, field in enumerate(names):
        path = f"(path, {'.' + field!r})"
        for lines, side, fetch in ((to_lines, 0, f"d[{field!r}]"),
                                   (from_lines, 1, f"value[{i}]")):
            lines.append(f"    v{i} = {fetch}")
            inline = getattr(slots[i][side], "inline", None)
            if inline is not None:
                lines.append(f"    if {inline.format(v=f'v{i}')}:")
                lines.append(f"        slots[{i}][{side}](v{i}, {path})")
                lines.append("        raise AssertionError('an inline check disagrees')")
            else:
                lines.append(f"    v{i} = slots[{i}][{side}](v{i}, {path})")
    values = ", ".join(f"v{i}" for i in range(len(names)))
    items = ", ".join(f"{field!r}: v{i}" for i, field in enumerate(names))
    make = (f"record = cls(**{{{items}}})" if hasattr(cls, "__post_init__") else
            f"record = new(cls)\n    record.__dict__.update({{{items}}})")
    newline = "\n"
    source = f"""
def to_wire(value, path=name):
    if type(value) is not cls:
        raise _fail("type", path, f"expected {{name}}, got {{type(value).__name__}}")
    d = value.__dict__
{newline.join(to_lines)}
    return [{values}]

def from_wire(value, path=name):
    if type(value) is not list:
        raise _fail("type", path,
                    f"expected an array for {{name}}, got {{type(value).__name__}}")
    if len(value) != count:
        raise _fail("field_count", path, f"{{name}} has {{count}} fields, got {{len(value)}}")
{newline.join(from_lines)}
    {make}
    return record
"""
    exec(compile(source, f"<codec of {name}>", "exec"), env)
    return env["to_wire"], env["from_wire"]


# ---------------------------------------------------------------- public API


def to_wire(record: Any) -> list:
    """The record as nested msgpack-ready lists (checked against its field types)."""
    cls = type(record)
    return (_COMPILED.get(cls) or _compiled(cls)).to_wire(record, cls.__name__)


def _pack(wire: Any) -> bytes:
    """msgpack.packb(wire, use_bin_type=True) with a packer kept per thread (packb makes
    a new one on every call)."""
    packer = getattr(_PACKERS, "packer", None)
    if packer is None:
        packer = _PACKERS.packer = msgpack.Packer(use_bin_type=True)
    return packer.pack(wire)


_PACKERS = threading.local()


def encode(record: Any) -> bytes:
    """The canonical bytes of a record."""
    cls = type(record)
    return _pack((_COMPILED.get(cls) or _compiled(cls)).to_wire(record, cls.__name__))


def decode(cls: type[T], data: bytes, max_bytes: int = MAX_INPUT_BYTES) -> T:
    """The record of type `cls` whose canonical bytes are `data`; `CodecError` otherwise."""
    if type(data) is not bytes:
        raise CodecError("codec.type", f"{cls.__name__}: expected bytes to decode")
    if len(data) > max_bytes:
        raise CodecError("codec.too_long", f"{cls.__name__}: {len(data)} bytes exceeds {max_bytes}")
    try:
        wire = msgpack.unpackb(
            data,
            raw=False,
            use_list=True,
            strict_map_key=True,
            max_str_len=max_bytes,
            max_bin_len=max_bytes,
            max_array_len=max_bytes,
            max_map_len=max_bytes,
            max_ext_len=0,
        )
    except msgpack.ExtraData as e:
        raise CodecError("codec.trailing_bytes", f"{cls.__name__}: bytes after the record") from e
    except (ValueError, msgpack.UnpackException, UnicodeDecodeError, RecursionError) as e:
        # ValueError covers truncated input, map/ext limits and invalid UTF-8.
        raise CodecError("codec.malformed", f"{cls.__name__}: not valid msgpack ({e})") from e
    record = (_COMPILED.get(cls) or _compiled(cls)).from_wire(wire, cls.__name__)
    if _pack(wire) != data:
        raise CodecError(
            "codec.non_canonical", f"{cls.__name__}: valid but not the canonical encoding"
        )
    return record


def replace(record: T, /, **changes: Any) -> T:
    """`dataclasses.replace` for records, several times faster: the copy is made without
    the dataclass __init__ (records have no __post_init__; one that does is copied by
    `dataclasses.replace`). An unknown field name is a TypeError, as there."""
    cls = type(record)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(f.name for f in fields(cls))  # type: ignore[arg-type]
    if not changes.keys() <= names:
        raise TypeError(f"{cls.__name__} has no field {sorted(changes.keys() - names)[0]!r}")
    if hasattr(cls, "__post_init__"):
        return dataclasses.replace(record, **changes)  # type: ignore[type-var]
    copy = object.__new__(cls)
    copy.__dict__.update(record.__dict__)
    copy.__dict__.update(changes)
    return copy


_FIELD_NAMES: dict[type, frozenset[str]] = {}


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def digest(record: Any) -> bytes:
    """`sha256(encode(record))`: the identity of a record on every node."""
    return sha256(encode(record))


def to_json(value: Any) -> Any:
    """A JSON-ready view of a record for people and HTTP clients: bytes as hex."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    return value
