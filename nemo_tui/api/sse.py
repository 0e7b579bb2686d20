"""Turn decoded Server-Sent Events of ``/run_sse`` into ``TurnEvent`` objects (pure, no I/O).

`TurnParser` takes the (event name, data) pairs an SSE decoder produces and applies every rule
of PROTOCOL.md §5: ADK events (camelCase or snake_case), the simplified ``{"type": …}`` form,
heartbeats in all their shapes, the three in-stream error forms and no-text turns. It never raises
on input: unknown fields are ignored and malformed JSON is skipped, so it can be fuzzed and fed
recorded bytes (`decode_sse_text` splits raw text into pairs the same way httpx-sse does).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from nemo_tui.api.models import (
    Heartbeat,
    StreamError,
    TextChunk,
    TextFinal,
    ToolCall,
    ToolResult,
    TurnEnd,
    TurnEndReason,
    TurnEvent,
)

#: ADK's errorCode for a model turn that produced nothing: a no-text turn, not a failure.
NO_CONTENT_CODES = frozenset({"MODEL_RETURNED_NO_CONTENT"})

_HEARTBEAT = Heartbeat()


def _get(obj: dict[str, Any], *names: str) -> Any:
    """The first present key among camelCase / snake_case spellings."""
    for name in names:
        if name in obj:
            return obj[name]
    return None


def _text_of(value: Any) -> str:
    """Error payloads may be strings or objects; make them one line of text."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("message", "errorMessage", "error_message", "detail", "error"):
            inner = value.get(key)
            if isinstance(inner, str) and inner:
                return inner
    if value is None:
        return ""
    try:
        return json.dumps(value, ensure_ascii=False)[:500]
    except (TypeError, ValueError):
        return str(value)[:500]


class TurnParser:
    """Stateful parser for one chat turn; `feed` each SSE event, then call `end` once."""

    def __init__(self) -> None:
        """Start an empty turn."""
        self._chunks: list[str] = []  # partial text since the last TextFinal
        self._seen_calls: set[Any] = set()
        self._seen_results: set[Any] = set()
        self._had_text = False
        self._had_error = False
        self._no_content = False
        # An ADK tool error arrives twice (errorCode event, then a bare {"error": …}); the second
        # is swallowed when it directly follows the first.
        self._error_just_shown = False

    @property
    def had_text(self) -> bool:
        """True once a non-empty message text was produced (chunks count once finalized)."""
        return self._had_text or any(self._chunks)

    @property
    def had_error(self) -> bool:
        """True when an in-stream error was reported in this turn."""
        return self._had_error

    # ---- input ---------------------------------------------------------------------------

    def feed(self, event: str, data: str) -> list[TurnEvent]:
        """Parse one SSE event (its ``event:`` name and joined ``data:`` lines)."""
        name = (event or "").strip().lower()
        if name == "heartbeat" or name == "ping":
            return [_HEARTBEAT]
        stripped = data.strip() if data else ""
        if not stripped:
            return [_HEARTBEAT]
        try:
            obj = json.loads(stripped)
        except (ValueError, RecursionError):
            if name == "error":  # `event: error` with a plain-text payload
                return self._error(stripped[:500], None)
            return []  # malformed line: skipped, never fatal
        if not isinstance(obj, dict):
            return [_HEARTBEAT] if obj is None else []
        if name == "error" and "error" not in obj:
            return self._error(_text_of(obj) or "The server reported an error.", None)
        try:
            return self._feed_obj(obj)
        except (TypeError, ValueError, AttributeError, RecursionError):
            return []  # a shape nobody expected: ignore it rather than break the turn

    def end(self, reason: TurnEndReason | None = None) -> list[TurnEvent]:
        """Finish the turn: flush unfinalized chunks, then exactly one `TurnEnd`."""
        out: list[TurnEvent] = self._flush()
        if reason is None:
            if self._had_error:
                reason = "error"
            elif self._had_text:
                reason = "complete"
            else:
                reason = "no_text"
        out.append(TurnEnd(reason=reason, had_text=self._had_text))
        return out

    # ---- internals -----------------------------------------------------------------------

    def _flush(self) -> list[TurnEvent]:
        """Chunks that never got their final event become the final text themselves."""
        if not self._chunks:
            return []
        text = "".join(self._chunks)
        self._chunks = []
        if not text.strip():
            return []
        self._had_text = True
        return [TextFinal(text)]

    def _error(self, message: str, code: str | None) -> list[TurnEvent]:
        self._had_error = True
        self._error_just_shown = True
        out = self._flush()
        out.append(StreamError(message=message or "The server reported an error.", code=code))
        return out

    def _feed_obj(self, obj: dict[str, Any]) -> list[TurnEvent]:
        kind = obj.get("type")
        if isinstance(kind, str) and not isinstance(obj.get("content"), dict):
            simple = self._feed_simple(obj, kind)
            if simple is not None:
                return simple

        code = _get(obj, "errorCode", "error_code")
        message = _get(obj, "errorMessage", "error_message")
        if code is not None or message is not None:
            code_text = str(code) if code is not None else None
            if code_text in NO_CONTENT_CODES:
                self._no_content = True
                self._error_just_shown = False
                return self._flush()
            return self._error(_text_of(message) or (code_text or ""), code_text)
        if "error" in obj and obj["error"] not in (None, "", {}):
            if self._error_just_shown:
                self._error_just_shown = False
                return []
            return self._error(_text_of(obj["error"]), None)

        content = obj.get("content")
        parts = content.get("parts") if isinstance(content, dict) else None
        if not isinstance(parts, list) or not parts:
            return [_HEARTBEAT]  # content-less event (state delta, empty final chunk…)

        self._error_just_shown = False
        partial = obj.get("partial") is True
        role = content.get("role")
        author = obj.get("author")
        event_id = obj.get("id")
        texts: list[str] = []
        tools: list[TurnEvent] = []
        for part in parts:
            if not isinstance(part, dict):
                continue
            text = part.get("text")
            if isinstance(text, str) and not part.get("thought"):
                texts.append(text)
            call = _get(part, "functionCall", "function_call")
            if isinstance(call, dict):
                tools.extend(self._tool_call(call, event_id))
            resp = _get(part, "functionResponse", "function_response")
            if isinstance(resp, dict):
                tools.extend(self._tool_result(resp))

        out: list[TurnEvent] = []
        text = "".join(texts)
        if role == "user":
            text = ""  # function responses come as role "user"; never echo user text as agent text
        if author == "system" and text.lstrip().startswith("Error:"):
            out.extend(self._error(text.lstrip()[len("Error:"):].strip(), "system"))
        elif partial:
            if text:
                self._chunks.append(text)
                out.append(TextChunk(text))
        elif text.strip():
            self._chunks = []  # the final text replaces the chunks shown so far
            self._had_text = True
            out.append(TextFinal(text))
        else:
            out.extend(self._flush())
        out.extend(tools)
        if not out:
            out.append(_HEARTBEAT)
        return out

    def _tool_call(self, call: dict[str, Any], event_id: Any) -> list[TurnEvent]:
        """Yield a call once per call id (streaming repeats it in the final event)."""
        call_id = call.get("id")
        name = call.get("name")
        args = call.get("args")
        if not isinstance(args, dict):
            args = {}
        if isinstance(call_id, str) and call_id:
            key: Any = ("id", call_id)
        else:
            call_id = None
            key = ("anon", str(event_id), str(name), json.dumps(args, sort_keys=True, default=str))
        if key in self._seen_calls:
            return []
        self._seen_calls.add(key)
        return [ToolCall(name=str(name) if name is not None else "tool", call_id=call_id, args=args)]

    def _tool_result(self, resp: dict[str, Any]) -> list[TurnEvent]:
        call_id = resp.get("id")
        name = resp.get("name")
        if isinstance(call_id, str) and call_id:
            if call_id in self._seen_results:
                return []
            self._seen_results.add(call_id)
        else:
            call_id = None
        return [ToolResult(name=str(name) if name is not None else "tool", call_id=call_id,
                           result=resp.get("response"))]

    def _feed_simple(self, obj: dict[str, Any], kind: str) -> list[TurnEvent] | None:
        """The simplified form; None means "not simplified after all, parse as ADK"."""
        if kind == "heartbeat":
            return [_HEARTBEAT]
        if kind == "text":
            self._error_just_shown = False
            content = obj.get("content", obj.get("text"))
            text = content if isinstance(content, str) else ""
            if obj.get("partial") is True:
                if not text:
                    return [_HEARTBEAT]
                self._chunks.append(text)
                return [TextChunk(text)]
            if not text.strip():
                return self._flush() or [_HEARTBEAT]
            self._chunks = []
            self._had_text = True
            return [TextFinal(text)]
        if kind == "tool_call":
            self._error_just_shown = False
            return self._flush() + self._tool_call(obj, obj.get("id"))
        if kind == "tool_result":
            self._error_just_shown = False
            result = {"id": obj.get("id"), "name": obj.get("name"),
                      "response": obj.get("result", obj.get("response"))}
            return self._flush() + self._tool_result(result)
        if kind == "error":
            return self._error(_text_of(obj.get("message", obj.get("error"))), None)
        if kind in ("done", "end", "turn_complete", "complete"):
            return [_HEARTBEAT]
        return None


def decode_sse_text(text: str) -> Iterator[tuple[str, str]]:
    """Split raw SSE text into (event, data) pairs; comment lines are skipped (spec rules)."""
    event = ""
    data: list[str] = []
    dirty = False
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for line in lines:
        if not line:
            if dirty:
                yield event, "\n".join(data)
            event, data, dirty = "", [], False
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            event, dirty = value, True
        elif field == "data":
            data.append(value)
            dirty = True
        elif field in ("id", "retry"):
            dirty = True
    # An event not terminated by a blank line is dropped, as the SSE spec requires.


def parse_sse_bytes(raw: bytes) -> list[TurnEvent]:
    """Parse a whole recorded stream (invalid UTF-8 replaced) into its events and `TurnEnd`."""
    parser = TurnParser()
    out: list[TurnEvent] = []
    for event, data in decode_sse_text(raw.decode("utf-8", errors="replace")):
        out.extend(parser.feed(event, data))
    out.extend(parser.end())
    return out
