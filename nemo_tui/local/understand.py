"""Classifying a chat message: generation, one of the draft edits, help, or not understood."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .prompt import parse_aspect, parse_duration, parse_mood, parse_pace, parse_palette, zh_number
from .understand_segments import segment_op


@dataclass
class Op:
    """One understood request: a kind ("generate", "set_title", …) and its arguments."""

    kind: str
    args: dict[str, Any] = field(default_factory=dict)


_I = re.IGNORECASE
_GEN_RE = re.compile(
    r"\b(?:generate|create|make|produce|build|render|shoot|give me|i want|i need|i'd like)\b"
    r"(?!\s+(?:it|this|that|the (?:video|clip|music|title)|them)\b)"
    r".{0,80}?\b(?:video|clip|movie|film|reel|short|montage|ad|trailer|teaser|vlog|promo)s?\b", _I)
_ZH_GEN_RE = re.compile(r"(?:生成|制作|创建|做|来|拍)(?:一个|一段|一支|一条|个|段|条)?.{0,30}?(?:视频|短片|影片)")
_HELP_RE = re.compile(r"^\s*(?:help|\?|what can you do|how does this work|commands?|options)\b|"
                      r"帮助|你能做什么|怎么用", _I)
_HELLO_RE = re.compile(r"^\s*(?:hi|hello|hey|yo|good (?:morning|afternoon|evening)|你好|您好|嗨)\b",
                       _I)
_EXPORT_RE = re.compile(r"^\s*(?:please\s+)?(?:export|download|render)\b|^\s*(?:导出|下载)", _I)
_THANKS_RE = re.compile(r"^\s*(?:thanks|thank you|thx|cool|great|nice|ok|okay|谢谢|好的)\b", _I)

_REMOVE = r"(?:remove|delete|drop|get rid of|take out|take off|cut|kill|lose|erase|删除|删掉|去掉|去除|移除|拿掉|剪掉|不要)"
_MUSIC = r"(?:music|bgm|soundtrack|song|tune|audio track|背景音乐|配乐|音乐|BGM)"
_SCENE = r"(?:scenes?|clips?|shots?|segments?|parts?|场景|镜头|片段|画面)"
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
             "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10}
_REF_RE = re.compile(
    r"\b(?:scene|clip|shot|segment|part)\s*#?\s*(\d+)\b|"
    r"\b(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|final|\d+(?:st|nd|rd|th))"
    r"\s+(?:scene|clip|shot|segment|part|one)\b|"
    r"第\s*([0-9一二三四五六七八九十]+)\s*(?:个|段)?\s*(?:场景|镜头|片段|画面)|"
    r"(最后)(?:一个|一段)?\s*(?:场景|镜头|片段|画面)", _I)
_QUOTE_CHARS = " \t\"'“”‘’「」『』《》.。!！"
_START_RE = re.compile(r"\b(?:at the (?:beginning|start|front)|to the (?:beginning|start|front)|"
                       r"as (?:the )?(?:intro|opening|first (?:scene|clip|shot))|first)\b|开头|片头|最前", _I)
_END_RE = re.compile(r"\b(?:at the end|to the end|as (?:the )?(?:outro|ending|last (?:scene|clip)|"
                     r"closing(?: shot)?)|last)\b|结尾|片尾|最后", _I)
_UPLOAD_RE = re.compile(r"\b(?:uploaded|my (?:own )?(?:clip|video|footage|photo|image|picture|logo|"
                        r"song|track|audio|music|file|recording))\b|上传的|我的(?:视频|片段|图片|照片|音乐|歌)",
                        _I)


def scene_refs(text: str, count: int) -> list[int]:
    """0-based scene indexes named in the text ("scene 2", "the last clip", "第二个镜头")."""
    refs = []
    for m in _REF_RE.finditer(text):
        number, word, zh, zh_last = m.groups()
        if number:
            refs.append(int(number) - 1)
        elif zh:
            n = zh_number(zh)
            if n is not None:
                refs.append(int(n) - 1)
        elif zh_last:
            refs.append(count - 1)
        elif word:
            w = word.lower()
            if w in ("last", "final"):
                refs.append(count - 1)
            elif w in _ORDINALS:
                refs.append(_ORDINALS[w] - 1)
            else:
                refs.append(int(re.sub(r"\D", "", w)) - 1)
    return refs


def _clean(text: str) -> str:
    """Strip quotes, brackets and trailing punctuation from a user-given value."""
    return text.strip().strip(_QUOTE_CHARS).strip()


def _pick_upload(text: str, uploads: list[dict[str, Any]], kinds: tuple[str, ...]) -> dict | None:
    """The upload the text means: named by file name, else the latest of the wanted kinds."""
    low = text.lower()
    for up in reversed(uploads):
        name = str(up.get("filename") or "").lower()
        if name and name in low:
            return up
    for up in reversed(uploads):
        if up.get("file_type") in kinds:
            return up
    return None


def _title_op(text: str) -> Op | None:
    """Title edits: remove, change / set / add (with or without the new text)."""
    if not re.search(r"\btitle\b|标题|\brename\b|\bcall it\b", text, _I):
        return None
    if re.search(_REMOVE + r".{0,20}(?:title|标题)|\bno title\b|不要标题", text, _I):
        return Op("remove_title")
    patterns = (r"\btitle\b.*?\b(?:to|as|into|reads?|says?|saying|that says)\b\s*[:：]?\s*(.+)$",
                r"\btitle\b\s*[:：]\s*(.+)$", (r"\b(?:rename|call)\b\s+(?:it|the video|this)\s+"
                r"(?:to\s+)?(.+)$"), r"\badd (?:a |the )?title\b\s*[:：]?\s*(.+)$",
                r"标题(?:改为|改成|换成|设为|设置为|是|叫|为|写)\s*[:：]?\s*(.+)$",
                r"(?:添加|加上|加)(?:一个)?标题\s*[:：]?\s*(.+)$", r"标题\s*[:：]\s*(.+)$")
    for pat in patterns:
        m = re.search(pat, text, _I)
        if m and _clean(m.group(1)):
            return Op("set_title", {"text": _clean(m.group(1))})
    if re.search(r"\badd\b|添加|加上|加", text, _I):
        return Op("set_title", {"text": None})
    return Op("unclear", {"about": "title"})


def _music_op(text: str, uploads: list[dict[str, Any]]) -> Op | None:
    """Music edits: remove, volume (absolute or relative), add or change the tune."""
    if not re.search(_MUSIC + r"|\bvolume\b|音量", text, _I):
        return None
    if re.search(_REMOVE + r".{0,25}" + _MUSIC + r"|\bmute\b|\bno (?:background )?music\b|"
                 r"\bturn off the music\b|静音", text, _I):
        return Op("remove_music")
    m = (re.search(r"(\d+(?:\.\d+)?)\s*(?:%|percent|％)", text, _I)
         or re.search(r"百分之\s*([0-9零一二两三四五六七八九十百]+)", text))
    if m and re.search(r"volume|音量|" + _MUSIC, text, _I):
        value = zh_number(m.group(1))
        if value is not None:
            return Op("music_volume", {"volume": value / 100})
    if re.search(r"\b(?:quieter|softer|lower|turn (?:it |the music )?down|reduce|decrease|less loud)\b|"
                 r"小一点|小声|调小|降低|轻一点", text, _I):
        return Op("music_volume", {"factor": 0.5})
    if re.search(r"\b(?:louder|raise|turn (?:it |the music )?up|increase|boost)\b|大一点|大声|调大|提高",
                 text, _I):
        return Op("music_volume", {"factor": 1.6})
    if re.search(r"\bvolume\b|音量", text, _I):
        return Op("unclear", {"about": "volume"})
    upload = None
    if _UPLOAD_RE.search(text):
        upload = _pick_upload(text, uploads, ("audio", "video"))
        if upload is None:
            return Op("no_upload", {"kind": "audio"})
    return Op("add_music", {"mood": parse_mood(text), "upload": upload})


def _upload_op(text: str, count: int, uploads: list[dict[str, Any]]) -> Op | None:
    """Using uploaded media as the intro / outro / a scene / a replacement."""
    if not _UPLOAD_RE.search(text):
        return None
    kinds = ("image",) if re.search(r"photo|image|picture|logo|图片|照片", text, _I) else \
        ("video", "image")
    upload = _pick_upload(text, uploads, kinds)
    if upload is None:
        return Op("no_upload", {"kind": "/".join(kinds)})
    refs = scene_refs(text, count)
    if re.search(r"\breplace\b|替换|换成", text, _I) and refs:
        return Op("replace_scene", {"index": refs[0], "upload": upload})
    m = re.search(r"\bas (?:scene|clip|shot)\s*#?\s*(\d+)", text, _I)
    if m:
        position: int | None = int(m.group(1)) - 1
    elif _START_RE.search(text):
        position = 0
    else:
        position = None
    return Op("add_scene", {"name": str(upload.get("filename") or "uploaded clip"),
                            "seconds": parse_duration(text), "position": position,
                            "upload": upload})


def _scene_op(text: str, count: int) -> Op | None:
    """Scene edits: add a generated scene, remove, move, swap, reverse."""
    refs = scene_refs(text, count)
    if re.search(r"\b(?:swap|switch|exchange)\b|交换|调换|互换", text, _I) and len(refs) >= 2:
        return Op("swap_scenes", {"a": refs[0], "b": refs[1]})
    if re.search(r"\breverse\b|倒序|反过来", text, _I):
        return Op("reverse_scenes")
    if re.search(r"\b(?:move|put|place|shift)\b|挪|移到|放到|调到|移动", text, _I) and refs:
        to: int | None = None
        m = re.search(r"\b(after|before)\s+(?:scene|clip|shot)\s*#?\s*(\d+)", text, _I)
        if m:
            other = int(m.group(2)) - 1
            to = other + (1 if m.group(1).lower() == "after" else 0)
            to = to - 1 if to > refs[0] else to
        elif _START_RE.search(text.split(str(refs[0] + 1), 1)[-1]) or re.search(
                r"to the (?:beginning|start|front)|开头|最前", text, _I):
            to = 0
        elif re.search(r"to the end|结尾|最后面", text, _I):
            to = count - 1
        elif len(refs) >= 2:
            to = refs[1]
        if to is not None:
            return Op("move_scene", {"index": refs[0], "to": to})
        return Op("unclear", {"about": "move"})
    if re.search(_REMOVE, text, _I) and re.search(_SCENE, text, _I):
        if refs:
            return Op("remove_scene", {"index": refs[0]})
        m = (re.search(r"(?:remove|delete|drop|cut|take out|get rid of)\s+(?:the\s+)?(.+?)\s+"
                       r"(?:scene|clip|shot|segment|part)\b", text, _I)
             or re.search(r"(?:scene|clip|shot|segment)\s+(?:of|with|showing|about)\s+(?:the\s+)?"
                          r"(.+?)\s*$", text, _I))
        if m:
            return Op("remove_scene", {"words": _clean(m.group(1))})
        return Op("unclear", {"about": "remove_scene"})
    add = re.search(
        r"\b(?:add|insert|append|include|put in|throw in)\b\s+(?:a|an|another|one more|some|a new)?\s*"
        r"(?:(\d+(?:\.\d+)?)\s*-?\s*(?:s|sec|secs|seconds?)\s+)?"
        r"(?:clip|scene|shot|segment|part|footage|b-roll)s?\b\s*(?:of|with|showing|about|featuring|"
        r"at|in|on)?\s*(.*)$", text, _I)
    if add:
        name = _START_RE.sub("", _END_RE.sub("", add.group(2)))
        name = re.sub(r"\b(?:after|before|as)\s+(?:scene|clip|shot)\s*#?\s*\d+\b", "", name, flags=_I)
        position: int | None = 0 if _START_RE.search(add.group(2)) else None
        pm = re.search(r"\b(after|before|as)\s+(?:scene|clip|shot)\s*#?\s*(\d+)", text, _I)
        if pm:
            position = int(pm.group(2)) - (0 if pm.group(1).lower() == "after" else 1)
        return Op("add_scene", {"name": re.sub(r"^(?:the|a|an)\s+", "", _clean(name), flags=_I),
                                "seconds": float(add.group(1)) if add.group(1) else None,
                                "position": position, "upload": None})
    zh = re.search(r"(?:添加|加上|加|插入|增加)(?:一个|一段|一些|个|段)?(.*?)的?(?:镜头|场景|片段|画面)", text)
    if zh:
        return Op("add_scene", {"name": _clean(zh.group(1)) or "新场景", "seconds": parse_duration(text),
                                "position": 0 if re.search(r"开头|片头|最前", text) else None,
                                "upload": None})
    return None


def classify(text: str, draft: dict[str, Any] | None, uploads: list[dict[str, Any]],
             generated: list[dict[str, Any]] | None = None) -> Op:
    """Decide what a message asks for (``generated``: the session's generated media, which an
    insert may name). Never raises."""
    text = text.strip()
    if not text:
        return Op("help")
    has_draft = isinstance(draft, dict) and bool(draft.get("t"))
    composed = segment_op(text, draft if has_draft else None, uploads, generated or [])
    if composed is not None:  # the timeline's edit keys: checked first, they name the target
        kind, args = composed
        return Op("no_draft", {"edit": kind}) if kind.startswith(("seg_", "insert")) and \
            not has_draft else Op(kind, args)
    if _GEN_RE.search(text) or _ZH_GEN_RE.search(text):
        return Op("generate")
    if _HELP_RE.search(text):
        return Op("help")
    if _EXPORT_RE.search(text):
        return Op("export_hint", {"has_draft": has_draft})
    count = 0
    if has_draft:
        for t in draft.get("t") or []:  # type: ignore[union-attr]
            if isinstance(t, dict) and t.get("tt") == 0 and isinstance(t.get("sg"), list):
                count = len(t["sg"])
                break
    for finder in (lambda: _title_op(text), lambda: _music_op(text, uploads),
                   lambda: _upload_op(text, count, uploads), lambda: _scene_op(text, count)):
        op = finder()
        if op is not None:
            return op if has_draft or op.kind in ("no_upload",) else Op("no_draft", {"edit": op.kind})
    if re.search(r"\b(?:make it|change|switch|set|convert|turn it|format|aspect|改成|改为|换成|变成)\b|"
                 r"改成|改为|换成|变成|做成", text, _I):
        aspect = parse_aspect(text)
        if aspect:
            return Op("aspect", {"aspect": aspect}) if has_draft else Op("no_draft")
    seconds = parse_duration(text)
    relative = re.search(r"\b(?:longer|shorter)\b|长一点|短一点", text, _I)
    about_length = re.search(
        r"\b(?:make it|duration|length|long|longer|shorter|shorten|extend|lengthen|trim|cut it|"
        r"change it)\b|时长|长度|改成|改为|缩短|延长|变成", text, _I)
    if (seconds is not None or relative) and about_length:
        if not has_draft:
            return Op("no_draft")
        if seconds is None:
            return Op("duration", {"delta": 5.0 if re.search(r"longer|长一点", text, _I) else -5.0})
        return Op("duration", {"seconds": seconds})
    norm = re.sub(r"\b(warm|cool|dark|bright|fast|slow|soft)er\b", r"\1", text, flags=_I)
    palette, pace = parse_palette(norm), parse_pace(norm)
    if (palette or pace) and re.search(r"\b(?:make|more|less|change|switch|use|give|colou?rs?|style|"
                                       r"look|pac(?:e|ing)|feel|tone)\b|改|换|风格|色调|节奏", norm, _I):
        return Op("style", {"palette": palette, "pace": pace}) if has_draft else Op("no_draft")
    if _HELLO_RE.search(text):
        return Op("hello")
    if _THANKS_RE.search(text):
        return Op("thanks")
    # A bare description ("a cat surfing, 15s, vertical") on an empty session is a generation.
    if not has_draft and (parse_duration(text) or parse_aspect(text) or len(text.split()) >= 4
                          or len(text) >= 8 and re.search(r"[\u4e00-\u9fff]", text)):
        return Op("generate")
    return Op("unknown")
