"""The ruler's geometry, without Textual: which segment covers each cell, labels cut to fit a
block without splitting a wide character, and tick steps that follow the zoom."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from rich.cells import get_character_cell_size

from nemo_tui.textsafe import safe_line

#: Tick spacings tried, in ms (the smallest that leaves room for its label wins).
TICK_STEPS = (100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000,
              300_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 86_400_000)
#: How far back a lookup walks when segments overlap (beyond that: shown as a gap).
_OVERLAP_WALK = 32


def fit_label(text: str, width: int) -> list[str]:
    """``text`` (made safe) as exactly ``width`` cells: one entry per cell, ``""`` for the right
    half of a wide character; cut with ``…`` when too long, never through a wide character."""
    if width <= 0:
        return []
    chars: list[str] = []
    for ch in safe_line(text):
        size = get_character_cell_size(ch)
        if size == 0:
            continue  # combining marks: dropped rather than mis-measured
        chars.append(ch)
        chars.extend([""] * (size - 1))
        if len(chars) > width:
            break
    if len(chars) > width:
        keep = width - 1
        if chars[keep] == "":  # the cut would fall inside a wide character: drop all of it
            keep -= 1
        chars = chars[:keep] + ["…"]
    return chars + [" "] * (width - len(chars))


def tick_step(ms_per_cell: float, label_cells: int = 8) -> int:
    """The tick spacing (ms) for a zoom: ticks at least ``label_cells`` apart."""
    for step in TICK_STEPS:
        if step / ms_per_cell >= label_cells:
            return step
    return TICK_STEPS[-1]


@dataclass
class TrackIndex:
    """A track's segments sorted by start, for finding what covers a time in O(log n)."""

    order: list[int]  # segment indexes sorted by start
    starts: list[int]
    ends: list[int]

    @classmethod
    def of(cls, segments: list[Any]) -> TrackIndex:
        """Index a track's segments (already sorted in the common case: no sort then)."""
        starts = [int(s.start_ms) for s in segments]
        order = list(range(len(segments)))
        if any(a > b for a, b in pairwise(starts)):
            order.sort(key=starts.__getitem__)
            starts = [starts[i] for i in order]
        ends = [int(segments[i].end_ms) for i in order]
        return cls(order, starts, ends)

    def at(self, t0: float, t1: float) -> int:
        """The segment index shown in the cell [t0, t1): the one covering its middle, else one
        starting inside it (so short segments still show), else -1."""
        mid = (t0 + t1) / 2
        pos = bisect_right(self.starts, mid) - 1
        for k in range(pos, max(pos - _OVERLAP_WALK, -1), -1):
            if self.ends[k] > mid:
                return self.order[k]
        first = bisect_left(self.starts, t0)
        if first < len(self.starts) and self.starts[first] < t1:
            return self.order[first]
        return -1


def cell_runs(index: TrackIndex, view_ms: float, ms_per_cell: float, width: int
              ) -> list[tuple[int, int, int]]:
    """(segment index or -1, first cell, end cell) runs across ``width`` cells."""
    runs: list[tuple[int, int, int]] = []
    current, begin = -2, 0
    for c in range(width):
        t0 = view_ms + c * ms_per_cell
        seg = index.at(t0, t0 + ms_per_cell)
        if seg != current:
            if current != -2:
                runs.append((current, begin, c))
            current, begin = seg, c
    if current != -2:
        runs.append((current, begin, width))
    return runs


def span_cells(start_ms: int, end_ms: int, view_ms: float, ms_per_cell: float, width: int
               ) -> tuple[int, int] | None:
    """The cells a time span covers in the view (at least one), or None when off screen."""
    c0 = int((start_ms - view_ms) // ms_per_cell)
    c1 = max(c0 + 1, -int(-(end_ms - view_ms) // ms_per_cell))
    c0, c1 = max(c0, 0), min(c1, width)
    return (c0, c1) if c0 < c1 else None
