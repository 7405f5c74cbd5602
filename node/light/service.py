"""The light node's work loop: follow headers, then sync its member's part, every poll.

A round that fails (an upstream unreachable, or an answer refused with its `proof.*`
code) changes nothing that was not verified; the light node logs the code, keeps it as
`last_refusal` for /v1/status, turns to the next upstream and tries again at the next
poll. It never moves back: a header is stored only above the trusted height, a record
only over one proven at a lower height.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from contracts.errors import LedgerError
from contracts.proofs import Trusted
from node.light.headers import follow
from node.light.member import sync_member
from node.light.store import LightStore
from node.light.trust import Genesis, open_trust
from node.light.upstream import Upstream

log = logging.getLogger("claimledger.light")


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    upstream: str
    at_ms: int


class LightNode:
    """A member's light node over its store, asking `upstream`."""

    def __init__(self, store: LightStore, upstream: Upstream, genesis: Genesis,
                 member: bytes, poll_ms: int) -> None:
        self.store = store
        self.upstream = upstream
        self.genesis = genesis
        self.member = member
        self.poll_ms = poll_ms
        self.trusted: Trusted = open_trust(store, genesis)
        self.last_refusal: Refusal | None = None
        self.rounds = 0
        self._stop = asyncio.Event()
        self._lock = asyncio.Lock()  # one round at a time

    def stop(self) -> None:
        self._stop.set()

    async def ensure_height(self, height: int) -> int:
        """Follow headers up to `height` at least (when the upstream has them); the
        trusted height after."""
        if height > self.trusted.height:
            self.trusted = await follow(self.upstream, self.store, self.trusted, upto=height)
        return self.trusted.height

    async def sync_round(self) -> None:
        """One round: headers to the upstream's head, then the member's part. Raises
        what refused it."""
        async with self._lock:
            self.trusted = await follow(self.upstream, self.store, self.trusted)
            work = await sync_member(self.store, self.upstream, self.ensure_height,
                                     self.member)
            if work is not None:
                self.store.write(work)
            self.rounds += 1

    async def run(self) -> None:
        """Rounds every poll until stopped."""
        while not self._stop.is_set():
            try:
                await self.sync_round()
            except LedgerError as e:
                self.last_refusal = Refusal(e.code, e.message, self.upstream.url,
                                            time.time_ns() // 1_000_000)
                log.warning("refused an answer of %s: %s: %s", self.upstream.url, e.code,
                            e.message, extra={"code": e.code})
                self.upstream.rotate()
            # The poll interval, or less when the node is stopped meanwhile.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.poll_ms / 1000)
