"""Segment-level edits on any track (the timeline keys' instructions). Pure functions on dicts.

The main video track keeps its scenes end to end (as every other local edit does); segments of
the other tracks keep their own times.
"""

from __future__ import annotations

import copy
from typing import Any

from . import edits
from .edits import EditError

#: Op kinds handled here (see understand_segments).
KINDS = frozenset({"seg_delete", "seg_split", "seg_trim_start", "seg_trim_end", "seg_move",
                   "seg_volume", "seg_retext", "insert_media"})
_TRACK_NAMES = {edits.VIDEO: "video", edits.AUDIO: "audio", edits.TEXT: "text"}


def _ms(value: Any) -> int:
    """A time of the draft as an int."""
    return edits._int(value)  # the same reading as every other local edit


def _find(draft: dict[str, Any], tt: Any, nth: int, index: int
          ) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any], str]:
    """(track, its segments, the segment, a name for replies); EditError when missing."""
    same = [t for t in draft["t"] if t.get("tt") == tt]
    kind = _TRACK_NAMES.get(tt, f"type {tt}")
    if not 0 <= nth < len(same):
        raise EditError(f"There is no such {kind} track in this video.")
    track = same[nth]
    sgs = track["sg"]
    if not 0 <= index < len(sgs):
        raise EditError(f"There is no segment {index + 1} on the {kind} track; it has "
                        f"{len(sgs)} segment(s).")
    seg = sgs[index]
    label = seg["m"].get("name") or seg["m"].get("text") or f"segment {index + 1}"
    return track, sgs, seg, f"segment {index + 1} of the {kind} track (\"{str(label)[:60]}\")"


def _is_main(draft: dict[str, Any], track: dict[str, Any]) -> bool:
    """Whether a track is the main video track (laid out end to end)."""
    return track is edits.track(draft, edits.VIDEO)


def _inside(seg: dict[str, Any], at: int, what: str) -> tuple[int, int]:
    """The segment's (start, end); EditError unless ``at`` lies strictly inside it."""
    start = _ms(seg.get("s"))
    end = start + _ms(seg.get("d"))
    if not start < at < end:
        raise EditError(f"{at / 1000:g}s is not inside {what} ({start / 1000:g}-{end / 1000:g}s).")
    return start, end


def _split(sgs: list[dict[str, Any]], index: int, at: int, what: str) -> None:
    """Cut segment ``index`` in two at ``at``."""
    seg = sgs[index]
    start, end = _inside(seg, at, what)
    second = copy.deepcopy(seg)
    seg["d"] = at - start
    second["s"] = at
    second["d"] = end - at
    sgs.insert(index + 1, second)


def _move(sgs: list[dict[str, Any]], index: int, step: int, main: bool) -> int:
    """Swap a segment with its neighbour; off the main track the pair keeps its time span."""
    other = index + step
    if not 0 <= other < len(sgs):
        raise EditError("That segment is already the " + ("first" if step < 0 else "last") + " one.")
    a, b = sorted((index, other))
    first, second = sgs[a], sgs[b]
    if not main:
        span_start = _ms(first.get("s"))
        span_end = _ms(second.get("s")) + _ms(second.get("d"))
        second["s"] = span_start
        first["s"] = span_end - _ms(first.get("d"))
    sgs[a], sgs[b] = second, first
    return other


def insert_media(draft: dict[str, Any], at: int, upload: dict[str, Any]) -> str:
    """Insert an upload on the main video track at a time (cutting the scene there in two)."""
    sgs = edits.scenes(draft)
    pos = len(sgs)
    for i, seg in enumerate(sgs):
        start, end = _ms(seg.get("s")), _ms(seg.get("s")) + _ms(seg.get("d"))
        if at <= start:
            pos = i
            break
        if start < at < end:
            _split(sgs, i, at, f"scene {i + 1}")
            pos = i + 1
            break
    name = str(upload.get("filename") or "uploaded clip")
    return edits.add_scene(draft, name, position=pos, upload=upload) + f" at {at / 1000:g}s"


def apply(draft: dict[str, Any], kind: str, args: dict[str, Any]) -> str:
    """Apply one segment edit to a normalized draft; returns what was done or raises EditError."""
    if kind == "insert_media":
        return insert_media(draft, int(args["at_ms"]), args["upload"])
    index = int(args["index"])
    track, sgs, seg, what = _find(draft, args["tt"], int(args["nth"]), index)
    main = _is_main(draft, track)
    if kind == "seg_delete":
        if main and len(sgs) == 1:
            raise EditError("That is the only scene; a video needs at least one.")
        sgs.pop(index)
        done = f"{what} removed"
    elif kind == "seg_split":
        _split(sgs, index, int(args["at_ms"]), what)
        done = f"{what} split at {args['at_ms'] / 1000:g}s"
    elif kind in ("seg_trim_start", "seg_trim_end"):
        at = int(args["at_ms"])
        start, end = _inside(seg, at, what)
        if kind == "seg_trim_start":
            seg["s"], seg["d"] = at, end - at
        else:
            seg["d"] = at - start
        edge = "start" if kind == "seg_trim_start" else "end"
        done = f"{what} {edge} trimmed to {at / 1000:g}s"
    elif kind == "seg_move":
        to = _move(sgs, index, int(args["step"]), main)
        done = f"{what} moved to position {to + 1}"
    elif kind == "seg_volume":
        if track.get("tt") != edits.AUDIO:
            raise EditError("Only audio segments have a volume.")
        percent = round(min(1.0, max(0.0, float(args["volume"]))) * 100)
        old = seg["m"].get("volume")
        seg["m"]["volume"] = percent / 100
        before = f"{round(float(old) * 100)}% → " if isinstance(old, (int, float)) else ""
        done = f"{what} volume {before}{percent}%"
    elif kind == "seg_retext":
        text = str(args.get("text") or "").strip()[:200]
        if not text:
            raise EditError("What should the text say? Put it between the quotes.")
        if track is edits.track(draft, edits.TEXT) and index == 0:
            draft["m"]["title"] = text[:80]
        seg["m"]["text"] = text
        done = f"{what} now reads \"{text}\""
    else:
        raise EditError(f"Unknown segment edit {kind}.")
    if main:
        edits._relayout(draft)  # scenes stay end to end after every edit
    return done
