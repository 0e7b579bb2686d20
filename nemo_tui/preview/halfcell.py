"""Half-cell pictures: each terminal cell is `▀` with the upper pixel as foreground colour and
the lower pixel as background (24-bit). Pure: no Textual, no Pillow import (any object with
``size`` and ``tobytes()`` in RGB works).

The CLI's byte format is fixed by CLI.md ("preview: the picture"):
``ESC[38;2;R;G;Bm ESC[48;2;R;G;Bm ▀`` per cell, ``ESC[0m`` and a newline after each row.
"""

from __future__ import annotations

import math
from typing import Protocol

UPPER_HALF = "▀"
RGB = tuple[int, int, int]


class RGBPicture(Protocol):
    """What the drawing needs of a picture (a PIL image in RGB mode has it)."""

    size: tuple[int, int]

    def tobytes(self) -> bytes:
        """Pixels, row by row, three bytes each."""
        ...


def rows_for(width: int, frame_width: int, frame_height: int) -> int:
    """Rows of a picture ``width`` cells wide: ``ceil(width * frame_height / frame_width / 2)``."""
    return max(1, math.ceil(width * frame_height / frame_width / 2))


def fit_cells(frame_width: int, frame_height: int, max_cols: int, max_rows: int
              ) -> tuple[int, int]:
    """The largest (cols, rows) keeping the frame's shape that fits in max_cols x max_rows."""
    max_cols, max_rows = max(1, max_cols), max(1, max_rows)
    cols = min(max_cols, max(1, math.floor(max_rows * 2 * frame_width / frame_height)))
    while cols > 1 and rows_for(cols, frame_width, frame_height) > max_rows:
        cols -= 1
    return cols, min(max_rows, rows_for(cols, frame_width, frame_height))


def pixel_size(cols: int, rows: int) -> tuple[int, int]:
    """The picture size that fills cols x rows half cells: two pixels per cell, stacked."""
    return cols, rows * 2


def cells(picture: RGBPicture) -> list[list[tuple[RGB, RGB]]]:
    """(upper, lower) pixel colours of every cell, row by row (an odd last pixel row is
    repeated as its own lower half)."""
    width, height = picture.size
    data = picture.tobytes()
    stride = width * 3

    def pixel(x: int, y: int) -> RGB:
        i = y * stride + x * 3
        return data[i], data[i + 1], data[i + 2]

    out = []
    for y in range(0, height, 2):
        lower_y = y + 1 if y + 1 < height else y
        out.append([(pixel(x, y), pixel(x, lower_y)) for x in range(width)])
    return out


def ansi_lines(picture: RGBPicture) -> str:
    """The picture as half-cell text with 24-bit colour escapes (CLI.md's exact format)."""
    lines = []
    for row in cells(picture):
        parts = [f"\x1b[38;2;{a[0]};{a[1]};{a[2]}m\x1b[48;2;{b[0]};{b[1]};{b[2]}m{UPPER_HALF}"
                 for a, b in row]
        lines.append("".join(parts) + "\x1b[0m\n")
    return "".join(lines)
