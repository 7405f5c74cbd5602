"""Stand-ins for a node behind the client library: a test's fake transport answers each
read by its own method of the read's name (`ids`, `members`, `tx`...), as the table of
reads (wallet/reads.py) names them, without HTTP."""

from __future__ import annotations

from typing import Any

from wallet.reads import READS, Read

# What the library adds to a listing's query; a stand-in answers one page, `next` None.
PAGING = ("after", "limit")


def read_of(path: str) -> tuple[Read, tuple[str, ...]]:
    """The read whose route `path` is (a route with more fixed parts first:
    /v1/pledges/certificate before /v1/pledges/{id}), and the path's arguments."""
    parts = path.strip("/").split("/")
    found = []
    for index, read in enumerate(READS):
        route = read.path.strip("/").split("/")
        if len(route) != len(parts) or read.raw:
            continue
        if all(r.startswith("{") or r == p for r, p in zip(route, parts, strict=True)):
            fixed = sum(not r.startswith("{") for r in route)
            args = tuple(p for r, p in zip(route, parts, strict=True) if r.startswith("{"))
            found.append((-fixed, index, args))
    assert found, f"no read has the route {path}"
    _, index, args = min(found)
    return READS[index], args


class NodeRoutes:
    """Mixed into a fake transport: GETs become calls of its methods."""

    def get(self, path: str, query: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> Any:
        read, args = read_of(path)
        wire = {w: n for n, w in read.params.items()}
        given = {wire[k]: v for k, v in (query or {}).items()
                 if not (read.items and k in PAGING)}
        return getattr(self, read.name)(*args, **given)
