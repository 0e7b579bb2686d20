"""Decode the backend's short-key draft JSON (PROTOCOL.md §8) into plain objects, and describe it.

Decoding is tolerant of anything JSON can hold: missing keys, wrong types, unknown track types,
absurd numbers. The input is never modified and is kept in ``raw`` so that it can be sent back
verbatim at export. Pure: no I/O, no textual/rich.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from nemo_tui.textsafe import safe_line

__all__ = [
    "Draft",
    "Segment",
    "Track",
    "Transition",
    "decode_draft",
    "display_label",
    "draft_json",
    "format_seconds",
    "is_exportable",
    "segment_text",
    "summarize",
    "time_span",
    "track_text",
    "transition_text",
]

#: Longest time accepted (100 days, in ms). A larger value is nonsense (NaN or inf turned into
#: a number by some server, 1e300…) and is treated like a missing one, not clamped: a clamped
#: value showed as a 100-day (8640000s) draft. Every time stays an exact int.
MAX_MS = 100 * 24 * 3600 * 1000
#: Largest canvas side accepted; beyond that a value is nonsense and dropped.
MAX_SIDE = 100_000
#: Segments listed per track in a summary before "… (+N more)".
SUMMARY_SEGMENTS = 12
#: Characters of one label shown in a summary.
SUMMARY_LABEL_CHARS = 80

_KINDS = {0: "video", 1: "audio", 7: "text"}
_VOICE_WORDS = ("voice", "narration", "narrator", "voiceover", "speech", "旁白", "配音", "解说")


@dataclass(slots=True)
class Segment:
    """One segment of a track; ``raw`` is the segment dict as received."""

    start_ms: int
    duration_ms: int
    label: str  # name, else text, else src base name, else "segment N" (raw, not sanitized)
    text: str | None
    volume: float | None  # 0-1 (1 = 100 %)
    src: str | None
    raw: dict[str, Any] = field(repr=False)
    label_is_text: bool = False  # the label is the segment's on-screen text (shown quoted)

    @property
    def end_ms(self) -> int:
        """Where the segment ends, in ms."""
        return self.start_ms + self.duration_ms


@dataclass(slots=True)
class Track:
    """One track; ``kind`` is "video"/"audio"/"text"/"type N", ``role`` its display name."""

    index: int  # position in the draft's ``t`` list (0-based)
    type_code: int | None
    kind: str
    role: str  # "Video" | "BGM" | "Audio" | "Title" | "Text" | "Track type N"
    segments: list[Segment]
    raw: dict[str, Any] = field(repr=False)


@dataclass(slots=True)
class Transition:
    """A transition between two clips (Draft Protocol V3 ``<transition>``); times in ms."""

    kind: str  # e.g. "glsl_cross_dissolve" (raw, not sanitized)
    from_clip: str | None
    to_clip: str | None
    at_ms: int | None  # the cut point
    duration_ms: int
    raw: dict[str, Any] = field(repr=False)


@dataclass
class Draft:
    """A decoded draft; ``raw`` is the exact input (object or V3 text: send it back unchanged)."""

    duration_ms: int
    title: str | None
    width: int | None
    height: int | None
    tracks: list[Track]
    raw: Any = field(repr=False)
    format: str = "short-json"  # or "v3" (Draft Protocol V3 template)
    transitions: list[Transition] = field(default_factory=list)
    capped: str | None = None  # why decoding stopped early (huge input), said in the summary

    @property
    def segment_count(self) -> int:
        """Number of segments over all tracks."""
        return sum(len(t.segments) for t in self.tracks)


def _num(value: Any) -> float | None:
    """A finite number from an int, float or numeric string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return float(max(min(value, 10**18), -(10**18)))  # huge ints would overflow float()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str) and 0 < len(value) <= 40:
        try:
            f = float(value.strip())
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


def _ms(value: Any) -> int | None:
    """A time in ms (negative → 0); None when not a finite number or beyond MAX_MS."""
    f = _num(value)
    if f is None or f > MAX_MS:
        return None
    return int(max(f, 0.0))


def _side(value: Any) -> int | None:
    """A canvas width/height: a positive int up to MAX_SIDE, else None."""
    f = _num(value)
    if f is None or f < 1 or f > MAX_SIDE:
        return None
    return int(f)


def _str(value: Any) -> str | None:
    """A non-empty stripped string from a string or number; None otherwise."""
    if isinstance(value, str):
        s = value.strip()
        return s or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _type_code(value: Any) -> int | None:
    """The track type as an int (accepts 7, 7.0, "7")."""
    f = _num(value)
    if f is None or f != int(f):
        return None
    return int(f)


def _base_name(src: str) -> str:
    """The last path segment of a path or URL, without query or fragment."""
    core = src.split("?", 1)[0].split("#", 1)[0].rstrip("/\\")
    name = core.replace("\\", "/").rsplit("/", 1)[-1]
    return name or src


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    """The ``m`` object, or {} when absent or not an object."""
    m = obj.get("m")
    return m if isinstance(m, dict) else {}


def _decode_segment(seg: dict[str, Any], number: int, start: int) -> Segment:
    """Decode one segment dict; ``start`` is used when it has no valid ``s``.

    Hot path (10,000 segments per state reply): the common exact types (int times, str names,
    float volumes, absent fields) are handled inline; anything else falls back to the tolerant
    generic helpers, which give the same results for the common types.
    """
    m = seg.get("m")
    if type(m) is not dict:
        m = {} if not isinstance(m, dict) else m
    v = seg.get("s")
    s = v if type(v) is int and 0 <= v <= MAX_MS else _ms(v)
    v = seg.get("d")
    dur = v if type(v) is int and 0 <= v <= MAX_MS else (_ms(v) or 0)
    v = m.get("name")
    if v is None:
        v = seg.get("name")
    name = (v.strip() or None) if type(v) is str else (None if v is None else _str(v))
    v = m.get("text")
    if v is None:
        v = seg.get("text")
    text = (v.strip() or None) if type(v) is str else (None if v is None else _str(v))
    v = m.get("src")
    if v is None:
        v = seg.get("src")
    src = (v.strip() or None) if type(v) is str else (None if v is None else _str(v))
    v = m.get("volume")
    if v is None:
        v = seg.get("volume")
    vol: float | None
    if v is None:
        vol = None
    else:
        vol = v if type(v) is float and math.isfinite(v) else _num(v)
        if vol is not None:
            vol = min(max(vol, 0.0), 100.0)
    if name:
        return Segment(start if s is None else s, dur, name, text, vol, src, seg, False)
    if text:
        return Segment(start if s is None else s, dur, text, text, vol, src, seg, True)
    label = _base_name(src) if src else f"segment {number}"
    return Segment(start if s is None else s, dur, label, text, vol, src, seg, False)


def _role(kind: str, code: int | None, segments: list[Segment], seen_text: bool) -> str:
    """The display role of a track."""
    if kind == "video":
        return "Video"
    if kind == "audio":
        for seg in segments[:50]:  # a voice track names itself early; don't scan huge tracks
            low = seg.label.lower()
            if any(w in low for w in _VOICE_WORDS):
                return "Audio"
        return "BGM"
    if kind == "text":
        return "Text" if seen_text else "Title"
    return f"Track type {'?' if code is None else code}"


def decode_draft(obj: Any) -> Draft | None:
    """Decode a short-key draft object or a V3 template (text, or an object wrapping it)."""
    if not isinstance(obj, dict) or "t" not in obj:
        from nemo_tui.draft_v3 import decode_v3, template_of

        if template_of(obj) is not None:
            return decode_v3(obj)
    if not isinstance(obj, dict):
        return None
    m = _meta(obj)
    raw_tracks = obj.get("t")
    tracks: list[Track] = []
    seen_text = False
    content_end = 0
    if isinstance(raw_tracks, list):
        for index, raw_track in enumerate(raw_tracks):
            if not isinstance(raw_track, dict):
                continue
            code = _type_code(raw_track.get("tt"))
            kind = _KINDS.get(code, f"type {'?' if code is None else code}")  # type: ignore[arg-type]
            segments: list[Segment] = []
            append = segments.append
            raw_segs = raw_track.get("sg")
            cursor = 0
            if isinstance(raw_segs, list):
                for number, seg in enumerate(raw_segs, 1):
                    if not isinstance(seg, dict):
                        continue
                    segment = _decode_segment(seg, number, cursor)
                    # Clamped so that a chain of huge segments cannot run past MAX_MS.
                    cursor = segment.start_ms + segment.duration_ms
                    cursor = min(cursor, MAX_MS)
                    content_end = max(content_end, cursor)
                    append(segment)
            role = _role(kind, code, segments, seen_text)
            seen_text = seen_text or kind == "text"
            tracks.append(Track(index, code, kind, role, segments, raw_track))
    duration = _ms(obj.get("d"))
    return Draft(
        duration_ms=content_end if duration is None else duration,
        title=_str(m.get("title")),
        width=_side(m.get("width")),
        height=_side(m.get("height")),
        tracks=tracks,
        raw=obj,
    )


def is_exportable(raw: Any) -> bool:
    """True when the raw draft has a track list with at least one non-empty segment list (§8)."""
    if not isinstance(raw, dict) or "t" not in raw:
        from nemo_tui.draft_v3 import has_clips

        if has_clips(raw):
            return True
    if not isinstance(raw, dict):
        return False
    tracks = raw.get("t")
    if not isinstance(tracks, list):
        return False
    return any(isinstance(t, dict) and isinstance(t.get("sg"), list) and t["sg"] for t in tracks)


def format_seconds(ms: int) -> str:
    """Milliseconds as trimmed seconds without unit: 10000 → "10", 2500 → "2.5"."""
    if ms % 1000 == 0:
        return str(ms // 1000)
    return f"{ms / 1000:.3f}".rstrip("0").rstrip(".")


def display_label(seg: Segment) -> str:
    """The segment's label made safe for one line, shortened, and quoted if it is on-screen text."""
    label = safe_line(seg.label, max_len=SUMMARY_LABEL_CHARS)
    return f'"{label}"' if seg.label_is_text else label


def time_span(seg: Segment) -> str:
    """The segment's time span: ``0-2.5s``."""
    return f"{format_seconds(seg.start_ms)}-{format_seconds(seg.end_ms)}s"


def segment_text(seg: Segment) -> str:
    """One segment as shown in summaries: ``label (0-10s, 35%)``; label made safe, quoted if text."""
    label = display_label(seg)
    span = time_span(seg)
    if seg.volume is not None:
        span += f", {int(seg.volume * 100 + 0.5)}%"
    return f"{label} ({span})"


def track_text(track: Track) -> str:
    """One track as shown in summaries: ``Video: a (0-5s), b (5-10s)``."""
    if not track.segments:
        return f"{track.role}: (empty)"
    shown = [segment_text(s) for s in track.segments[:SUMMARY_SEGMENTS]]
    more = len(track.segments) - len(shown)
    if more > 0:
        shown.append(f"… (+{more} more)")
    return f"{track.role}: {', '.join(shown)}"


def summarize(draft: Draft | None) -> str:
    """The seed's one-line timeline summary; ``Timeline is empty.`` without tracks."""
    if draft is None or not draft.tracks:
        return "Timeline is empty."
    n = len(draft.tracks)
    parts = [f"{i}. {track_text(t)}" for i, t in enumerate(draft.tracks, 1)]
    if draft.transitions:
        shown = [transition_text(t) for t in draft.transitions[:SUMMARY_SEGMENTS]]
        more = len(draft.transitions) - len(shown)
        parts.append("Transitions: " + ", ".join(shown) + (f", … (+{more} more)" if more else ""))
    if draft.capped:
        parts.append(f"({draft.capped})")
    return f"Timeline ({n} track{'' if n == 1 else 's'}): " + " ".join(parts)


def transition_text(tr: Transition) -> str:
    """One transition as shown in summaries: ``glsl_cross_dissolve at 3s (0.5s, a → b)``."""
    where = "" if tr.at_ms is None else f" at {format_seconds(tr.at_ms)}s"
    clips = ""
    if tr.from_clip or tr.to_clip:
        clips = (f", {safe_line(tr.from_clip or '?', max_len=40)} → "
                 f"{safe_line(tr.to_clip or '?', max_len=40)}")
    return f"{safe_line(tr.kind, max_len=40)}{where} ({format_seconds(tr.duration_ms)}s{clips})"


def draft_json(draft: Draft | None) -> dict[str, Any]:
    """The CLI ``state --json`` object minus ``draft``: summary, format, duration_ms, tracks…"""
    if draft is None:
        return {"summary": summarize(None), "format": None, "duration_ms": 0, "tracks": [],
                "transitions": []}
    return {
        "summary": summarize(draft),
        "format": draft.format,
        "duration_ms": draft.duration_ms,
        "tracks": [
            {
                "type": t.kind,
                "segments": [
                    {"start_ms": s.start_ms, "duration_ms": s.duration_ms, "label": s.label}
                    for s in t.segments
                ],
            }
            for t in draft.tracks
        ],
        "transitions": [
            {"type": t.kind, "from_clip": t.from_clip, "to_clip": t.to_clip, "at_ms": t.at_ms,
             "duration_ms": t.duration_ms}
            for t in draft.transitions
        ],
    }
