"""The command palette lists its entries in a fixed order (reproducible screenshots) (Pilot)."""

from __future__ import annotations

import pytest
from test_ui_palette_keys import palette_texts
from test_ui_support import RecordingStudio, studio_settings, until

from nemo_tui.ui.commands import ACTIONS

pytestmark = pytest.mark.usefixtures("fast_idle")


def palette_titles(app) -> list[str]:
    """The titles of the palette's options, top to bottom."""
    return [text.split("\n")[0] for text in palette_texts(app)]


async def test_palette_lists_the_actions_in_table_order_then_textual_ones(tmp_path):
    """With nothing typed: every studio action in ACTIONS order, then Textual's own entries
    (Keys, Maximize, Screenshot) sorted by title, the same every run."""
    app = RecordingStudio(studio_settings("http://127.0.0.1:9", tmp_path), connect=False)
    studio = [a.title for a in ACTIONS if a.palette]
    async with app.run_test(size=(160, 60)) as pilot:
        system = sorted(c.title for c in app.get_system_commands(app.screen))
        assert system and not set(system) & set(studio)
        await pilot.press("ctrl+p")
        await until(pilot, lambda: len(palette_titles(app)) == len(studio) + len(system),
                    "every palette entry listed")
        assert palette_titles(app) == studio + system

