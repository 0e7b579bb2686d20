"""F3 / F4 at 40x10, where the timeline and jobs panes give way to keep the chat input visible:
focus stays on something visible and a short notice says why; once the terminal is taller the
same keys focus the panes (Pilot, no backend)."""

from __future__ import annotations

import pytest
from test_ui_support import studio_settings, until

from nemo_tui.ui.app import NemoStudioApp
from nemo_tui.ui.pane_focus import is_shown
from nemo_tui.ui.widgets.chat import ChatInput

pytestmark = pytest.mark.usefixtures("fast_idle")


def notices(app) -> list[str]:
    """The notification texts shown so far."""
    return [n.message for n in app._notifications]


@pytest.mark.parametrize(("key", "pane", "widget_id"), [
    ("f3", "timeline", "draft-tree"), ("f4", "jobs pane", "jobs-table")])
async def test_focus_key_for_a_hidden_pane_keeps_focus_visible(tmp_path, key, pane, widget_id):
    """At 40x10 the key leaves focus on the (visible) chat input and says the pane is hidden
    and why; at 120x40 the same key focuses the pane."""
    app = NemoStudioApp(studio_settings("http://127.0.0.1:9", tmp_path), connect=False)
    async with app.run_test(size=(40, 10)) as pilot:
        await until(pilot, lambda: app.jobs_table.parent is not None, "the jobs table mounted")
        await until(pilot, lambda: not is_shown(app.query_one("#timeline")), "the small layout")
        await pilot.press(key)
        await until(pilot, lambda: any(pane in n for n in notices(app)), "the notice")
        assert isinstance(app.focused, ChatInput) and is_shown(app.focused)
        assert app.focused.region.height > 0
        notice = next(n for n in notices(app) if pane in n)
        assert "hidden" in notice and "18 rows" in notice and "10" in notice
        await pilot.resize_terminal(120, 40)
        await until(pilot, lambda: is_shown(app.query_one("#timeline")), "the panes back")
        await pilot.press(key)
        await until(pilot, lambda: app.focused is not None and app.focused.id == widget_id,
                    f"{widget_id} focused")
        assert app.focused.region.height > 0


@pytest.mark.parametrize(("key", "widget_id"), [("f3", "draft-tree"), ("f4", "jobs-table")])
async def test_shrinking_under_a_focused_pane_moves_focus_to_the_input(tmp_path, key,
                                                                        widget_id):
    """A pane has focus at 120x40; the terminal shrinks to 40x10 and hides it: the chat input
    gets focus (Textual left focus nowhere, so typing did nothing) and what is typed shows."""
    app = NemoStudioApp(studio_settings("http://127.0.0.1:9", tmp_path), connect=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.jobs_table.parent is not None, "the jobs table mounted")
        await pilot.press(key)
        await until(pilot, lambda: app.focused is not None and app.focused.id == widget_id,
                    f"{widget_id} focused")
        await pilot.resize_terminal(40, 10)
        await until(pilot, lambda: isinstance(app.focused, ChatInput), "the input focused")
        assert is_shown(app.focused) and app.focused.region.height > 0
        await pilot.press(*"hi")
        assert app.query_one(ChatInput).text == "hi"
