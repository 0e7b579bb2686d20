"""The ruler on its own: geometry (labels cut to fit, never through a wide character; ticks that
follow the zoom; which segment a cell shows) and the widget drawing only what is visible."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from textual.app import App, ComposeResult

from nemo_tui.draft import decode_draft
from nemo_tui.ui.widgets import ruler_layout
from nemo_tui.ui.widgets.ruler import NAME_W, Ruler
from nemo_tui.ui.widgets.ruler_layout import TrackIndex, cell_runs, fit_label, tick_step


class Host(App):
    """Hosts one ruler."""

    def __init__(self, ruler: Ruler) -> None:
        super().__init__()
        self.ruler = ruler

    def compose(self) -> ComposeResult:
        yield self.ruler


@pytest.mark.parametrize("width", range(12))
def test_fit_label_never_splits_a_wide_character(width):
    """Every width gets exactly that many cells; a cut CJK name ends with … and no half glyph."""
    cells = fit_label("城市夜景·开场镜头", width)
    assert len(cells) == width
    text = "".join(cells)
    assert cell_len(text) == width
    for i, cell in enumerate(cells):  # a "" continuation always follows a wide character
        if cell == "":
            assert i > 0 and cell_len(cells[i - 1]) == 2


def test_fit_label_is_literal_and_safe():
    """Markup stays text; escapes and bidi controls become visible escapes."""
    assert "".join(fit_label("[b]x[/b]", 10)) == "[b]x[/b]  "
    shown = "".join(fit_label("\x1b[31m\u202eevil", 40))
    assert "\x1b" not in shown and "\u202e" not in shown and "\\x1b[31m\\u202eevil" in shown
    assert "".join(fit_label("abcdefgh", 5)) == "abcd…"


def test_tick_step_follows_the_zoom():
    """Ticks are at least 8 cells apart at any zoom, and finer when zoomed in."""
    assert tick_step(1000) == 10_000
    assert tick_step(100) == 1000
    assert tick_step(10) == 100
    assert tick_step(1e9) == ruler_layout.TICK_STEPS[-1]


def test_cells_show_the_covering_segment_and_short_ones_still_show():
    """Each cell shows the segment covering its middle, else one starting inside it; unsorted
    and overlapping segments are found too."""
    draft = decode_draft({"t": [{"tt": 0, "sg": [
        {"s": 0, "d": 4000}, {"s": 4000, "d": 10}, {"s": 4010, "d": 5990},
        {"s": 0, "d": 100}]}]})  # the last one starts at 0 again (unsorted)
    index = TrackIndex.of(draft.tracks[0].segments)
    runs = cell_runs(index, 0, 1000, 10)
    assert runs[0][0] in (0, 3) and [r[0] for r in runs][-1] == 2
    blip = TrackIndex.of(decode_draft({"t": [{"tt": 0, "sg": [
        {"s": 0, "d": 1000}, {"s": 5000, "d": 10}]}]}).tracks[0].segments)
    assert cell_runs(blip, 4800, 100, 4) == [(-1, 0, 2), (1, 2, 3), (-1, 3, 4)]


async def test_ruler_draws_labels_playhead_and_scale():
    """Names inside blocks, the playhead marker with its time, ticks with times."""
    ruler = Ruler()
    async with Host(ruler).run_test(size=(67, 10)) as pilot:
        ruler.set_draft(decode_draft({"d": 10000, "t": [
            {"tt": 0, "sg": [{"s": 0, "d": 5000, "m": {"name": "sunrise"}},
                             {"s": 5000, "d": 5000, "m": {"name": "noon"}}]},
            {"tt": 7, "sg": [{"s": 0, "d": 3000, "m": {"text": "Hello"}}]}]}))
        ruler.set_playhead(7500)
        await pilot.pause()
        rows = ruler.plain_lines()
        assert len(rows) == 4
        bar = ruler.bar_width
        assert rows[0][NAME_W + (7500 * bar // 10000):].startswith("▏ 7.5s")
        assert rows[1].startswith("Video  sunrise")
        assert rows[1][NAME_W + bar // 2:].startswith("noon")
        assert rows[2].startswith("Title  Hello")
        assert rows[3].startswith(" " * NAME_W + "╵0s") and "╵2s" in rows[3]


async def test_a_10000_segment_track_costs_its_width_not_its_length(monkeypatch):
    """Drawing a line asks for one segment per visible cell (not one per segment), and moving
    the selection repaints only the changed tracks' lines."""
    segs = [{"s": i * 1000, "d": 1000, "m": {"name": f"clip {i}"}} for i in range(10_000)]
    ruler = Ruler()
    async with Host(ruler).run_test(size=(100, 12)) as pilot:
        ruler.set_draft(decode_draft({"t": [{"tt": 0, "sg": segs},
                                            {"tt": 1, "sg": segs[:10]}]}))
        await pilot.pause()
        calls = []
        original = TrackIndex.at
        monkeypatch.setattr(TrackIndex, "at", lambda self, a, b: calls.append(a) or
                            original(self, a, b))
        ruler._cache.clear()
        ruler.render_line(1)
        assert len(calls) == ruler.bar_width
        refreshed = []
        monkeypatch.setattr(ruler, "refresh", lambda *regions, **kw: refreshed.extend(regions))
        ruler.select(0, 5)
        ruler.select(0, 6)
        assert [r.y for r in refreshed] == [1]


async def test_a_pane_narrower_than_the_name_column_is_cropped_not_broken():
    """A few cells wide: every line is exactly the width, nothing raises."""
    ruler = Ruler()
    async with Host(ruler).run_test(size=(9, 8)) as pilot:
        ruler.set_draft(decode_draft({"t": [{"tt": 0, "sg": [
            {"s": 0, "d": 1000, "m": {"name": "城市夜景"}}]}]}))
        ruler.select(0, 0)
        ruler.set_playhead(500)
        await pilot.pause()
        for y in range(4):
            assert ruler.render_line(y).cell_length == ruler.content_size.width
