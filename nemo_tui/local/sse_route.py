"""``POST /run_sse`` of the local backend: runs one agent turn and streams it as SSE (§5).

The agent runs in its own task feeding a queue, so a client that disconnects (or a ``drop``
fault) does not stop the work: the draft is applied to the session when the turn finishes,
before the stream's end is sent, as a real backend keeps working after a dropped stream.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request

from nemo_tui.local import agent as agent_mod
from nemo_tui.local.agent import Say, TurnContext, Wait
from nemo_tui.local.faults import DropConnection, StreamKit, fault_stream
from nemo_tui.local.generated import add_to_session
from nemo_tui.local.server import (
    Backend,
    Denied,
    _json_body,
    backend_of,
    fail,
    new_rng,
    turn_function,
)
from nemo_tui.local.streaming import END_OF_TURN, NO_STEP, EventEncoder, TurnStream

SSE_HEADERS = [(b"content-type", b"text/event-stream; charset=utf-8"),
               (b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no")]


class SSEResponse:
    """An ASGI response streaming frames; stops when the client leaves.

    ``DropConnection`` from the frames ends the ASGI call without finishing the chunked body,
    so the server closes the TCP connection mid-stream (what a crashed proxy looks like).
    """

    def __init__(self, frames: AsyncIterator[bytes]) -> None:
        self.frames = frames

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        """Send the headers, then each frame as it comes."""
        await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        watcher = asyncio.ensure_future(watch())
        it = self.frames.__aiter__()
        try:
            while True:
                nxt = asyncio.ensure_future(it.__anext__())
                done, _ = await asyncio.wait({nxt, watcher},
                                             return_when=asyncio.FIRST_COMPLETED)
                if nxt not in done:  # the client went away
                    nxt.cancel()
                    await asyncio.gather(nxt, return_exceptions=True)
                    return
                try:
                    frame = nxt.result()
                except StopAsyncIteration:
                    break
                except DropConnection:
                    return
                await send({"type": "http.response.body", "body": frame, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            watcher.cancel()
            aclose = getattr(it, "aclose", None)
            if aclose is not None:
                await aclose()


def _message_text(body: dict[str, Any]) -> str:
    msg = body.get("new_message") or body.get("newMessage") or {}
    parts = msg.get("parts") if isinstance(msg, dict) else None
    if not isinstance(parts, list):
        return ""
    return "".join(p.get("text", "") for p in parts if isinstance(p, dict)
                   and isinstance(p.get("text"), str))


class Turn:
    """One agent turn of a session: runs the agent, applies its draft, feeds a step queue."""

    def __init__(self, be: Backend, session: dict[str, Any], message: str,
                 base_url: str = "") -> None:
        self.be = be
        self.base_url = base_url  # of the cdn_url of what the turn generates
        self.sid = session["session_id"]
        self.user_id = session["user_id"]
        self.message = message
        self.queue: asyncio.Queue = asyncio.Queue()
        store = be.store
        self.ctx = TurnContext(
            draft=copy.deepcopy(session["state"].get("draft")),
            uploads=copy.deepcopy(session["state"].get("video_infos", [])),
            generated=copy.deepcopy(session["state"].get("generated_media") or []),
            charge=lambda n: store.charge(self.user_id, n),
            freeze=lambda n: store.freeze(self.user_id, n),
            unfreeze=lambda n: store.unfreeze(self.user_id, n),
            rng=new_rng(session),
            options=dict(be.agent_options),
        )
        if hasattr(self.ctx, "available"):
            self.ctx.available = lambda: store.credits(self.user_id)["available"]

    def start(self) -> asyncio.Queue:
        """Start the agent task; returns the queue its steps arrive on."""
        task = asyncio.get_running_loop().create_task(self._run(), name=f"turn {self.sid}")
        self.be.turn_tasks.add(task)
        task.add_done_callback(self.be.turn_tasks.discard)
        return self.queue

    async def _run(self) -> None:
        scale = float(self.be.opt("wait_scale", 1.0))
        try:
            async for step in turn_function(self.be)(self.ctx, self.message):
                await self.queue.put(step)
                if isinstance(step, Wait):
                    await asyncio.sleep(max(0.0, float(step.seconds) * scale))
        except Exception as exc:  # noqa: BLE001 - a tool failure is an in-stream error, not a 500
            await self.queue.put(exc)
        finally:
            self._apply()
            await self.queue.put(END_OF_TURN)

    def _apply(self) -> None:
        # Re-read: uploads may have landed while the agent was working.
        session = self.be.store.get_session(self.sid)
        if session is None:
            return
        session["state"]["draft"] = self.ctx.draft
        known = {i.get("filename") for i in session["state"]["video_infos"]}
        session["state"]["video_infos"] += [u for u in self.ctx.uploads
                                            if u.get("filename") not in known]
        made = [g for g in self.ctx.generated if "_source" in g]  # what this turn generated
        if made:
            add_to_session(session, made, self.base_url)
        session["turns"] = session.get("turns", 0) + 1
        self.be.store.save_session(session)


async def _first_step(queue: asyncio.Queue, timeout: float) -> tuple[Any, asyncio.Future | None]:
    """(first step, None) if it comes within ``timeout``, else (NO_STEP, the pending get)."""
    getter = asyncio.ensure_future(queue.get())
    done, _ = await asyncio.wait({getter}, timeout=timeout)
    return (getter.result(), None) if done else (NO_STEP, getter)


def _runs_agent(rule: dict[str, Any]) -> bool:
    """Whether a fault rule's stream includes the real turn (so the agent's work happens)."""
    variant = rule.get("stream")
    if variant in ("heartbeats_only", "in_stream_error"):
        return False
    return not (variant == "stall" and rule.get("then") != "turn")


async def run_sse(request: Request) -> Any:
    """POST /run_sse: one chat turn as Server-Sent Events."""
    be = backend_of(request)
    rec, rule = await be.guard(request, "run_sse")
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise Denied(fail(400, "the body must be a JSON object", 400))
    sid = body.get("session_id") or body.get("sessionId")
    if not isinstance(sid, (str, int)):
        raise Denied(fail(1002, "session not found", 404))
    session = be.session_or_404(str(sid), rec)
    message = _message_text(body)
    base_url = str(request.base_url)
    streaming = body.get("streaming") is True
    encoder = EventEncoder(str(be.opt("event_style", "adk")))
    heartbeat = float(be.opt("heartbeat_interval", 5.0))
    hb_form = str(be.opt("heartbeat_form", "comment"))
    chunks = int(be.opt("chunks", 4))

    def stream(**kw: Any) -> TurnStream:
        return TurnStream(encoder, streaming=streaming, heartbeat=heartbeat,
                          heartbeat_form=hb_form, chunks=chunks, **kw)

    started: list[tuple[asyncio.Queue, Any, asyncio.Future | None]] = []
    if rule is None or _runs_agent(rule):
        # The agent refuses a paid step before its first event: wait briefly for that first
        # step so the refusal can still be an HTTP 2001 instead of an in-stream error.
        queue = Turn(be, session, message, base_url).start()
        first, getter = await _first_step(queue, heartbeat)
        out_of_credits = getattr(agent_mod, "OutOfCredits", None)
        if out_of_credits is not None and isinstance(first, out_of_credits):
            raise Denied(fail(2001, f"insufficient credits: {first}", 400))
        started.append((queue, first, getter))

    def turn(**kw: Any) -> AsyncIterator[bytes]:
        if started:  # the turn already running for this request
            queue, first, getter = started.pop()
            return stream(**kw).frames(queue, first=first, getter=getter)
        return stream(**kw).frames(Turn(be, session, message, base_url).start())

    if rule is None or not rule.get("stream"):
        return SSEResponse(turn())

    def say(text: str) -> list[bytes]:
        ts = stream()
        return ts.frames_for(Say(text)) + ts.frames_for(Wait(0))

    probe = stream()
    kit = StreamKit(encoder=encoder, streaming=streaming, heartbeat=heartbeat,
                    hb_frame=probe.hb_frame, turn=turn, say=say)
    return SSEResponse(fault_stream(rule, kit))
