"""Fault matrix, studio layer: the rows test_ui_chat.py does not already cover, run as a table in
one studio session (a studio start costs seconds), each row asserting the chat lines it adds and
that the session stays usable. Timings are shrunk through the client's configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from test_ui_support import (
    RecordingStudio,
    lines,
    run_sse_count,
    say,
    settle,
    shown,
    studio_settings,
)

from nemo_tui.local.faults import HOSTILE_TEXT


@pytest.fixture
def backend(make_local_backend):
    """A backend whose credits last for every row."""
    return make_local_backend(server_options={"free_credits": 100_000, "wait_scale": 0.01})


pytestmark = pytest.mark.usefixtures("fast_idle")
GENERATE = "make a 10 second video of a city at night with lo-fi music"


def fast_client(settings: Any) -> Any:
    """The studio's usual client, with deadlines in fractions of a second."""
    from nemo_tui.services import build_client

    client = build_client(settings)
    cfg = client.config
    cfg.still_working_after, cfg.heartbeat_only_limit = 0.2, 0.8
    cfg.stream_read_timeout, cfg.retry_base_delay, cfg.rate_limit_delay = 0.6, 0.01, 0.01
    return client


@dataclass
class StudioRow:
    """Inject `faults`, type `text` (or run `action`); the new chat lines must match `expect`."""

    id: str
    faults: list[dict[str, Any]]
    text: str | None = "make the title bigger"
    action: str | None = None
    expect: list[tuple[str, str]] = field(default_factory=list)  # (line kind, words)
    sends: int | None = None  # /run_sse requests this row makes
    job: tuple[str, str] | None = None  # (status, words of its error) of the last job update
    # client deadlines for this row only (a 5 MB event takes a while to arrive and parse on a
    # loaded machine: the shrunk "nothing but heartbeats" limit must not end the turn)
    config: dict[str, float] = field(default_factory=dict)


CHAT_ROWS = [
    # first the rows that need the draft of the first session
    StudioRow("503-state-refresh", [{"endpoint": "state", "http": 503, "times": -1}],
              text=None, action="refresh_state", expect=[("error", "HTTP 503")]),
    StudioRow("403-export", [{"endpoint": "render_start", "http": 403}], text=None,
              action="export", expect=[("error", "'render' scope")]),
    StudioRow("429-credits-recovers", [{"endpoint": "credits", "http": 429}], text="credits",
              expect=[("info", "Credits: ")], sends=0),
    StudioRow("render-failed", [{"endpoint": "render_poll", "status": "failed", "times": -1,
                                 "error": "font missing \x1b[2J[@click=app.quit]"}],
              text=None, action="export", job=("failed", "font missing")),
    StudioRow("1002-new-session", [{"endpoint": "run_sse", "code": 1002}],
              expect=[("info", "a new one was started and your message was sent there")],
              sends=2),
    StudioRow("404-new-session", [{"endpoint": "run_sse", "http": 404}],
              expect=[("info", "a new one was started")], sends=2),
    StudioRow("stall-read-timeout", [{"endpoint": "run_sse", "stream": "stall", "seconds": 5}],
              expect=[("error", "sent nothing for 0.6 seconds"), ("error", "not re-sent")],
              sends=1),
    StudioRow("heartbeats-only", [{"endpoint": "run_sse", "stream": "heartbeats_only",
                                   "seconds": 5}],
              expect=[("working", "Still working"),
                      ("error", "sent nothing for 0.8 seconds, so the turn was stopped")],
              sends=1),
    StudioRow("in-stream-error-adk", [{"endpoint": "run_sse", "stream": "in_stream_error"}],
              expect=[("error", "upstream timeout"), ("error", "still usable")], sends=1),
    StudioRow("in-stream-error-legacy", [{"endpoint": "run_sse", "stream": "in_stream_error",
                                          "error_form": "legacy"}],
              expect=[("error", "upstream timeout")], sends=1),
    StudioRow("in-stream-error-system", [{"endpoint": "run_sse", "stream": "in_stream_error",
                                          "error_form": "system", "message": HOSTILE_TEXT}],
              expect=[("error", "[bold red]not markup[/bold red]")], sends=1),
    StudioRow("503-chat-not-repeated", [{"endpoint": "run_sse", "http": 503}],
              expect=[("error", "HTTP 503")], sends=1),
    StudioRow("5mb-event-and-bad-lines", [{"endpoint": "run_sse", "stream": "huge_event"},
                                          {"endpoint": "run_sse", "stream": "malformed_lines"}],
              expect=[("agent", "")], sends=1,
              config={"still_working_after": 60, "heartbeat_only_limit": 60,
                      "stream_read_timeout": 60}),
]


async def test_studio_fault_rows(backend, tmp_path):
    """Every row in one session: the promised line appears, nothing is lost, the app lives on."""
    app = RecordingStudio(studio_settings(backend.url, tmp_path), client_factory=fast_client,
                          drop_poll=(0.05, 0.05, 1))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, GENERATE)  # a draft to export and edit
        await settle(pilot)
        for row in CHAT_ROWS:
            backend.clear_faults()
            before = len(app.chat_log.lines(None))
            previous = app.transcript
            sends = run_sse_count(backend)
            backend.add_faults(row.faults)
            saved = {k: getattr(app.client.config, k) for k in row.config}
            for key, value in row.config.items():
                setattr(app.client.config, key, value)
            if row.text is not None:
                await say(pilot, row.text)
            else:
                getattr(app, f"action_{row.action}")()
            await settle(pilot)
            for key, value in saved.items():
                setattr(app.client.config, key, value)
            new = list(zip(kinds(app)[before:], app.chat_log.lines(None)[before:], strict=True))
            for kind, words in row.expect:
                assert any(k == kind and words in t for k, t in new), (row.id, new)
            if row.job is not None:
                last = app.job_updates[-1]
                assert last.status == row.job[0] and row.job[1] in last.error, row.id
                assert app.job_store.get(last.id).status == row.job[0]  # persisted
            if row.sends is not None:
                assert run_sse_count(backend) - sends == row.sends, row.id
            if row.text is not None and row.sends:
                # the user's message is never lost: it is in the transcript of the session it
                # was finally sent to (the new one when the session was replaced)
                assert row.text in [e.text for e in app.transcript.load()], row.id
                if row.id.endswith("new-session"):
                    assert app.transcript.path != previous.path, row.id
            assert "Traceback" not in shown(app)
        backend.clear_faults()
        await say(pilot, "one more edit")  # still usable after every fault
        await settle(pilot)
        assert lines(app, "agent")[-1]
        raw = shown(app) + app.export_screenshot()
        for bad in ("\x1b[2J", "\x1b]", "\x07", "\x9b", "\u202e", "\x00"):
            assert bad not in raw


def kinds(app: Any) -> list[str]:
    """The kind of every chat line, in order (parallel to ``chat_log.lines(None)``)."""
    return app.chat_log.kinds()
