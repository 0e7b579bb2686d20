"""Render: a 30 s 1080p export with three tracks (scenes, BGM, title) on this machine.

The draft is the one the local agent generates for the seed's example prompt, rendered by
`nemo_tui.local.render.render_draft` exactly as the local backend's render queue does. Figures:
wall time, real-time factor (wall / video seconds; < 1 is faster than real time), and the CPU
seconds ffmpeg used (so a busy machine can be told apart from a slow render).
"""

from __future__ import annotations

import asyncio
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from _common import QUICK, Report, median

from nemo_tui.local.agent import TurnContext, run_turn
from nemo_tui.local.probe import probe_media
from nemo_tui.local.render import render_draft

SECONDS = 10 if QUICK else 30
RUNS = 1 if QUICK else 2
PROMPT = f"generate a {SECONDS}-second video from my product description with background music"
CLOUD_SECONDS = 30.0  # the cloud's export time for a 30 s clip (seed: "within 30-90 seconds")


async def make_draft() -> dict:
    """The agent's draft for the seed's example prompt (video, BGM and title tracks)."""
    ctx = TurnContext(draft=None, rng=random.Random(1))
    async for _ in run_turn(ctx, PROMPT):
        pass
    assert ctx.draft is not None
    return ctx.draft


def children_cpu() -> float:
    """CPU seconds (user + system) used by finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def render_once(draft: dict, out: Path) -> tuple[float, float, int]:
    """One render: (wall seconds, ffmpeg CPU seconds, progress callbacks)."""
    seen: list[float] = []
    cpu0 = children_cpu()
    start = time.perf_counter()
    await render_draft(draft, out, media_dir=out.parent, progress=seen.append)
    return time.perf_counter() - start, children_cpu() - cpu0, len(seen)


def main() -> None:
    """Measure RUNS renders and report the median."""
    report = Report("render")
    load_before = os.getloadavg()[0]
    walls: list[float] = []
    cpus: list[float] = []
    try:
        draft = asyncio.run(make_draft())
        report.info["tracks"] = [t["tt"] for t in draft["t"]]
        report.info["scenes"] = len(draft["t"][0]["sg"])
        with tempfile.TemporaryDirectory(prefix="nemo-bench-render-") as tmp:
            out = Path(tmp) / "render.mp4"
            for i in range(RUNS):
                wall, cpu, updates = asyncio.run(render_once(draft, out))
                walls.append(wall)
                cpus.append(cpu)
                print(f"  run {i + 1}: {wall:.2f} s wall, {cpu:.1f} s CPU, "
                      f"{updates} progress updates", file=sys.stderr)
            info = probe_media(out)
            report.info["output"] = {k: info[k] for k in ("duration", "width", "height",
                                                           "video_codec", "audio_codec",
                                                           "pix_fmt")}
            report.info["bytes"] = out.stat().st_size
    except Exception as exc:  # noqa: BLE001 - any failure becomes a reported error
        report.errors.append(f"{type(exc).__name__}: {exc}")
    wall = median(walls)
    cores = os.cpu_count() or 1
    load = max(load_before, os.getloadavg()[0])
    # Other work on the machine stretches wall time; CPU seconds do not depend on it.
    busy = (f"machine busy (load {load:.1f} on {cores} cores): wall time inflated"
            if load > cores else "")
    report.info["loadavg"] = round(load, 2)
    report.add("wall", f"Export wall time ({SECONDS} s 1080p, 3 tracks)", wall, "s", "<",
               CLOUD_SECONDS * SECONDS / 30, busy)
    report.add("rtf", "Real-time factor (wall / video length)",
               None if wall is None else wall / SECONDS, "×", "<", 1.0)
    report.add("cpu", "ffmpeg CPU time", median(cpus), "s")
    report.info["runs"] = RUNS
    report.emit()


if __name__ == "__main__":
    main()
