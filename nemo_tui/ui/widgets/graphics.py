"""Pictures drawn by the terminal itself (Kitty graphics or Sixel) through textual-image.

Used only when `nemo_tui.preview.terminal.choose_graphics` found such a terminal before the app
started. textual-image queries the terminal when it is imported, which a running Textual app
must not do (the answer would arrive as key presses), so it is imported here with its answers
given in advance: the cell size we measured, and stdout hidden from its import-time probe.
"""

from __future__ import annotations

import io
import math
import sys
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Center
from textual.widgets import Static

from nemo_tui.textsafe import safe_line

#: Pixels per cell assumed when the terminal did not say (VT340's, as textual-image does).
DEFAULT_CELL = (10, 20)


def load_textual_image(cell_size: tuple[int, int] | None) -> Any:
    """``textual_image.widget``, imported without it writing anything to the terminal."""
    if "textual_image.widget" in sys.modules:
        return sys.modules["textual_image.widget"]
    from textual_image import _terminal

    _terminal.get_cell_size._result = _terminal.CellSize(*(cell_size or DEFAULT_CELL))
    real = sys.__stdout__
    # its renderable package probes only when stdout is a terminal: show it one that is not
    sys.__stdout__ = io.StringIO()
    try:
        from textual_image import widget
    finally:
        sys.__stdout__ = real
    return widget


def fit_pixels(frame_width: int, frame_height: int, max_cols: int, max_rows: int,
               cell: tuple[int, int]) -> tuple[int, int]:
    """Pixel size of the largest picture of the frame's shape within max_cols x max_rows cells
    of ``cell`` pixels each."""
    width = max(1, max_cols) * cell[0]
    height = max(1, max_rows) * cell[1]
    scale = min(width / frame_width, height / frame_height)
    return max(1, math.floor(frame_width * scale)), max(1, math.floor(frame_height * scale))


class GraphicsPicture(Center):
    """Shows one picture (Kitty or Sixel) centred, or a one-line message."""

    DEFAULT_CSS = """
    GraphicsPicture { width: 1fr; height: 1fr; align: center middle; }
    GraphicsPicture > .graphics-image { width: auto; height: auto; }
    GraphicsPicture > .graphics-message { width: auto; height: 1; }
    """

    def __init__(self, kind: str, cell_size: tuple[int, int] | None, **kw: Any) -> None:
        super().__init__(**kw)
        self.kind = kind
        self.cell = cell_size or DEFAULT_CELL
        self.picture: Any = None
        self.message: str | None = None
        widgets = load_textual_image(cell_size)
        self._image_class = widgets.TGPImage if kind == "kitty" else widgets.SixelImage

    def compose(self) -> ComposeResult:
        """The image widget and a hidden message line."""
        yield self._image_class(classes="graphics-image")
        message = Static(classes="graphics-message", markup=False)
        message.display = False
        yield message

    def picture_size(self, frame_width: int, frame_height: int) -> tuple[int, int]:
        """The pixel size to decode for this widget's area."""
        return fit_pixels(frame_width, frame_height, self.size.width, self.size.height,
                          self.cell)

    def show(self, picture: Any) -> None:
        """Show ``picture`` (already at ``picture_size``)."""
        self.picture, self.message = picture, None
        self.query_one(".graphics-message").display = False
        image = self.query_one(".graphics-image")
        image.display = True
        image.image = picture

    def show_message(self, text: str) -> None:
        """Show a sentence instead of a picture."""
        self.picture, self.message = None, safe_line(text, max_len=400)
        self.query_one(".graphics-image").display = False
        message = self.query_one(".graphics-message", Static)
        message.update(Text(self.message))
        message.display = True
