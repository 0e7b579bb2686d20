"""Describe in words what changed between two drafts (after an edit, or a turn with no text).

Lines look like ``+ track BGM: Lo-fi (0-10s, 35%)``, ``title changed to "Night Lights"``,
``BGM volume 35% → 20%``, ``duration 10s → 15s``. The order is deterministic: title, size,
duration, removed tracks, then each track of the new draft in order. The title track's text
usually is the draft's title: when both change from the old title to the new one, that is one
change, said once (by the title line). Pure: no I/O.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from math import gcd

from nemo_tui.draft import (
    Draft,
    Segment,
    Track,
    display_label,
    format_seconds,
    time_span,
    track_text,
    transition_text,
)
from nemo_tui.textsafe import safe_line

__all__ = ["MAX_LINES_PER_TRACK", "diff_drafts", "diff_head"]

#: Segment-change lines listed per track before "… N more changes".
MAX_LINES_PER_TRACK = 20


@dataclass(frozen=True)
class _Hidden:
    """A track's count of changes left unlisted (each would have been one line)."""

    count: int
    role: str

    def line(self) -> str:
        """``Video: … 12 more changes``."""
        return f"{self.role}: … {self.count} more change{'' if self.count == 1 else 's'}"


Entry = str | _Hidden  # one change line, or a count of changes not listed


def _size(draft: Draft | None) -> str | None:
    """``1080×1920 (9:16)``, or None when the canvas size is unknown."""
    if draft is None or draft.width is None or draft.height is None:
        return None
    w, h = draft.width, draft.height
    g = gcd(w, h)
    aspect = f" ({w // g}:{h // g})" if max(w // g, h // g) <= 64 else ""
    return f"{w}×{h}{aspect}"


def _percent(volume: float | None) -> str:
    """A volume as shown to people; None is the backend's default level."""
    return "default" if volume is None else f"{int(volume * 100 + 0.5)}%"


def _match_tracks(old: list[Track], new: list[Track]) -> tuple[list[tuple[Track, Track]],
                                                                list[Track], list[Track]]:
    """Pair tracks by kind and order within that kind: (pairs, removed, added)."""
    pool: dict[str, deque[Track]] = defaultdict(deque)
    for t in old:
        pool[t.kind].append(t)
    pairs: list[tuple[Track, Track]] = []
    added: list[Track] = []
    for t in new:
        if pool[t.kind]:
            pairs.append((pool[t.kind].popleft(), t))
        else:
            added.append(t)
    matched = {id(o) for o, _ in pairs}
    removed = [t for t in old if id(t) not in matched]
    return pairs, removed, added


def _match_segments(old: list[Segment], new: list[Segment]) -> tuple[
        list[tuple[Segment, Segment] | None], list[Segment]]:
    """Pair segments in linear time: same label first (in order), then leftovers at one position.

    Returns, for each new segment, its old partner or None (added), and the removed old ones.
    """
    by_label: dict[str, deque[int]] = defaultdict(deque)
    for i, seg in enumerate(old):
        by_label[seg.label].append(i)
    partner: list[int | None] = [None] * len(new)
    used = [False] * len(old)
    for j, seg in enumerate(new):
        queue = by_label.get(seg.label)
        if queue:
            i = queue.popleft()
            partner[j] = i
            used[i] = True
    # Relabelled segments: an unmatched pair at the same position is one segment renamed (not
    # "- a" and "+ b"); unmatched ones elsewhere really were removed and added.
    for j in range(min(len(new), len(old))):
        if partner[j] is None and not used[j]:
            partner[j] = j
            used[j] = True
    pairs = [None if p is None else (old[p], new[j]) for j, p in enumerate(partner)]
    removed = [old[i] for i, u in enumerate(used) if not u]
    return pairs, removed


#: (old title, new title) of a draft whose title changed; None when it did not.
Titles = tuple[str | None, str | None] | None


def _relabelled(old: Segment, new: Segment, titles: Titles) -> bool:
    """Whether the segment's label changed in a way the summary lists on its own: not when
    the title track's text changed along with the draft's title, from the old title to the
    new one (one change, said once by ``title changed to …``)."""
    if old.label == new.label and old.label_is_text == new.label_is_text:
        return False
    return titles is None or not (old.label_is_text and new.label_is_text
                                  and (old.label, new.label) == titles)


def _segment_changes(role: str, old: Segment, new: Segment, single: bool,
                     titles: Titles = None) -> list[str]:
    """Lines for one matched segment pair (empty when unchanged)."""
    lines: list[str] = []
    old_label, new_label = display_label(old), display_label(new)
    if _relabelled(old, new, titles):
        lines.append(f"{role}: {old_label} → {new_label}")
    if (old.start_ms, old.duration_ms) != (new.start_ms, new.duration_ms):
        lines.append(f"{role}: {new_label} {time_span(old)} → {time_span(new)}")
    if old.volume != new.volume and _percent(old.volume) != _percent(new.volume):
        which = "" if single else f" ({new_label})"
        lines.append(f"{role} volume {_percent(old.volume)} → {_percent(new.volume)}{which}")
    return lines


def _track_changes(old: Track, new: Track, titles: Titles = None) -> list[Entry]:
    """Lines for one matched track pair, capped at MAX_LINES_PER_TRACK, then the count of the
    changes not listed (each one a line it would have been). ``titles``: the draft's title
    change, which the title track's text may echo."""
    role = new.role
    if role != "Title":
        titles = None
    pairs, removed = _match_segments(old.segments, new.segments)
    single = len(old.segments) == 1 and len(new.segments) == 1
    lines: list[Entry] = []
    hidden = 0

    def add(more: list[str]) -> None:
        nonlocal hidden
        room = MAX_LINES_PER_TRACK - len(lines)
        lines.extend(more[:max(room, 0)])
        hidden += max(len(more) - max(room, 0), 0)

    for seg in removed:
        # Counting is cheap; formatting 10,000 lines nobody reads is not.
        if len(lines) >= MAX_LINES_PER_TRACK:
            hidden += 1
            continue
        add([f"- {role}: {_seg_text(seg)}"])
    for j, pair in enumerate(pairs):
        if len(lines) >= MAX_LINES_PER_TRACK:
            hidden += 1 if pair is None else _change_count(*pair, titles)
            continue
        if pair is None:
            add([f"+ {role}: {_seg_text(new.segments[j])}"])
        else:
            add(_segment_changes(role, pair[0], pair[1], single, titles))
    if hidden:
        lines.append(_Hidden(hidden, role))
    return lines


def _change_count(old: Segment, new: Segment, titles: Titles = None) -> int:
    """How many lines `_segment_changes` would give for a matched pair (without formatting)."""
    return (_relabelled(old, new, titles)
            + ((old.start_ms, old.duration_ms) != (new.start_ms, new.duration_ms))
            + (old.volume != new.volume and _percent(old.volume) != _percent(new.volume)))


def _seg_text(seg: Segment) -> str:
    """A segment with its span and volume, as in the summary."""
    text = f"{display_label(seg)} ({time_span(seg)}"
    if seg.volume is not None:
        text += f", {_percent(seg.volume)}"
    return text + ")"


def _new_timeline_line(draft: Draft) -> str:
    """The headline of a first draft: ``new timeline "Title", 1920×1080 (16:9), 15s``."""
    parts = [f'"{safe_line(draft.title, max_len=80)}"'] if draft.title else []
    if size := _size(draft):
        parts.append(size)
    parts.append(f"{format_seconds(draft.duration_ms)}s")
    return "new timeline " + ", ".join(parts)


def diff_drafts(old: Draft | None, new: Draft | None) -> list[str]:
    """What changed from ``old`` to ``new``, one short line per change; [] when nothing did.

    A track with many changes lists MAX_LINES_PER_TRACK of them, then ``Role: … N more
    changes``.
    """
    return [e.line() if isinstance(e, _Hidden) else e for e in _entries(old, new)]


def diff_head(old: Draft | None, new: Draft | None, limit: int) -> tuple[list[str], int]:
    """The first `limit` lines of `diff_drafts`, and how many changes the rest holds.

    The count is of changes, not of lines: a track's ``… N more changes`` line counts N, so
    "… and M more changes" after the head is true however large the edit.
    """
    entries = _entries(old, new)
    head = [e.line() if isinstance(e, _Hidden) else e for e in entries[:limit]]
    return head, sum(e.count if isinstance(e, _Hidden) else 1 for e in entries[limit:])


def _entries(old: Draft | None, new: Draft | None) -> list[Entry]:
    """The change lines, with each track's unlisted changes as one `_Hidden` count."""
    if old is None and new is None:
        return []
    if old is None and new is not None:
        return ([_new_timeline_line(new)] + [f"+ track {track_text(t)}" for t in new.tracks]
                + _transition_changes(None, new))
    lines: list[Entry] = []
    old_title = old.title if old else None
    new_title = new.title if new else None
    titles: Titles = (old_title, new_title) if old_title != new_title else None
    if old_title != new_title:
        if new_title is None:
            lines.append("title removed")
        else:
            lines.append(f'title changed to "{safe_line(new_title, max_len=80)}"')
    old_size, new_size = _size(old), _size(new)
    if old_size != new_size:
        lines.append(f"size {old_size or 'unknown'} → {new_size or 'unknown'}")
    old_d = old.duration_ms if old else 0
    new_d = new.duration_ms if new else 0
    if old_d != new_d:
        lines.append(f"duration {format_seconds(old_d)}s → {format_seconds(new_d)}s")
    pairs, removed, added = _match_tracks(old.tracks if old else [], new.tracks if new else [])
    for t in removed:
        lines.append(f"- track {track_text(t)}")
    partner = {id(n): o for o, n in pairs}
    added_ids = {id(t) for t in added}
    for t in new.tracks if new else []:
        if id(t) in added_ids:
            lines.append(f"+ track {track_text(t)}")
        else:
            lines.extend(_track_changes(partner[id(t)], t, titles))
    return lines + _transition_changes(old, new)


def _transition_changes(old: Draft | None, new: Draft | None) -> list[Entry]:
    """``- transition …`` / ``+ transition …`` lines (a moved one is removed and added)."""
    before = [transition_text(t) for t in (old.transitions if old else [])]
    after = [transition_text(t) for t in (new.transitions if new else [])]
    if before == after:
        return []
    pool: dict[str, int] = defaultdict(int)
    for text in before:
        pool[text] += 1
    added = []
    for text in after:
        if pool[text]:
            pool[text] -= 1
        else:
            added.append(text)
    removed = [text for text, n in pool.items() for _ in range(n)]
    lines: list[Entry] = [f"- transition {t}" for t in removed]
    lines += [f"+ transition {t}" for t in added]
    if len(lines) > MAX_LINES_PER_TRACK:
        more = len(lines) - MAX_LINES_PER_TRACK
        lines = lines[:MAX_LINES_PER_TRACK] + [_Hidden(more, "Transitions")]
    return lines
