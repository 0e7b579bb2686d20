"""Keep-alive: watched renders keep polling on the same connection, counted at the server."""

from __future__ import annotations

import asyncio
import uuid

from nemo_tui.api.client import KEEPALIVE_EXPIRY, ClientConfig, NemoClient
from nemo_tui.jobs import IDLE_MAX
from nemo_tui.local.runner import KEEP_ALIVE_SECONDS

DRAFT = {"d": 600_000, "m": {"title": "Long", "width": 160, "height": 90},
         "t": [{"tt": 0, "sg": [{"s": 0, "d": 600_000, "m": {"name": "long clip"}}]}]}
#: Beyond uvicorn's and httpx's default keep-alive (5 s): what the slowed-down polls of the
#: many-renders benchmark waited, and each such poll opened a new connection.
SPACING = 5.6


def test_keep_alive_order():
    """The client drops an idle connection after the longest poll pause and before the server
    would (so it never sends on a connection the server is closing)."""
    assert IDLE_MAX < KEEPALIVE_EXPIRY < KEEP_ALIVE_SECONDS


async def test_polls_spaced_beyond_five_seconds_reuse_one_connection(local_backend):
    """Three polls 5.6 s apart arrive on one connection (same client port at the server)."""
    config = ClientConfig(api_url=local_backend.url, client_id=str(uuid.uuid4()))
    async with NemoClient(config) as client:
        await client.ensure_session()
        render = await client.start_render(DRAFT)
        await client.poll_render(render.id)
        for _ in range(2):
            await asyncio.sleep(SPACING)  # the scenario itself: an idle pause between polls
            await client.poll_render(render.id)
    ports = [r["client_port"] for r in local_backend.requests()
             if r.get("endpoint") == "render_poll"]
    assert len(ports) == 3 and None not in ports
    assert len(set(ports)) == 1, ports  # one connection, not one per poll
