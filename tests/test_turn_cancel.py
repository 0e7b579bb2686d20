"""A cancelled turn stops, even when the cancellation lands as an event arrives."""

from __future__ import annotations

import asyncio

import pytest

from nemo_tui.api.turn import next_item


async def test_cancel_is_not_swallowed_when_an_event_arrives_at_the_same_moment():
    """Ctrl+C (a task cancel) during a heartbeat: the consumer is cancelled, not handed the
    heartbeat (asyncio.wait_for on Python 3.11 handed it over and forgot the cancel)."""
    queue: asyncio.Queue[object] = asyncio.Queue()
    consumer = asyncio.create_task(next_item(queue, 30))
    while not queue._getters:  # the consumer now waits in queue.get()
        await asyncio.sleep(0)
    queue.put_nowait("heartbeat")  # wakes the getter ...
    consumer.cancel()  # ... and the cancel lands in the same loop turn
    with pytest.raises(asyncio.CancelledError):
        await consumer
    assert queue.get_nowait() == "heartbeat"  # not taken by the cancelled consumer


async def test_next_item_gives_the_item_or_times_out():
    queue: asyncio.Queue[object] = asyncio.Queue()
    queue.put_nowait("event")
    assert await next_item(queue, 5) == "event"
    with pytest.raises(TimeoutError):
        await next_item(queue, 0.01)
