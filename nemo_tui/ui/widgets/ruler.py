"""The timeline ruler: tracks drawn to scale with their segments' names inside the blocks, a
time scale whose ticks follow the zoom, a playhead, and the selected segment highlighted.

Drawn with the line API: each line is built from the visible cells only (a cell asks which
segment covers it, O(log n)), so a 10,000-segment draft costs what its screen width costs, and
moving the selection repaints two lines.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from rich.segment import Segment as RichSegment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from nemo_tui.draft import format_seconds
from nemo_tui.ui.widgets.ruler_layout import TrackIndex, cell_runs, fit_label, span_cells, tick_step

#: Tracks drawn at once; the window follows the selected track.
RULER_TRACKS = 6
#: Cells of the track-name column.
NAME_W = 7
#: The finest zoom, in ms per cell.
MIN_MS_PER_CELL = 10.0
_KINDS = ("video", "audio", "text")


class Ruler(Widget):
    """Tracks to scale, with labels, ticks, a playhead and the selection (line API)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        *(f"ruler--{k}{alt}" for k in (*_KINDS, "other") for alt in ("", "-alt")),
        "ruler--name", "ruler--selected", "ruler--playhead", "ruler--playhead-cell",
        "ruler--scale", "ruler--more",
    }
    DEFAULT_CSS = """
    Ruler { height: auto; }
    Ruler > .ruler--name { text-style: bold; }
    Ruler > .ruler--video { background: $primary 55%; color: $text; }
    Ruler > .ruler--video-alt { background: $primary 30%; color: $text; }
    Ruler > .ruler--audio { background: $success 55%; color: $text; }
    Ruler > .ruler--audio-alt { background: $success 30%; color: $text; }
    Ruler > .ruler--text { background: $warning 55%; color: $text; }
    Ruler > .ruler--text-alt { background: $warning 30%; color: $text; }
    Ruler > .ruler--other { background: $secondary 55%; color: $text; }
    Ruler > .ruler--other-alt { background: $secondary 30%; color: $text; }
    Ruler > .ruler--selected { background: $accent; color: $text; text-style: bold; }
    Ruler > .ruler--playhead { color: $error; text-style: bold; }
    Ruler > .ruler--playhead-cell { background: $error; }
    Ruler > .ruler--scale { color: $text-muted; }
    Ruler > .ruler--more { color: $text-muted; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.draft: Any = None
        self.total_ms = 1
        self.view_ms = 0.0
        self.zoom: float | None = None  # ms per cell; None fits the whole draft
        self.playhead_ms = 0
        self.selected: tuple[int, int | None] | None = None  # (track position, segment index)
        self.top = 0  # first track shown
        self._index: list[TrackIndex] = []
        self._cache: dict[tuple[Any, ...], Strip] = {}
        self._styles: tuple[Any, dict[str, Style]] | None = None

    # ---- state ---------------------------------------------------------------------------
    def set_draft(self, draft: Any) -> None:
        """Show ``draft`` (a draft.Draft or None); zoom, playhead and selection are kept (clamped)."""
        self.draft = draft
        tracks = getattr(draft, "tracks", None) or []
        self._index = [TrackIndex.of(t.segments) for t in tracks]
        total = int(getattr(draft, "duration_ms", 0) or 0)
        for index in self._index:
            total = max(total, max(index.ends, default=0))
        self.total_ms = max(total, 1)
        # the real length (0 without a draft), not the 1 ms floor: that would stay as an offset
        self.playhead_ms = min(self.playhead_ms, total)
        if self.selected is not None and self.selected[0] >= len(tracks):
            self.selected = None
        self._follow()
        self._cache.clear()
        self.refresh(layout=True)

    @property
    def bar_width(self) -> int:
        """Cells of the time axis."""
        return max(4, self.content_size.width - NAME_W)

    @property
    def ms_per_cell(self) -> float:
        """The current zoom in ms per cell."""
        fit = self.total_ms / self.bar_width
        return fit if self.zoom is None else min(self.zoom, fit)

    def select(self, track: int | None, segment: int | None = None) -> None:
        """Highlight a track (``segment`` None) or one of its segments; None clears."""
        old = self.selected
        new = None if track is None else (track, segment)
        if new == old:
            return
        self.selected = new
        top = self.top
        if new is not None:
            if new[0] < self.top:
                self.top = new[0]
            elif new[0] >= self.top + RULER_TRACKS:
                self.top = new[0] - RULER_TRACKS + 1
        if top != self.top or old is None or new is None:
            self.refresh()
            return
        for pos in {old[0], new[0]}:  # only the two tracks' lines change
            self.refresh(Region(0, 1 + pos - self.top, self.size.width, 1))

    def set_playhead(self, ms: float) -> None:
        """Move the playhead (clamped to the draft) and scroll to keep it in view."""
        self.playhead_ms = int(min(max(ms, 0), self.total_ms))
        self._follow()
        self.refresh()

    def zoom_by(self, factor: float) -> None:
        """Zoom in (factor < 1) or out around the playhead; out as far as the whole draft."""
        fit = self.total_ms / self.bar_width
        old = self.ms_per_cell
        column = (self.playhead_ms - self.view_ms) / old  # the playhead stays in its column
        scale = max(MIN_MS_PER_CELL, old * factor)
        self.zoom = None if scale >= fit else scale
        self.view_ms = self.playhead_ms - column * self.ms_per_cell
        self._follow()
        self.refresh()

    def zoom_fit(self) -> None:
        """Show the whole draft."""
        self.zoom = None
        self.view_ms = 0.0
        self.refresh()

    def _follow(self) -> None:
        """Scroll so that the playhead is visible, and keep the view inside the draft."""
        span = self.ms_per_cell * self.bar_width
        if self.playhead_ms < self.view_ms:
            self.view_ms = self.playhead_ms - span / 4
        elif self.playhead_ms >= self.view_ms + span:
            self.view_ms = self.playhead_ms - span * 3 / 4
        self.view_ms = max(0.0, min(self.view_ms, self.total_ms - span))

    # ---- drawing -------------------------------------------------------------------------
    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        """The playhead line, one line per shown track, "… more", the time scale."""
        return len(self._rows()) or 1

    def _rows(self) -> list[tuple[str, int]]:
        """What each line shows: ("playhead"|"track"|"more"|"scale", track position)."""
        tracks = getattr(self.draft, "tracks", None) or []
        if not tracks:
            return []
        shown = range(self.top, min(len(tracks), self.top + RULER_TRACKS))
        rows = [("playhead", 0)] + [("track", p) for p in shown]
        if len(tracks) > RULER_TRACKS:
            rows.append(("more", len(tracks) - len(shown)))
        return rows + [("scale", 0)]

    def _style(self, name: str) -> Style:
        """A component style, cached per theme."""
        if self._styles is None or self._styles[0] != self.app.theme:
            self._styles = (self.app.theme, {})
            self._cache.clear()
        styles = self._styles[1]
        if name not in styles:
            styles[name] = self.get_component_rich_style(name)
        return styles[name]

    def render_line(self, y: int) -> Strip:
        """One line of the ruler (cached by what it depends on)."""
        rows = self._rows()
        width = self.content_size.width
        if y >= len(rows):
            return Strip.blank(width, self.rich_style)
        kind, pos = rows[y]
        column = self._playhead_column()
        selected = self.selected if self.selected and self.selected[0] == pos else None
        key = (kind, pos, width, self.view_ms, self.ms_per_cell, column, selected,
               self.app.theme, id(self.draft), self.playhead_ms if kind == "playhead" else 0)
        strip = self._cache.get(key)
        if strip is None:
            if len(self._cache) > 256:
                self._cache.clear()
            strip = self._draw(kind, pos, column, selected, width)
            self._cache[key] = strip
        return strip

    def _playhead_column(self) -> int | None:
        """The playhead's cell on the time axis, or None when scrolled out of view."""
        col = int((self.playhead_ms - self.view_ms) // self.ms_per_cell)
        return col if 0 <= col < self.bar_width else None

    def _draw(self, kind: str, pos: int, column: int | None,
              selected: tuple[int, int | None] | None, width: int) -> Strip:
        """Build one line's cells and turn them into a strip."""
        base = self.rich_style
        size = max(width, NAME_W + self.bar_width)  # a pane narrower than the minimum is cropped
        chars = [" "] * size
        styles = [base] * size
        if kind == "track":
            self._draw_track(pos, chars, styles, selected)
            if column is not None:
                c = NAME_W + column - (1 if chars[NAME_W + column] == "" else 0)
                styles[c] = styles[c] + self._style("ruler--playhead-cell")
        elif kind == "playhead" and column is not None:
            label = f"▏ {format_seconds(self.playhead_ms)}s"
            start = NAME_W + column
            if start + len(label) > width:  # no room on the right: the time goes left of it
                label = f"{format_seconds(self.playhead_ms)}s ▏"
                start = max(0, start - len(label) + 1)
            label = label[:width - start]  # a very narrow pane: what fits
            chars[start:start + len(label)] = list(label)
            styles[start:start + len(label)] = [self._style("ruler--playhead")] * len(label)
        elif kind == "more":
            text = f"… {pos} more track{'s' if pos != 1 else ''}"[:width]
            chars[:len(text)] = list(text)
            styles[:len(text)] = [self._style("ruler--more")] * len(text)
        elif kind == "scale":
            self._draw_scale(chars, styles)
        if size > width and chars[width] == "":  # never half a wide character at the edge
            chars[width - 1] = " "
        return _strip(chars[:width], styles[:width], width)

    def _draw_track(self, pos: int, chars: list[str], styles: list[Any],
                    selected: tuple[int, int | None] | None) -> None:
        """A track's name and its blocks, labels inside them."""
        track = self.draft.tracks[pos]
        name = fit_label(str(track.role), NAME_W - 1) + [" "]
        chars[:NAME_W] = name
        sel = self._style("ruler--selected")
        styles[:NAME_W] = [sel if selected and selected[1] is None else
                           self._style("ruler--name")] * NAME_W
        kind = track.kind if track.kind in _KINDS else "other"
        shades = (self._style(f"ruler--{kind}"), self._style(f"ruler--{kind}-alt"))
        width, scale, view = self.bar_width, self.ms_per_cell, self.view_ms
        segments = track.segments
        runs = cell_runs(self._index[pos], view, scale, width)
        for seg, a, b in runs:
            if seg >= 0:
                _block(chars, styles, NAME_W + a, NAME_W + b, _shown_text(segments[seg], kind),
                       shades[seg % 2])
        if selected and selected[1] is not None and selected[1] < len(segments):
            chosen = selected[1]
            seg = segments[chosen]
            # its own run when it has one (the same cells as unselected), else at least a cell
            cells = next(((a, b) for s, a, b in runs if s == chosen), None) or span_cells(
                seg.start_ms, seg.end_ms, view, scale, width)
            if cells is not None:
                _block(chars, styles, NAME_W + cells[0], NAME_W + cells[1],
                       _shown_text(seg, kind), sel)

    def _draw_scale(self, chars: list[str], styles: list[Any]) -> None:
        """Ticks with their times, spaced for the zoom."""
        scale, view, width = self.ms_per_cell, self.view_ms, self.bar_width
        step = tick_step(scale)
        style = self._style("ruler--scale")
        t = math.ceil(view / step) * step
        free = 0
        while t < view + width * scale:
            c = int((t - view) // scale)
            label = "╵" + format_seconds(int(t)) + "s"
            if c >= free and c + len(label) <= width:
                for i, ch in enumerate(label):
                    chars[NAME_W + c + i] = ch
                    styles[NAME_W + c + i] = style
                free = c + len(label) + 1
            t += step

    def plain_lines(self) -> list[str]:
        """The ruler as plain text, one string per line (for tests and tools)."""
        return [self.render_line(y).text for y in range(len(self._rows()))]


def _shown_text(seg: Any, kind: str) -> str:
    """What a block says: a text segment's text, else the segment's label."""
    if kind == "text" and seg.text:
        return seg.text
    return seg.label or ""


def _block(chars: list[str], styles: list[Any], a: int, b: int, text: str, style: Any) -> None:
    """Fill cells [a, b) with ``style`` and the label cut to fit (one cell kept free)."""
    cells = fit_label(text, b - a - 1) + [" "] if b - a >= 3 else [" "] * (b - a)
    chars[a:b] = cells
    styles[a:b] = [style] * (b - a)


def _strip(chars: list[str], styles: list[Any], width: int) -> Strip:
    """Cells to a strip: runs of one style become one segment."""
    segments: list[RichSegment] = []
    start = 0
    for i in range(1, len(chars) + 1):
        if i == len(chars) or styles[i] is not styles[start]:
            segments.append(RichSegment("".join(chars[start:i]), styles[start]))
            start = i
    return Strip(segments, width)


__all__ = ["NAME_W", "RULER_TRACKS", "Ruler"]
