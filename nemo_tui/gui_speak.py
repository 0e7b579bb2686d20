"""Translate the backend's GUI wording ("click the Export button", "点击导出") into studio actions.

PROTOCOL.md §5: the agent writes for NemoVideo's web page. Each phrase maps to an action:

- "click/tap the Export (or Download) button", "Export button", "点击导出", "导出", "下载按钮"
  → ``export``
- "open the … panel/tab/editor/timeline …", "打开…" → ``refresh_state``
- "drag …", "drag and drop", "drop it onto …", "拖拽/拖动/拖到 …" → ``send_edit`` (the phrase
  runs to the end of its clause, so it says what to change)
- "preview (it) in the timeline", "在时间线中预览", "click Preview" → ``show_tracks``
- any other "click X" / "点击X" → ``offer`` (``target`` names X)

The rules avoid prose that merely holds the words: "click" needs a button-like object (a
capitalised or quoted name, or a following "button"/"tab"/"icon"…), so "add a click track" is
nothing; "drop" needs a place ("onto", "into", "here"), so "the beat drops" is nothing; "open"
needs a panel-like noun, so "an open road" is nothing. Actions come in the order of the text;
overlapping matches count once (the earliest, then the longest). Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from nemo_tui.textsafe import safe_line

__all__ = ["GuiAction", "GuiActionKind", "translate"]

GuiActionKind = Literal["export", "refresh_state", "send_edit", "show_tracks", "offer"]

#: Longest phrase returned (characters); longer clauses are cut.
MAX_PHRASE = 120
#: Characters of backend text scanned; a reply longer than this is not GUI instructions.
MAX_SCAN = 200_000


@dataclass(frozen=True)
class GuiAction:
    """One action the backend's GUI wording asks for; ``phrase`` is the words found (made safe)."""

    kind: GuiActionKind
    phrase: str
    target: str = ""  # the button/panel named, e.g. "Add Music" in "click the Add Music button"


_UI_NOUN = (r"(?:button|btn|tab|icon|link|menu|option|panel|toggle|switch|checkbox|box|bar"
            r"|toolbar|sidebar)")
_PANEL_NOUN = (r"(?:panel|pane|tab|editor|timeline|sidebar|drawer|library|menu|window|view|page"
               r"|project|workspace|dashboard|settings|preview|inspector|toolbar|section|dialog"
               r"|modal)")
# A button's name as the backend writes it: quoted, bracketed, bold, or 1-4 capitalised words.
_QUOTED = r"""(?:"([^"\n]{1,40})"|'([^'\n]{1,40})'|“([^”\n]{1,40})”|‘([^’\n]{1,40})’""" \
          r"""|\[([^\]\n]{1,40})\]|\*\*([^*\n]{1,40})\*\*|「([^」\n]{1,40})」|【([^】\n]{1,40})】)"""
# Case-sensitive inside IGNORECASE patterns: the capital letters are what mark a button name.
_CAPS = r"(?-i:([A-Z0-9][\w+&'-]*(?:[ \t]+(?:[A-Z0-9][\w+&'-]*|&)){0,3}))"
_LOWER = r"([a-z][\w-]*(?:[ \t]+[a-z][\w-]*){0,2})"

# "click the Export button", "tap on "Add Music"", "double-click Export".
_CLICK_EN = re.compile(
    r"\b(?:(?:double|right|left)[- ])?(?:click|tap)(?:ing|ed|s)?(?:[ \t]+on)?(?:[ \t]+the)?[ \t]+"
    rf"(?:{_QUOTED}(?:[ \t]+{_UI_NOUN})?|{_CAPS}(?:[ \t]+{_UI_NOUN})?|{_LOWER}[ \t]+{_UI_NOUN}\b"
    r"|(here))",
    re.IGNORECASE)
# "press/hit/select/choose the Export button": these verbs are common in prose, so they need
# a UI noun or a quoted name.
_PRESS_EN = re.compile(
    r"\b(?:press|hit|select|choose|use)(?:ing|es|s)?(?:[ \t]+on)?(?:[ \t]+the)?[ \t]+"
    rf"(?:{_QUOTED}(?:[ \t]+{_UI_NOUN})?|{_CAPS}[ \t]+{_UI_NOUN}\b|{_LOWER}[ \t]+{_UI_NOUN}\b)",
    re.IGNORECASE)
# "the Export button" without a verb.
_EXPORT_BUTTON_EN = re.compile(
    r"""\b["'“]?(export|download|render)["'”]?[ \t]+(?:button|icon|link|tab|option)\b""",
    re.IGNORECASE)
_OPEN_EN = re.compile(
    r"\bopen(?:ing|s)?[ \t]+(?:up[ \t]+)?(?:the|your|a)?[ \t]*"
    rf"((?:[\w-]+[ \t]+){{0,3}}{_PANEL_NOUN}s?)\b",
    re.IGNORECASE)
_PREVIEW_EN = re.compile(
    r"\b(?:preview|view|see|check|watch|review|look[ \t]+at)(?:ing)?[ \t]+(?:it|this|that|them"
    r"|the[ \t]+(?:video|result|changes?|edit|clip))?[ \t]*(?:in|on)[ \t]+the[ \t]+timeline\b",
    re.IGNORECASE)
_DRAG_EN = re.compile(
    r"\b(?:drag(?:s|ged|ging)?|(?:drop(?:s|ped|ping)?(?:[ \t]+(?:it|them|the[ \t]+[\w-]+"
    r"|your[ \t]+[\w-]+|files?|clips?|media))?[ \t]+(?:onto|into|on[ \t]+to|here|on[ \t]+the"
    r"|in[ \t]+the)))\b",
    re.IGNORECASE)

_CN_CLICK = re.compile(
    r"(?:点击|单击|双击|点按|点一下|按下)[ \t]*(?:一下)?"
    rf"(?:{_QUOTED}|([^\s，。！？；、,.!?;:：“”\"'「」【】]{{1,12}}?))[ \t]*(?:按钮|按键|图标|选项|标签|菜单|$|(?=[\s，。！？；、,.!?;:：]))")
_CN_EXPORT = re.compile(r"导出(?:按钮|视频|成片)?|下载按钮")
_CN_OPEN = re.compile(r"打开[ \t]*([^\s，。！？；、,.!?;:：]{0,12})")
_CN_PREVIEW = re.compile(r"(?:在)?时间(?:线|轴)(?:上|中|里)?(?:预览|查看)|预览")
_CN_DRAG = re.compile(r"拖拽|拖动|拖放|拖到|拖入|拖进|拖至")

_CLAUSE_END = re.compile(r"[.!?;\n。！？；]")
_EXPORT_WORDS = re.compile(r"export|download|render|导出|下载|渲染", re.IGNORECASE)
_PREVIEW_WORDS = re.compile(r"preview|timeline|预览|时间线|时间轴", re.IGNORECASE)
_REFRESH_WORDS = re.compile(r"refresh|reload|刷新", re.IGNORECASE)


def _first_group(match: re.Match[str]) -> str:
    """The first group that took part in the match (the button name), stripped."""
    for g in match.groups():
        if g:
            return g.strip()
    return ""


def _kind_for_target(target: str) -> GuiActionKind:
    """What clicking a button of that name means here."""
    if _EXPORT_WORDS.search(target):
        return "export"
    if _PREVIEW_WORDS.search(target):
        return "show_tracks"
    if _REFRESH_WORDS.search(target) or target.startswith("打开"):
        return "refresh_state"
    return "offer"


def _clause_end(text: str, pos: int) -> int:
    """Where the clause holding ``pos`` ends (next sentence punctuation or newline)."""
    m = _CLAUSE_END.search(text, pos, pos + MAX_PHRASE)
    return m.start() if m else min(len(text), pos + MAX_PHRASE)


_Hit = tuple[int, int, GuiActionKind, str]  # start, end, kind, target


def _hits(text: str) -> list[_Hit]:
    """Every match of every rule, unordered and possibly overlapping."""
    hits: list[_Hit] = []
    for pattern in (_CLICK_EN, _PRESS_EN, _CN_CLICK):
        for m in pattern.finditer(text):
            target = _first_group(m)
            kind = _kind_for_target(target)
            if target.lower() in ("here", "这里") and kind == "offer":
                # "click here to download": the rest of the clause says what the link does.
                kind = _kind_for_target(text[m.end():_clause_end(text, m.end())])
            hits.append((m.start(), m.end(), kind, target))
    for m in _EXPORT_BUTTON_EN.finditer(text):
        hits.append((m.start(), m.end(), "export", m.group(1)))
    for m in _CN_EXPORT.finditer(text):
        hits.append((m.start(), m.end(), "export", m.group(0)))
    for pattern in (_OPEN_EN, _CN_OPEN):
        for m in pattern.finditer(text):
            hits.append((m.start(), m.end(), "refresh_state", (m.group(1) or "").strip()))
    for pattern in (_PREVIEW_EN, _CN_PREVIEW):
        for m in pattern.finditer(text):
            hits.append((m.start(), m.end(), "show_tracks", "timeline"))
    for pattern in (_DRAG_EN, _CN_DRAG):
        for m in pattern.finditer(text):
            # The edit is described by the rest of the clause ("drag the title to 5s").
            hits.append((m.start(), _clause_end(text, m.end()), "send_edit", ""))
    return hits


def translate(text: str) -> list[GuiAction]:
    """The actions ``text`` (an agent reply) asks of a GUI, in the order they appear; [] if none."""
    if not isinstance(text, str) or not text:
        return []
    text = text[:MAX_SCAN]
    hits = sorted(_hits(text), key=lambda h: (h[0], -h[1]))
    actions: list[GuiAction] = []
    seen: set[tuple[str, str]] = set()
    covered = 0  # end of the last accepted match: later overlapping matches are the same words
    for start, end, kind, target in hits:
        if start < covered:
            continue
        covered = end
        phrase = safe_line(text[start:end].strip(), max_len=MAX_PHRASE)
        key = (kind, phrase.lower())
        if key in seen:
            continue
        seen.add(key)
        actions.append(GuiAction(kind, phrase, safe_line(target, max_len=MAX_PHRASE)))
    return actions
