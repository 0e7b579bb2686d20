"""The find bar closes where a user expects: Esc in the log after Enter, and a session switch
(a stale query and count over another session's empty log) (Pilot)."""

from __future__ import annotations

import pytest
from test_ui_support import (
    RecordingStudio,
    lines,
    make_studio,
    say,
    settle,
    studio_settings,
    wait_until,
)

from nemo_tui.ui.widgets.findbar import FindBar

pytestmark = pytest.mark.usefixtures("fast_idle")


async def test_escape_in_the_log_after_enter_closes_the_find_bar(tmp_path):
    app = RecordingStudio(studio_settings("http://127.0.0.1:9", tmp_path), connect=False)
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.chat_log
        for i in range(5):
            log.add_line(f"message {i} about volume", "agent")
        await pilot.pause()
        await pilot.press(app.key_table["find"], *"volume", "enter")
        bar = app.query_one(FindBar)
        assert app.focused is log and "-open" in bar.classes and log.search.total == 5
        await pilot.press("escape")
        assert "-open" not in bar.classes and log.search.total == 0 and app.focused is log
        await pilot.press("escape")  # and Esc again is what it was (no selection: no error)
        assert "-open" not in bar.classes


async def test_a_new_session_closes_the_find_bar(backend, tmp_path):
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, "make a 5 second video of a forest with piano music")
        await settle(pilot)
        await pilot.press(app.key_table["find"], *"forest")
        bar = app.query_one(FindBar)
        assert "-open" in bar.classes and app.chat_log.search.total
        first = app.client.session.session_id
        await pilot.press(app.key_table["new_session"])
        await wait_until(pilot, lambda: app.client.session.session_id != first
                         and lines(app) == ["New session started."])
        assert lines(app) == ["New session started."]
        assert "-open" not in bar.classes
        assert str(bar.query_one("#find-count").render()) == ""
        await settle(pilot)  # the new session's state fetch ends before the app does
