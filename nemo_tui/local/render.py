"""Draft -> MP4 rendering with the bundled ffmpeg (PLACEHOLDER until issue 5; keep the API)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable


async def render_draft(
    draft: dict[str, Any],
    out_path: Path,
    *,
    media_dir: Path,
    progress: Callable[[float], None],
    scale: float = 1.0,
    cancel: asyncio.Event | None = None,
) -> None:
    """Render a plain colour clip of the draft's duration (placeholder)."""
    import imageio_ffmpeg

    duration = max(0.1, float(draft.get("d", 1000) or 1000) / 1000)
    width = int(1920 * scale) // 2 * 2
    height = int(1080 * scale) // 2 * 2
    proc = await asyncio.create_subprocess_exec(
        imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error",
        "-f", "lavfi", "-i", f"color=c=navy:s={width}x{height}:d={duration}",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", str(out_path),
    )
    await proc.wait()
    progress(1.0)
