"""The session's media (uploads and generated media from the state reply, PROTOCOL.md §8) as
plain items for the media bin. Tolerant of any JSON; pure: no I/O, no Textual."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from nemo_tui.textsafe import safe_line

__all__ = ["MediaItem", "describe", "media_items"]

#: Items listed at most (a state reply could hold anything).
MAX_ITEMS = 500


@dataclass(frozen=True)
class MediaItem:
    """One upload or generated file: its name, kind and what is known of its size."""

    name: str  # raw (not sanitized): the agent is told this exact name
    kind: str
    duration: float | None = None  # seconds
    width: int | None = None
    height: int | None = None
    size: int | None = None  # bytes
    generated: bool = False


def _number(value: Any) -> float | None:
    """A finite non-negative number, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def _item(raw: Any, generated: bool) -> MediaItem | None:
    """One entry of ``video_infos`` / ``generated_media``; None when it names nothing."""
    if not isinstance(raw, dict):
        return None
    name = next((raw[k] for k in ("filename", "name", "title") if isinstance(raw.get(k), str)
                 and raw[k].strip()), None)
    if name is None:
        url = next((raw[k] for k in ("cdn_url", "url", "src") if isinstance(raw.get(k), str)), "")
        name = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if not name:
        return None
    kind = next((raw[k] for k in ("file_type", "type", "media_type", "kind")
                 if isinstance(raw.get(k), str) and raw[k].strip()), "media")
    width, height, size = (_number(raw.get(k)) for k in ("width", "height", "size"))
    return MediaItem(name.strip(), kind.strip().lower(), _number(raw.get("duration")),
                     int(width) if width else None, int(height) if height else None,
                     int(size) if size is not None else None, generated)


def media_items(video_infos: Any, generated_media: Any) -> list[MediaItem]:
    """Uploads first, then generated media, in the server's order."""
    items: list[MediaItem] = []
    for source, generated in ((video_infos, False), (generated_media, True)):
        for raw in source if isinstance(source, list) else []:
            item = _item(raw, generated)
            if item is not None and len(items) < MAX_ITEMS:
                items.append(item)
    return items


def _bytes(n: int) -> str:
    """A file size for people: ``812 KB``, ``14.2 MB``."""
    if n < 1000:
        return f"{n} B"
    if n < 1_000_000:
        return f"{n / 1000:.0f} KB"
    return f"{n / 1_000_000:.1f} MB"


def describe(item: MediaItem) -> str:
    """One line: ``clip.mp4 · video · 30.5 s · 1920×1080 · 14.2 MB`` (made safe)."""
    parts = [safe_line(item.name, max_len=60), safe_line(item.kind, max_len=20)
             + (" (generated)" if item.generated else "")]
    if item.duration is not None:
        parts.append(f"{item.duration:.1f} s".replace(".0 s", " s"))
    if item.width and item.height:
        parts.append(f"{item.width}×{item.height}")
    if item.size is not None:
        parts.append(_bytes(item.size))
    return " · ".join(parts)
