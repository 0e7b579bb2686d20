"""Understanding the studio's composed timeline instructions (English and Chinese).

The timeline's edit keys send sentences such as
``Delete segment 2 of the Video track ("city at night — closing", 7.5-15s).`` or
``删除视频轨道的第 2 个片段（“…”，7.5-15秒）。``. The quoted label is the server's own text and may
hold anything, so the parameters are read from the fixed head and the anchored tail only.
"""

from __future__ import annotations

import re
from typing import Any

_I = re.IGNORECASE
_NUM = r"(\d+(?:\.\d+)?)"
_EN_TRACK = (r"segment\s+(?P<n>\d+)\s+of\s+(?:the\s+(?P<role>[\w ]+?)\s+track|"
             r"track\s+(?P<tn>\d+)(?:\s*\([^)]*\))?)")
_EN_HEAD = re.compile(
    r"^\s*(?P<verb>delete|remove|split|trim the (?:start|end) of|move|raise the volume of|"
    r"lower the volume of|change the text of)\s+" + _EN_TRACK, _I)
_ZH_HEAD = re.compile(
    r"^\s*(?P<verb>删除|将)\s*(?:(?P<role>视频|背景音乐|音频|标题|文字)轨道|"
    r"第\s*(?P<tn>\d+)\s*条轨道(?:（[^）]*）)?)的第\s*(?P<n>\d+)\s*个片段")
_EN_INSERT = re.compile(r'^\s*insert\s+(?P<whose>my uploaded|the generated)\s+"(?P<name>.*)"\s+'
                        r"at\s+(?P<at>\d+(?:\.\d+)?)\s*s\s+on\s+the\s+video\s+track\s*\.?\s*$",
                        _I | re.DOTALL)
_ZH_INSERT = re.compile(r"^\s*在视频轨道的\s*(?P<at>\d+(?:\.\d+)?)\s*秒\s*处插入(?P<whose>我上传的|生成的)"
                        r"“(?P<name>.*)”。?\s*$", re.DOTALL)
_ROLE_TYPES = {"video": (0, 0), "bgm": (1, 0), "audio": (1, 0), "music": (1, 0),
               "title": (7, 0), "text": (7, 1), "视频": (0, 0), "背景音乐": (1, 0), "音频": (1, 0),
               "标题": (7, 0), "文字": (7, 1)}
_EN_VERBS = {"split": "seg_split", "move": "seg_move", "raise the volume of": "seg_volume",
             "lower the volume of": "seg_volume", "change the text of": "seg_retext",
             "trim the start of": "seg_trim", "trim the end of": "seg_trim"}
# (kind, tail pattern anchored at the end of the message)
_EN_TAILS = (
    ("seg_split", re.compile(r"\bat\s+" + _NUM + r"\s*s\s*\.?\s*$", _I)),
    ("seg_trim", re.compile(r"\bto\s+" + _NUM + r"\s*s\s*\.?\s*$", _I)),
    ("seg_move", re.compile(r"\bone place\s+(earlier|later)\s*\.?\s*$", _I)),
    ("seg_volume", re.compile(r"\bto\s+" + _NUM + r"\s*%\s*\.?\s*$", _I)),
    ("seg_retext", re.compile(r'\d\s*s\)\s+to\s+"(.*)"\s*\.?\s*$', _I | re.DOTALL)),
)
_ZH_TAILS = (
    ("seg_split", re.compile(r"在\s*" + _NUM + r"\s*秒\s*处拆分。?\s*$")),
    ("seg_trim_start", re.compile(r"的开头裁剪到\s*" + _NUM + r"\s*秒。?\s*$")),
    ("seg_trim_end", re.compile(r"的结尾裁剪到\s*" + _NUM + r"\s*秒。?\s*$")),
    ("seg_move", re.compile(r"(向前|向后)移动一位。?\s*$")),
    ("seg_volume", re.compile(r"的音量从\s*\d+\s*%\s*(?:调高|调低)到\s*" + _NUM + r"\s*%。?\s*$")),
    ("seg_retext", re.compile(r"秒）的文字改为“(.*)”。?\s*$", re.DOTALL)),
)


def _track_ref(draft: dict[str, Any], role: str | None, number: str | None) -> tuple[int, int] | None:
    """(track type, ordinal among tracks of that type) named by a role or a 1-based number."""
    tracks = draft.get("t") if isinstance(draft.get("t"), list) else []
    if number is not None:
        index = int(number) - 1
        if not 0 <= index < len(tracks) or not isinstance(tracks[index], dict):
            return None
        tt = tracks[index].get("tt")
        nth = sum(1 for t in tracks[:index] if isinstance(t, dict) and t.get("tt") == tt)
        return tt, nth
    key = (role or "").strip().lower()
    if key in _ROLE_TYPES:
        tt, nth = _ROLE_TYPES[key]
        count = sum(1 for t in tracks if isinstance(t, dict) and t.get("tt") == tt)
        return tt, min(nth, max(count - 1, 0))
    m = re.fullmatch(r"track type (\d+)", key)
    return (int(m.group(1)), 0) if m else None


def _upload(name: str, uploads: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The upload with that file name (the latest one when named twice)."""
    for up in reversed(uploads):
        if str(up.get("filename") or "") == name:
            return up
    return None


def _insert(text: str, uploads: list[dict[str, Any]], generated: list[dict[str, Any]]
            ) -> tuple[str, dict[str, Any]] | None:
    """``Insert my uploaded "x" at 7.5s on the Video track.``, ``Insert the generated "x" …``
    (or their Chinese forms): the named upload, or generated media, at the time."""
    m = _EN_INSERT.match(text) or _ZH_INSERT.match(text)
    if m is None:
        return None
    name = m.group("name")
    if m.group("whose").lower() in ("the generated", "生成的"):
        found = _upload(name, generated)
        if found is None:
            return "no_generated", {"name": name[:60]}
        # its scenes are made again by name, like any generated scene: no file to read
        found = {k: v for k, v in found.items() if k != "cdn_url"}
    else:
        found = _upload(name, uploads)
        if found is None:
            return "no_upload", {"kind": "file named " + name[:60]}
    return "insert_media", {"at_ms": round(float(m.group("at")) * 1000), "upload": found}


def segment_op(text: str, draft: Any, uploads: list[dict[str, Any]],
               generated: list[dict[str, Any]] | None = None
               ) -> tuple[str, dict[str, Any]] | None:
    """(op kind, args) of a composed timeline instruction, or None for any other message."""
    found = _insert(text, uploads, generated or [])
    if found is not None:
        return found
    zh = False
    head = _EN_HEAD.match(text)
    if head is None:
        head = _ZH_HEAD.match(text)
        zh = head is not None
    if head is None:
        return None
    if not isinstance(draft, dict):
        return "no_draft", {}
    ref = _track_ref(draft, head.group("role"), head.group("tn"))
    if ref is None:
        return "unclear", {"about": "track"}
    args: dict[str, Any] = {"tt": ref[0], "nth": ref[1], "index": int(head.group("n")) - 1}
    verb = re.sub(r"\s+", " ", head.group("verb").lower())
    if verb in ("delete", "remove", "删除"):
        return "seg_delete", args
    rest = text[head.end():]
    tails = _ZH_TAILS if zh else [t for t in _EN_TAILS if t[0] == _EN_VERBS.get(verb)]
    for kind, pattern in tails:
        m = pattern.search(rest)
        if m is None:
            continue
        value = m.group(1)
        if kind == "seg_trim":
            kind = "seg_trim_start" if "start" in verb else "seg_trim_end"
        if kind in ("seg_split", "seg_trim_start", "seg_trim_end"):
            args["at_ms"] = round(float(value) * 1000)
        elif kind == "seg_move":
            args["step"] = -1 if value.lower() in ("earlier", "向前") else 1
        elif kind == "seg_volume":
            args["volume"] = float(value) / 100
        else:
            args["text"] = value
        return kind, args
    return "unclear", {"about": "segment"}
