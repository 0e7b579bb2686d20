"""Which render shows a timeline segment: the data behind the timeline's still (pure: no I/O,
no Textual).

A segment's still is the middle frame of that segment in a downloaded render of the current
draft version, or else of the newest earlier version that was rendered; a still from an
earlier version is marked "older version" (the draft changed since).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SegmentStillSource:
    """Where a segment's still comes from."""

    path: str
    """The downloaded render."""
    at: float
    """Seconds into the render: the middle of the segment."""
    job_id: str
    version: int | None
    """The draft version the render was made from (None: not known)."""
    older: bool
    """The draft changed since that render (or it is not known which version it showed)."""

    def label(self) -> str:
        """``v3 · 4.5 s``, ``v2 · 4.5 s · older version``, ``render r_1 · 4.5 s``."""
        name = f"v{self.version}" if self.version is not None else f"render {self.job_id}"
        return f"{name} · {self.at:g} s" + (" · older version" if self.older else "")


def segment_middle(segment: Any) -> float:
    """The middle of a draft segment, in seconds."""
    start = max(0, int(getattr(segment, "start_ms", 0) or 0))
    length = max(0, int(getattr(segment, "duration_ms", 0) or 0))
    return round((start + length / 2) / 1000, 3)


def segment_still(segment: Any, jobs: Iterable[Any], *, session_id: str | None,
                  current_version: int | None) -> SegmentStillSource | None:
    """The still for ``segment`` from the best downloaded render of this session: the current
    version's, else the newest earlier version's (None when nothing fits)."""
    usable = [j for j in jobs if j.status == "completed" and j.path
              and (session_id is None or j.session_id == session_id)]
    if current_version is not None:
        # a render of a later version than the one shown cannot show this draft's segment
        usable = [j for j in usable if j.version is None or j.version <= current_version]
    if not usable:
        return None

    def rank(job: Any) -> tuple[int, str]:
        known = job.version if job.version is not None else -1
        return known, str(job.created_at or "")

    best = max(usable, key=rank)
    older = current_version is not None and best.version != current_version
    return SegmentStillSource(str(best.path), segment_middle(segment), best.id, best.version,
                              older)
