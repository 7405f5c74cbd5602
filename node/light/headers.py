"""Following the chain: certified headers from the trusted height on, each verified with
contracts.proofs before it is stored.

A page of headers (GET /v1/headers) is checked header by header: the next one must name
the last trusted header as its parent, be finalised by more than 2/3 of the power of
the set its parent announced, and, when it announces another set, come with that set
(`next_validators`), which must hash to what it announces. The headers that pass are
stored with the trust point that accepts them; the first that fails stops the page with
its code (`proof.*`), and the light node asks again later, of another upstream.
"""

from __future__ import annotations

from typing import Any

from contracts.errors import LedgerError
from contracts.proofs import ProofError, Trusted, advance, certified_from_bytes
from node.light.store import LightStore, StoredHeader, TrustPoint, Verified, powers_tuple
from node.light.upstream import Upstream, UpstreamError

PAGE_HEADERS = 500
MAX_PAGES = 10_000  # a bound on one catch-up: 5 million headers


def parse_powers(view: Any) -> dict[bytes, int] | None:
    """A validator set as /v1/headers writes it ([{key, power}]; null: unchanged)."""
    if view is None:
        return None
    try:
        powers = {bytes.fromhex(v["key"]): int(v["power"]) for v in view}
    except (TypeError, ValueError, KeyError) as e:
        raise ProofError("proof.malformed", f"not a validator set: {e}") from None
    if len(powers) != len(view):
        raise ProofError("proof.malformed", "a validator set names a key twice")
    return powers


def verified_page(trusted: Trusted, views: list[Any]
                  ) -> tuple[Trusted, list[StoredHeader], LedgerError | None]:
    """The headers of a page that verify, in order, the trust after the last of them, and
    the refusal of the first that does not (None when all do)."""
    accepted: list[StoredHeader] = []
    for view in views:
        try:
            if not isinstance(view, dict):
                raise ProofError("proof.malformed", "a header entry is not an object")
            certified = certified_from_bytes(bytes.fromhex(str(view["header_bytes"])),
                                             bytes.fromhex(str(view["certificate"])))
            trusted = advance(trusted, certified, parse_powers(view.get("next_validators")))
        except (KeyError, ValueError) as e:
            return trusted, accepted, ProofError("proof.malformed",
                                                 f"not a certified header: {e}")
        except ProofError as e:
            return trusted, accepted, e
        accepted.append(StoredHeader(certified.header, certified.certificate))
    return trusted, accepted, None


async def follow(upstream: Upstream, store: LightStore, trusted: Trusted,
                 upto: int | None = None) -> Trusted:
    """Verify and store headers from `trusted` on, up to the upstream's head (or to
    `upto`, when that is reached first); the new trust. Raises the refusal of a header
    that fails, after storing those before it."""
    for _ in range(MAX_PAGES):
        if upto is not None and trusted.height >= upto:
            return trusted
        try:
            answer = await upstream.get("/v1/headers", **{"from": trusted.height + 1,
                                                          "limit": PAGE_HEADERS})
        except UpstreamError as e:
            if e.code == "not_found":  # no header above ours yet
                return trusted
            raise
        views = answer.get("headers") if isinstance(answer, dict) else None
        if not isinstance(views, list):
            raise ProofError("proof.malformed", "the headers answer has no list of headers")
        trusted, accepted, refused = verified_page(trusted, views)
        if accepted:
            store.write(Verified(headers=tuple(accepted),
                                 trust=TrustPoint(trusted.height,
                                                  powers_tuple(dict(trusted.validators)))))
        if refused is not None:
            raise refused
        if not views:
            return trusted
    return trusted
