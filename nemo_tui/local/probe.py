"""Media probing with the bundled ffmpeg (no ffprobe ships): duration, size, fps, codecs."""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path
from typing import Any

# Errors that mean the data itself is damaged, seen in the decode check's stderr.
_BROKEN_MARKERS = (
    "partial file",
    "invalid data found",
    "truncat",
    "corrupt",
    "error while decoding",
    "moov atom not found",
    "no frame",
    "end of file",
)
_DURATION_RE = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_STREAM_RE = re.compile(r"^\s*Stream #\d+:\d+.*?:\s*(Video|Audio):\s*(.*)$")
_SIZE_RE = re.compile(r"(?:^|[\s,])(\d{2,5})x(\d{2,5})(?=[\s,\[]|$)")
_FPS_RE = re.compile(r"(\d+(?:\.\d+)?)(k?)\s*fps")
_TBR_RE = re.compile(r"(\d+(?:\.\d+)?)(k?)\s*tbr")
_PROBE_TIMEOUT = 60.0
_CTX_RE = re.compile(r"^(\[[^\]]*@ 0x[0-9a-f]+\]\s*)+")  # ffmpeg's "[demuxer @ 0x…] " prefixes


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary shipped by the imageio-ffmpeg wheel."""
    import imageio_ffmpeg  # imported lazily: the package is the optional `local` extra

    return imageio_ffmpeg.get_ffmpeg_exe()


def file_url(path: Path) -> str:
    """`file:` + absolute path, so a hostile name is never read as an ffmpeg protocol."""
    return "file:" + str(Path(path).resolve())


def _split_top(text: str) -> list[str]:
    """Split a stream description on commas that are not inside parentheses."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def _rate(match: re.Match[str] | None) -> float | None:
    """A frame rate from an `NN fps` / `NNk tbr` match."""
    if match is None:
        return None
    value = float(match.group(1)) * (1000 if match.group(2) else 1)
    return round(value, 3) if value > 0 else None


def parse_ffmpeg_info(stderr: str) -> dict[str, Any]:
    """Parse the stream summary that `ffmpeg -i FILE` prints to stderr."""
    info: dict[str, Any] = {
        "duration": None, "width": None, "height": None, "fps": None,
        "has_video": False, "has_audio": False,
        "video_codec": None, "audio_codec": None, "pix_fmt": None,
    }
    for line in stderr.splitlines():
        if info["duration"] is None:
            dm = _DURATION_RE.search(line)
            if dm:
                h, m, s = dm.groups()
                info["duration"] = round(int(h) * 3600 + int(m) * 60 + float(s), 3)
        sm = _STREAM_RE.match(line)
        if not sm:
            continue
        kind, desc = sm.groups()
        parts = _split_top(desc)
        codec = parts[0].split()[0] if parts else None
        if kind == "Video" and not info["has_video"]:
            # Cover art inside audio files is an attached picture, not a video stream.
            if "(attached pic)" in line:
                continue
            info["has_video"] = True
            info["video_codec"] = codec
            if len(parts) > 1:
                info["pix_fmt"] = parts[1].split("(")[0].strip() or None
            size = _SIZE_RE.search(desc)
            if size:
                info["width"], info["height"] = int(size.group(1)), int(size.group(2))
            info["fps"] = _rate(_FPS_RE.search(desc)) or _rate(_TBR_RE.search(desc))
        elif kind == "Audio" and not info["has_audio"]:
            info["has_audio"] = True
            info["audio_codec"] = codec
    return info


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ffmpeg with a timeout, capturing stderr as text."""
    return subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-hide_banner", *args],
        check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True, encoding="utf-8", errors="replace", timeout=_PROBE_TIMEOUT,
    )


def _last_lines(text: str, n: int = 3) -> str:
    """The last n non-empty lines of ffmpeg output, for error messages."""
    lines = [_CTX_RE.sub("", ln).strip() for ln in text.splitlines() if ln.strip()]
    return " | ".join(lines[-n:])


def probe_media(path: Path | str, *, check_decode: bool = True) -> dict[str, Any]:
    """Probe a media file: duration (s), width, height, fps, stream flags, codecs, pix_fmt.

    Raises ValueError with a clear message when the file is not readable media, or (with
    `check_decode`) when its last second cannot be decoded (a truncated upload).
    Blocking: call it from a thread (`probe_media_async`) when on an event loop.
    """
    p = Path(path)
    name = p.name
    if not p.is_file():
        raise ValueError(f"{name!r} is not a file")
    if p.stat().st_size == 0:
        raise ValueError(f"{name!r} is empty")
    # "-i" alone exits 1 ("At least one output file must be specified") but prints the summary.
    try:
        proc = _run(["-i", file_url(p)])
    except subprocess.TimeoutExpired:
        raise ValueError(f"{name!r} could not be read in time (ffmpeg timed out)") from None
    err = proc.stderr
    if "Error opening input" in err or "Invalid data found" in err:
        raise ValueError(f"{name!r} is not a readable video, image or audio file "
                         f"(ffmpeg: {_last_lines(err, 1)})")
    info = parse_ffmpeg_info(err)
    if not info["has_video"] and not info["has_audio"]:
        raise ValueError(f"{name!r} contains no video or audio stream")
    if info["duration"] is None:
        info["duration"] = 0.0  # still images have no duration; keep the field a float
    if check_decode:
        _check_decode(p, info)
    return info


def _check_decode(p: Path, info: dict[str, Any]) -> None:
    """Decode the tail of the file: a truncated upload fails here though its header is fine."""
    duration = info["duration"]
    args: list[str] = ["-v", "error"]
    if duration and duration > 1.5:
        args += ["-sseof", "-1"]
    args += ["-i", file_url(p), "-t", "2"]
    args += ["-map", "0:v:0"] if info["has_video"] else ["-map", "0:a:0"]
    args += ["-f", "null", "-"]
    try:
        proc = _run(args)
    except subprocess.TimeoutExpired:
        raise ValueError(f"{p.name!r} could not be decoded in time (ffmpeg timed out)") from None
    low = proc.stderr.lower()
    if proc.returncode != 0 or any(marker in low for marker in _BROKEN_MARKERS):
        raise ValueError(f"{p.name!r} is damaged or truncated "
                         f"(ffmpeg: {_last_lines(proc.stderr, 1) or 'decode failed'})")


async def probe_media_async(path: Path | str, *, check_decode: bool = True) -> dict[str, Any]:
    """`probe_media` in a worker thread, so the event loop never blocks on ffmpeg."""
    return await asyncio.to_thread(probe_media, path, check_decode=check_decode)
