"""Visual styles shared by the agent (which words it recognizes) and the renderer (palettes)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Palette:
    """Colour pairs for scene gradients (one pair per scene, cycling) and a text colour."""

    name: str
    pairs: tuple[tuple[str, str], ...]
    text: str = "white"


PALETTES: dict[str, Palette] = {
    "vibrant": Palette("vibrant", (("0x1d2b8f", "0xff5e3a"), ("0x7b1fa2", "0x00bcd4"),
                                   ("0xff9800", "0xe91e63"), ("0x00897b", "0xcddc39"))),
    "warm": Palette("warm", (("0x7a1f0e", "0xffb347"), ("0xb23a48", "0xfcb97d"),
                             ("0x8e3200", "0xf6d167"), ("0x5c2a0a", "0xff7f50"))),
    "cool": Palette("cool", (("0x0b1d51", "0x38b6ff"), ("0x0f3443", "0x34e89e"),
                             ("0x1e3c72", "0x8ec5fc"), ("0x16222a", "0x3a6073"))),
    "dark": Palette("dark", (("0x050505", "0x2c3e50"), ("0x0f0c29", "0x302b63"),
                             ("0x141e30", "0x243b55"), ("0x000000", "0x434343"))),
    "pastel": Palette("pastel", (("0xffd1dc", "0xb5ead7"), ("0xc7ceea", "0xffdac1"),
                                 ("0xe2f0cb", "0xffb7b2"), ("0xb5ead7", "0xc7ceea")), "0x333333"),
    "neon": Palette("neon", (("0x0d0221", "0xff00a0"), ("0x050014", "0x00f0ff"),
                             ("0x120024", "0x39ff14"), ("0x0d0221", "0xfffb00"))),
    "retro": Palette("retro", (("0x3e2723", "0xd7a86e"), ("0x4e342e", "0xe6b89c"),
                               ("0x5d4037", "0xf4d35e"), ("0x2f1b0c", "0xc08552"))),
    "nature": Palette("nature", (("0x0b3d0b", "0x9be15d"), ("0x134e5e", "0x71b280"),
                                 ("0x1d4350", "0xa8e063"), ("0x2c5f2d", "0x97bc62"))),
    "mono": Palette("mono", (("0x111111", "0x888888"), ("0x222222", "0xaaaaaa"),
                             ("0x000000", "0x666666"), ("0x1a1a1a", "0x9a9a9a"))),
}
DEFAULT_PALETTE = "vibrant"

# Words (English and Chinese) -> palette name.
PALETTE_WORDS: dict[str, str] = {
    "vibrant": "vibrant", "colorful": "vibrant", "colourful": "vibrant", "bright": "vibrant",
    "bold": "vibrant", "多彩": "vibrant", "鲜艳": "vibrant", "明亮": "vibrant",
    "warm": "warm", "sunset": "warm", "golden": "warm", "cozy": "warm", "温暖": "warm", "暖色": "warm",
    "cool": "cool", "blue": "cool", "ocean": "cool", "icy": "cool", "tech": "cool",
    "冷色": "cool", "蓝色": "cool", "科技": "cool",
    "dark": "dark", "moody": "dark", "night": "dark", "cinematic": "dark", "dramatic": "dark",
    "暗": "dark", "电影感": "dark", "夜": "dark",
    "pastel": "pastel", "soft": "pastel", "cute": "pastel", "柔和": "pastel", "可爱": "pastel",
    "neon": "neon", "cyberpunk": "neon", "futuristic": "neon", "霓虹": "neon", "赛博": "neon",
    "retro": "retro", "vintage": "retro", "film": "retro", "复古": "retro", "怀旧": "retro",
    "nature": "nature", "green": "nature", "forest": "nature", "fresh": "nature",
    "自然": "nature", "绿色": "nature", "清新": "nature",
    "minimal": "mono", "minimalist": "mono", "monochrome": "mono", "black and white": "mono",
    "极简": "mono", "黑白": "mono",
}
# Words -> pacing. "fast" means short scenes and lively motion, "slow" long calm scenes.
PACE_WORDS: dict[str, str] = {
    "fast": "fast", "fast-paced": "fast", "energetic": "fast", "dynamic": "fast", "upbeat": "fast",
    "punchy": "fast", "snappy": "fast", "快节奏": "fast", "快": "fast", "动感": "fast", "活力": "fast",
    "slow": "slow", "calm": "slow", "relaxing": "slow", "chill": "slow", "peaceful": "slow",
    "gentle": "slow", "lo-fi": "slow", "lofi": "slow", "慢": "slow", "舒缓": "slow", "安静": "slow",
    "放松": "slow",
}
# Gradient motion speed and scene length (seconds) per pace.
PACE_SPEED = {"slow": 0.004, "medium": 0.012, "fast": 0.035}
PACE_SCENE_SECONDS = {"slow": 10.0, "medium": 7.5, "fast": 5.0}


def palette_for(name: str | None) -> Palette:
    """The palette called `name`, or the default one."""
    return PALETTES.get((name or "").lower(), PALETTES[DEFAULT_PALETTE])


def pace_speed(pace: str | None) -> float:
    """Gradient rotation speed for a pace name (medium when unknown)."""
    return PACE_SPEED.get((pace or "").lower(), PACE_SPEED["medium"])
