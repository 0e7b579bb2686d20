"""The timing side of one chat turn: read an open SSE response, feed `TurnParser`, keep time.

A reader task pulls events off the socket into a small queue; the consumer waits on the queue
with deadlines, so "still working", heartbeat-only and hard limits fire even when the server only
sends SSE comments (which never surface as events). Closing or cancelling the iterator cancels
the reader at once; the caller then closes the HTTP response.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from httpx_sse import EventSource

from nemo_tui.api.envelope import ApiFailure, unwrap
from nemo_tui.api.errors import ProtocolError, StreamDroppedError
from nemo_tui.api.models import Heartbeat, StillWorking, Token, TurnEvent
from nemo_tui.api.sse import TurnParser

if TYPE_CHECKING:
    from nemo_tui.api.client import NemoClient

_EOF = object()
_NOT_RESENT = ("The message was not re-sent. Check the state to see whether the edit was "
               "applied.")


@dataclass(frozen=True)
class TurnTiming:
    """The deadlines of one turn, in seconds (see ClientConfig)."""

    still_working_after: float
    heartbeat_only_limit: float
    turn_limit: float
    stream_read_timeout: float


def dropped_error(exc: BaseException, read_timeout: float) -> StreamDroppedError:
    """The user-facing error for a stream that broke after it started."""
    if isinstance(exc, httpx.TimeoutException):
        return StreamDroppedError(
            f"The server sent nothing for {read_timeout:g} seconds, so the connection was "
            f"closed. {_NOT_RESENT}"
        )
    return StreamDroppedError(f"The connection was lost during the reply. {_NOT_RESENT}")


async def open_turn(client: NemoClient, body: dict[str, Any], token: Token,
                    timeout: httpx.Timeout) -> tuple[httpx.Response, Any] | ApiFailure:
    """POST /run_sse; the open event stream (with its exit stack), or why it was refused."""
    stack = contextlib.AsyncExitStack()
    headers = client.headers(token)
    headers.update({"Accept": "text/event-stream", "Cache-Control": "no-store"})
    try:
        resp = await stack.enter_async_context(client.http.stream(
            "POST", f"{client.api_url}/run_sse", json=body, headers=headers, timeout=timeout))
        ctype = resp.headers.get("content-type", "")
        if resp.status_code == 200 and "text/event-stream" in ctype:
            return resp, stack  # the caller now owns the stack (and closes it)
        raw = await resp.aread()
    except httpx.TransportError as exc:
        await stack.aclose()
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
            raise client.network_error(exc, "POST") from None
        raise StreamDroppedError(
            "The connection was lost before the reply started. The message was not "
            "re-sent. Check the state to see whether the edit was applied.") from None
    except BaseException:
        await stack.aclose()
        raise
    await stack.aclose()
    if resp.status_code == 404:
        return ApiFailure(1002, 404)  # ADK's answer for a missing session
    try:
        unwrap(resp.status_code, raw, ctype, resp.headers.get("retry-after"))
    except ApiFailure as f:
        return f
    raise ProtocolError("The server answered the chat request without an event stream. "
                        "Check the API URL.")


async def _read(response: httpx.Response, queue: asyncio.Queue[object]) -> None:
    """Reader task: every decoded SSE event, then _EOF, or the exception that ended it."""
    try:
        async for sse in EventSource(response).aiter_sse():
            await queue.put(sse)
    except Exception as exc:  # noqa: BLE001 - handed to the consumer, which decides what it means
        await queue.put(exc)
        return
    await queue.put(_EOF)


async def next_item(queue: asyncio.Queue[object], wait: float) -> object:
    """The queue's next item, or TimeoutError after ``wait`` seconds.

    Not ``asyncio.wait_for``: on Python 3.11 it returns the item and swallows a cancellation
    that lands as the item arrives (Ctrl+C during a heartbeat went unheard for the whole turn).
    """
    async with asyncio.timeout(wait):
        return await queue.get()


async def run_turn(response: httpx.Response, timing: TurnTiming) -> AsyncIterator[TurnEvent]:
    """Yield the turn's events; always ends with one TurnEnd unless it raises."""
    parser = TurnParser()
    queue: asyncio.Queue[object] = asyncio.Queue(maxsize=256)
    reader = asyncio.create_task(_read(response, queue))
    loop = asyncio.get_running_loop()
    start = loop.time()
    last_visible = start
    next_still = start + timing.still_working_after
    hard = start + timing.turn_limit
    try:
        while True:
            now = loop.time()
            if now >= hard or now - last_visible >= timing.heartbeat_only_limit:
                for event in parser.end("timeout"):
                    yield event
                return
            if now >= next_still:
                yield StillWorking(seconds=round(now - last_visible, 3))
                next_still = now + timing.still_working_after
                continue
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                wait = min(hard, last_visible + timing.heartbeat_only_limit, next_still) - now
                try:
                    item = await next_item(queue, max(wait, 0.0))
                except TimeoutError:
                    continue
            if item is _EOF:
                for event in parser.end():
                    yield event
                return
            if isinstance(item, (httpx.TransportError, httpx.StreamError)):
                raise dropped_error(item, timing.stream_read_timeout) from None
            if isinstance(item, BaseException):
                raise item
            events = parser.feed(item.event, item.data)  # type: ignore[attr-defined]
            now = loop.time()
            for event in events:
                if not isinstance(event, Heartbeat):
                    last_visible = now
                    next_still = now + timing.still_working_after
                yield event
    finally:
        reader.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait({reader})
