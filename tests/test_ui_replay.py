"""Reopening a session shows its chat as it looked live (kinds, indentation, its title)."""

from __future__ import annotations

import json

import pytest
from test_ui_support import lines, make_studio, say, settle, shown, until

from nemo_tui.store import SessionStore, TranscriptStore
from nemo_tui.ui.screens.sessions import SessionsScreen
from nemo_tui.ui.widgets.chat import ChatInput

pytestmark = pytest.mark.usefixtures("fast_idle")

GENERATE = "make a 10 second video of a city at night with lo-fi music"
#: Kinds the transcript keeps (tool activity and the "working" line are live only).
RECORDED_KINDS = ("user", "agent", "info", "diff", "offer", "error")


def recorded(app) -> list[tuple[str, str]]:
    """(kind, shown text) of the chat entries a transcript keeps, from the first message on."""
    entries = [(e.kind, e.content.plain) for e in app.chat_log.entries
               if e.kind in RECORDED_KINDS]
    first = next(i for i, (kind, _text) in enumerate(entries) if kind == "user")
    return entries[first:]


async def test_restart_replays_the_chat_as_shown_live(backend, tmp_path):
    """After a restart the timeline changes are indented diff lines again, under their
    "Timeline changes:" head, and every recorded line has the kind it had live."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, GENERATE)
        await settle(pilot)
        live = recorded(app)
        assert any(text.startswith("  + track Video") for kind, text in live if kind == "diff")
    again = make_studio(backend.url, tmp_path)
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        replayed = recorded(again)
        assert replayed[:len(live)] == live
        assert "\n  + track Video" in shown(again)


async def test_old_transcript_lines_without_a_kind_still_load(backend, tmp_path):
    """A transcript written before kinds were kept loads as before (studio lines as notes)."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        path = app.transcript.path
        sid = app.session.session_id
    path.parent.mkdir(parents=True, exist_ok=True)
    old = [{"ts": "2026-01-01T00:00:00Z", "role": "user", "text": "hello"},
           {"ts": "2026-01-01T00:00:01Z", "role": "agent", "text": "Hi."},
           {"ts": "2026-01-01T00:00:02Z", "role": "system", "text": "Timeline changes:"},
           {"ts": "2026-01-01T00:00:03Z", "role": "system", "text": "+ track BGM: Lo-fi",
            "kind": "no-such-kind"}]
    path.write_text("".join(json.dumps(o) + "\n" for o in old), encoding="utf-8")
    again = make_studio(backend.url, tmp_path)
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert again.session.session_id == sid
        assert lines(again, "user") == ["hello"]
        assert "Hi." in lines(again, "agent")
        assert {"Timeline changes:", "+ track BGM: Lo-fi"} <= set(lines(again, "info"))


def test_transcript_store_keeps_the_kind(tmp_path):
    """A line's chat kind survives the file; a line saved without one loads with none."""
    from nemo_tui.config import load_settings

    paths = load_settings({}).paths
    store = TranscriptStore(paths, "http://127.0.0.1:1", "s1")
    store.append("system", "+ track Video: a", kind="diff")
    store.append("system", "Timeline changes:")
    entries = store.load()
    assert [(e.role, e.kind) for e in entries] == [("system", "diff"), ("system", None)]


def stored_title(app, session_id: str) -> str | None:
    """The title the recent-sessions list keeps for ``session_id``."""
    recent = SessionStore(app.settings.paths).recent(app.settings.api_url)
    return next((r.title for r in recent if r.session_id == session_id), None)


def opened_line(app) -> str:
    """The newest "Session … opened." line of the chat."""
    return [t for t in lines(app, "info") if t.startswith("Session ")][-1]


async def reopen(pilot, session_id: str) -> None:
    """Ctrl+O, pick ``session_id``, wait until it is shown."""
    app = pilot.app
    await pilot.press("ctrl+o")
    await until(pilot, lambda: isinstance(app.screen, SessionsScreen)
                and app.screen.query("#sessions-list"), "sessions list")
    ids = [r.session_id for r in app.screen.recent]
    app.screen.query_one("#sessions-list").highlighted = ids.index(session_id)
    await pilot.press("enter")
    await until(pilot, lambda: app.session.session_id == session_id, "session shown")
    await settle(pilot)


async def test_reopened_session_is_named_by_its_title(backend, tmp_path):
    """A session with a known title is announced by it on restart and on Ctrl+O; one without
    a title by its id."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        first = app.session.session_id
        await say(pilot, GENERATE)
        await settle(pilot)
        await until(pilot, lambda: stored_title(app, first), "title stored")
        title = stored_title(app, first)
        await pilot.press("ctrl+n")
        await until(pilot, lambda: app.session.session_id != first, "second session")
        await settle(pilot)
        second = app.session.session_id
        await reopen(pilot, first)
        assert opened_line(app) == f"Session \u201c{title}\u201d opened."
        await reopen(pilot, second)
        assert opened_line(app) == f"Session {second} opened."
        await reopen(pilot, first)
    again = make_studio(backend.url, tmp_path)
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert again.session.session_id == first
        assert opened_line(again) == f"Session \u201c{title}\u201d opened."



async def test_keys_typed_right_after_ctrl_o_reach_the_sessions_dialog(backend, tmp_path):
    """Ctrl+O then typing at once: the keys filter the list (the dialog is up before the next
    key), nothing lands in the chat input; the palette's entry opens it too."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o", "z", "q")
        assert isinstance(app.screen, SessionsScreen)
        assert app.screen.query_one("#sessions-filter").value == "zq"
        assert app.query_one(ChatInput).value == ""
        await pilot.press("escape")
        await until(pilot, lambda: len(app.screen_stack) == 1, "sessions closed")
        await pilot.press("ctrl+p", *"Open session")
        await until(pilot, lambda: "Open session" in palette_first(app), "palette match")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SessionsScreen), "sessions again")
        assert len(app.screen_stack) == 2


def palette_first(app) -> str:
    """The palette's highlighted option's text ("" when no palette is open)."""
    found = app.screen.query("CommandList")
    listing = found.first() if found else None
    if listing is None or listing.highlighted is None:
        return ""
    return str(listing.get_option_at_index(listing.highlighted).prompt)
