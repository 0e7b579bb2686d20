"""Draft -> H.264/AAC MP4 with the bundled ffmpeg: one process, real progress, cancellable."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import tempfile
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .probe import ffmpeg_exe, file_url
from .renderplan import RenderPlan, build_plan

STDERR_TAIL = 12
_CTX_RE = re.compile(r"\[[^\]]*@ 0x[0-9a-f]+\]\s*")  # ffmpeg's "[demuxer @ 0x…] " prefixes
_PATH_RE = re.compile(r"file:\S*/")  # our own absolute paths: keep only the file name


def clean_ffmpeg_line(line: str) -> str:
    """An ffmpeg stderr line without pointer prefixes and directory names, for error text."""
    return _PATH_RE.sub("", _CTX_RE.sub("", line)).strip()



def _prepare_workdir(plan: RenderPlan, workdir: Path) -> None:
    """Write the filter graph, text files and font links ffmpeg reads by plain relative names."""
    (workdir / "graph.txt").write_text(plan.graph, encoding="utf-8")
    for name, text in plan.files.items():
        (workdir / name).write_text(text, encoding="utf-8")
    for name, font in plan.fonts.items():
        try:
            os.symlink(font, workdir / name)
        except OSError:  # no symlinks (Windows without privilege): copy instead
            shutil.copyfile(font, workdir / name)


def ffmpeg_args(plan: RenderPlan, out_tmp: Path, preset: str) -> list[str]:
    """The full ffmpeg command line for a plan (run with cwd = the work dir)."""
    # Generated scenes are smooth gradients: adaptive quantization buys little there and costs
    # ~15% of the encoder's CPU, which the 30 s-in-under-30 s goal needs. Uploads keep it.
    tuning = ["-x264-params", "aq-mode=0"] if plan.n_inputs == 0 else []
    return [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error", "-y",
        "-progress", "pipe:1", "-nostats",
        *plan.input_args,
        "-/filter_complex", "graph.txt",
        "-map", "[vout]", "-map", "[aout]",
        "-c:v", "libx264", "-preset", preset, *tuning, "-crf", "23", "-pix_fmt", "yuv420p",
        # a keyframe at least every 2 s: an exact-frame preview decodes from the keyframe before
        # it, so seeking costs at most 2 s of decoding (x264's default GOP is 250 frames)
        "-r", str(plan.fps), "-g", str(2 * plan.fps),
        "-c:a", "aac", "-aac_coder", "fast", "-b:a", "128k", "-ar", "44100", "-ac", "2",
        "-t", f"{plan.duration:.6f}", "-movflags", "+faststart", "-f", "mp4",
        file_url(out_tmp),
    ]


async def render_draft(
    draft: dict[str, Any],
    out_path: Path,
    *,
    media_dir: Path,
    progress: Callable[[float], None],
    scale: float = 1.0,
    cancel: asyncio.Event | None = None,
    preset: str = "veryfast",
    fps: int = 30,
) -> None:
    """Render `draft` to `out_path` (MP4). Progress 0..1 from ffmpeg's own progress output.

    Raises ValueError for a draft with nothing to render, RuntimeError (with ffmpeg's last
    stderr lines) when ffmpeg fails, asyncio.CancelledError when `cancel` is set. The output
    appears only when complete (written to a hidden temp name, then renamed).
    """
    out_path = Path(out_path)
    plan = await asyncio.to_thread(
        build_plan, draft, Path(media_dir), scale=scale, fps=fps)
    out_tmp = out_path.with_name(f".{out_path.name}.part")
    workdir = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="nemo-render-"))
    ok = False
    try:
        await asyncio.to_thread(_prepare_workdir, plan, workdir)
        progress(0.0)
        await _run_ffmpeg(ffmpeg_args(plan, out_tmp, preset), workdir, plan.duration,
                          progress, cancel)
        await asyncio.to_thread(os.replace, out_tmp, out_path)
        ok = True
        progress(1.0)
    finally:
        if not ok:
            with contextlib.suppress(OSError):
                out_tmp.unlink()
        await asyncio.to_thread(shutil.rmtree, workdir, True)


async def _run_ffmpeg(args: list[str], workdir: Path, duration: float,
                      progress: Callable[[float], None], cancel: asyncio.Event | None) -> None:
    """Run ffmpeg, feeding progress; terminate it on cancel or when this task is cancelled."""
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=workdir, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    tail: deque[str] = deque(maxlen=STDERR_TAIL)
    last = [0.0]

    async def read_progress() -> None:
        """Turn `out_time_us=` lines of `-progress pipe:1` into 0..0.99 fractions."""
        assert proc.stdout is not None
        async for raw in proc.stdout:
            key, _, value = raw.decode("ascii", "replace").strip().partition("=")
            if key in ("out_time_us", "out_time_ms") and value.lstrip("-").isdigit():
                # Both keys are microseconds (out_time_ms is misnamed in ffmpeg).
                fraction = min(0.99, max(0.0, int(value) / 1e6 / duration))
                if fraction >= last[0] + 0.005:
                    last[0] = fraction
                    progress(fraction)

    async def read_stderr() -> None:
        """Keep the last stderr lines for the error message (and drain the pipe)."""
        assert proc.stderr is not None
        async for raw in proc.stderr:
            line = clean_ffmpeg_line(raw.decode("utf-8", "replace"))
            if line:
                tail.append(line)

    readers = asyncio.gather(read_progress(), read_stderr())
    waiter = asyncio.ensure_future(proc.wait())
    cancelled = asyncio.ensure_future(cancel.wait()) if cancel else None
    try:
        pending = {waiter, cancelled} if cancelled else {waiter}
        await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        if cancel is not None and cancel.is_set() and proc.returncode is None:
            raise asyncio.CancelledError("render cancelled")
        await readers
    finally:
        if cancelled is not None:
            cancelled.cancel()
        if proc.returncode is None:
            await _stop(proc)
        readers.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await readers
        waiter.cancel()
    if proc.returncode != 0:
        detail = "\n".join(tail) or f"exit status {proc.returncode}"
        raise RuntimeError(f"ffmpeg failed (exit {proc.returncode}): {detail}")


async def _stop(proc: asyncio.subprocess.Process) -> None:
    """Terminate ffmpeg (kill if it lingers) and reap it; shielded from our own cancellation."""
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        await asyncio.shield(asyncio.wait_for(proc.wait(), 5))
    except (TimeoutError, asyncio.CancelledError):
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(proc.wait())
