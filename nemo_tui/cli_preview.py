"""`nemo-tui preview PATH|JOB_ID [--at S] [--width N]`: one frame drawn with half cells.

The picture's bytes are fixed by CLI.md ("preview: the picture"). No network and no Textual:
a JOB_ID is looked up among the render jobs this client downloaded.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from nemo_tui.preview.errors import PreviewError
from nemo_tui.textsafe import safe_line

if TYPE_CHECKING:
    from nemo_tui.cli_output import Output
    from nemo_tui.config import Settings

DEFAULT_WIDTH = 80
MAX_WIDTH = 1000


def resolve_target(target: str, settings: Settings) -> Path:
    """A file path, or the downloaded file of the render job with that id."""
    path = Path(target).expanduser()
    if path.exists() or os.sep in target or "." in Path(target).name:
        return path
    from nemo_tui.jobs import JobStore

    job = JobStore(settings.paths).get(target)
    shown = safe_line(target, max_len=80)
    if job is None:
        raise PreviewError(f"There is no file or render job called {shown}; "
                           "`nemo-tui jobs` lists the jobs.")
    if not job.path:
        raise PreviewError(f"The render job {shown} has no downloaded file yet; "
                           f"`nemo-tui export --job {shown} --wait` downloads it.")
    return Path(job.path)


def terminal_width() -> int:
    """The terminal's width in columns (80 when stdout is not a terminal)."""
    if not sys.stdout.isatty():
        return DEFAULT_WIDTH
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns or DEFAULT_WIDTH
    except OSError:
        return DEFAULT_WIDTH


def check_options(at: float, width: int | None) -> None:
    """Bad --at / --width values are usage errors (exit 2)."""
    if not math.isfinite(at) or at < 0:
        raise PreviewError(f"--at must be a number of seconds from 0, not {at:g}.")
    if width is not None and not 1 <= width <= MAX_WIDTH:
        raise PreviewError(f"--width must be a number of columns from 1 to {MAX_WIDTH}.")


def run_preview(target: str, settings: Settings, output: Output, *, at: float = 0.0,
                width: int | None = None) -> int:
    """Draw the frame at ``at`` (or the picture) ``width`` columns wide; 0 on success."""
    check_options(at, width)
    from nemo_tui.preview import load_media
    from nemo_tui.preview.halfcell import ansi_lines, pixel_size, rows_for

    media = load_media()
    source = media.open_media(resolve_target(target, settings))
    try:
        info = source.info
        at = at if info.kind == "video" else 0.0
        cols = width or terminal_width()
        if output.json_mode:
            cols = min(cols, 16)  # the frame is still decoded: a damaged file fails here too
        size = pixel_size(cols, rows_for(cols, info.width, info.height))
        picture = source.frame_at(at, size)
    finally:
        source.close()
    if output.json_mode:
        output.json({"path": str(info.path.absolute()), "at": float(at),
                     "duration": info.duration, "width": info.width, "height": info.height,
                     "codec": info.codec})
    else:
        sys.stdout.write(ansi_lines(picture))
        sys.stdout.flush()
    return 0
