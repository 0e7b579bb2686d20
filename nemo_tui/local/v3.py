"""The local backend's Draft Protocol V3 face: its short-key drafts served as V3 templates, and
V3 templates (from render requests) read back into short-key drafts for the renderer.

The backend keeps working on short-key drafts (the agent's edits, the renderer); only the state
reply (server option ``draft_format="v3"``, or ``"v3-object"`` for the template wrapped in an
object) and the render request speak V3. The conversion is deterministic, so an unchanged draft
is served as the same text every time (the client compares drafts to see changes). Metadata the
V3 shapes have no place for (style, pace, mood) travels as ``data-*`` attributes.
"""

from __future__ import annotations

import math
import re
from html import escape, unescape
from typing import Any

FORMATS = ("short-json", "v3", "v3-object")
_ROOT = re.compile(r"<draft\b([^>]{0,4096})>", re.IGNORECASE)
_ATTR = re.compile(r'([\w:.-]+)\s*=\s*"([^"]*)"')
_TYPE_OF = {0: "video", 1: "bgm", 7: "text"}
_TT_OF = {"video": 0, "audio": 1, "text": 7}
_MEDIA_TAG = {"video": "video", "bgm": "audio", "text": None}
_SEGMENT_KEYS = ("name", "text", "src", "volume")
_DRAFT_KEYS = ("title", "width", "height")
#: The subtitle/title styling every text track starts with (CSS the client must not interpret).
_TEXT_STYLES = ("\n    .title-box { left: 8%; top: 12%; width: auto; height: auto }"
                "\n    .title-text { color: #fff; font-size: 3.2em; font-weight: 700; "
                "text-shadow: 0 0.06em 0.16em rgba(0,0,0,0.72) }\n  ")


def _attr(value: Any) -> str:
    """An attribute value, escaped (quotes too)."""
    return escape(str(value), quote=True)


def _data_attrs(meta: dict[str, Any], skip: tuple[str, ...]) -> str:
    """`` data-key="value"`` for the metadata V3 has no attribute for (strings and numbers)."""
    out = []
    for key, value in meta.items():
        if key in skip or not isinstance(key, str) or not key.isidentifier():
            continue
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            out.append(f' data-{key}="{_attr(value)}"')
    return "".join(out)


def _int(value: Any) -> int:
    """A whole number of ms from JSON (0 when it is not a number)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return 0
    return int(value)


def _clip(track_id: str, n: int, sg: dict[str, Any], kind: str, start: int) -> str:
    """One segment as a ``<clip>``."""
    m = sg.get("m") if isinstance(sg.get("m"), dict) else {}
    s = _int(sg.get("s")) if "s" in sg else start
    out = f'    <clip id="{track_id}-clip-{n}" in="{s}" out="{s + _int(sg.get("d"))}"'
    if isinstance(m.get("name"), str) and m["name"]:
        out += f' name="{_attr(m["name"])}"'
    if isinstance(m.get("volume"), (int, float)) and not isinstance(m.get("volume"), bool):
        out += f' volume="{_attr(m["volume"])}"'
    out += _data_attrs(m, _SEGMENT_KEYS)
    if kind == "text":
        out += ' class="title-box">'
        words = m.get("text") if isinstance(m.get("text"), str) else m.get("name", "")
        return out + f'<div class="title-text">{escape(str(words), quote=False)}</div></clip>'
    tag = _MEDIA_TAG.get(kind)
    if tag and isinstance(m.get("src"), str) and m["src"]:
        return out + f'><{tag} src="{_attr(m["src"])}" /></clip>'
    return out + "></clip>"


def to_v3(draft: Any) -> str | None:
    """A short-key draft as a V3 template (None stays None: no draft yet)."""
    if not isinstance(draft, dict):
        return None
    m = draft.get("m") if isinstance(draft.get("m"), dict) else {}
    head = f'<draft fps="30" duration="{_int(draft.get("d"))}"'
    for key in _DRAFT_KEYS:
        if isinstance(m.get(key), (str, int)) and not isinstance(m.get(key), bool):
            head += f' {key}="{_attr(m[key])}"'
    lines = [head + _data_attrs(m, _DRAFT_KEYS) + ">"]
    tracks = draft.get("t") if isinstance(draft.get("t"), list) else []
    for number, track in enumerate((t for t in tracks if isinstance(t, dict)), 1):
        kind = _TYPE_OF.get(track.get("tt"), f"type-{track.get('tt')}")
        track_id = f"track-{number}"
        lines.append(f'  <track id="{track_id}" type="{_attr(kind)}">')
        if kind == "text":
            lines.append(f"    <styles>{_TEXT_STYLES}</styles>")
        cursor = 0
        segments = track.get("sg") if isinstance(track.get("sg"), list) else []
        for n, sg in enumerate((s for s in segments if isinstance(s, dict)), 1):
            lines.append(_clip(track_id, n, sg, kind, cursor))
            cursor = (_int(sg.get("s")) if "s" in sg else cursor) + _int(sg.get("d"))
        lines.append("  </track>")
    lines.append("</draft>")
    return "\n".join(lines)


def serve(draft: Any, draft_format: str) -> Any:
    """The draft as the state reply carries it in ``draft_format``."""
    if draft_format == "v3":
        return to_v3(draft)
    if draft_format == "v3-object":
        text = to_v3(draft)
        return None if text is None else {"format": "v3", "main_template": text}
    return draft


def _meta_from(raw: dict[str, Any]) -> dict[str, Any]:
    """The ``data-*`` attributes of an element as metadata."""
    return {k[5:]: v for k, v in raw.items() if k.startswith("data-") and v is not None}


def from_v3(raw: Any) -> dict[str, Any] | None:
    """A V3 draft (text or wrapper) as a short-key draft for the renderer; None if not V3."""
    from nemo_tui.draft import decode_draft
    from nemo_tui.draft_v3 import template_of

    if template_of(raw) is None:
        return None
    draft = decode_draft(raw)
    if draft is None:
        return None
    root = _ROOT.search(template_of(raw) or "", 0, 65536)
    attrs = {k.lower(): unescape(v) for k, v in _ATTR.findall(root.group(1))} if root else {}
    meta: dict[str, Any] = _meta_from(attrs)
    for key, value in (("title", draft.title), ("width", draft.width), ("height", draft.height)):
        if value is not None:
            meta[key] = value
    tracks = []
    for track in draft.tracks:
        segments = []
        for seg in track.segments:
            m = _meta_from(seg.raw)
            if seg.raw.get("name"):
                m["name"] = seg.raw["name"]
            if seg.text and track.kind == "text":
                m["text"] = seg.text
            if seg.src:
                m["src"] = seg.src
            if seg.volume is not None:
                m["volume"] = seg.volume
            segments.append({"s": seg.start_ms, "d": seg.duration_ms, "m": m})
        tracks.append({"tt": _TT_OF.get(track.kind, 99), "sg": segments})
    return {"d": draft.duration_ms, "m": meta, "t": tracks}
