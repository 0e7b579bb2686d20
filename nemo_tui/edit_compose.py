"""Compose the chat instruction for an edit key on the timeline (English or Chinese).

The backend edits only through its agent, so a key becomes one precise sentence naming the track,
the segment number, its label and its times, e.g.
``Delete segment 2 of the Video track ("city at night — closing", 7.5-15s).``
Pure: works on the :mod:`nemo_tui.draft` model only; no I/O, no Textual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from nemo_tui.draft import Draft, Segment, Track, format_seconds
from nemo_tui.textsafe import safe_line

__all__ = ["EditAction", "EditRefused", "compose", "is_chinese", "retext_from",
           "track_name", "volume_percent"]

#: Characters of a label quoted in an instruction.
LABEL_CHARS = 60
#: Volume step of the `u` / `j` keys, in percent points.
VOLUME_STEP = 10

KINDS = ("delete", "split", "trim_start", "trim_end", "move_earlier", "move_later",
         "volume_up", "volume_down", "retext", "insert")
_ZH_ROLES = {"Video": "视频", "BGM": "背景音乐", "Audio": "音频", "Title": "标题", "Text": "文字"}


class EditRefused(ValueError):
    """The key does not apply to the selection; the message says what to do instead."""


@dataclass(frozen=True)
class EditAction:
    """One edit asked for by a key: what, on which segment, and its parameter."""

    kind: str  # one of KINDS
    track: int = 0  # index in draft.tracks (0-based)
    segment: int = 0  # index in the track's segments (0-based)
    at_ms: int = 0  # the playhead (split, trim, insert)
    volume: int | None = None  # the new volume in percent (volume_up / volume_down)
    text: str | None = None  # the new text (retext)
    media: str | None = None  # the media's name (insert)
    generated: bool = False  # insert: generated media rather than an upload


def is_chinese(language: str | None) -> bool:
    """Whether a session language asks for Chinese instructions (``zh``, ``zh-CN``, …)."""
    return bool(language) and str(language).lower().startswith("zh")


def volume_percent(seg: Segment) -> int:
    """A segment's volume in whole percent; no volume is the backend's default, 100 %."""
    return 100 if seg.volume is None else int(seg.volume * 100 + 0.5)


def track_name(draft: Draft, track: Track, zh: bool = False) -> str:
    """How an instruction names a track: ``the Video track``, or ``track 3 (Audio)`` when
    another track has the same type (so the agent cannot pick the wrong one)."""
    same = sum(1 for t in draft.tracks if t.kind == track.kind)  # kind: V3 tracks have no code
    role = safe_line(track.role, max_len=30)
    if zh:
        zh_role = _ZH_ROLES.get(track.role, role)
        return f"{zh_role}轨道" if same == 1 else f"第 {track.index + 1} 条轨道（{zh_role}）"
    return f"the {role} track" if same == 1 else f"track {track.index + 1} ({role})"


def _ref(draft: Draft, action: EditAction, zh: bool) -> str:
    """``segment 2 of the Video track ("label", 7.5-15s)`` (or its Chinese form)."""
    track = draft.tracks[action.track]
    seg = track.segments[action.segment]
    label = safe_line(seg.label, max_len=LABEL_CHARS)
    a, b = format_seconds(seg.start_ms), format_seconds(seg.end_ms)
    if zh:
        return f"{track_name(draft, track, True)}的第 {action.segment + 1} 个片段（“{label}”，{a}-{b}秒）"
    return f'segment {action.segment + 1} of {track_name(draft, track)} ("{label}", {a}-{b}s)'


def _target(draft: Draft, action: EditAction) -> tuple[Track, Segment]:
    """The track and segment an action names (EditRefused when they do not exist)."""
    if not 0 <= action.track < len(draft.tracks):
        raise EditRefused("Select a segment first (Up/Down in the timeline).")
    track = draft.tracks[action.track]
    if not 0 <= action.segment < len(track.segments):
        raise EditRefused("Select a segment first (Up/Down in the timeline).")
    return track, track.segments[action.segment]


def _check(draft: Draft, action: EditAction) -> EditAction:
    """Refuse what cannot apply; returns the action with its volume filled in."""
    if action.kind == "insert":
        if not action.media:
            raise EditRefused("Pick a media item first (m shows the media bin).")
        return action
    track, seg = _target(draft, action)
    at = action.at_ms
    if action.kind in ("split", "trim_start", "trim_end") and not seg.start_ms < at < seg.end_ms:
        raise EditRefused("Move the playhead inside the selected segment first "
                          "(Left/Right, Home/End).")
    if action.kind == "move_earlier" and action.segment == 0:
        raise EditRefused("That segment is already the first one.")
    if action.kind == "move_later" and action.segment == len(track.segments) - 1:
        raise EditRefused("That segment is already the last one.")
    if action.kind in ("volume_up", "volume_down"):
        if track.kind != "audio":
            raise EditRefused("The volume keys work on audio segments (music, voice).")
        step = VOLUME_STEP if action.kind == "volume_up" else -VOLUME_STEP
        new = min(100, max(0, volume_percent(seg) + step))
        if new == volume_percent(seg):
            raise EditRefused(f"The volume is already {new}%.")
        return replace(action, volume=new)
    if action.kind == "retext":
        if track.kind != "text":
            raise EditRefused("The text key works on text segments (titles, captions).")
        return replace(action, text=action.text if action.text is not None else
                       (seg.text or seg.label))
    return action


def compose(draft: Draft | None, action: EditAction, language: str | None = "en"
            ) -> tuple[str, EditAction]:
    """The instruction for ``action`` and the action completed with its figures.

    Raises :class:`EditRefused` (with what to do instead) when the key does not apply.
    """
    if draft is None or (action.kind != "insert" and not draft.tracks):
        raise EditRefused("The timeline is empty: ask the agent to make a video first.")
    if action.kind not in KINDS:
        raise EditRefused(f"Unknown edit {action.kind!r}.")
    action = _check(draft, action)
    zh = is_chinese(language)
    at = format_seconds(action.at_ms)
    if action.kind == "insert":
        name = safe_line(action.media or "", max_len=LABEL_CHARS)
        if zh:
            what = "生成的" if action.generated else "我上传的"
            return f"在视频轨道的 {at}秒 处插入{what}“{name}”。", action
        what = "the generated" if action.generated else "my uploaded"
        return f'Insert {what} "{name}" at {at}s on the Video track.', action
    seg = draft.tracks[action.track].segments[action.segment]
    template = (_ZH if zh else _EN)[action.kind]
    return template.format(ref=_ref(draft, action, zh), at=at, old=volume_percent(seg),
                           new=action.volume, text=safe_line(action.text or "")), action


# The sentences, by kind; {ref} names the segment (see _ref). The local backend reads these.
_EN = {
    "delete": "Delete {ref}.",
    "split": "Split {ref} at {at}s.",
    "trim_start": "Trim the start of {ref} to {at}s.",
    "trim_end": "Trim the end of {ref} to {at}s.",
    "move_earlier": "Move {ref} one place earlier.",
    "move_later": "Move {ref} one place later.",
    "volume_up": "Raise the volume of {ref} from {old}% to {new}%.",
    "volume_down": "Lower the volume of {ref} from {old}% to {new}%.",
    "retext": 'Change the text of {ref} to "{text}".',
}
_ZH = {
    "delete": "删除{ref}。",
    "split": "将{ref}在 {at}秒 处拆分。",
    "trim_start": "将{ref}的开头裁剪到 {at}秒。",
    "trim_end": "将{ref}的结尾裁剪到 {at}秒。",
    "move_earlier": "将{ref}向前移动一位。",
    "move_later": "将{ref}向后移动一位。",
    "volume_up": "将{ref}的音量从 {old}% 调高到 {new}%。",
    "volume_down": "将{ref}的音量从 {old}% 调低到 {new}%。",
    "retext": "将{ref}的文字改为“{text}”。",
}


_RETEXT_RE = (re.compile(r'\bto "(.*)"\.?\s*$', re.DOTALL), re.compile(r"的文字改为“(.*)”。?\s*$", re.DOTALL))


def retext_from(sent: str, composed: str, action: EditAction) -> EditAction | None:
    """The action a sent message still asks for: the same one when the text was sent as
    composed; for a retext whose new text the user typed, the action with that text; None when
    the user wrote something else (then nothing is checked)."""
    if sent.strip() == composed.strip():
        return action
    if action.kind != "retext":
        return None
    for pattern in _RETEXT_RE:
        own = pattern.search(composed)
        if own is None:
            continue
        head = composed[:own.start()]
        got = pattern.search(sent, len(head)) if sent.startswith(head) else None
        if got is not None and got.start() == len(head):
            return replace(action, text=got.group(1))
    return None
