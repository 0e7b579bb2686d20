"""Agent steps -> Server-Sent Events, in Google ADK's event format (or the simplified form).

PROTOCOL.md §5: camelCase ADK events with ``id``/``timestamp``/``invocationId``/``author``/
``actions``; with ``streaming`` every model message is N ``partial`` chunks sharing the final
event's ``id``, then the non-partial event with the whole text (and the function call, which
also appeared in a partial event); function responses have ``role: "user"``; the last event has
``turnComplete``. Heartbeats are SSE comment lines (or other documented forms) whenever nothing
happened for ``heartbeat`` seconds, e.g. during the agent's ``Wait`` steps.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from nemo_tui.local.agent import Call, Result, Say, Wait

AUTHOR = "nemo_agent"
MODEL_VERSION = "nemo-local-1"
HEARTBEAT_FORMS = {
    "comment": b": heartbeat\n\n",
    "event": b"event: heartbeat\ndata: {}\n\n",
    "empty_data": b"data: \n\n",
    "json": b'data: {"type":"heartbeat"}\n\n',
}
_END = object()
NO_STEP = object()  # "no step yet": nothing to replay in TurnStream.frames


def sse_data(obj: Any) -> bytes:
    """One SSE ``data:`` frame holding compact UTF-8 JSON (control characters stay escaped)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return b"data: " + text.encode("utf-8", "surrogatepass") + b"\n\n"


def chunk_text(text: str, pieces: int = 4) -> list[str]:
    """Split text into a few chunks at arbitrary points (markup may be cut, as with real models)."""
    if len(text) <= 1:
        return [text]
    n = max(1, min(pieces, len(text)))
    size = -(-len(text) // n)
    return [text[i:i + size] for i in range(0, len(text), size)]


class EventEncoder:
    """Builds the JSON objects of one turn, ADK style (``"adk"``) or simplified (``"simple"``)."""

    def __init__(self, style: str = "adk", author: str = AUTHOR) -> None:
        self.style = style
        self.author = author
        self.invocation_id = "e-" + str(uuid.uuid4())

    def base(self, event_id: str | None = None) -> dict[str, Any]:
        """Fields every ADK event carries."""
        return {"invocationId": self.invocation_id, "author": self.author,
                "actions": {"stateDelta": {}, "artifactDelta": {}, "requestedAuthConfigs": {},
                            "requestedToolConfirmations": {}},
                "id": event_id or str(uuid.uuid4()), "timestamp": time.time()}

    def model(self, parts: list[dict[str, Any]], *, event_id: str, partial: bool = False,
              turn_complete: bool = False, finished: bool | None = None) -> dict[str, Any]:
        """A model event: text and/or function-call parts.

        ``finished`` adds ``finishReason``/``usageMetadata`` (default: on non-partial events);
        ADK may already put them on the last partial chunk, where only ``partial`` tells.
        """
        ev: dict[str, Any] = {"modelVersion": MODEL_VERSION,
                              "content": {"parts": parts, "role": "model"}}
        if partial:
            ev["partial"] = True
        if turn_complete:
            ev["turnComplete"] = True
        if (not partial) if finished is None else finished:
            chars = sum(len(p.get("text", "")) for p in parts)
            ev["finishReason"] = "STOP"
            ev["usageMetadata"] = {"candidatesTokenCount": max(1, chars // 4),
                                   "promptTokenCount": 100,
                                   "totalTokenCount": 100 + max(1, chars // 4)}
        ev.update(self.base(event_id))
        return ev

    def function_response(self, name: str, response: dict[str, Any], call_id: str) -> dict:
        """A tool result event (ADK puts these under role ``user``)."""
        ev = {"content": {"parts": [{"functionResponse": {"id": call_id, "name": name,
                                                           "response": response}}],
                          "role": "user"}}
        ev.update(self.base())
        return ev

    def error(self, code: str, message: str) -> dict[str, Any]:
        """An in-stream error event (``errorCode`` / ``errorMessage``)."""
        ev: dict[str, Any] = {"errorCode": code, "errorMessage": message}
        ev.update(self.base())
        return ev

    def turn_end(self) -> dict[str, Any]:
        """A content-less closing event, when the last real event was not a model message."""
        ev: dict[str, Any] = {"turnComplete": True}
        ev.update(self.base())
        return ev


class TurnStream:
    """Turns a queue of agent steps into SSE frames with heartbeats and partial chunks."""

    def __init__(self, encoder: EventEncoder, *, streaming: bool, heartbeat: float,
                 heartbeat_form: str = "comment", drop_text: bool = False,
                 end: str = "normal", chunks: int = 4) -> None:
        self.enc = encoder
        self.streaming = streaming
        self.heartbeat = heartbeat
        self.hb_frame = HEARTBEAT_FORMS.get(heartbeat_form, HEARTBEAT_FORMS["comment"])
        if encoder.style == "simple":
            self.hb_frame = HEARTBEAT_FORMS["json"]
        self.drop_text = drop_text
        self.end = end  # "normal" | "partial_empty" | "no_content_error"
        self.chunks = chunks
        self._pending_text: str | None = None
        self._pending_id = ""

    def _say(self, text: str) -> list[bytes]:
        out = self._flush()
        if self.enc.style == "simple":
            return out + [sse_data({"type": "text", "content": text})]
        self._pending_id = str(uuid.uuid4())
        self._pending_text = text
        if self.streaming:
            pieces = chunk_text(text, self.chunks)
            out += [sse_data(self.enc.model([{"text": c}], event_id=self._pending_id,
                                            partial=True, finished=i == len(pieces) - 1))
                    for i, c in enumerate(pieces)]
        return out

    def _call(self, step: Call) -> list[bytes]:
        if self.enc.style == "simple":
            return self._flush() + [sse_data({"type": "tool_call", "name": step.name,
                                              "args": step.args})]
        call = {"functionCall": {"id": step.call_id, "args": step.args, "name": step.name}}
        event_id = self._pending_id if self._pending_text is not None else str(uuid.uuid4())
        parts = ([{"text": self._pending_text}] if self._pending_text is not None else []) + [call]
        self._pending_text = None
        out = []
        if self.streaming:
            out.append(sse_data(self.enc.model([call], event_id=event_id, partial=True)))
        out.append(sse_data(self.enc.model(parts, event_id=event_id)))
        return out

    def _result(self, step: Result) -> list[bytes]:
        if self.enc.style == "simple":
            return self._flush() + [sse_data({"type": "tool_result", "name": step.name,
                                              "result": step.response})]
        return self._flush() + [sse_data(self.enc.function_response(
            step.name, step.response, step.call_id))]

    def _flush(self, last: bool = False) -> list[bytes]:
        if self._pending_text is None:
            return []
        text, self._pending_text = self._pending_text, None
        return [sse_data(self.enc.model([{"text": text}], event_id=self._pending_id,
                                        turn_complete=last))]

    def _finish(self) -> list[bytes]:
        if self.enc.style == "simple":
            return []
        if self.end == "partial_empty":
            return [sse_data(self.enc.model([], event_id=str(uuid.uuid4()), partial=True))]
        if self.end == "no_content_error":
            return [sse_data(self.enc.error("MODEL_RETURNED_NO_CONTENT",
                                            "The model returned no content."))]
        if self._pending_text is not None:
            return self._flush(last=True)
        return [sse_data(self.enc.turn_end())]

    def frames_for(self, step: Any) -> list[bytes]:
        """SSE frames for one agent step (``Wait`` flushes the pending message)."""
        if isinstance(step, Say):
            return [] if self.drop_text else self._say(step.text)
        if isinstance(step, Call):
            return self._call(step)
        if isinstance(step, Result):
            return self._result(step)
        if isinstance(step, Wait):
            return self._flush()
        return []

    async def frames(self, queue: asyncio.Queue, first: Any = NO_STEP,
                     getter: asyncio.Future | None = None) -> AsyncIterator[bytes]:
        """Frames for the steps arriving on ``queue`` until its end marker, with heartbeats.

        ``first`` is a step already taken off the queue (handled before the others);
        ``getter`` a pending ``queue.get()`` to keep waiting on.
        """
        try:
            while True:
                if first is not NO_STEP:
                    step, first = first, NO_STEP
                else:
                    getter = getter or asyncio.ensure_future(queue.get())
                    done, _ = await asyncio.wait({getter}, timeout=self.heartbeat)
                    if not done:
                        yield self.hb_frame
                        continue
                    step, getter = getter.result(), None
                if step is _END:
                    break
                if isinstance(step, BaseException):
                    for frame in self._flush():
                        yield frame
                    yield sse_data(self.enc.error(type(step).__name__, str(step)))
                    yield sse_data({"error": str(step), "error_details": {}})
                    return
                for frame in self.frames_for(step):
                    yield frame
            for frame in self._finish():
                yield frame
        finally:
            if getter is not None:
                getter.cancel()


END_OF_TURN = _END
