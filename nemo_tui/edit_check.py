"""Did a composed edit happen? Compare the draft after the turn with what the action expects.

``✓ applied`` when the new draft shows the change (segment gone, split in two at the playhead,
trimmed, order changed, volume or text changed, media inserted), else ``✗ not applied`` with what
was expected and what did change. :class:`EditWatch` holds the one pending expectation between
sending a composed instruction and the end of its turn. Pure: the :mod:`nemo_tui.draft` model only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nemo_tui.diff import diff_drafts
from nemo_tui.draft import Draft, Segment, Track, format_seconds
from nemo_tui.edit_compose import EditAction
from nemo_tui.textsafe import safe_line

__all__ = ["APPLIED", "NOT_APPLIED", "EditWatch", "Verdict", "check", "expectation"]

APPLIED = "✓ applied"
NOT_APPLIED = "✗ not applied — the timeline did not change as asked"
#: Backends round times; a cut this close to the asked time counts as there (ms).
TOLERANCE_MS = 100
#: Diff lines listed under a "not applied" verdict.
MAX_DIFF_LINES = 10


@dataclass
class Verdict:
    """The outcome of one composed edit: applied or not, and the lines to show."""

    applied: bool
    lines: list[str] = field(default_factory=list)
    action: EditAction | None = None


def _key(seg: Segment) -> tuple[str, int]:
    """What identifies a segment across an edit that moves it: its label and length."""
    return seg.label, seg.duration_ms


def _same_track(old: Draft, new: Draft, index: int) -> Track | None:
    """The new draft's track matching old track ``index`` (same position, else the same
    ordinal among tracks of its type)."""
    if not 0 <= index < len(old.tracks):
        return None
    before = old.tracks[index]
    if index < len(new.tracks) and new.tracks[index].kind == before.kind:  # V3: no codes
        return new.tracks[index]
    nth = sum(1 for t in old.tracks[:index] if t.kind == before.kind)
    same = [t for t in new.tracks if t.kind == before.kind]
    return same[nth] if nth < len(same) else None


def _near(a: int, b: int) -> bool:
    """Two times within the tolerance."""
    return abs(a - b) <= TOLERANCE_MS


def _segment_after(old_track: Track, new_track: Track, i: int) -> Segment | None:
    """The new version of old segment ``i``: same position and label, else the only segment
    with its label."""
    label = old_track.segments[i].label
    if i < len(new_track.segments) and new_track.segments[i].label == label:
        return new_track.segments[i]
    found = [s for s in new_track.segments if s.label == label]
    return found[0] if len(found) == 1 else None


def _inserted(action: EditAction, new: Draft, old: Draft) -> bool:
    """A segment named after the media starts at the playhead on a video track that grew."""
    for t_old, t_new in zip((t for t in old.tracks if t.kind == "video"),
                            (t for t in new.tracks if t.kind == "video"), strict=False):
        if len(t_new.segments) <= len(t_old.segments):  # +2 when a scene was cut for it
            continue
        name = (action.media or "").strip()
        for seg in t_new.segments:
            named = seg.label == name or (seg.src or "").rsplit("/", 1)[-1] == name
            if named and _near(seg.start_ms, action.at_ms):
                return True
    return False


def check(action: EditAction, old: Draft | None, new: Draft | None) -> bool:
    """Whether ``new`` shows the change ``action`` asked of ``old``."""
    if old is None or new is None:
        return False
    if action.kind == "insert":
        return _inserted(action, new, old)
    track = _same_track(old, new, action.track)
    if track is None or not 0 <= action.segment < len(old.tracks[action.track].segments):
        return False
    before = old.tracks[action.track]
    i = action.segment
    seg = before.segments[i]
    keys = [_key(s) for s in before.segments]
    now = [_key(s) for s in track.segments]
    kind = action.kind
    if kind == "delete":
        return [k[0] for k in now] == [k[0] for k in keys[:i] + keys[i + 1:]]
    if kind == "split":
        ends = any(_near(s.end_ms, action.at_ms) for s in track.segments)
        starts = any(_near(s.start_ms, action.at_ms) for s in track.segments)
        return len(now) == len(keys) + 1 and ends and starts
    if kind in ("move_earlier", "move_later"):
        j = i - 1 if kind == "move_earlier" else i + 1
        if not 0 <= j < len(keys):
            return False
        swapped = list(keys)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        return now == swapped
    if kind == "retext":  # a text segment's label is its text: find it by position
        now_seg = track.segments[i] if i < len(track.segments) else None
        return now_seg is not None and (now_seg.text or "").strip() == (action.text or "").strip()
    after = _segment_after(before, track, i)
    if after is None:
        return False
    if kind == "trim_start":
        return _near(after.duration_ms, seg.end_ms - action.at_ms)
    if kind == "trim_end":
        return _near(after.duration_ms, action.at_ms - seg.start_ms)
    if kind in ("volume_up", "volume_down"):
        return after.volume is not None and int(after.volume * 100 + 0.5) == action.volume
    return False


def expectation(action: EditAction, old: Draft | None) -> str:
    """What the action expected, in words (shown under a "not applied" verdict)."""
    at = f"{format_seconds(action.at_ms)}s"
    if action.kind == "insert":
        return f'expected: "{safe_line(action.media or "", max_len=60)}" inserted at {at}'
    where = f"segment {action.track + 1}.{action.segment + 1}"
    if old is not None and 0 <= action.track < len(old.tracks):
        where += f" of the {safe_line(old.tracks[action.track].role)} track"
    what = {
        "delete": "removed", "split": f"split in two at {at}",
        "trim_start": f"starting at {at}", "trim_end": f"ending at {at}",
        "move_earlier": "one place earlier", "move_later": "one place later",
        "volume_up": f"at volume {action.volume}%", "volume_down": f"at volume {action.volume}%",
        "retext": f'reading "{safe_line(action.text or "", max_len=60)}"',
    }.get(action.kind, action.kind)
    return f"expected: {where} {what}"


class EditWatch:
    """The composed edit waiting for its turn to end (at most one at a time)."""

    def __init__(self) -> None:
        self.action: EditAction | None = None
        self.before: Draft | None = None

    def expect(self, action: EditAction | None, before: Draft | None) -> None:
        """Remember what the message just sent asks for (None: a message that is no edit)."""
        self.action = action
        self.before = before if action is not None else None

    def verdict(self, new: Draft | None, diff_shown: bool = False) -> Verdict | None:
        """After the turn: the verdict on the pending edit (None when none was pending).

        A "not applied" verdict lists what did change, unless ``diff_shown`` says the caller
        has just shown that diff."""
        action, before = self.action, self.before
        self.action = self.before = None
        if action is None:
            return None
        if check(action, before, new):
            return Verdict(True, [APPLIED], action)
        lines = [NOT_APPLIED, expectation(action, before)]
        changes = diff_drafts(before, new)
        if diff_shown and changes:
            return Verdict(False, lines, action)
        lines += changes[:MAX_DIFF_LINES] or ["the timeline did not change at all"]
        if len(changes) > MAX_DIFF_LINES:
            lines.append(f"… and {len(changes) - MAX_DIFF_LINES} more changes")
        return Verdict(False, lines, action)
