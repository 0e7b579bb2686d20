"""Fault matrix, client layer: every endpoint fault and stream fault against the local backend.

One table per kind of fault. Each row names the endpoint, the injected rule, what the user sees
(error type + words of the message, or the recovered result) and how many requests reached the
endpoint (POSTs are never repeated blindly; GETs are retried). Rows already proven elsewhere are
listed in docs/RELIABILITY.md with their tests and not repeated here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from nemo_tui.api import ClientConfig, NemoClient
from nemo_tui.api import errors as E
from nemo_tui.api import models as m

DRAFT = {"d": 2000, "m": {"title": "T", "width": 320, "height": 180},
         "t": [{"tt": 0, "sg": [{"s": 0, "d": 2000, "m": {"name": "clip"}}]}]}


@pytest.fixture(scope="module")
def shared_backend(tmp_path_factory):
    """One fast backend for every row of this module (starting one per row costs seconds)."""
    from nemo_tui.local.runner import LocalBackend

    be = LocalBackend(tmp_path_factory.mktemp("backend"),
                      server_options={"heartbeat_interval": 0.2, "wait_scale": 0.01,
                                      "free_credits": 100_000,
                                      "enforce_token_rate_limit": False},
                      render_options={"scale": 0.1, "max_concurrent": 1})
    be.start()
    yield be
    be.stop()


class Window:
    """The shared backend seen from one row: only the requests made since the row began."""

    def __init__(self, be) -> None:
        self._be = be
        self.url = be.url
        self._skip = len(be.requests())

    def add_faults(self, rules: list[dict]) -> None:
        self._be.add_faults(rules)

    def requests(self) -> list[dict]:
        return self._be.requests()[self._skip:]


@pytest.fixture
def backend(shared_backend):
    """The shared backend with no faults armed, and a request log that starts now."""
    shared_backend.clear_faults()
    yield Window(shared_backend)
    shared_backend.clear_faults()


def make_client(url: str, **kw: Any) -> NemoClient:
    """A client with tiny delays so retries and waits cost milliseconds."""
    extra = {k: kw.pop(k) for k in list(kw) if k in ("on_client_id_changed",)}
    cfg = ClientConfig(api_url=url, client_id=str(uuid.uuid4()), retry_base_delay=0.01,
                       rate_limit_delay=0.05, **kw)
    return NemoClient(cfg, **extra)


def hits(backend, endpoint: str) -> int:
    """How many requests reached `endpoint` (fault replies included)."""
    return sum(1 for r in backend.requests() if r.get("endpoint") == endpoint)


async def _upload(c: NemoClient, tmp) -> Any:
    clip = tmp / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    return await c.upload_files([clip])


async def _turn(c: NemoClient, _tmp) -> list[m.TurnEvent]:
    return [ev async for ev in c.stream_turn("make a video about rain")]


ACTIONS = {
    "anonymous_token": lambda c, t: c.ensure_token(),
    "create_session": lambda c, t: c.create_session(),
    "credits": lambda c, t: c.credits(),
    "state": lambda c, t: c.state(),
    "upload": _upload,
    "render_start": lambda c, t: c.start_render(DRAFT),
    "run_sse": _turn,
}


@dataclass
class Row:
    """One fault-matrix row: inject `rule` on `endpoint`, run the endpoint's action."""

    id: str
    endpoint: str
    rule: dict[str, Any]
    error: type[Exception] | None = None  # None: the client recovered and returned a result
    words: tuple[str, ...] = ()
    requests: int | None = None  # requests that reached the endpoint
    env_token: bool = False
    cfg: dict[str, Any] = field(default_factory=dict)


ROWS = [
    # 1001: one re-auth with a fresh anonymous token, then a clear stop
    Row("1001-recovers", "credits", {"code": 1001}, requests=2),
    Row("1001-twice-stops", "credits", {"code": 1001, "times": 2}, E.AuthError,
        ("anonymous token",), requests=2),
    Row("1001-env-token-stops", "credits", {"code": 1001}, E.AuthError,
        ("NEMO_TOKEN is invalid or expired",), requests=1, env_token=True),
    Row("401-on-post-recovers", "render_start", {"http": 401}, requests=2),
    # 1002 / 404: a new session, the request goes once more
    Row("1002-state-new-session", "state", {"code": 1002}, requests=2),
    Row("1002-twice-stops", "state", {"code": 1002, "times": 2}, E.SessionNotFoundError,
        ("--new-session",), requests=2),
    # 2001: register link with bind=<anon user id>
    Row("2001-anonymous", "render_start", {"code": 2001}, E.NoCreditsError,
        ("/register?bind=anon_",), requests=1),
    Row("2001-registered", "credits", {"code": 2001}, E.NoCreditsError,
        ("Top up credits",), requests=1, env_token=True),
    Row("4001-upload", "upload", {"code": 4001}, E.UnsupportedFileError,
        ("mp4", "webm", "png", "m4a"), requests=1),
    Row("4002-upload", "upload", {"code": 4002}, E.FileTooLargeError,
        ("200 MB", "Compress or trim"), requests=1),
    # 400: a new client id, retried once (persisted via on_client_id_changed, checked below)
    Row("400-client-id", "credits", {"http": 400}, requests=2),
    Row("400-client-id-twice", "create_session", {"http": 400, "times": 2},
        E.MissingClientIdError, ("X-Client-Id",), requests=2),
    Row("402-export", "render_start", {"http": 402}, E.ExportBlockedError,
        ("Register or upgrade your plan to unlock export",), requests=1),
    Row("403-render", "render_start", {"http": 403}, E.ForbiddenError,
        ("'render' scope", "export videos"), requests=1),
    Row("403-upload", "upload", {"http": 403}, E.ForbiddenError, ("'upload' scope",),
        requests=1),
    # 429: one wait (Retry-After or the configured default), then again
    Row("429-retry-after", "credits", {"http": 429, "retry_after": 0.05}, requests=2),
    Row("429-no-retry-after", "anonymous_token", {"http": 429}, requests=2),
    Row("429-twice", "credits", {"http": 429, "times": 2, "retry_after": 0.01},
        E.RateLimitedError, ("rate-limiting",), requests=2),
    Row("429-too-long-to-wait", "credits", {"http": 429, "retry_after": 3600},
        E.RateLimitedError, ("3600 seconds",), requests=1),
    # 5xx: GETs retried with backoff and jitter; POSTs never repeated blindly
    Row("500-get-retried", "credits", {"http": 500, "times": 2}, requests=3),
    Row("502-get-retried", "state", {"http": 502}, requests=2),
    Row("503-get-gives-up", "credits", {"http": 503, "times": -1}, E.ServerError,
        ("HTTP 503", "Try again"), requests=4),
    Row("500-post-once", "render_start", {"http": 500}, E.ServerError, ("HTTP 500",),
        requests=1),
    Row("502-post-once", "create_session", {"http": 502}, E.ServerError, ("HTTP 502",),
        requests=1),
    Row("503-upload-once", "upload", {"http": 503}, E.ServerError, ("HTTP 503",), requests=1),
    Row("503-run-sse-once", "run_sse", {"http": 503}, E.ServerError, ("HTTP 503",),
        requests=1),
    # broken bodies: a clear protocol message, never a crash or a traceback
    Row("malformed-json", "credits", {"body": "malformed_json"}, E.ProtocolError,
        ("not valid JSON",), requests=1),
    Row("json-array", "state", {"body": "json_array"}, E.ProtocolError, ("JSON list",),
        requests=1),
    Row("json-array-token", "anonymous_token", {"body": "json_array"}, E.ProtocolError,
        ("JSON list",), requests=1),
    Row("html-200", "render_start", {"body": "html"}, E.ProtocolError, ("HTML page",),
        requests=1),
    Row("html-502-get-retried", "credits", {"body": "html", "http": 502}, requests=2),
    Row("html-502-post", "render_start", {"body": "html", "http": 502}, E.ServerError,
        ("HTTP 502",), requests=1),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
async def test_endpoint_fault_row(row: Row, backend, tmp_path):
    """Inject the row's fault; the user sees the promised outcome, requests counted."""
    env_token = None
    if row.env_token:
        async with httpx.AsyncClient() as h:
            minted = await h.post(f"{backend.url}/_local/tokens", json={})
        env_token = minted.json()["data"]["token"]
    new_ids: list[str] = []
    async with make_client(backend.url, env_token=env_token,
                           on_client_id_changed=new_ids.append, **row.cfg) as c:
        if row.endpoint != "anonymous_token":
            await c.ensure_token()
        if row.endpoint not in ("create_session", "anonymous_token"):
            await c.ensure_session()
        first_session = c.session
        first_id = c.client_id
        backend.add_faults([{"endpoint": row.endpoint, **row.rule}])
        if row.error is None:
            result = await ACTIONS[row.endpoint](c, tmp_path)
            assert result is not None
            if row.id.startswith("1002"):
                assert c.session != first_session  # a new session was made and used
            if row.id.startswith("400-client-id"):
                assert new_ids == [c.client_id] and c.client_id != first_id
                sent = [r for r in backend.requests() if r.get("endpoint") == row.endpoint]
                assert sent[-1]["headers"]["x-client-id"] == c.client_id
        else:
            with pytest.raises(row.error) as info:
                await ACTIONS[row.endpoint](c, tmp_path)
            text = str(info.value)
            for word in row.words:
                assert word in text
            if env_token:
                assert env_token not in text and env_token not in repr(info.value)
            assert "Traceback" not in text and "\n" not in text
        if row.requests is not None:
            assert hits(backend, row.endpoint) == row.requests


# -- streams ---------------------------------------------------------------------------------

FAST_TURN = {"still_working_after": 0.3, "heartbeat_only_limit": 1.0, "turn_limit": 30,
             "stream_read_timeout": 0.6}


@dataclass
class StreamRow:
    """One stream fault: the events the user sees, or the error that ends the turn."""

    id: str
    rule: dict[str, Any]
    end: str | None = None  # TurnEnd.reason expected
    error: type[Exception] | None = None
    words: tuple[str, ...] = ()
    sees: type | None = None  # an event type that must appear
    text_has: str | None = None  # a fragment of the final text


STREAM_ROWS = [
    StreamRow("reset-mid-stream", {"stream": "drop", "after_events": 2}, error=E.StreamDroppedError,
              words=("connection was lost", "not re-sent")),
    StreamRow("reset-before-first-event", {"stream": "drop", "after_events": 0},
              error=E.StreamDroppedError, words=("not re-sent",)),
    StreamRow("stall-no-bytes", {"stream": "stall", "seconds": 5}, error=E.StreamDroppedError,
              words=("sent nothing for 0.6 seconds", "not re-sent")),
    StreamRow("heartbeats-only", {"stream": "heartbeats_only", "seconds": 5}, end="timeout",
              sees=m.StillWorking),
    StreamRow("malformed-sse-lines", {"stream": "malformed_lines"}, end="complete",
              text_has=""),
    StreamRow("5mb-single-event", {"stream": "huge_event"}, end="complete",
              text_has="(a very large event)"),
    StreamRow("5mb-single-text", {"stream": "huge_event", "kind": "text"}, end="complete",
              text_has="x" * 1000),
    StreamRow("invalid-utf8", {"stream": "invalid_utf8"}, end="complete", text_has="bad bytes"),
    StreamRow("in-stream-error-adk", {"stream": "in_stream_error", "error_form": "adk"},
              end="error", sees=m.StreamError, words=("upstream timeout",)),
    StreamRow("in-stream-error-legacy", {"stream": "in_stream_error", "error_form": "legacy"},
              end="error", sees=m.StreamError, words=("upstream timeout",)),
    StreamRow("in-stream-error-system", {"stream": "in_stream_error", "error_form": "system"},
              end="error", sees=m.StreamError, words=("upstream timeout",)),
    StreamRow("no-text-turn", {"stream": "no_text"}, end="no_text"),
    StreamRow("1002-before-stream", {"code": 1002}, end="complete", sees=m.SessionReplaced),
    StreamRow("404-before-stream", {"http": 404}, end="complete", sees=m.SessionReplaced),
]


@pytest.mark.parametrize("row", STREAM_ROWS, ids=[r.id for r in STREAM_ROWS])
async def test_stream_fault_row(row: StreamRow, backend):
    """The turn ends as promised, the message is never re-sent, and the session stays usable."""
    async with make_client(backend.url, token_streaming=True, **FAST_TURN) as c:
        await c.ensure_session()
        backend.add_faults([{"endpoint": "run_sse", **row.rule}])
        events: list[m.TurnEvent] = []
        if row.error is not None:
            with pytest.raises(row.error) as info:
                async for ev in c.stream_turn("make a video about rain"):
                    events.append(ev)
            for word in row.words:
                assert word in str(info.value)
            assert hits(backend, "run_sse") == 1  # never re-sent by itself
        else:
            events = [ev async for ev in c.stream_turn("make a video about rain")]
            ends = [e for e in events if isinstance(e, m.TurnEnd)]
            assert len(ends) == 1 and events[-1] is ends[0] and ends[0].reason == row.end
            expected_sends = 2 if row.sees is m.SessionReplaced else 1
            assert hits(backend, "run_sse") == expected_sends
        if row.sees is not None:
            seen = [e for e in events if isinstance(e, row.sees)]
            assert seen
            if row.sees is m.StreamError:
                for word in row.words:
                    assert word in seen[0].message
        if row.text_has is not None:
            finals = "".join(e.text for e in events if isinstance(e, m.TextFinal))
            assert finals and row.text_has in finals
        # the session stays usable: state answers and a normal turn completes
        state = await c.state()
        assert state.session_id == c.session.session_id
        after = [ev async for ev in c.stream_turn("again")]
        assert isinstance(after[-1], m.TurnEnd) and after[-1].reason == "complete"
