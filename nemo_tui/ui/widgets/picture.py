"""A picture drawn with half cells: `▀` in the upper pixel's colour on the lower pixel's.

Works in every terminal with 24-bit colour (and over textual-serve); Kitty/Sixel pictures come
from textual-image instead (see `nemo_tui.ui.widgets.graphics`). The picture is any RGB object
with ``size`` and ``tobytes()`` (a PIL image) already scaled to two pixels per cell.
"""

from __future__ import annotations

from typing import Any

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from nemo_tui.preview.halfcell import UPPER_HALF, cells
from nemo_tui.textsafe import safe_line


def picture_strips(picture: Any) -> list[Strip]:
    """One Strip per cell row; runs of equal cells share one Segment (fewer, longer writes)."""
    styles: dict[tuple, Style] = {}
    strips = []
    for row in cells(picture):
        segments: list[Segment] = []
        run_key, run = None, 0
        for pair in row:
            if pair != run_key and run:
                segments.append(Segment(UPPER_HALF * run, styles[run_key]))
                run = 0
            if pair not in styles:
                upper, lower = pair
                styles[pair] = Style(color=Color.from_rgb(*upper), bgcolor=Color.from_rgb(*lower))
            run_key = pair
            run += 1
        if run:
            segments.append(Segment(UPPER_HALF * run, styles[run_key]))
        strips.append(Strip(segments, len(row)))
    return strips


class HalfcellPicture(Widget):
    """Shows one picture centred in its area, or a one-line message (literal text)."""

    DEFAULT_CSS = """
    HalfcellPicture { width: 1fr; height: 1fr; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._strips: list[Strip] = []
        self._width = 0
        self.message: str | None = None
        #: The picture shown (for tests and for whoever scales the next one).
        self.picture: Any = None

    def show(self, picture: Any) -> None:
        """Show ``picture`` (cols x 2*rows pixels); clears any message."""
        self.picture = picture
        self.message = None
        self._strips = picture_strips(picture)
        self._width = picture.size[0]
        self.refresh()

    def show_message(self, text: str) -> None:
        """Show a sentence instead of a picture (file names in it are escaped here)."""
        self.message = safe_line(text, max_len=400)
        self.picture = None
        self._strips = []
        self.refresh()

    def render_line(self, y: int) -> Strip:
        """The picture's row at ``y`` (centred), or blank / the message."""
        width, height = self.size
        if self.message is not None:
            if y != height // 2:
                return Strip.blank(width, self.rich_style)
            text = self.message[:width]
            pad = max(0, (width - len(text)) // 2)
            return Strip([Segment(" " * pad + text, self.rich_style)]).adjust_cell_length(
                width, self.rich_style)
        top = max(0, (height - len(self._strips)) // 2)
        row = y - top
        if not 0 <= row < len(self._strips):
            return Strip.blank(width, self.rich_style)
        left = max(0, (width - self._width) // 2)
        strip = self._strips[row]
        if left:
            strip = Strip.join([Strip.blank(left, self.rich_style), strip])
        return strip.crop(0, width).adjust_cell_length(width, self.rich_style)
