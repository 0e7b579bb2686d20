"""Fault injection for the local backend: rules, canned error replies, broken SSE streams.

A rule is a dict (ARCHITECTURE.md): ``{"endpoint": NAME, "times": 1, ...}`` plus one of

- ``"code": 1001|1002|2001|4001|4002`` - an error envelope (HTTP status from ``"http"`` or a fitting
  default: 401, 404, 400, 400, 413); a 1001 also revokes the token that was presented;
- ``"http": 400|402|403|404|429|500|502|503`` (``"retry_after": s`` adds ``Retry-After``);
- ``"body": "malformed_json"|"json_array"|"html"`` (HTTP ``"http"`` or 200);
- for ``run_sse``: ``"stream": VARIANT`` (see ``STREAM_VARIANTS``; options ``seconds``,
  ``after_events``, ``error_form``, ``message``, ``size``, ``kind``, ``then``);
- for ``render_poll``: ``"status": "failed"|"processing"|…`` (``"error"``, ``"progress"``) answers
  that status instead of the job's real one (a stuck or failing render; ``"progress": "advance"``
  gives a new progress on every poll of a job: news each time); ``"without_url": true``
  leaves the download URL out of a completed reply (a render that finishes without a link);
- for ``file`` / ``render_download``: ``"cut_after_bytes": n`` closes the connection mid-body
  (after hanging ``"stall"`` seconds, if given: a download in progress); ``"redirect": "loop"``
  answers 302 to the same file, and keeps doing so for every request that follows the loop
  (one rule is an endless redirect loop).

``"message"`` replaces the text of a ``code`` / ``http`` reply (e.g. ``"no such endpoint"``).

Common keys: ``times`` (default 1; -1 or null = forever), ``skip`` (let that many matching
requests through first), ``delay`` (seconds to wait before answering).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse, Response

from nemo_tui.local.streaming import EventEncoder, sse_data

ENDPOINTS = frozenset({
    "anonymous_token", "create_session", "run_sse", "upload", "credits", "state",
    "render_start", "render_poll", "render_cancel", "render_download", "file",
})
STREAM_VARIANTS = frozenset({
    "no_text", "no_text_partial_empty", "no_content_error", "heartbeats_only",
    "in_stream_error", "drop", "stall", "malformed_lines", "huge_event", "invalid_utf8",
    "hostile_text",
})
HTTP_FOR_CODE = {1001: 401, 1002: 404, 2001: 400, 4001: 400, 4002: 413}
MESSAGES = {
    1001: "invalid or expired token", 1002: "session not found", 2001: "insufficient credits",
    4001: "unsupported file format", 4002: "file too large (max 200 MB)",
    400: "missing X-Client-Id", 402: "export requires a paid plan", 403: "token lacks scope",
    404: "not found", 429: "rate limited", 500: "internal server error", 502: "bad gateway",
    503: "service unavailable",
}
HOSTILE_TEXT = (
    "Styled [bold red]not markup[/bold red] [link=https://evil.example]x[/link] "
    "\x1b[31mred\x1b[0m \x1b[2J\x1b]8;;https://evil.example\x07link\x1b]8;;\x07 "
    "\x1b]52;c;ZXZpbA==\x07 c1:\x9b31m bidi:\u202eevil\u202c \u2066iso\u2069 nul:\x00 "
    "del:\x7f bell:\x07 end"
)


class DropConnection(Exception):
    """Raised inside a response body to close the TCP connection abruptly mid-stream."""


def validate_rule(rule: Any) -> dict[str, Any]:
    """Check one rule's shape; returns a normalized copy or raises ValueError."""
    if not isinstance(rule, dict):
        raise TypeError("a fault rule must be an object")
    endpoint = rule.get("endpoint")
    if endpoint not in ENDPOINTS:
        raise ValueError(f"unknown fault endpoint {endpoint!r}; one of {sorted(ENDPOINTS)}")
    stream = rule.get("stream")
    if stream is not None and stream not in STREAM_VARIANTS:
        raise ValueError(f"unknown stream variant {stream!r}; one of {sorted(STREAM_VARIANTS)}")
    out = dict(rule)
    out.setdefault("times", 1)
    out.setdefault("skip", 0)
    return out


class FaultBook:
    """The active rules; thread-safe (tests add rules from their own thread)."""

    def __init__(self, rules: list[dict[str, Any]] | None = None) -> None:
        self._lock = threading.Lock()
        self._rules: list[dict[str, Any]] = []
        self.add(rules or [])

    def add(self, rules: list[dict[str, Any]]) -> None:
        """Add rules (validated first: all or nothing)."""
        checked = [validate_rule(r) for r in rules]
        with self._lock:
            self._rules.extend(checked)

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def active(self) -> list[dict[str, Any]]:
        """A copy of the rules still armed."""
        with self._lock:
            return [dict(r) for r in self._rules]

    def take(self, endpoint: str) -> dict[str, Any] | None:
        """The first armed rule for ``endpoint`` (consuming one of its ``times``), else None."""
        with self._lock:
            for rule in self._rules:
                if rule["endpoint"] != endpoint:
                    continue
                if rule["skip"] > 0:
                    rule["skip"] -= 1
                    return None
                times = rule["times"]
                if times is not None and times >= 0:
                    rule["times"] = times - 1
                    if rule["times"] <= 0:
                        self._rules.remove(rule)
                return dict(rule)
        return None


def generic_response(rule: dict[str, Any]) -> Response | None:
    """The canned reply of a ``code`` / ``http`` / ``body`` rule, or None for other kinds."""
    headers = {}
    if rule.get("retry_after") is not None:
        headers["Retry-After"] = str(rule["retry_after"])
    body = rule.get("body")
    if body is not None:
        status = int(rule.get("http") or 200)
        if body == "html":
            return Response("<html><body><h1>502 Bad Gateway</h1></body></html>", status,
                            headers, media_type="text/html")
        text = '{"code": 0, "data": {"tok' if body == "malformed_json" else "[1, 2, 3]"
        return Response(text, status, headers, media_type="application/json")
    if rule.get("code") is not None:
        code = int(rule["code"])
        status = int(rule.get("http") or HTTP_FOR_CODE.get(code, 400))
        return JSONResponse({"code": code, "message": rule.get("message") or MESSAGES.get(
            code, "error"), "data": None}, status, headers)
    if rule.get("http") is not None:
        status = int(rule["http"])
        return JSONResponse({"code": status, "message": rule.get("message") or MESSAGES.get(
            status, "error")}, status, headers)
    return None


@dataclass
class StreamKit:
    """What a broken-stream variant may use: the turn's encoder and a way to run the real turn."""

    encoder: EventEncoder
    streaming: bool
    heartbeat: float
    hb_frame: bytes
    turn: Callable[..., AsyncIterator[bytes]]   # turn(drop_text=False, end="normal")
    say: Callable[[str], list[bytes]]           # frames of one whole message


async def _heartbeats(kit: StreamKit, seconds: float) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        await asyncio.sleep(min(kit.heartbeat, left))
        yield kit.hb_frame


def _error_frames(kit: StreamKit, form: str, message: str) -> list[bytes]:
    if form == "legacy":
        return [sse_data({"error": message})]
    if form == "system":
        ev = {"content": {"parts": [{"text": f"Error: {message}"}], "role": "model"}}
        ev.update(kit.encoder.base())
        ev["author"] = "system"
        return [sse_data(ev)]
    return [sse_data(kit.encoder.error("RuntimeError", message)),
            sse_data({"error": message, "error_details": {"type": "RuntimeError"}})]


async def fault_stream(rule: dict[str, Any], kit: StreamKit) -> AsyncIterator[bytes]:
    """The SSE frames of a ``run_sse`` stream variant (may raise ``DropConnection``)."""
    variant = rule["stream"]
    if variant == "no_text":
        async for f in kit.turn(drop_text=True):
            yield f
    elif variant == "no_text_partial_empty":
        async for f in kit.turn(drop_text=True, end="partial_empty"):
            yield f
    elif variant == "no_content_error":
        async for f in kit.turn(drop_text=True, end="no_content_error"):
            yield f
    elif variant == "heartbeats_only":
        async for f in _heartbeats(kit, float(rule.get("seconds", 1.0))):
            yield f
    elif variant == "stall":
        await asyncio.sleep(float(rule.get("seconds", 2.0)))
        if rule.get("then") == "turn":
            async for f in kit.turn():
                yield f
    elif variant == "in_stream_error":
        for f in kit.say(str(rule.get("text", "Let me work on that."))):
            yield f
        message = str(rule.get("message", "Tool generate_video failed: upstream timeout"))
        for f in _error_frames(kit, str(rule.get("error_form", "adk")), message):
            yield f
    elif variant == "drop":
        left = int(rule.get("after_events", 2))
        async for f in kit.turn():
            if left <= 0:
                raise DropConnection()
            yield f
            left -= f.startswith(b"data:")
        raise DropConnection()
    else:
        for f in _prefix_frames(variant, rule, kit):
            yield f
        async for f in kit.turn():
            yield f


def _prefix_frames(variant: str, rule: dict[str, Any], kit: StreamKit) -> list[bytes]:
    """Odd frames sent before an otherwise normal turn."""
    if variant == "malformed_lines":
        return [b"data: {not json\n\n", b"data: [1, 2, 3]\n\n", b'data: "a string"\n\n',
                b"event: mystery\ndata: {}\n\n", b"id: 42\nretry: soon\n\n",
                b"no colon line\n\n", b'data: {"content": {"parts": "oops"}}\n\n',
                b'data: {"content": {"parts": [{"unknownPart": 1}], "role": "model"}}\n\n',
                b": comment\n\n"]
    if variant == "huge_event":
        size = int(rule.get("size", 5 * 1024 * 1024))
        if rule.get("kind") == "text":
            return kit.say("x" * size)
        ev = {"content": {"parts": [{"text": "(a very large event)"}], "role": "model"},
              "customMetadata": {"blob": "y" * size}}
        ev.update(kit.encoder.base())
        return [sse_data(ev)]
    if variant == "invalid_utf8":
        ev = json.dumps({"content": {"parts": [{"text": "bad bytes: @@"}], "role": "model"}})
        return [b"data: " + ev.encode().replace(b"@@", b"\xff\xfe\xc3(") + b"\n\n"]
    if variant == "hostile_text":
        return kit.say(str(rule.get("text", HOSTILE_TEXT)))
    return []
