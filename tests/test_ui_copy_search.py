"""Copy over SSH (OSC 52), selection mode and find in the transcript (Pilot)."""

from __future__ import annotations

import base64
import re

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
OSC52 = re.compile(r"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07")
HOSTILE = "evil \x1b]52;c;aGk=\x07 \x1b[2J \u202eright \x9b31m"


def spy_writes(app) -> list[str]:
    """Record everything the app writes to the terminal from now on."""
    writes: list[str] = []
    original = app._driver.write

    def write(data: str) -> None:
        writes.append(data)
        original(data)

    app._driver.write = write
    return writes


def copies(writes: list[str]) -> list[str]:
    """The texts put on the clipboard (OSC 52 payloads, decoded)."""
    return [base64.b64decode(p).decode() for w in writes for p in OSC52.findall(w)]


def offline_studio(tmp_path) -> RecordingStudio:
    """A studio that does not connect: the tests write the chat log themselves."""
    return RecordingStudio(studio_settings("http://127.0.0.1:9", tmp_path), connect=False)


async def test_y_copies_the_last_reply_and_nothing_else(backend, tmp_path):
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        writes = spy_writes(app)
        await say(pilot, "make a 5 second video of a forest with piano music")
        await settle(pilot)
        app.chat_log.focus()
        await pilot.press(app.key_table["select_messages"], "k", "j", "escape")
        assert copies(writes) == []  # moving and leaving copy nothing
        await pilot.press(app.key_table["copy"])
        reply = lines(app, "agent")[-1]
        assert copies(writes) == [reply] and reply.strip()
        notes = [n.message for n in app._notifications]
        assert any("the last reply" in n and "set -g set-clipboard on" in n
                   and str(app.transcript.path) in n for n in notes), notes


async def test_selection_copies_one_message_or_a_range_inertly(tmp_path):
    app = offline_studio(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.chat_log
        log.add_line("first question", "user")
        log.add_line(HOSTILE, "agent")
        log.add_line("Timeline changes:", "info")
        await pilot.pause()
        writes = spy_writes(app)
        await pilot.press(app.key_table["select_messages"])
        assert log.selecting and log.cursor == 2 and app.focused is log
        await pilot.press("k", app.key_table["copy"].split(",")[0])
        one = copies(writes)
        assert len(one) == 1 and "\x1b" not in one[0] and "\u202e" not in one[0]
        assert one[0] == "evil \\x1b]52;c;aGk=\\x07 \\x1b[2J \\u202eright \\x9b31m"
        await pilot.press("K", "y")
        both = copies(writes)[1]
        assert both == "› first question\n\n" + one[0]
        await pilot.press("escape")
        assert not log.selecting and len(copies(writes)) == 2
        for w in writes:  # no escape sequence but the OSC 52 frames themselves
            assert not re.search(r"\x1b\][^5]|\x1b\[2J|\x9b", OSC52.sub("", w))


def _row_styles(log, row: int) -> list:
    """(text, style) of the painted row (transcript row ``row``, which must be in view)."""
    strip = log.render_line(row - log.scroll_offset.y + log._top_pad())
    return [(seg.text, seg.style) for seg in strip]


async def test_find_counts_steps_highlights_and_reports_no_match(tmp_path):
    app = offline_studio(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.chat_log
        for i in range(200):
            log.add_line(f"message {i}: " + ("an Apple a day" if i % 20 == 3 else "pears"),
                         "agent" if i % 2 else "user")
        await pilot.pause()
        await pilot.press(app.key_table["find"])
        bar = app.query_one(FindBar)
        assert app.focused is bar.input
        await pilot.press(*"APPLE")
        # the bar is laid out after it opens: wait for the layout, then check the query shows
        # (no border eats the row)
        await wait_until(pilot, lambda: bar.input.content_region.height > 0)
        assert bar.input.content_region.height == 1
        count = bar.query_one("#find-count").render()
        assert str(count) == "10/10" and log.search.count() == "10/10"
        match = log.search.match
        assert match.index == 183
        row = log.row_of(match.index, match.start)
        assert log.scroll_offset.y <= row < log.scroll_offset.y + log.size.height
        painted = _row_styles(log, row)
        hit = [s for t, s in painted if t == "Apple"]
        assert hit and hit[0] == log.get_component_rich_style("chat-log--match-current") + hit[0]
        await pilot.press("enter")
        assert app.focused is log
        await pilot.press("n")
        assert log.search.count() == "1/10" and log.search.match.index == 3
        row = log.row_of(3, log.search.match.start)
        assert log.scroll_offset.y <= row < log.scroll_offset.y + log.size.height
        await pilot.press("N", "N")
        assert str(bar.query_one("#find-count").render()) == "9/10"
        await pilot.press(app.key_table["log_find"])
        assert app.focused is bar.input
        await pilot.press(*"zz")
        assert log.search.count() == "0/0"
        assert str(bar.query_one("#find-count").render()) == "no match"
        await pilot.press("escape")
        assert "-open" not in bar.classes and log.search.total == 0 and app.focused is log
        assert not any("APPLE" in t or t == "zz" for t in lines(app))  # nothing was sent


async def test_find_shows_server_text_inert(tmp_path):
    app = offline_studio(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.chat_log
        log.add_line(HOSTILE, "agent")
        await pilot.pause()
        await pilot.press(app.key_table["find"], *"evil")
        assert log.search.count() == "1/1"
        text = "".join(t for t, _s in _row_styles(log, log.row_of(0)))
        assert "\x1b" not in text and "\\x1b]52" in text
