"""One previewed file for a screen: an open decoder, a thumbnail cache and strip timing.

No Textual. Methods block; the UI calls them from thread workers, one at a time per file (a
lock serializes them: a decoder seeks one place at a time).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nemo_tui.preview import load_media
from nemo_tui.preview.cache import ThumbnailCache, frame_key

#: A half-cell written in full costs at most ~41 bytes (two 24-bit colour escapes and `▀`);
#: the playback budget assumes 40, so a frame of 80x22 cells is ~70 KB.
BYTES_PER_CELL = 40
#: Playback never goes faster than this, whatever the link and the video could do.
MAX_PLAY_FPS = 30.0

#: Shared by every FrameSource: previews of the same file reuse decoded thumbnails.
SHARED_CACHE = ThumbnailCache()


def strip_times(duration: float | None, count: int) -> list[float]:
    """Times of ``count`` thumbnails spread across the video: the middle of equal parts."""
    if not duration or duration <= 0:
        return [0.0] * count
    return [round(duration * (i + 0.5) / count, 3) for i in range(count)]


def playback_fps(video_fps: float | None, cols: int, rows: int, bytes_per_second: int) -> float:
    """The frame rate a link carrying ``bytes_per_second`` sustains for a cols x rows half-cell
    picture, never above the video's own rate or MAX_PLAY_FPS (at least one frame a second)."""
    by_link = bytes_per_second / max(1, cols * rows * BYTES_PER_CELL)
    return max(1.0, min(by_link, video_fps or MAX_PLAY_FPS, MAX_PLAY_FPS))


class FrameSource:
    """Decoded, cached pictures of one media file."""

    def __init__(self, path: Path | str, cache: ThumbnailCache | None = None, *,
                 thumbnails: bool = False) -> None:
        """Open the file now (PreviewError / PreviewUnavailable when it cannot be);
        ``thumbnails``: this source makes small pictures only (decoded a little faster)."""
        self.path = Path(path).expanduser()
        self.cache = cache if cache is not None else SHARED_CACHE
        self.thumbnails = thumbnails
        self._media = load_media().open_media(self.path, thumbnails=thumbnails)
        self.info = self._media.info
        self._lock = threading.Lock()

    def frame(self, t: float, size: tuple[int, int], *, exact: bool = True,
              cancelled: Callable[[], bool] | None = None) -> Any:
        """The RGB picture at ``t`` scaled to ``size`` (from the cache when it was decoded)."""
        if self.info.kind == "image":
            t = 0.0
        key = frame_key(self.path, t, size, exact, self.thumbnails)
        picture = self.cache.get(key)
        if picture is None and not exact:
            # the exact frame is better
            picture = self.cache.get(frame_key(self.path, t, size, True, self.thumbnails))
        if picture is not None:
            return picture
        with self._lock:
            picture = self._media.frame_at(t, size, exact=exact, cancelled=cancelled)
        self.cache.put(key, picture)
        return picture

    def strip(self, times: list[float], size: tuple[int, int],
              on_picture: Callable[[int, Any, bool], None],
              cancelled: Callable[[], bool] | None = None) -> None:
        """Thumbnails at ``times``: first the nearest keyframes (fast, every slot filled at
        once), then the exact frames; ``on_picture(index, picture, exact)`` after each."""
        for exact in (False, True):
            for i, t in enumerate(times):
                if cancelled is not None and cancelled():
                    return
                on_picture(i, self.frame(t, size, exact=exact, cancelled=cancelled), exact)
            if self.info.kind == "image":
                return

    def play(self, start: float, size: tuple[int, int], fps: float,
             show: Callable[[float, Any], None], cancelled: Callable[[], bool],
             clock: Callable[[], float] = time.monotonic,
             sleep: Callable[[float], None] = time.sleep) -> float:
        """Show frames from ``start`` at their real-time pace (``fps`` at most), until the end
        or ``cancelled()``; a frame already late by a step is dropped. Returns the last time
        shown."""
        if self.info.kind != "video":
            return start
        last = start
        step = 1 / fps
        with self._lock:
            began = clock()
            for t, picture in self._media.play(start, size, fps, cancelled):
                late = clock() - (began + t - start)
                if late > step and t - last < 1.0:
                    continue  # behind: drop this one (but show one a second whatever happens)
                if late < 0:
                    sleep(-late)
                if cancelled():
                    break
                show(t, picture)
                last = t
        return last

    def close(self) -> None:
        """Release the decoder."""
        with self._lock:
            self._media.close()
