"""The wallet's light client: headers followed from the genesis block id, kept in a file.

The wallet trusts one thing it was told out of band: the genesis block id, which the
member reads from its own copy of the network (`claimledger-node genesis-id`) and gives
once (`claimledger-wallet trust ID`). From there it accepts each later header only with
a commit certificate of the validator set the header before announced
(contracts.proofs.advance), so a node that answers it can withhold headers but not forge
one.

What it has verified is kept in a small file beside the key store (`trust_file`): the
genesis block id, the last verified header (its canonical bytes) and the validator
powers in force at the next height. It holds nothing secret; a file that does not decode,
or whose parts do not fit together, is refused (`wallet.bad_trust_file`) rather than
trusted. Each use advances it from where it stopped, so a verification checks only the
headers that are new since the last one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, Protocol

from contracts.blocks import Header, block_id, validators_hash
from contracts.codec import decode, encode
from contracts.errors import CodecError, LedgerError
from contracts.proofs import ProofError, Trusted, advance, certified_from_bytes, trust_genesis
from wallet.files import write_private

TRUST_FORMAT = "claimledger-light/1"
HEADERS_PAGE = 1000  # the most headers GET /v1/headers gives at once


class Headers(Protocol):
    """What the light client asks of a node: the client library (wallet/sdk.py)."""

    def genesis_header(self) -> dict: ...

    def headers(self, from_height: int, limit: int) -> dict: ...


@dataclass(frozen=True)
class Light:
    """A light client's state: the genesis block id it trusts and where it has got to."""

    genesis_id: bytes
    trusted: Trusted


def trust_file(key_path: Path) -> Path:
    """Where the wallet of the key store `key_path` keeps its light client state: beside
    it (supplier.json: supplier.light.json)."""
    return key_path.with_name(key_path.stem + ".light.json")


def _bad(path: Path, why: str) -> LedgerError:
    return LedgerError("wallet.bad_trust_file",
                       f"{path} is not a light client file ({why}); remove it and run "
                       "`claimledger-wallet trust GENESIS_BLOCK_ID` again")


def read_light(path: Path) -> Light | None:
    """The light client state kept at `path`, or None when there is no file yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as e:
        raise _bad(path, f"unreadable: {e}") from None
    try:
        raw = json.loads(text)
        if raw.get("format") != TRUST_FORMAT:
            raise ValueError("another format")
        genesis_id = bytes.fromhex(raw["genesis_id"])
        header = decode(Header, bytes.fromhex(raw["header"]))
        validators = {bytes.fromhex(v["key"]): int(v["power"]) for v in raw["validators"]}
    except (ValueError, KeyError, TypeError, AttributeError, CodecError) as e:
        raise _bad(path, f"it does not decode: {e}") from None
    if len(genesis_id) != 32:
        raise _bad(path, "the genesis block id is not 32 bytes")
    if header.height == 0 and block_id(header) != genesis_id:
        raise _bad(path, "its genesis header is not the trusted genesis block")
    try:
        fits = validators_hash(validators) == header.next_validators_hash
    except CodecError:
        fits = False
    if not fits:
        raise _bad(path, "its validator set is not the one its header announces")
    return Light(genesis_id, Trusted(header.chain_id, header.height, header, validators))


def write_light(path: Path, light: Light) -> None:
    """Keep `light` at `path`, replacing the file whole."""
    t = light.trusted
    document = {
        "format": TRUST_FORMAT,
        "chain_id": t.chain_id,
        "genesis_id": light.genesis_id.hex(),
        "height": t.height,
        "block_id": block_id(t.header).hex(),
        "header": encode(t.header).hex(),
        "validators": [{"key": k.hex(), "power": p} for k, p in sorted(t.validators.items())],
    }
    write_private(path, (json.dumps(document, indent=2) + "\n").encode())


def _powers(view: Any) -> dict[bytes, int] | None:
    """A validator set as the API writes it ([{key, power}], or null)."""
    if view is None:
        return None
    try:
        return {bytes.fromhex(v["key"]): int(v["power"]) for v in view}
    except (ValueError, KeyError, TypeError) as e:
        raise ProofError("proof.malformed", f"the node's validator set does not decode: "
                         f"{e}") from None


def _header(view: dict) -> Header:
    try:
        return decode(Header, bytes.fromhex(view["header_bytes"]))
    except (ValueError, KeyError, TypeError, CodecError) as e:
        raise ProofError("proof.malformed", f"the node's header does not decode: {e}") from None


def start(client: Headers, genesis_id: bytes) -> Light:
    """A light client that trusts `genesis_id`: the node's genesis header is checked
    against it (`proof.wrong_chain` when it is another network's) with the validator
    sets it names."""
    view = client.genesis_header()
    trusted = trust_genesis(genesis_id, _header(view), _powers(view.get("validators")) or {},
                            _powers(view.get("next_validators")))
    return Light(genesis_id, trusted)


class Follower:
    """Advances a light client state along the node's headers and saves it (`path`;
    None: kept in memory only, as the client library does). `checked` counts the headers
    it verified."""

    def __init__(self, client: Headers, path: Path | None, light: Light) -> None:
        self.client, self.path, self.light = client, path, light
        self.checked = 0

    @property
    def trusted(self) -> Trusted:
        return self.light.trusted

    def advance_to(self, height: int) -> Trusted:
        """Verify every header after the trusted one up to `height`, save the result, and
        return it; `ProofError` at the first header that does not verify (nothing after
        the last good header is kept)."""
        trusted = self.trusted
        try:
            # Each page moves at least one height, or the node is refused: a bound.
            while trusted.height < height:
                page = self.client.headers(trusted.height + 1,
                                           min(HEADERS_PAGE, height - trusted.height))
                views = page.get("headers") if isinstance(page, dict) else None
                if not views:
                    raise ProofError("proof.not_next", f"the node gave no header after "
                                     f"height {trusted.height}")
                for view in views:
                    try:
                        certified = certified_from_bytes(bytes.fromhex(view["header_bytes"]),
                                                         bytes.fromhex(view["certificate"]))
                    except (ValueError, KeyError, TypeError) as e:
                        raise ProofError("proof.malformed",
                                         f"the node's header does not decode: {e}") from None
                    trusted = advance(trusted, certified, _powers(view.get("next_validators")))
                    self.checked += 1
                    if trusted.height == height:
                        break
        finally:
            if trusted.height > self.trusted.height:
                self.light = Light(self.light.genesis_id, trusted)
                if self.path is not None:
                    write_light(self.path, self.light)
        return trusted

    def header_at(self, height: int) -> Header:
        """The verified header of `height`: followed up to it, or, below the trusted
        height, linked to the trusted header by the hash chain (each header names its
        parent's block id)."""
        if height >= self.trusted.height:
            return self.advance_to(height).header
        below = self.trusted.height - height
        if below > HEADERS_PAGE:
            raise ProofError("proof.not_next", f"the node answers at height {height}, "
                             f"{below} below the header this wallet verified; use a node "
                             "that is not behind")
        views = self.client.headers(height, below).get("headers") or []
        found = [_header(v) for v in views]
        chain = [*found, self.trusted.header]
        if len(found) != below or any(h.height != height + i for i, h in enumerate(found)) \
                or any(block_id(a) != b.prev_hash for a, b in pairwise(chain)):
            raise ProofError("proof.not_next", f"the headers from height {height} do not "
                             "lead to the header this wallet verified")
        return found[0]
