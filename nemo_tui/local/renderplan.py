"""Turn a draft (PROTOCOL.md §8 short keys) into one ffmpeg command: inputs, filter graph, files."""

from __future__ import annotations

import math
import textwrap
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .music import mood_for, tune_filter
from .probe import file_url, probe_media
from .style import pace_speed, palette_for

ASSETS = Path(__file__).resolve().parent / "assets"
BUNDLED_FONT = ASSETS / "DejaVuSans-Bold.ttf"
#: Chinese (and kana) titles on a machine without a CJK font: Noto Sans CJK SC cut to GB2312's
#: 6,763 hanzi, kana and punctuation (2.9 MB; scripts/build_cjk_font.py says how and why).
BUNDLED_CJK_FONT = ASSETS / "NotoSansCJKsc-Regular-subset.otf"
# System fonts with CJK glyphs (DejaVu has none); the first that exists is used for such text
# (full coverage, and bold), else the bundled subset.
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)
VIDEO_EXTS = {".mp4", ".mov", ".avi", ".webm", ".mkv"}
IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".webp", ".gif"}
AUDIO_EXTS = {".mp3", ".wav", ".m4a", ".aac"}
MAX_SECONDS = 600.0  # a hostile draft must not keep a core busy for hours
MAX_PIECES = 60  # video segments beyond this are dropped (command size, open files)
MAX_AUDIO = 16
SIZES = {"landscape": (1920, 1080), "portrait": (1080, 1920), "square": (1080, 1080)}


@dataclass
class RenderPlan:
    """Everything needed to run the render: ffmpeg arguments, files to write, output facts."""

    input_args: list[str] = field(default_factory=list)
    graph: str = ""
    files: dict[str, str] = field(default_factory=dict)  # workdir name -> text content
    fonts: dict[str, Path] = field(default_factory=dict)  # workdir name -> font file to link
    width: int = 1920
    height: int = 1080
    fps: int = 30
    duration: float = 0.0
    n_inputs: int = 0
    warnings: list[str] = field(default_factory=list)


def _num(value: Any) -> float | None:
    """A finite number from JSON, or None (booleans and strings are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _meta(obj: Any) -> dict[str, Any]:
    """The `m` object of a draft or segment, or {}."""
    m = obj.get("m") if isinstance(obj, dict) else None
    return m if isinstance(m, dict) else {}


def _str(value: Any) -> str:
    """A string field, or ''."""
    return value if isinstance(value, str) else ""


def output_size(draft: dict[str, Any], scale: float) -> tuple[int, int]:
    """1920x1080, 1080x1920 or 1080x1080 by the draft's aspect ratio, times `scale` (even)."""
    m = _meta(draft)
    w, h = _num(m.get("width")), _num(m.get("height"))
    shape = "landscape"
    if w and h and w > 0 and h > 0:
        ratio = w / h
        shape = "landscape" if ratio > 1.05 else "portrait" if ratio < 0.95 else "square"
    base_w, base_h = SIZES[shape]
    scale = min(1.0, max(0.05, scale))
    return max(16, round(base_w * scale / 2) * 2), max(16, round(base_h * scale / 2) * 2)


def track_segments(track: Any) -> list[tuple[float, float, dict[str, Any]]]:
    """(start ms, duration ms, metadata) of a track's segments; absent starts follow on."""
    out: list[tuple[float, float, dict[str, Any]]] = []
    segments = track.get("sg") if isinstance(track, dict) else None
    cursor = 0.0
    for sg in segments if isinstance(segments, list) else []:
        if not isinstance(sg, dict):
            continue
        d = _num(sg.get("d"))
        s = _num(sg.get("s"))
        start = s if s is not None and s >= 0 else cursor
        if d is None or d <= 0:
            continue
        out.append((start, d, _meta(sg)))
        cursor = start + d
    return out


def draft_tracks(draft: dict[str, Any], kind: int) -> list[tuple[float, float, dict[str, Any]]]:
    """All segments of the draft's tracks of one type code, in start order."""
    tracks = draft.get("t")
    found: list[tuple[float, float, dict[str, Any]]] = []
    for track in tracks if isinstance(tracks, list) else []:
        if isinstance(track, dict) and track.get("tt") == kind:
            found.extend(track_segments(track))
    return sorted(found, key=lambda seg: seg[0])


def draft_seconds(draft: dict[str, Any]) -> float:
    """The draft's duration in seconds: `d`, else the end of its last segment; capped."""
    d = _num(draft.get("d"))
    if d is None or d <= 0:
        ends = [s + dur for kind in (0, 1, 7) for s, dur, _ in draft_tracks(draft, kind)]
        d = max(ends, default=0.0)
    return min(MAX_SECONDS, d / 1000.0)


def resolve_media(src: str, media_dir: Path) -> Path | None:
    """The uploaded file a segment's `src` (a URL or name) points to, inside media_dir only."""
    if not src or "\x00" in src:
        return None
    name = unquote(urlsplit(src).path.rsplit("/", 1)[-1]) if "/" in src else src
    if not name or name in {".", ".."} or "/" in name or "\\" in name or "\x00" in name:
        return None
    root = media_dir.resolve()
    candidate = (root / name).resolve()
    # resolve() follows symlinks: a link pointing out of media_dir is refused too.
    if candidate.parent != root or not candidate.is_file():
        return None
    return candidate


def clean_text(text: str) -> str:
    """Drop control and format characters (drawtext would show boxes); keep newlines."""
    kept = []
    for ch in text:
        if ch == "\n" or unicodedata.category(ch)[0] not in "C":
            kept.append(ch)
    return "".join(kept).strip()


def wrap_text(text: str, max_chars: int, max_lines: int = 3) -> str:
    """Wrap text into at most `max_lines` lines, ending with an ellipsis when cut."""
    wide = any(unicodedata.east_asian_width(ch) in "WF" for ch in text)
    width = max(4, max_chars // 2 if wide else max_chars)
    if wide:  # CJK has no spaces: cut by characters
        lines = [text[i:i + width] for i in range(0, len(text), width)]
    else:
        lines = textwrap.wrap(text, width, break_long_words=True) or [text]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(1, width - 1)].rstrip() + "…"
    return "\n".join(lines)


def file_has_audio(path: Path) -> bool:
    """Whether an uploaded file has an audio stream (a broken file counts as none)."""
    try:
        return bool(probe_media(path, check_decode=False)["has_audio"])
    except (ValueError, OSError):
        return False


def find_cjk_font() -> Path | None:
    """A system font with CJK glyphs if this machine has one, else the bundled subset."""
    for candidate in CJK_FONTS:
        p = Path(candidate)
        if p.is_file():
            return p
    return BUNDLED_CJK_FONT if BUNDLED_CJK_FONT.is_file() else None


class _Builder:
    """Accumulates inputs, filter chains and work files while walking the draft."""

    def __init__(self, plan: RenderPlan, media_dir: Path,
                 has_audio: Callable[[Path], bool]) -> None:
        self.plan = plan
        self.media_dir = media_dir
        self.has_audio = has_audio
        self.chains: list[str] = []
        self.audio_labels: list[str] = []
        self.cjk_font = find_cjk_font()

    def add_input(self, *args: str) -> int:
        """Add an ffmpeg input and return its index."""
        self.plan.input_args.extend(args)
        self.plan.n_inputs += 1
        return self.plan.n_inputs - 1

    def font_for(self, text: str) -> str | None:
        """Work-dir name of a font able to show `text`, or None (then no text is drawn)."""
        needs_cjk = any(ord(ch) >= 0x2E80 for ch in text)
        font = self.cjk_font if needs_cjk and self.cjk_font else BUNDLED_FONT
        if not font.is_file():
            return None
        name = "font_cjk" + font.suffix if font is self.cjk_font else "font" + font.suffix
        self.plan.fonts[name] = font
        return name

    def drawtext(self, key: str, text: str, *, size: int, y: str, color: str = "white",
                 box: bool = False, window: tuple[float, float] | None = None) -> str | None:
        """A drawtext filter reading its text from a work file (no escaping, no expansion)."""
        text = clean_text(text)
        font = self.font_for(text) if text else None
        if font is None:
            return None
        fname = f"{key}.txt"
        self.plan.files[fname] = text
        parts = [f"drawtext=fontfile={font}:textfile={fname}:expansion=none",
                 f"fontsize={size}:fontcolor={color}:line_spacing={size // 5}",
                 f"x=(w-text_w)/2:y={y}:shadowcolor=black@0.6:shadowx=2:shadowy=2"]
        if box:
            parts.append(f"box=1:boxcolor=black@0.35:boxborderw={max(2, size // 3)}")
        if window:
            s, e = window
            fade = min(0.3, (e - s) / 4)
            parts.append(f"enable='between(t,{s:.3f},{e:.3f})'")
            parts.append(f"alpha='min(1,max(0,min((t-{s:.3f})/{fade:.3f},({e:.3f}-t)/{fade:.3f})))'")
        return ":".join(parts)


def build_plan(draft: dict[str, Any], media_dir: Path, *, scale: float = 1.0, fps: int = 30,
               has_audio: Callable[[Path], bool] | None = None) -> RenderPlan:
    """Plan the ffmpeg run for a draft. Raises ValueError if the draft has nothing to render.

    Blocking (probes uploaded files for audio): run it in a thread from the event loop.
    """
    if not isinstance(draft, dict):
        raise ValueError("the draft is not a JSON object")  # noqa: TRY004 - one error type for bad drafts
    width, height = output_size(draft, scale)
    duration = draft_seconds(draft)
    if duration <= 0:
        raise ValueError("the draft is empty: no duration and no segments")
    plan = RenderPlan(width=width, height=height, fps=fps, duration=duration)
    b = _Builder(plan, media_dir, has_audio or file_has_audio)
    _video(b, draft)
    _titles(b, draft)
    _audio(b, draft)
    plan.graph = ";\n".join(b.chains)
    return plan


def _video(b: _Builder, draft: dict[str, Any]) -> None:
    """The picture: one piece per video segment (gaps black), concatenated to [vcat]."""
    plan = b.plan
    W, H, fps = plan.width, plan.height, plan.fps
    total = max(1, round(plan.duration * fps))
    m = _meta(draft)
    palette = palette_for(_str(m.get("style")))
    speed = pace_speed(_str(m.get("pace")))
    label_size = max(8, round(min(W, H) * 0.055))
    pieces: list[str] = []
    cursor = 0

    def piece(chain: str) -> None:
        """Add one labelled piece of the picture, in timeline order."""
        label = f"p{len(pieces)}"
        b.chains.append(f"{chain}[{label}]")
        pieces.append(f"[{label}]")

    def gap(n: int) -> None:
        """Add n black frames where no scene covers the timeline."""
        piece(f"color=c=black:s={W}x{H}:r={fps}:d={(n + 1) / fps:.6f},setsar=1,"
              f"format=yuv420p,trim=end_frame={n}")

    segments = draft_tracks(draft, 0)
    if len(segments) > MAX_PIECES:
        plan.warnings.append(f"only the first {MAX_PIECES} video segments are rendered")
    for index, (start, dur, sm) in enumerate(segments[:MAX_PIECES]):
        f0 = max(cursor, round(start / 1000 * fps))
        f1 = min(total, round((start + dur) / 1000 * fps))
        if f1 <= f0:
            continue
        if f0 > cursor:
            gap(f0 - cursor)
        n = f1 - f0
        fit = (f"scale={W}:{H}:force_original_aspect_ratio=increase,crop={W}:{H},setsar=1,"
               f"format=yuv420p,tpad=stop=-1:stop_mode=clone,trim=end_frame={n},"
               f"setpts=PTS-STARTPTS")
        media = resolve_media(_str(sm.get("src")), b.media_dir)
        ext = media.suffix.lower() if media else ""
        if media and ext in IMAGE_EXTS and ext != ".gif":
            k = b.add_input("-loop", "1", "-framerate", str(fps), "-t", f"{n / fps + 0.5:.3f}",
                            "-i", file_url(media))
            piece(f"[{k}:v:0]fps={fps},{fit}")
        elif media and (ext in VIDEO_EXTS or ext == ".gif"):
            loop = ["-ignore_loop", "0"] if ext == ".gif" else ["-stream_loop", "-1"]
            k = b.add_input(*loop, "-t", f"{n / fps + 0.5:.3f}", "-i", file_url(media))
            piece(f"[{k}:v:0]fps={fps},{fit}")
            vol = _volume(sm.get("volume"), 1.0)
            if vol > 0 and ext != ".gif" and b.has_audio(media):
                b.chains.append(f"[{k}:a:0]{_audio_fit(n / fps, vol, f0 / fps)}[ac{index}]")
                b.audio_labels.append(f"[ac{index}]")
        else:
            if sm.get("src"):
                plan.warnings.append(f"media for scene {index + 1} not found; drew a scene")
            c0, c1 = palette.pairs[index % len(palette.pairs)]
            gw, gh = max(16, W // 8 * 2), max(16, H // 8 * 2)
            chain = (f"gradients=s={gw}x{gh}:r={fps}:d={(n + 1) / fps:.6f}:c0={c0}:c1={c1}"
                     f":speed={speed}:seed={index + 1},format=yuv420p,"
                     f"scale={W}:{H}:flags=fast_bilinear,setsar=1,trim=end_frame={n}")
            name = clean_text(_str(sm.get("name")) or _str(sm.get("text")))
            text = b.drawtext(f"label{index}", wrap_text(name, 40 if W > H else 24, 2),
                              size=label_size, y="h*0.82-text_h/2", color=palette.text)
            piece(chain + ("," + text if text else ""))
        cursor = f1
    if cursor < total:
        gap(total - cursor)
    if len(pieces) == 1:
        b.chains[-1] = b.chains[-1].rsplit("[", 1)[0] + "[vcat]"
    else:
        b.chains.append(f"{''.join(pieces)}concat=n={len(pieces)}:v=1:a=0[vcat]")


def _titles(b: _Builder, draft: dict[str, Any]) -> None:
    """Text tracks as centred overlays during their segments: [vcat] -> [vout]."""
    W, H = b.plan.width, b.plan.height
    size = max(10, round(min(W, H) * 0.09))
    filters = []
    for i, (start, dur, sm) in enumerate(draft_tracks(draft, 7)[:MAX_PIECES]):
        s, e = start / 1000, min(b.plan.duration, (start + dur) / 1000)
        if e <= s:
            continue
        text = clean_text(_str(sm.get("text")) or _str(sm.get("name")))
        text = wrap_text(text, 28 if W > H else 16, 3) if text else ""
        f = b.drawtext(f"title{i}", text, size=size, y="(h-text_h)/2", box=True, window=(s, e))
        if f:
            filters.append(f)
    b.chains.append("[vcat]" + (",".join(filters) if filters else "null") + "[vout]")


def _volume(value: Any, default: float) -> float:
    """A 0-1 volume from metadata (percent values above 1 are divided by 100)."""
    v = _num(value)
    if v is None or v < 0:
        return default
    return min(2.0, v / 100 if v > 2 else v)


def _audio_fit(seconds: float, volume: float, start: float) -> str:
    """Normalize an audio input to stereo 44.1 kHz, cut to length, set volume, shift to start."""
    return (f"aresample=44100,aformat=sample_fmts=fltp:channel_layouts=stereo,"
            f"atrim=end={seconds:.6f},asetpts=PTS-STARTPTS,volume={volume:.4f},"
            f"adelay=delays={round(start * 1000)}:all=1")


def _audio(b: _Builder, draft: dict[str, Any]) -> None:
    """Audio tracks (generated tune or uploaded audio) mixed over silence: -> [aout]."""
    plan = b.plan
    D = plan.duration
    for i, (start, dur, sm) in enumerate(draft_tracks(draft, 1)[:MAX_AUDIO]):
        s = start / 1000
        seconds = min(dur / 1000, D - s)
        if seconds <= 0.01:
            continue
        vol = _volume(sm.get("volume"), 1.0)
        media = resolve_media(_str(sm.get("src")), b.media_dir)
        label = f"[am{i}]"
        if media and media.suffix.lower() in AUDIO_EXTS | VIDEO_EXTS and b.has_audio(media):
            k = b.add_input("-stream_loop", "-1", "-t", f"{seconds + 0.5:.3f}",
                            "-i", file_url(media))
            b.chains.append(f"[{k}:a:0]{_audio_fit(seconds, vol, s)}{label}")
        else:
            if sm.get("src"):
                plan.warnings.append(f"audio for track segment {i + 1} not found; generated one")
            mood = mood_for(_str(sm.get("mood")) or _str(sm.get("name")))
            b.chains.append(f"{tune_filter(mood, seconds, vol)},"
                            f"adelay=delays={round(s * 1000)}:all=1{label}")
        b.audio_labels.append(label)
    base = f"anullsrc=r=44100:cl=stereo,atrim=end={D:.6f}"
    if not b.audio_labels:
        b.chains.append(f"{base}[aout]")
        return
    b.chains.append(f"{base}[abase]")
    inputs = "[abase]" + "".join(b.audio_labels)
    b.chains.append(f"{inputs}amix=inputs={len(b.audio_labels) + 1}:duration=first:"
                    f"normalize=0:dropout_transition=0,atrim=end={D:.6f}[aout]")
