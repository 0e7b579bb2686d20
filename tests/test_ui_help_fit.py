"""The help screen (F1) fits the terminal: at 80x24 nothing needs sideways scrolling, every key
and its whole description are there (wrapped, not cut), and descriptions get most of the width;
still one line per key at 120x40 for most keys (Pilot, no backend)."""

from __future__ import annotations

import pytest
from test_ui_support import studio_settings, until
from textual.geometry import Region

from nemo_tui.ui.app import NemoStudioApp
from nemo_tui.ui.screens.help import HelpScreen, key_rows

pytestmark = pytest.mark.usefixtures("fast_idle")


def help_lines(app) -> list[str]:
    """Every line of the help's key table as drawn at its width (the part scrolled away too)."""
    table = app.screen.query_one("#help-table")
    strips = table.render_lines(Region(0, 0, table.size.width, table.size.height))
    return ["".join(seg.text for seg in strip).rstrip() for strip in strips]


def described(lines: list[str], key: str, indent: int) -> list[str]:
    """The description of each row whose key cell starts with ``key``: its first line's text
    after the key column, joined with the lines below that belong to the same row (a blank key
    column, or the rest of a key wrapped after " /")."""
    out = []
    for i, line in enumerate(lines):
        if not line.startswith(key + " ") and line != key:
            continue
        parts = [line[indent:].strip()]
        key_cell = line[:indent].strip()
        for below in lines[i + 1:]:
            below_key = below[:indent].strip()
            if not below.strip() or (below_key and not key_cell.endswith(" /")):
                break
            key_cell = below_key or key_cell
            parts.append(below[indent:].strip())
        out.append(" ".join(p for p in parts if p))
    return out


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_help_fits_the_terminal_and_keeps_every_word(tmp_path, size):
    """F1: no horizontal scrolling; each key's description is whole; at 80 columns the
    descriptions get at least 40 columns (the three-column table gave them 27)."""
    app = NemoStudioApp(studio_settings("http://127.0.0.1:9", tmp_path), connect=False)
    async with app.run_test(size=size) as pilot:
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen)
                    and app.screen.query_one("#help-table").size.width > 0, "the help screen")
        body = app.screen.query_one("#help-body")
        table = app.screen.query_one("#help-table")
        assert body.max_scroll_x == 0 and not body.show_horizontal_scrollbar
        assert table.size.width <= body.scrollable_content_region.width
        lines = help_lines(app)
        # where descriptions start: after the key column (the first row is F1's)
        first = next(line for line in lines if line.startswith("F1 "))
        indent = first.index("Help —")
        assert table.size.width - indent >= (40 if size[0] == 80 else 80), first
        for key, what, _place in key_rows():
            # a long key may wrap at " / ": find its row by the first part
            head = key.split(" / ")[0]
            found = described(lines, head, indent)
            assert " ".join(what.split()) in found, (key, found)
