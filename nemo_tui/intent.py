"""Route what the user typed before anything goes to the agent (PROTOCOL.md §10).

The rule, in English: a message routes to export / credits / state / upload only when it is a
short command: it holds one of that action's key words ("export", "download", "credits",
"balance", "status", "tracks", "upload" …) and every other word is polite or descriptive filler
("please", "the", "video", "1080p", "mp4", "how many", "show" …). Anything else that merely
contains a key word ("export the intro as a separate scene", "don't export yet") is an edit and
goes to chat. Chinese has no spaces, so each action has a whole-message pattern ("导出", "请导出视频",
"我的积分", "查看状态", "上传素材" …). A file path with a media extension, a ``file://`` or an
``http(s)://`` URL anywhere in the message routes to upload with those targets; ``rest`` keeps
the other words, so a caller can send them to the agent after the upload. Bare file names
("clip.mp4") count only after the word upload / 上传. Pure: no I/O unless the caller passes
``path_exists`` (then path-shaped tokens without a media extension are checked with it).
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote, urlparse

__all__ = ["MEDIA_EXTENSIONS", "Intent", "IntentKind", "route"]

IntentKind = Literal["export", "credits", "state", "upload", "chat"]

def _words(spaced: str) -> frozenset[str]:
    """A word set written as one space-separated string (easier to read and extend)."""
    return frozenset(spaced.split())


#: Upload formats of PROTOCOL.md §6 (".jpeg" is the same format as ".jpg").
MEDIA_EXTENSIONS = _words(".mp4 .mov .avi .webm .mkv .jpg .jpeg .png .gif .webp .mp3 .wav .m4a .aac")

#: Messages longer than this many words are never commands.
MAX_COMMAND_WORDS = 12


@dataclass(frozen=True)
class Intent:
    """Where a message goes; ``targets`` are upload paths/URLs, ``rest`` the other words."""

    kind: IntentKind
    targets: list[str] = field(default_factory=list)
    rest: str = ""


_COMMON_FILLER = _words(
    "please pls plz kindly can could would will you ok okay now hey hi just go ahead i i'd id "
    "want wanna need to like let let's lets me my the it this that and then so thanks thank "
    "yes yeah sure do for a an is what what's whats right away")

_KEYS: dict[str, frozenset[str]] = {
    "export": _words("export download render send"),
    "credits": _words("credits credit balance"),
    "state": _words("status state tracks track timeline"),
    "upload": _words("upload"),
}

_FILLER: dict[str, frozenset[str]] = {
    "export": _words(
        "video movie clip file final finished result version full it as in into mp4 format "
        "1080p 720p 480p 1440p 2160p 4k hd fhd uhd high best quality resolution over here "
        "done ready"),
    "credits": _words(
        "how many much have has left remaining available check show see tell current account "
        "are does get"),
    "state": _words(
        "show see view list check display current project video what's where are we of "
        "tell get"),
    "upload": _words(
        "file files video videos clip clips image images photo photos picture pictures audio "
        "music song media footage some these from"),
}

_CN_PREFIX = r"(?:请你?|帮我|麻烦你?|给我|我要|我想|现在|可以)*"
_CN_SUFFIX = r"(?:吧|一下|了|呢|啊|谢谢)*"
_CN_PATTERNS: list[tuple[IntentKind, re.Pattern[str]]] = [
    ("export", re.compile(
        _CN_PREFIX + r"(?:把视频|将视频)?(?:导出|下载|渲染)(?:一下)?"
        r"(?:视频|成片|文件|mp4|1080p|720p|4k|高清|为|成|格式)*" + _CN_SUFFIX)),
    ("export", re.compile(_CN_PREFIX + r"(?:把视频|把成片)?(?:发给我|发我)(?:视频|成片)?" + _CN_SUFFIX)),
    ("credits", re.compile(
        _CN_PREFIX + r"(?:查看?|看看|查询|显示)?(?:我的|剩余的?|还有多少)?(?:积分|余额|点数)"
        r"(?:余额|还有多少|有多少|多少|剩多少)?" + _CN_SUFFIX)),
    ("state", re.compile(
        _CN_PREFIX + r"(?:查看?|看看|查询|显示)?(?:当前的?|项目的?|视频的?)?(?:状态|时间线|轨道|进度)"
        + _CN_SUFFIX)),
    ("upload", re.compile(
        _CN_PREFIX + r"上传(?:视频|文件|素材|图片|音乐|照片)*" + _CN_SUFFIX)),
]

_CJK = re.compile(r"[\u3400-\u9fff]")
_CN_NOISE = re.compile(r"[\s,.!?;:，。！？、；：~～]+")
_WORD = re.compile(r"[\w']+")
_URL = re.compile(r"^(?:https?|file)://", re.IGNORECASE)
_TRIM = "\"'()[]<>{},;!?。，！？"


def _tokens(text: str) -> list[str]:
    """Shell-like words (quotes and backslash-escaped spaces from pasted paths understood)."""
    try:
        return shlex.split(text, posix=True)
    except ValueError:  # an apostrophe ("don't") leaves a quote open
        return text.split()


def _as_target(token: str, *, bare_ok: bool,
               path_exists: Callable[[str], bool] | None) -> str | None:
    """The upload target a token names, or None."""
    tok = token.strip(_TRIM)
    if _URL.match(tok):
        tok = tok.rstrip(".")
        if tok.lower().startswith("file://"):
            path = unquote(urlparse(tok).path)
            return path or None
        return tok
    tok = tok.rstrip(".") if not tok.endswith("..") else tok
    path_shaped = tok.startswith(("/", "~", "./", "../", ".\\", "..\\")) or "/" in tok \
        or "\\" in tok or re.match(r"^[A-Za-z]:[\\/]", tok) is not None
    ext = os.path.splitext(tok)[1].lower()
    if ext in MEDIA_EXTENSIONS and (path_shaped or bare_ok) and len(tok) > len(ext):
        return os.path.expanduser(tok)
    if path_shaped and path_exists is not None:
        expanded = os.path.expanduser(tok)
        if path_exists(expanded):
            return expanded
    return None


def _command(words: list[str]) -> IntentKind | None:
    """The command a short English message is, if every word fits one action."""
    if not words or len(words) > MAX_COMMAND_WORDS:
        return None
    for kind, keys in _KEYS.items():
        if not any(w in keys for w in words):
            continue
        allowed = keys | _FILLER[kind] | _COMMON_FILLER
        if all(w in allowed for w in words):
            return kind  # type: ignore[return-value]
    return None


def _chinese_command(text: str) -> IntentKind | None:
    """The command a short Chinese message is (whole-message patterns)."""
    compact = _CN_NOISE.sub("", text.lower())
    for kind, pattern in _CN_PATTERNS:
        if pattern.fullmatch(compact):
            return kind
    return None


def route(text: str, *, path_exists: Callable[[str], bool] | None = None) -> Intent:
    """Decide where ``text`` goes: a local action (no agent call) or ``chat``."""
    if not isinstance(text, str) or not text.strip():
        return Intent("chat")
    stripped = text.strip()
    tokens = _tokens(stripped)
    lowered = [t.lower() for t in tokens]
    bare_ok = any(t.strip(_TRIM) in ("upload", "上传") or t.startswith("上传") for t in lowered)
    targets: list[str] = []
    others: list[str] = []
    for tok in tokens:
        target = _as_target(tok, bare_ok=bare_ok, path_exists=path_exists)
        if target is None:
            others.append(tok)
        else:
            targets.append(target)
    if targets:
        rest_words = [w for w in others if w.lower().strip(_TRIM) not in ("upload", "上传")]
        rest = " ".join(rest_words)
        # A rest that is only filler ("upload these files and") is no message for the agent.
        words = _WORD.findall(rest.lower())
        if _CJK.search(rest):
            filler_only = _chinese_command("上传" + rest.replace(" ", "")) == "upload"
        else:
            filler_only = all(w in _COMMON_FILLER or w in _FILLER["upload"] for w in words)
        if filler_only:
            rest = ""
        return Intent("upload", targets, rest)
    kind = _command(_WORD.findall(stripped.lower()))
    if kind is None and _CJK.search(stripped):
        kind = _chinese_command(stripped)
    if kind is None:
        return Intent("chat")
    return Intent(kind)
