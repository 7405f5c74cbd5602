"""Running a light node: `claimledger-node run --member ADDRESS --home DIR`.

The home holds a light node.toml (node/light/config.py), the network's genesis.json and
the member's key store. The key signs the light node's read requests to its upstream
nodes (every read is signed by the member whose records it asks for); it is unsealed at
start with the passphrase from node.toml's passphrase_file, $CLAIMLEDGER_PASSPHRASE or a
prompt, and kept in memory only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from aiohttp import web

from contracts.identity import KeyPair
from node.light.api import make_light_app
from node.light.config import LightSettings
from node.light.service import LightNode
from node.light.store import LightStore
from node.light.trust import genesis_of
from node.light.upstream import Upstream

log = logging.getLogger("claimledger.light")
STORE_DIR = "light"


async def serve_light(settings: LightSettings, key: KeyPair, member: bytes | None = None
                      ) -> None:
    """Follow the chain and serve the wallet of `member` (the address `key` signs for;
    the key's own when not given) until SIGTERM or SIGINT."""
    member = key.address if member is None else member
    genesis = genesis_of(settings.genesis)
    store = LightStore(settings.data_dir / STORE_DIR)
    upstream = Upstream(settings.upstream, key, genesis.chain_id)
    try:
        light = LightNode(store, upstream, genesis, member, settings.poll_ms)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, light.stop)
        runner = web.AppRunner(make_light_app(light), access_log=None)
        await runner.setup()
        host, _, port = settings.api.rpartition(":")
        await web.TCPSite(runner, host, int(port)).start()
        log.info("light node of member %s on http://%s, trusting genesis %s, asking %s",
                 member.hex(), settings.api, genesis.block_id.hex(),
                 ", ".join(settings.upstream))
        try:
            await light.run()
        finally:
            with contextlib.suppress(Exception):
                await runner.cleanup()
    finally:
        await upstream.close()
        store.close()
