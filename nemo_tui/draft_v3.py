"""Decode NemoVideo's Draft Protocol V3 (an XML-like template) into the same ``Draft`` model as
the short-key JSON drafts, so that summary, diff, timeline and versions work the same for both.

A V3 draft is ``<draft fps width height duration>`` holding ``<track id type>`` elements of
``<clip id in out>`` (milliseconds), media as a child element of a clip (``<video src=…>``), text as
styled elements inside a text clip, and ``<transitions>`` after the tracks. Tracks may start with
``<styles>`` (CSS); clips may hold ``<data type="json">``, ``<render>`` bodies, ``<component>``s,
Lottie or Three.js constructs: those stay in ``raw`` and are never interpreted.

The parser is lxml's HTML parser (libxml2) driven as a stream of events into a small state
machine: tolerant of anything (unbalanced tags, ``&&`` and ``<`` in text, unknown tags), linear,
and about four times faster than the standard library's html.parser, whose 3.11 releases are
also quadratic on some malformed input (``<a <a <a …``). It never fetches (``no_network``) or
executes anything and expands no custom DTD entity (an entity bomb stays literal text); no tree
is built, so nesting depth costs no memory. Work is bounded: at most MAX_TEMPLATE_CHARS of
input, MAX_EVENTS parser events, MAX_CLIPS clips, MAX_TRACKS tracks and MAX_TRANSITIONS
transitions; past a cap decoding stops and ``Draft.capped`` says so (shown in the summary).
lxml is imported only when a V3 draft appears (not on the start-up path). Pure: no I/O, no
textual/rich.
"""

from __future__ import annotations

import re
from typing import Any

from nemo_tui.draft import (
    MAX_MS,
    Draft,
    Segment,
    Track,
    Transition,
    _base_name,
    _ms,
    _num,
    _role,
    _side,
    _str,
)

__all__ = [
    "MAX_CLIPS",
    "MAX_EVENTS",
    "MAX_TEMPLATE_CHARS",
    "decode_v3",
    "has_clips",
    "template_of",
]

#: Longest template read (characters); the rest is ignored and the draft marked capped.
MAX_TEMPLATE_CHARS = 8 * 1024 * 1024
#: Parser events (tags, text runs) handled before decoding stops.
MAX_EVENTS = 400_000
#: Clips decoded over all tracks before decoding stops.
MAX_CLIPS = 20_000
#: Tracks decoded before decoding stops.
MAX_TRACKS = 1_000
#: Transitions listed; later ones are ignored.
MAX_TRANSITIONS = 10_000
#: Characters of a text clip's words kept for its label.
MAX_TEXT_CHARS = 200
#: Characters handed to the parser at a time: a cap stops the work before the rest is encoded.
FEED_CHARS = 1024 * 1024

#: Wrapper-object keys that may hold the template, tried first (then any string value).
_WRAPPER_KEYS = ("main_template", "template", "draft", "content", "xml", "v3", "data", "body")
#: V3 track type → (kind, role); "" = the short-key rule (BGM or Audio; Title, then Text).
_TRACK_TYPES = {
    "video": ("video", "Video"), "image": ("video", "Image"),
    "text": ("text", ""), "subtitle": ("text", "Subtitles"), "subtitles": ("text", "Subtitles"),
    "caption": ("text", "Subtitles"), "captions": ("text", "Subtitles"),
    "audio": ("audio", ""), "bgm": ("audio", "BGM"), "music": ("audio", "BGM"),
    "voice": ("audio", "Voice"), "voiceover": ("audio", "Voice"), "sfx": ("audio", "SFX"),
    "graphics": ("graphics", "Graphics"), "graphic": ("graphics", "Graphics"),
    "effect": ("effect", "Effect"), "effects": ("effect", "Effect"),
}
#: Elements kept but never interpreted: code, CSS, JSON, components, animations. Anything
#: inside (even a ``<clip`` in a script's string) is not part of the timeline or a label.
_OPAQUE = frozenset(("script", "style", "styles", "render", "data", "component", "lottie",
                     "three", "svg", "template", "defs", "math", "canvas"))
#: Attributes naming a clip's media.
_SRC_ATTRS = ("src", "href", "url", "xlink:href")
_SPACE = re.compile(r"\s+")
_START = re.compile(r"\s*(?:\ufeff\s*)?<")
_CLIP_TAG = re.compile(r"<clip[\s/>]", re.IGNORECASE)
#: HTML's <plaintext> turns the rest of a document into text: renamed, it is one more tag.
_PLAINTEXT = re.compile(r"<(/?)(plaintext)\b", re.IGNORECASE)


class _Stop(Exception):
    """A work cap was reached: stop the parser."""


def template_of(obj: Any) -> str | None:
    """The V3 template text of ``obj`` (the text itself, or an object wrapping it), else None."""
    if isinstance(obj, str):
        return obj if _START.match(obj, 0, 64) else None
    if not isinstance(obj, dict):
        return None
    for key in _WRAPPER_KEYS:
        value = obj.get(key)
        if isinstance(value, str) and _START.match(value, 0, 64):
            return value
    for n, value in enumerate(obj.values()):
        if n >= 50:
            break
        if isinstance(value, str) and _START.match(value, 0, 64) and "<draft" in value[:4096]:
            return value
    return None


def has_clips(raw: Any) -> bool:
    """Whether a V3 draft holds at least one clip (cheap: a text search, no parsing)."""
    text = template_of(raw)
    return text is not None and _CLIP_TAG.search(text, 0, MAX_TEMPLATE_CHARS) is not None


def _percent(value: Any) -> float | None:
    """A volume: ``0.35``, ``"0.35"`` or ``"35%"`` → 0.35; None when not a number."""
    if isinstance(value, str) and value.strip().endswith("%"):
        f = _num(value.strip()[:-1])
        return None if f is None else min(max(f / 100, 0.0), 100.0)
    f = _num(value)
    return None if f is None else min(max(f, 0.0), 100.0)


class _Clip:
    """A clip being read: its attributes, first media source and volume, and its words."""

    __slots__ = ("attrs", "chars", "depth", "src", "volume", "words")

    def __init__(self, attrs: dict[str, str]) -> None:
        self.attrs = attrs
        self.src: str | None = None
        self.volume = attrs.get("volume")
        self.words: list[str] = []
        self.chars = 0
        self.depth = 0  # clips nested in this one (not valid V3): read as part of it

    def boundary(self) -> None:
        """An element starts or ends: it separates words (``<div>a</div><div>b</div>``)."""
        words = self.words
        if words and words[-1] != " ":
            words.append(" ")


class _TrackBuilder:
    """A track being read."""

    __slots__ = ("attrs", "clips", "cursor")

    def __init__(self, attrs: dict[str, str]) -> None:
        self.attrs = attrs
        self.clips: list[Segment] = []
        self.cursor = 0  # where a clip without ``in`` starts: the previous clip's end


class _Reader:
    """An lxml parser target: turns start/end/data events into tracks, clips and transitions."""

    def __init__(self) -> None:
        self.root: dict[str, str] | None = None
        self.tracks: list[_TrackBuilder] = []
        self.track: _TrackBuilder | None = None
        self.clip: _Clip | None = None
        self.transitions: list[Transition] = []
        self.opaque = 0  # depth inside _OPAQUE elements
        self.events = 0
        self.clip_count = 0
        self.capped: str | None = None

    def _stop(self, why: str) -> None:
        self.capped = why
        raise _Stop

    def start(self, tag: str, attrib: Any) -> None:
        """A start tag: a draft, track, clip, transition, or something inside a clip.

        Hot path (tens of thousands of calls per template): checks are inlined, and lxml's
        attribute dicts are kept rather than copied (each call gets a new one).
        """
        self.events += 1
        if self.events > MAX_EVENTS:
            self._stop(f"decoding stopped after {MAX_EVENTS:,} parser events")
        if self.opaque:
            if tag in _OPAQUE:
                self.opaque += 1
            return
        if tag in _OPAQUE:
            self.opaque = 1
            return
        clip = self.clip
        if clip is not None:
            words = clip.words
            if words and words[-1] != " ":  # an element boundary separates words
                words.append(" ")
            if tag == "clip":
                clip.depth += 1
            elif clip.src is None and attrib:
                for name in _SRC_ATTRS:
                    value = attrib.get(name)
                    if value:
                        clip.src = value
                        if clip.volume is None:
                            clip.volume = attrib.get("volume")
                        break
        elif tag == "clip":
            if self.track is not None:
                if self.clip_count >= MAX_CLIPS:
                    self._stop(f"decoding stopped after {MAX_CLIPS:,} clips")
                self.clip = _Clip(attrib if type(attrib) is dict else dict(attrib))
        elif tag == "track":
            self._end_track()
            if len(self.tracks) >= MAX_TRACKS:
                self._stop(f"decoding stopped after {MAX_TRACKS:,} tracks")
            self.track = _TrackBuilder(dict(attrib))
        elif tag == "transition":
            if len(self.transitions) < MAX_TRANSITIONS:
                self.transitions.append(_transition(dict(attrib)))
        elif tag == "transitions":
            self._end_track()  # transitions come after the tracks
        elif tag == "draft" and self.root is None:
            self.root = dict(attrib)

    def end(self, tag: str) -> None:
        """An end tag closes a clip or a track (the parser balances every start with an end)."""
        self.events += 1
        if self.opaque:
            if tag in _OPAQUE:
                self.opaque -= 1
            return
        clip = self.clip
        if clip is not None:
            if tag != "clip":
                words = clip.words
                if words and words[-1] != " ":
                    words.append(" ")
            elif clip.depth:
                clip.depth -= 1
            else:
                self._end_clip()
        elif tag == "track":
            self._end_track()

    def data(self, data: str) -> None:
        """Text: a text clip's words (never what sits inside code, styles or data)."""
        self.events += 1
        clip = self.clip
        if clip is None or self.opaque or clip.chars >= MAX_TEXT_CHARS:
            return
        if data.isspace():
            clip.boundary()  # the parser splits text at entities: keep the space between
        else:
            data = data[:MAX_TEXT_CHARS - clip.chars]
            clip.words.append(data)
            clip.chars += len(data)

    def comment(self, text: str) -> None:
        """Comments (and the DTDs the parser turns into them) are ignored, but counted."""
        self.events += 1

    def close(self) -> None:
        """End of input: close what the template left open."""
        self._end_track()

    def _end_clip(self) -> None:
        clip, track = self.clip, self.track
        self.clip = None
        if clip is None or track is None:
            return
        self.clip_count += 1
        segment = _segment(clip, len(track.clips) + 1, track.cursor)
        track.clips.append(segment)
        end = segment.start_ms + segment.duration_ms
        track.cursor = min(MAX_MS, end)

    def _end_track(self) -> None:
        self._end_clip()
        if self.track is not None:
            self.tracks.append(self.track)
            self.track = None


def _transition(attrs: dict[str, str | None]) -> Transition:
    """A ``<transition type from-clip to-clip in duration>``."""
    return Transition(
        kind=_str(attrs.get("type")) or _str(attrs.get("name")) or "transition",
        from_clip=_str(attrs.get("from-clip")) or _str(attrs.get("from")),
        to_clip=_str(attrs.get("to-clip")) or _str(attrs.get("to")),
        at_ms=_ms(attrs.get("in")) if attrs.get("in") is not None else _ms(attrs.get("at")),
        duration_ms=_ms(attrs.get("duration")) or 0, raw=attrs)


def _time(a: dict[str, str], name: str, alias: str) -> int | None:
    """A time attribute in ms, read tolerantly (``_segment`` reads plain digits itself)."""
    v = a.get(name)
    if v is None:
        v = a.get(alias)
    return None if v is None else _ms(v)


def _segment(clip: _Clip, number: int, cursor: int) -> Segment:
    """A finished clip as a Segment: label from its name, media file, words, or clip id."""
    a = clip.attrs
    v = a.get("in")
    # Plain digits (nearly every clip) are read inline; 10**9 ms < MAX_MS: no clamp needed.
    if v is not None and len(v) < 10 and v.isdigit() and v.isascii():
        start = int(v)
    else:
        start = _time(a, "in", "start")
        if start is None:
            start = cursor
    v = a.get("out")
    if v is not None and len(v) < 10 and v.isdigit() and v.isascii():
        end: int | None = int(v)
    else:
        end = _time(a, "out", "end")
    if end is not None:
        duration = end - start if end > start else 0
    else:
        duration = _ms(a.get("duration")) or 0
    src = a.get("src") or clip.src
    if src:
        src = src.strip() or None
    volume = None if clip.volume is None else _percent(clip.volume)
    text = _SPACE.sub(" ", "".join(clip.words)).strip() or None if clip.chars else None
    name = a.get("name") or a.get("label")
    if name:
        name = name.strip()
        if name:
            return Segment(start, duration, name, text, volume, src, a, False)
    if src:
        return Segment(start, duration, _base_name(src), text, volume, src, a, False)
    if text:
        return Segment(start, duration, text, text, volume, src, a, True)
    label = (a.get("id") or "").strip() or f"clip {number}"
    return Segment(start, duration, label, text, volume, src, a, False)


def _tracks(builders: list[_TrackBuilder]) -> list[Track]:
    """Tracks with kinds and roles (first text track "Title", later ones "Text")."""
    tracks: list[Track] = []
    seen_text = False
    for index, b in enumerate(builders):
        type_name = (_str(b.attrs.get("type")) or "").lower()
        kind, role = _TRACK_TYPES.get(type_name, (f"type {type_name or '?'}", ""))
        track_id = (_str(b.attrs.get("id")) or "").lower()
        if kind == "text" and not role and ("subtitle" in track_id or "caption" in track_id):
            role = "Subtitles"
        if not role:
            role = (_role(kind, None, b.clips, seen_text) if kind in ("audio", "text")
                    else f"Track type {type_name or '?'}")
        seen_text = seen_text or kind == "text"
        tracks.append(Track(index, None, kind, role, b.clips, b.attrs))
    return tracks


def _parse(text: str, reader: _Reader) -> str | None:
    """Feed ``text`` to lxml's HTML parser driving ``reader``; returns why it stopped early."""
    try:
        from lxml import etree
    except ImportError:
        return "reading this V3 draft needs the lxml package (pip install lxml)"
    parser = etree.HTMLParser(target=reader, encoding="utf-8", no_network=True,
                              remove_comments=False, default_doctype=False)
    truncated = len(text) > MAX_TEMPLATE_CHARS
    limit = min(len(text), MAX_TEMPLATE_CHARS)
    if _PLAINTEXT.search(text, 0, limit):
        text = _PLAINTEXT.sub(r"<\1x-\2", text[:limit])
        limit = len(text)
    try:
        for i in range(0, limit, FEED_CHARS):
            # Encoded here, chunk by chunk: a lone surrogate becomes "?" instead of an error.
            parser.feed(text[i:min(i + FEED_CHARS, limit)].encode("utf-8", "replace"))
        parser.close()
    except _Stop:
        return None  # the reader said why
    except (etree.LxmlError, ValueError, UnicodeError):  # keep what was read before the fault
        return "the template is malformed; decoding stopped early"
    return f"only the first {MAX_TEMPLATE_CHARS:,} characters read" if truncated else None


def decode_v3(obj: Any) -> Draft | None:
    """Decode a V3 template (text or a wrapping object); None when ``obj`` holds none."""
    text = template_of(obj)
    if text is None:
        return None
    reader = _Reader()
    why = _parse(text, reader)
    reader.close()
    root = reader.root or {}
    tracks = _tracks(reader.tracks)
    content_end = max((s.end_ms for t in tracks for s in t.segments), default=0)
    duration = _ms(root.get("duration"))
    return Draft(
        duration_ms=content_end if duration is None else duration,
        title=_str(root.get("title")) or _str(root.get("name")),
        width=_side(root.get("width")), height=_side(root.get("height")),
        tracks=tracks, raw=obj, format="v3", transitions=reader.transitions,
        capped=reader.capped or why)
