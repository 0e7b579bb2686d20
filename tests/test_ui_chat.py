"""Pilot tests of the chat flows against the local backend over loopback."""

from __future__ import annotations

import pytest
from test_ui_support import lines, make_studio, run_sse_count, say, settle, shown

from nemo_tui.api.models import TextChunk, TextFinal, ToolCall, TurnEnd

pytestmark = pytest.mark.usefixtures("fast_idle")

GENERATE = "make a 10 second video of a city at night with lo-fi music"


async def test_chat_turn_streams_and_refreshes_timeline(backend, tmp_path):
    """Chunks arrive live, the final text replaces them (shown once), tools show as activity,
    the timeline and credits refresh after the turn, and the transcript is saved."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.status.info.connection == "ready"
        credits_before = app.status.info.credits
        await say(pilot, GENERATE)
        await settle(pilot)
        kinds = [type(e) for e in app.events]
        assert TextChunk in kinds and TextFinal in kinds and ToolCall in kinds
        assert kinds[-1] is TurnEnd
        finals = [e.text for e in app.events if isinstance(e, TextFinal)]
        agent = lines(app, "agent")
        assert agent == finals  # each message once: chunks were replaced, never appended
        assert not app.query(".-live")
        assert any("generating video" in a for a in lines(app, "activity"))
        assert "functionCall" not in shown(app) and "{" not in "".join(lines(app, "activity"))
        assert app.draft is not None and len(app.draft.tracks) >= 1
        assert app.timeline.query_one("#draft-tree").root.children
        assert app.status.info.credits != credits_before
        saved = [e.text for e in app.transcript.load()]
        assert GENERATE in saved and finals[-1] in saved


async def test_transcript_reloads_when_session_reopened(backend, tmp_path):
    """Quitting and starting again on the same API URL shows the saved transcript."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test() as pilot:
        await settle(pilot)
        await say(pilot, "hello there")
        await settle(pilot)
        first = lines(app, "agent")
        sid = app.client.session.session_id
    again = make_studio(backend.url, tmp_path)
    async with again.run_test() as pilot:
        await settle(pilot)
        assert again.client.session.session_id == sid
        assert "hello there" in lines(again, "user")
        assert first[-1] in lines(again, "agent")


async def test_no_text_turn_reports_draft_diff(backend, tmp_path):
    """A turn without text: state is fetched and the diff lines appear in the chat."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test() as pilot:
        await settle(pilot)
        await say(pilot, GENERATE)
        await settle(pilot)
        backend.add_faults([{"endpoint": "run_sse", "stream": "no_text"}])
        await say(pilot, "change the title to Night Lights")
        await settle(pilot)
        assert any("changed the timeline" in t for t in lines(app, "info"))
        diff = lines(app, "diff")
        assert any("Night Lights" in d for d in diff), diff


async def test_intent_words_do_not_reach_the_agent(backend, tmp_path):
    """credits / 积分 / status / 状态 run direct actions; nothing goes to /run_sse."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test() as pilot:
        await settle(pilot)
        for word in ("credits", "积分", "status", "状态"):
            await say(pilot, word)
            await settle(pilot)
        assert run_sse_count(backend) == 0
        info = lines(app, "info")
        assert sum(t.startswith("Credits: ") for t in info) == 2
        assert sum(t.startswith("Timeline") for t in info) == 2


async def test_escape_cancels_a_running_turn(backend, tmp_path):
    """Esc stops a stalled turn; the studio stays usable and says what happened."""
    backend.add_faults([{"endpoint": "run_sse", "stream": "stall", "seconds": 30}])
    app = make_studio(backend.url, tmp_path)
    async with app.run_test() as pilot:
        await settle(pilot)
        await say(pilot, "make a video of the sea")
        for _ in range(200):
            await pilot.pause(0.01)
            if run_sse_count(backend):
                break
        assert any(w.group == "chat" and not w.is_finished for w in app.workers)
        await pilot.press("escape")
        await settle(pilot)
        assert any("Turn cancelled" in t for t in lines(app, "info"))
        assert "chat" not in app.status.info.activities
        await say(pilot, "hello")
        await settle(pilot)
        assert lines(app, "agent")


async def test_dropped_stream_is_not_resent_and_polls_state(backend, tmp_path):
    """A broken stream: said in words, never re-sent, state polled, Ctrl+Y offered."""
    backend.add_faults([{"endpoint": "run_sse", "stream": "drop", "after_events": 3}])
    app = make_studio(backend.url, tmp_path)
    async with app.run_test() as pilot:
        await settle(pilot)
        await say(pilot, GENERATE)
        await settle(pilot)
        assert run_sse_count(backend) == 1
        errors = lines(app, "error")
        assert any("not re-sent" in e and "Ctrl+Y" in e for e in errors), errors
        states = [r for r in backend.requests() if r.get("endpoint") == "state"]
        assert len(states) >= 2  # the session open, then at least one poll after the drop
        assert app.retry_text == GENERATE
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert run_sse_count(backend) == 2


async def test_hostile_server_text_is_shown_literally(backend, tmp_path):
    """Markup and escape sequences from the server are shown as text, never interpreted."""
    backend.add_faults([{"endpoint": "run_sse", "stream": "hostile_text"}])
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, "hi")
        await settle(pilot)
        text = shown(app)
        assert "[bold red]not markup[/bold red]" in text
        assert "\\x1b[31mred" in text and "\\u202e" in text
        for bad in ("\x1b", "\x07", "\x9b", "\u202e", "\x00"):
            assert bad not in text
        assert "\x1b]52" not in app.export_screenshot()


async def test_error_codes_are_shown_in_words(backend, tmp_path):
    """No credits (2001) on a turn and 402 on export become sentences that say what to do."""
    backend.add_faults([{"endpoint": "run_sse", "code": 2001},
                              {"endpoint": "render_start", "http": 402}])
    app = make_studio(backend.url, tmp_path)
    async with app.run_test() as pilot:
        await settle(pilot)
        await say(pilot, GENERATE)
        await settle(pilot)
        errors = lines(app, "error")
        assert any("credit" in e.lower() and "register" in e.lower() for e in errors), errors
        backend.clear_faults()
        backend.add_faults([{"endpoint": "render_start", "http": 402}])
        await say(pilot, GENERATE)
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        errors = lines(app, "error")
        assert any("upgrade your plan" in e.lower() for e in errors), errors
        assert not any("Traceback" in e for e in errors)
