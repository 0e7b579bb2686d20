"""Render polling support for `NemoClient`: a cap on polls in flight, and wakeable pauses.

Many watched renders share one client: the cap keeps the connection pool small and spreads the
polls, and a pause between polls can be ended early when this client itself changed the render
(a cancel), so a watcher that has slowed down notices at once. No Textual, no Rich.
"""

from __future__ import annotations

import asyncio


def _resolve(fut: asyncio.Future[bool], value: bool) -> None:
    """Complete a pause unless it is already complete or cancelled."""
    if not fut.done():
        fut.set_result(value)


class PollGate:
    """The polls of one client: at most `limit` in flight, and per-render wakeable pauses."""

    def __init__(self, limit: int) -> None:
        """Nothing is bound to an event loop until first use (a client may outlive a loop)."""
        self.limit = limit
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: dict[str, set[asyncio.Future[bool]]] = {}

    def slots(self) -> asyncio.Semaphore:
        """The semaphore to hold while a poll is in flight, bound to the running loop."""
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:
            self._slots = asyncio.Semaphore(self.limit)
            self._loop = loop
        return self._slots

    async def pause(self, render_id: str, seconds: float) -> bool:
        """Wait up to `seconds`; True when `wake(render_id)` ended the wait early."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[bool] = loop.create_future()
        waiters = self._waiters.setdefault(render_id, set())
        waiters.add(fut)
        # a bare timer and future: as cheap as asyncio.sleep (no task per pause)
        timer = loop.call_later(max(0.0, seconds), _resolve, fut, False)
        try:
            return await fut
        finally:
            timer.cancel()
            waiters.discard(fut)
            if not waiters:
                self._waiters.pop(render_id, None)

    def wake(self, render_id: str) -> None:
        """End every pause of this render now."""
        for fut in list(self._waiters.get(render_id, ())):
            _resolve(fut, True)
