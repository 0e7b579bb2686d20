"""Understanding generation prompts (English and Chinese): duration, aspect, subject, music, style."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .style import PACE_WORDS, PALETTE_WORDS

CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_EN_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90,
}
_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_NUM = r"(\d+(?:\.\d+)?|" + "|".join(sorted(_EN_NUMBERS, key=len, reverse=True)) + r")"
# Single-letter units ("15s", "2m") only after digits: "as" must not read as "a s(econd)".
_SEC_RE = re.compile(r"\b" + _NUM + r"\s*-?\s*(?:seconds?|secs?)\b|\b(\d+(?:\.\d+)?)\s*s\b", re.IGNORECASE)
_MIN_RE = re.compile(r"\b" + _NUM + r"\s*-?\s*(?:minutes?|mins?)\b|\b(\d+(?:\.\d+)?)\s*m\b", re.IGNORECASE)
_HALF_MIN_RE = re.compile(r"\bhalf\s+(?:a\s+)?minute\b", re.IGNORECASE)
_A_MIN_RE = re.compile(r"\b(?:a|an|one)[\s-]+minute\b", re.IGNORECASE)
_ZH_NUM = r"([0-9]+(?:\.[0-9]+)?|[零一二两三四五六七八九十百]+)"
_ZH_SEC_RE = re.compile(_ZH_NUM + r"\s*秒")
_ZH_MIN_RE = re.compile(_ZH_NUM + r"\s*分钟")
MIN_SECONDS, MAX_SECONDS, DEFAULT_SECONDS = 3.0, 180.0, 15.0

_PORTRAIT_RE = re.compile(r"9\s*[:：x×/]\s*16|4\s*[:：]\s*5|\b(?:vertical|portrait|tiktok|reels?|"
                          r"shorts|stories|story format|phone)\b|竖屏|竖版|竖向|抖音", re.IGNORECASE)
_SQUARE_RE = re.compile(r"\b1\s*[:：x×/]\s*1\b|\bsquare\b|\binstagram post\b|方形|正方形", re.IGNORECASE)
_LANDSCAPE_RE = re.compile(r"16\s*[:：x×/]\s*9|\b(?:landscape|horizontal|widescreen|youtube)\b|"
                           r"横屏|横版|宽屏", re.IGNORECASE)
_NO_MUSIC_RE = re.compile(r"\b(?:no|without)\s+(?:background\s+)?(?:music|bgm|soundtrack)\b|"
                          r"\bsilent\b|不要(?:背景)?音乐|无音乐|不加音乐|静音", re.IGNORECASE)
_MUSIC_RE = re.compile(r"\b(?:background\s+music|bgm|music|soundtrack|song)\b|背景音乐|配乐|音乐",
                       re.IGNORECASE)
_MOOD_WORDS = {
    "lo-fi": "lofi", "lofi": "lofi", "chill": "lofi", "calm": "calm", "relaxing": "calm",
    "peaceful": "calm", "gentle": "calm", "piano": "calm", "cinematic": "cinematic", "epic": "cinematic",
    "dramatic": "cinematic", "energetic": "energetic", "edm": "energetic", "dance": "energetic",
    "rock": "energetic", "upbeat": "upbeat", "happy": "upbeat", "pop": "upbeat", "fun": "upbeat",
    "舒缓": "calm", "安静": "calm", "放松": "calm", "史诗": "cinematic", "电影": "cinematic",
    "动感": "energetic", "激情": "energetic", "欢快": "upbeat", "轻快": "upbeat",
}
MOOD_TITLES = {"upbeat": "Upbeat pop", "energetic": "Energetic beat", "calm": "Calm piano",
               "cinematic": "Cinematic strings", "lofi": "Lo-fi"}

_EN_SUBJECT_RE = re.compile(
    r"\b(?:video|clip|movie|film|reel|short|montage|ad|trailer|teaser|vlog|promo)s?\b"
    r"(?:\s+\w+)?\s+(?:about|of|on|showing|featuring|for|from|with|that shows|introducing|"
    r"presenting|explaining)\s+(.+)", re.IGNORECASE)
_EN_LEAD_RE = re.compile(
    r"^\s*(?:please\s+)?(?:can you\s+|could you\s+)?(?:generate|create|make|produce|build|render|"
    r"give me|i want|i need|i'd like)\s+(?:me\s+)?(?:a|an|the|some|one|another|new)?\s*", re.IGNORECASE)
_TRAILING_RE = re.compile(
    r"\s*(?:,|;|\.|\bwith\b|\bin\b\s+(?:\d|vertical|portrait|square|landscape|widescreen)|"
    r"\bset to\b|\busing\b|\bfor (?:tiktok|youtube|instagram|reels)\b|\bas a\b|\band add\b).*$",
    re.IGNORECASE)
_FILLER_WORDS = re.compile(
    r"\b(?:video|clip|movie|film|vertical|portrait|square|landscape|horizontal|widescreen|"
    r"background music|bgm|music|with|and|a|an|the|please|seconds?|secs?|minutes?|mins?|"
    r"long|short|hd|1080p|4k|mp4)\b", re.IGNORECASE)
_ZH_SUBJECT_RE = re.compile(r"(?:关于|介绍|展示|讲述|主题是|主题为)([^，,。.！!？?]+)")
_ZH_FILLER_RE = re.compile(
    r"请|帮我|给我|生成|制作|创建|做|来|一个|一段|一支|一条|视频|短片|影片|的|带|加上|加|配上|"
    r"背景音乐|配乐|音乐|竖屏|竖版|横屏|横版|方形|正方形|高清|[0-9零一二两三四五六七八九十百.]+\s*(?:秒|分钟)|"
    r"[，,。.！!？?：:、]")


@dataclass
class Request:
    """What a generation prompt asks for."""

    subject: str
    seconds: float
    seconds_given: bool
    aspect: str  # "landscape" | "portrait" | "square"
    music: bool
    mood: str
    palette: str | None
    pace: str | None
    chinese: bool
    note: str = ""  # e.g. why the duration was clamped


def has_cjk(text: str) -> bool:
    """Whether the text contains Chinese characters."""
    return bool(CJK_RE.search(text))


def zh_number(text: str) -> float | None:
    """A number written in digits or simple Chinese numerals (up to 999)."""
    try:
        return float(text)
    except ValueError:
        pass
    if not text or any(ch not in _ZH_DIGITS and ch not in "十百" for ch in text):
        return None
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _ZH_DIGITS[ch]
    return float(total + current)


def _en_number(text: str) -> float:
    """A number written in digits or as an English word."""
    low = text.lower()
    return float(_EN_NUMBERS[low]) if low in _EN_NUMBERS else float(low)


def parse_duration(text: str) -> float | None:
    """Seconds asked for ("30-second", "15s", "1 minute", "30秒", "一分钟"), or None."""
    if _HALF_MIN_RE.search(text) or "半分钟" in text:
        return 30.0
    if _A_MIN_RE.search(text):
        return 60.0
    for regex, factor, conv in ((_SEC_RE, 1, _en_number), (_MIN_RE, 60, _en_number),
                                (_ZH_SEC_RE, 1, zh_number), (_ZH_MIN_RE, 60, zh_number)):
        match = regex.search(text)
        if match:
            value = conv(next(g for g in match.groups() if g is not None))
            if value is not None and value > 0:
                return value * factor
    return None


def parse_aspect(text: str) -> str | None:
    """"portrait", "square" or "landscape" if the text names an aspect ratio."""
    if _PORTRAIT_RE.search(text):
        return "portrait"
    if _SQUARE_RE.search(text):
        return "square"
    if _LANDSCAPE_RE.search(text):
        return "landscape"
    return None


def _find_word(text: str, words: dict[str, str]) -> str | None:
    """The value of the first key found in text (whole words for Latin keys)."""
    low = text.lower()
    best: tuple[int, str] | None = None
    for word, value in words.items():
        if has_cjk(word):
            pos = low.find(word)
        else:
            m = re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", low)
            pos = m.start() if m else -1
        if pos >= 0 and (best is None or pos < best[0]):
            best = (pos, value)
    return best[1] if best else None


def parse_palette(text: str) -> str | None:
    """A palette name from style words ("warm", "neon", "复古"…), or None."""
    return _find_word(text, PALETTE_WORDS)


def parse_pace(text: str) -> str | None:
    """"fast" or "slow" from pacing words, or None."""
    return _find_word(text, PACE_WORDS)


def parse_mood(text: str) -> str | None:
    """A music mood ("upbeat", "calm", "lofi"…) from the text, or None."""
    return _find_word(text, _MOOD_WORDS)


def wants_music(text: str) -> bool | None:
    """True if music is asked for, False if refused, None if not mentioned."""
    if _NO_MUSIC_RE.search(text):
        return False
    if _MUSIC_RE.search(text):
        return True
    return None


def extract_subject(text: str) -> str:
    """The subject of a generation prompt, without the command words around it."""
    if has_cjk(text):
        m = _ZH_SUBJECT_RE.search(text)
        if m:
            subject = _ZH_FILLER_RE.sub("", m.group(1))
        else:
            subject = _ZH_FILLER_RE.sub("", text)
        subject = re.sub(r"\s+", " ", subject).strip()
        if subject:
            return subject[:30]
    m = _EN_SUBJECT_RE.search(text)
    subject = m.group(1) if m else _EN_LEAD_RE.sub("", text)
    subject = _TRAILING_RE.sub("", subject)
    subject = _SEC_RE.sub("", subject)
    subject = _MIN_RE.sub("", subject)
    subject = re.sub(r"\b\d+\s*[:x×/]\s*\d+\b", "", subject)
    if not m:
        subject = _FILLER_WORDS.sub(" ", subject)
    subject = re.sub(r"^(?:my|our|your|the|a|an|some)\s+", "", subject.strip(" -\"'“”"), flags=re.IGNORECASE)
    subject = re.sub(r"\s+", " ", subject).strip(" -,.!?\"'“”")
    return subject[:60]


def make_title(subject: str) -> str:
    """A short title for the video: the subject in title case (Chinese kept as is)."""
    if not subject:
        return "My Video"
    if has_cjk(subject):
        return subject[:20]
    small = {"a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "with"}
    words = subject.split()[:7]
    titled = [w if (w.isupper() and len(w) > 1) else
              (w.lower() if i and w.lower() in small else w[:1].upper() + w[1:])
              for i, w in enumerate(words)]
    return " ".join(titled)[:48]


def parse_request(text: str) -> Request:
    """Everything a generation prompt says, with defaults for what it leaves out."""
    seconds = parse_duration(text)
    note = ""
    given = seconds is not None
    if seconds is None:
        seconds = DEFAULT_SECONDS
    elif seconds < MIN_SECONDS or seconds > MAX_SECONDS:
        clamped = min(MAX_SECONDS, max(MIN_SECONDS, seconds))
        note = f"I can make clips from {MIN_SECONDS:g} s to {MAX_SECONDS:g} s, so I used {clamped:g} s."
        seconds = clamped
    pace = parse_pace(text)
    mood = parse_mood(text) or ("calm" if pace == "slow" else "energetic" if pace == "fast"
                                else "upbeat")
    return Request(
        subject=extract_subject(text), seconds=float(seconds), seconds_given=given,
        aspect=parse_aspect(text) or "landscape", music=wants_music(text) is not False,
        mood=mood, palette=parse_palette(text), pace=pace, chinese=has_cjk(text), note=note,
    )
