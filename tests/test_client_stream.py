"""NemoClient.stream_turn against the local backend: events, recoveries, timing, drops."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from nemo_tui.api import (
    ClientConfig,
    Heartbeat,
    NemoClient,
    NoCreditsError,
    SessionReplaced,
    StillWorking,
    StreamDroppedError,
    StreamError,
    TextChunk,
    TextFinal,
    ToolCall,
    ToolResult,
    TurnEnd,
)
from nemo_tui.local.agent import Call, Result, Say, Wait

MESSAGE = "make a video of the sea"
FIRST = "Sure — building your video."
LAST = "Done! Your video is ready."


async def scripted_turn(ctx, message):
    """A fixed agent turn, so these tests do not depend on the studio agent's wording."""
    yield Say(FIRST)
    yield Call("generate_video_with_seedance", {"prompt": message}, "c1")
    yield Wait(0.01)
    ctx.draft = {"d": 1000, "t": [{"tt": 0, "sg": [{"d": 1000, "m": {"name": message}}]}]}
    yield Result("generate_video_with_seedance", {"status": "ok"}, "c1")
    yield Say(LAST)


@pytest.fixture
def backend(make_local_backend):
    return make_local_backend(server_options={"turn_fn": scripted_turn})


def make_client(url: str, **kw) -> NemoClient:
    extra = {k: kw.pop(k) for k in list(kw) if k in ("http", "on_session_changed")}
    cfg = ClientConfig(api_url=url, client_id=str(uuid.uuid4()), retry_base_delay=0.01, **kw)
    return NemoClient(cfg, **extra)


@pytest.fixture
async def client(backend):
    c = make_client(backend.url, token_streaming=True)
    yield c
    await c.aclose()


async def turn(client: NemoClient, message: str = MESSAGE) -> list:
    return [e async for e in client.stream_turn(message)]


def visible(events: list) -> list:
    return [e for e in events if not isinstance(e, Heartbeat)]


def run_sse_requests(backend) -> list[dict]:
    return [r for r in backend.requests() if r["endpoint"] == "run_sse"]


def assert_one_turn_end(events: list) -> TurnEnd:
    assert sum(isinstance(e, TurnEnd) for e in events) == 1
    assert isinstance(events[-1], TurnEnd)
    return events[-1]


async def test_streamed_turn_shows_text_once_and_tools(client, backend):
    events = visible(await turn(client))
    chunks = [e.text for e in events if isinstance(e, TextChunk)]
    finals = [e.text for e in events if isinstance(e, TextFinal)]
    assert len(chunks) > 2 and finals == [FIRST, LAST] and "".join(chunks) == FIRST + LAST
    assert assert_one_turn_end(events) == TurnEnd("complete", True)
    # the call arrives twice (partial + final event) but is yielded once
    assert [type(e) for e in events if isinstance(e, (ToolCall, ToolResult))] == [
        ToolCall, ToolResult]
    [req] = run_sse_requests(backend)
    assert req["json"] == {"app_name": "nemo_agent", "user_id": "me",
                           "session_id": client.session.session_id,
                           "new_message": {"parts": [{"text": MESSAGE}]}, "streaming": True}
    assert req["has_authorization"] and req["headers"]["x-skill-platform"] == "unknown"


async def test_body_without_streaming_flag_by_default(backend):
    async with make_client(backend.url) as c:
        events = visible(await turn(c))
    assert not any(isinstance(e, TextChunk) for e in events)
    assert [type(e) for e in events] == [TextFinal, ToolCall, ToolResult, TextFinal, TurnEnd]
    assert "streaming" not in run_sse_requests(backend)[0]["json"]


@pytest.mark.parametrize("variant", ["no_text", "no_text_partial_empty", "no_content_error"])
async def test_no_text_turns(client, backend, variant):
    backend.add_faults([{"endpoint": "run_sse", "stream": variant}])
    events = await turn(client)
    assert assert_one_turn_end(events) == TurnEnd("no_text", False)
    assert not any(isinstance(e, (StreamError, TextFinal, TextChunk)) for e in events)


@pytest.mark.parametrize("form", ["event", "empty_data", "json"])
async def test_heartbeat_forms(make_local_backend, form):
    be = make_local_backend(server_options={"heartbeat_form": form, "heartbeat_interval": 0.05,
                                            "turn_fn": scripted_turn})
    be.add_faults([{"endpoint": "run_sse", "stream": "heartbeats_only", "seconds": 0.3}])
    async with make_client(be.url) as c:
        events = await turn(c)
    assert isinstance(events[0], Heartbeat)
    assert set(map(type, events[:-1])) == {Heartbeat}
    assert events[-1] == TurnEnd("no_text", False)


async def test_still_working_then_heartbeat_only_timeout(backend):
    backend.add_faults([{"endpoint": "run_sse", "stream": "heartbeats_only", "seconds": 30}])
    async with make_client(backend.url, still_working_after=0.1, heartbeat_only_limit=0.35) as c:
        events = await turn(c)
    still = [e for e in events if isinstance(e, StillWorking)]
    assert len(still) >= 2 and all(e.seconds > 0 for e in still)
    assert assert_one_turn_end(events) == TurnEnd("timeout", False)
    assert len(run_sse_requests(backend)) == 1


async def test_hard_turn_limit(backend):
    backend.add_faults([{"endpoint": "run_sse", "stream": "heartbeats_only", "seconds": 30}])
    async with make_client(backend.url, turn_limit=0.3) as c:
        events = await turn(c)
    assert assert_one_turn_end(events).reason == "timeout"


@pytest.mark.parametrize("form", ["adk", "legacy", "system"])
async def test_in_stream_errors_once_and_session_stays_usable(client, backend, form):
    backend.add_faults([{"endpoint": "run_sse", "stream": "in_stream_error", "error_form": form,
                         "message": "tool exploded"}])
    events = visible(await turn(client))
    errors = [e for e in events if isinstance(e, StreamError)]
    assert len(errors) == 1 and errors[0].message == "tool exploded"
    assert [e.text for e in events if isinstance(e, TextFinal)] == ["Let me work on that."]
    assert assert_one_turn_end(events) == TurnEnd("error", True)
    again = await turn(client)
    assert again[-1] == TurnEnd("complete", True)


async def test_dropped_stream_raises_and_is_never_resent(client, backend):
    backend.add_faults([{"endpoint": "run_sse", "stream": "drop", "after_events": 2}])
    seen = []
    with pytest.raises(StreamDroppedError) as info:
        async for event in client.stream_turn(MESSAGE):
            seen.append(event)
    assert "connection was lost" in str(info.value)
    assert "not re-sent" in str(info.value) and "Check the state" in str(info.value)
    assert len(visible(seen)) == 2  # what arrived before the drop was delivered
    assert len(run_sse_requests(backend)) == 1


async def test_silent_stream_hits_the_read_timeout(backend):
    backend.add_faults([{"endpoint": "run_sse", "stream": "stall", "seconds": 5}])
    async with make_client(backend.url, stream_read_timeout=0.3) as c:
        with pytest.raises(StreamDroppedError, match="sent nothing for 0.3 seconds"):
            await turn(c)
    assert len(run_sse_requests(backend)) == 1


@pytest.mark.parametrize("rule", [{"code": 1002}, {"http": 404}])
async def test_missing_session_replaced_and_message_resent_once(backend, rule):
    changed = []
    async with make_client(backend.url, on_session_changed=changed.append) as c:
        old = await c.ensure_session()
        backend.add_faults([{"endpoint": "run_sse", **rule}])
        events = await turn(c)
    assert isinstance(events[0], SessionReplaced)
    assert events[0].old_session_id == old.session_id
    assert events[0].new_session == c.session == changed[-1] != old
    assert events[-1] == TurnEnd("complete", True)
    reqs = run_sse_requests(backend)
    assert len(reqs) == 2 and reqs[1]["json"]["session_id"] == c.session.session_id


async def test_expired_token_on_run_sse_is_renewed(client, backend):
    await client.ensure_session()
    backend.add_faults([{"endpoint": "run_sse", "code": 1001}])
    events = await turn(client)
    assert events[-1] == TurnEnd("complete", True)
    assert len(run_sse_requests(backend)) == 2


async def test_out_of_credits_before_the_stream(client, backend):
    await client.ensure_session()
    backend.add_faults([{"endpoint": "run_sse", "code": 2001}])
    with pytest.raises(NoCreditsError, match=f"bind={client.token.user_id}"):
        await turn(client)


@pytest.mark.parametrize("rule", [
    {"stream": "malformed_lines"}, {"stream": "invalid_utf8"}, {"stream": "hostile_text"},
    {"stream": "huge_event", "size": 2 * 1024 * 1024},
    {"stream": "huge_event", "size": 1024 * 1024, "kind": "text"},
])
async def test_odd_streams_are_survived(client, backend, rule):
    backend.add_faults([{"endpoint": "run_sse", **rule}])
    events = visible(await turn(client))
    assert events[-1] == TurnEnd("complete", True)
    finals = [e.text for e in events if isinstance(e, TextFinal)]
    assert finals[-2:] == [FIRST, LAST]
    if rule["stream"] == "invalid_utf8":
        assert "\ufffd" in finals[0]
    if rule["stream"] == "hostile_text":
        assert "\x1b[31m" in finals[0]  # delivered as data; textsafe escapes it for display


async def test_cancellation_closes_the_http_stream(backend):
    be = backend
    be.add_faults([{"endpoint": "run_sse", "stream": "heartbeats_only", "seconds": 60}])
    responses: list[httpx.Response] = []

    async def keep(response: httpx.Response) -> None:
        responses.append(response)

    async with httpx.AsyncClient(event_hooks={"response": [keep]}) as http:
        c = make_client(be.url, http=http)
        first_event = asyncio.Event()

        async def consume() -> None:
            async for _ in c.stream_turn(MESSAGE):
                first_event.set()

        be.backend.options["heartbeat_form"] = "json"
        task = asyncio.create_task(consume())
        await first_event.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        stream = [r for r in responses if r.url.path == "/run_sse"]
        assert len(stream) == 1 and stream[0].is_closed

        # Leaving the loop early (break + aclose) closes it as well.
        be.add_faults([{"endpoint": "run_sse", "stream": "heartbeats_only", "seconds": 60}])
        gen = c.stream_turn(MESSAGE)
        async for _ in gen:
            break
        await gen.aclose()
        stream = [r for r in responses if r.url.path == "/run_sse"]
        assert len(stream) == 2 and stream[1].is_closed
        assert not http.is_closed  # a shared client is not ours to close
        await c.aclose()
        assert not http.is_closed
