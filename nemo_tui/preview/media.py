"""Frames of video files and pictures of image files, decoded in-process (PyAV + Pillow).

No Textual. Every failure a file can cause (missing, empty, not media, truncated, a picture too
large to decode safely, a time past the end) becomes a one-sentence `PreviewError`. Blocking:
call from a worker thread; `cancelled` callbacks let a caller stop a long decode between frames.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import av
import av.error
from PIL import Image

from nemo_tui.preview.errors import PreviewError
from nemo_tui.textsafe import safe_line

#: Pictures (and video frames) with more pixels than this are refused before any pixel is
#: decoded: a 16k x 16k PNG of a few KB would otherwise need 768 MiB of memory (8K video is 33M).
MAX_PIXELS = 40_000_000
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp"})
#: Frames closer than this to the asked time count as "at" it (float time-base rounding).
TIME_EPSILON = 1e-4

Cancelled = Callable[[], bool]


class DecodeCancelled(Exception):
    """A caller's `cancelled()` said stop; nothing is wrong with the file."""


@dataclass(frozen=True)
class MediaInfo:
    """What a preview shows about a file next to its picture."""

    path: Path
    kind: Literal["video", "image"]
    width: int
    height: int
    duration: float | None
    """Seconds (None for a picture, or a video whose length is unknown)."""
    codec: str | None
    size_bytes: int
    fps: float | None = None

    def facts(self) -> str:
        """One line: ``1920x1080 · h264 · 10.0 s · 30 fps · 1.2 MB``."""
        parts = [f"{self.width}x{self.height}"]
        if self.codec:
            parts.append(self.codec)
        if self.duration is not None:
            parts.append(f"{self.duration:.1f} s")
        if self.fps:
            parts.append(f"{self.fps:g} fps")
        parts.append(human_size(self.size_bytes))
        return " · ".join(parts)


def human_size(n: int) -> str:
    """``1234567`` → ``1.2 MB``."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"  # pragma: no cover - the loop always returns


def _name(path: Path) -> str:
    """The file name as shown in a message (escaped: it comes from the file system)."""
    return safe_line(path.name or str(path), max_len=120)


def check_file(path: Path) -> int:
    """The file's size in bytes; PreviewError when it is missing, not a file, or empty."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise PreviewError(f"There is no file at {safe_line(str(path), max_len=200)}.") from None
    except OSError as exc:
        raise PreviewError(f"Cannot read {_name(path)}: {exc.strerror or exc}.") from None
    if not path.is_file():
        raise PreviewError(f"{_name(path)} is not a file: give a video or picture file.")
    if st.st_size == 0:
        raise PreviewError(f"{_name(path)} is empty (0 bytes): there is nothing to preview.")
    return st.st_size


def _check_pixels(path: Path, width: int, height: int) -> None:
    """Refuse pictures too large to decode safely (decompression bombs)."""
    if width <= 0 or height <= 0:
        raise PreviewError(f"{_name(path)} has no picture size: it may be damaged.")
    if width * height > MAX_PIXELS:
        raise PreviewError(f"{_name(path)} is too large a picture to decode safely "
                           f"({width}x{height}, more than {MAX_PIXELS // 1_000_000} megapixels).")


class ImageSource:
    """A picture file (jpg, png, gif, webp, bmp): one frame, whatever the time."""

    def __init__(self, path: Path, size_bytes: int) -> None:
        self.path = path
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                self._image = Image.open(path)  # lazy: reads the header only
        except Image.DecompressionBombError:
            raise PreviewError(f"{_name(path)} is too large a picture to decode safely (more "
                               f"than {MAX_PIXELS // 1_000_000} megapixels).") from None
        except (Image.UnidentifiedImageError, OSError, ValueError) as exc:
            raise PreviewError(f"{_name(path)} is not a picture nemo-tui can read "
                               f"({safe_line(str(exc), max_len=80)}).") from None
        width, height = self._image.size
        _check_pixels(path, width, height)
        self.info = MediaInfo(path, "image", width, height, None,
                              (self._image.format or "").lower() or None, size_bytes)

    def frame_at(self, t: float, size: tuple[int, int], *, exact: bool = True,
                 cancelled: Cancelled | None = None) -> Image.Image:
        """The picture scaled to ``size`` (RGB; transparency over black); ``t`` is ignored."""
        image = self._image
        try:
            image.seek(0)  # the first frame of an animated GIF/WebP
            image.draft("RGB", size)  # JPEG: decode at a reduced scale (much faster)
            image.load()
            rgb = _to_rgb(image)
        except (OSError, ValueError, EOFError) as exc:
            raise PreviewError(f"{_name(self.path)} could not be decoded; it may be truncated "
                               f"({safe_line(str(exc), max_len=80)}).") from None
        return scale(rgb, size)

    def close(self) -> None:
        """Release the file."""
        self._image.close()


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB pixels; a transparent picture is laid over black."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        base = Image.new("RGB", rgba.size, (0, 0, 0))
        base.paste(rgba, mask=rgba.getchannel("A"))
        return base
    return image.convert("RGB")


def scale(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Resize to exactly ``size``: box-averaged when shrinking (true colours in few pixels)."""
    if image.size == size:
        return image
    shrinking = size[0] <= image.width and size[1] <= image.height
    return image.resize(size, Image.Resampling.BOX if shrinking else Image.Resampling.BICUBIC)


class VideoSource:
    """A video file's first video stream, kept open for repeated seeks (one thread at a time)."""

    def __init__(self, path: Path, size_bytes: int, *, thumbnails: bool = False) -> None:
        """Open the file; ``thumbnails``: for small pictures only, so the deblocking filter is
        skipped (invisible a few pixels wide, a quarter of the decoding work)."""
        self.path = path
        try:
            self._container = av.open(str(path), mode="r", metadata_errors="ignore")
        except (av.error.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
            raise PreviewError(f"{_name(path)} is not a video or picture nemo-tui can read "
                               f"({_ffmpeg_reason(exc)}).") from None
        try:
            streams = self._container.streams.video
            if not streams:
                raise PreviewError(f"{_name(path)} has no video stream (is it audio only?).")
            stream = streams[0]
            ctx = stream.codec_context
            _check_pixels(path, ctx.width, ctx.height)
            stream.thread_type = "AUTO"
            if thumbnails:
                ctx.options = {"skip_loop_filter": "all"}
            self._stream = stream
            tb = stream.time_base
            self._start = float(stream.start_time * tb) if stream.start_time is not None else 0.0
            rate = stream.average_rate or stream.guessed_rate
            fps = float(rate) if rate else None
            self._frame_step = 1 / fps if fps else 0.0
            self.info = MediaInfo(path, "video", ctx.width, ctx.height, self._duration(),
                                  ctx.name, size_bytes, round(fps, 3) if fps else None)
        except BaseException:
            self._container.close()
            raise

    def _duration(self) -> float | None:
        """The video stream's length in seconds (the container's when the stream has none)."""
        stream = self._stream
        if stream.duration is not None and stream.time_base:
            return float(stream.duration * stream.time_base)
        if self._container.duration is not None:
            return self._container.duration / av.time_base
        return None

    def check_time(self, t: float) -> None:
        """PreviewError when ``t`` is negative or past the end of the video."""
        duration = self.info.duration
        if not math.isfinite(t) or t < 0:
            raise PreviewError(f"The time must be a number of seconds from 0, not {t:g}.")
        if duration is not None and t > duration + TIME_EPSILON:
            raise PreviewError(f"{_name(self.path)} is {duration:.2f} s long: there is no frame "
                               f"at {t:g} s.")

    def frame_at(self, t: float, size: tuple[int, int], *, exact: bool = True,
                 cancelled: Cancelled | None = None) -> Image.Image:
        """The frame shown at ``t`` seconds (``exact``), or the keyframe at or before it (fast),
        scaled to ``size`` (RGB)."""
        self.check_time(t)
        frame = self._decode(t, exact, cancelled)
        try:
            out = frame.reformat(width=size[0], height=size[1], format="rgb24",
                                 interpolation="AREA")
            return out.to_image()
        except (av.error.FFmpegError, ValueError) as exc:
            raise PreviewError(f"{_name(self.path)}: the frame at {t:g} s could not be converted "
                               f"({_ffmpeg_reason(exc)}).") from None

    def play(self, start: float, size: tuple[int, int], fps: float,
             cancelled: Cancelled | None = None) -> Iterator[tuple[float, Image.Image]]:
        """Frames from ``start`` on, about ``fps`` per second of video (the rest are decoded
        but skipped), each as (time, picture scaled to ``size``): one seek, then forward."""
        self.check_time(start)
        stream = self._stream
        step = 1 / max(0.1, fps)
        due = start
        try:
            self._container.seek(int((self._start + start) / stream.time_base), stream=stream,
                                 backward=True, any_frame=False)
            for packet in self._container.demux(stream):
                for frame in packet.decode():
                    if cancelled is not None and cancelled():
                        return
                    if frame.time is None:
                        continue
                    t = frame.time - self._start
                    if t + self._frame_step <= start + TIME_EPSILON or t + step / 2 < due:
                        continue
                    due = max(due + step, t + step / 2)
                    picture = frame.reformat(width=size[0], height=size[1], format="rgb24",
                                             interpolation="AREA").to_image()
                    yield t, picture
        except av.error.FFmpegError:
            return  # a damaged tail ends the playback where the good frames end

    def _decode(self, t: float, exact: bool, cancelled: Cancelled | None) -> Any:
        """The frame shown at ``t`` (``exact``) or the keyframe at or before it.

        Exact frames are decoded forward from the keyframe before ``t``, first skipping the
        frames no other frame refers to until just before ``t`` (a third fewer to decode); if
        that could have skipped the frame shown at ``t`` (a gap in a variable-rate video), the
        decode is redone without skipping."""
        target = self._start + t
        if exact and self._frame_step:
            margin = max(0.25, 4 * self._frame_step)
            frame = self._decode_pass(t, True, cancelled, target - margin)
            if frame.time is None or (frame.time <= target + TIME_EPSILON
                                      and self._reaches(frame, target)):
                return frame
        return self._decode_pass(t, exact, cancelled, None)

    def _decode_pass(self, t: float, exact: bool, cancelled: Cancelled | None,
                     skip_until: float | None) -> Any:
        """Seek to the keyframe at or before ``t`` and decode forward to the frame shown at t
        (frames only others would refer to skipped while packets are before ``skip_until``)."""
        stream = self._stream
        target = self._start + t
        ctx = stream.codec_context
        last = None
        try:
            self._container.seek(int(target / stream.time_base), stream=stream, backward=True,
                                 any_frame=False)
            skipping = exact and skip_until is not None
            ctx.skip_frame = "NONKEY" if not exact else ("NONREF" if skipping else "DEFAULT")
            for packet in self._container.demux(stream):
                if skipping and packet.pts is not None and (
                        packet.pts * stream.time_base >= skip_until):
                    skipping = False
                    ctx.skip_frame = "DEFAULT"
                for frame in packet.decode():
                    if cancelled is not None and cancelled():
                        raise DecodeCancelled
                    when = frame.time if frame.time is not None else target
                    if not exact:
                        return frame
                    if when > target + TIME_EPSILON:
                        return last if last is not None else frame
                    last = frame
                    if when + self._frame_step > target + TIME_EPSILON:
                        return frame
        except av.error.FFmpegError as exc:
            if self._reaches(last, target):
                return last  # damage after the frame we need
            raise PreviewError(f"{_name(self.path)} could not be decoded at {t:g} s; it may be "
                               f"damaged or truncated ({_ffmpeg_reason(exc)}).") from None
        finally:
            ctx.skip_frame = "DEFAULT"
        if not self._reaches(last, target):
            raise PreviewError(f"{_name(self.path)} has no picture at {t:g} s; the file may be "
                               "truncated (an interrupted render).")
        return last

    def _reaches(self, frame: Any, target: float) -> bool:
        """True when ``frame`` (the last one decoded before the data ended) is shown at target."""
        if frame is None:
            return False
        if frame.time is None or not self._frame_step:
            return True
        return frame.time + 1.5 * self._frame_step > target

    def close(self) -> None:
        """Close the container."""
        self._container.close()


def _ffmpeg_reason(exc: BaseException) -> str:
    """FFmpeg's short reason without the file name it repeats (escaped)."""
    reason = getattr(exc, "strerror", None) or str(exc)
    return safe_line(str(reason), max_len=80)


MediaSource = ImageSource | VideoSource


def open_media(path: Path | str, *, thumbnails: bool = False) -> MediaSource:
    """Open a video or picture for previews (``thumbnails``: only small pictures will be
    asked for); PreviewError (one sentence) when it cannot be."""
    path = Path(path).expanduser()
    size_bytes = check_file(path)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource(path, size_bytes)
    return VideoSource(path, size_bytes, thumbnails=thumbnails)
