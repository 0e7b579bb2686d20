"""Preview: exact-frame decode, the 8-thumbnail strip, memory while previewing, and the bytes a
second playback writes to an 80x24 terminal (half cells) with the frame rate it reaches.

The video: 10 s of 1920x1080 H.264 at 30 fps with a keyframe every 2 s (what the local backend
renders), ffmpeg's testsrc2 pattern (moving, so every frame differs), made with the ffmpeg of
imageio-ffmpeg.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path

from _common import BENCH_DIR, PYTHON, QUICK, PtyApp, Report, median, proc_status_kib, temp_home

RUNS = 3 if QUICK else 7
SCRUBS = 40 if QUICK else 120
PLAY_TIMEOUT = 60.0


def make_video(folder: Path) -> Path:
    """The 10 s 1080p test video (keyframe every 2 s)."""
    import imageio_ffmpeg

    path = folder / "bench-1080p.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi",
                    "-i", "testsrc2=size=1920x1080:rate=30:duration=10", "-c:v", "libx264",
                    "-preset", "veryfast", "-g", "60", "-pix_fmt", "yuv420p", str(path)],
                   check=True, timeout=300)
    return path


def exact_frame_ms(video: Path) -> tuple[float, float, float]:
    """Medians over fresh decoders (nothing cached) of the exact frame at 3 s at 80x46 pixels:
    (ms with opening the file, ms of the decode alone, CPU ms of the decode alone)."""
    from nemo_tui.preview.media import open_media

    totals, decodes, cpus = [], [], []
    for _ in range(RUNS):
        began = time.perf_counter()
        source = open_media(video)
        opened, cpu = time.perf_counter(), time.process_time()
        source.frame_at(3.0, (80, 46))
        done = time.perf_counter()
        cpus.append((time.process_time() - cpu) * 1000)
        source.close()
        totals.append((done - began) * 1000)
        decodes.append((done - opened) * 1000)
    return median(totals), median(decodes), median(cpus)


def strip_seconds(video: Path) -> tuple[float, float, float]:
    """Medians of the seconds until all 8 thumbnails show (keyframe pass), until all are
    exact, and the CPU seconds of the whole strip."""
    from nemo_tui.preview.cache import ThumbnailCache
    from nemo_tui.preview.frames import FrameSource, strip_times

    firsts, totals, cpus = [], [], []
    for _ in range(RUNS):
        began, cpu = time.perf_counter(), time.process_time()
        source = FrameSource(video, cache=ThumbnailCache(), thumbnails=True)
        times = strip_times(source.info.duration, 8)
        marks: list[float] = []

        def last_slot(i: int, _picture: object, _exact: bool, marks: list[float] = marks) -> None:
            if i == 7:
                marks.append(time.perf_counter())

        source.strip(times, (10, 8), last_slot)
        source.close()
        cpus.append(time.process_time() - cpu)
        firsts.append(marks[0] - began)
        totals.append(marks[-1] - began)
    return median(firsts), median(totals), median(cpus)


def memory_growth_mib(video: Path) -> tuple[float, float]:
    """RSS growth (MiB) from after the first frame to the peak while scrubbing SCRUBS times,
    filling strips and playing 5 s at 80x46: (peak growth, growth at the end)."""
    from nemo_tui.preview.frames import FrameSource, strip_times

    frames, thumbs = FrameSource(video), FrameSource(video, thumbnails=True)
    frames.frame(0.0, (80, 46))
    base = proc_status_kib("self", "VmRSS") or 0
    peak = base
    for i in range(SCRUBS):
        frames.frame((i * 0.37) % 9.9, (80, 46))
        if i % 20 == 0:
            thumbs.strip(strip_times(10.0, 8), (10 + i % 3, 8), lambda *_: None)
        peak = max(peak, proc_status_kib("self", "VmRSS") or 0)
    frames.play(0.0, (80, 46), 30.0, lambda *_: None, lambda: False,
                sleep=lambda _s: None)
    end = proc_status_kib("self", "VmRSS") or 0
    peak = max(peak, end)
    frames.close()
    thumbs.close()
    return (peak - base) / 1024, (end - base) / 1024


def playback(video: Path, folder: Path, budget: int) -> tuple[float, float, float, float]:
    """Play in the Preview screen in an 80x24 pty: (bytes/s written while playing, frames/s
    shown, frames/s chosen for the budget, seconds played)."""
    stats = folder / f"play-{budget}.json"
    chunks: list[tuple[float, int]] = []
    with temp_home() as env, PtyApp([PYTHON, str(BENCH_DIR / "preview_play_app.py"), str(video),
                                     str(stats), str(budget)], env, cols=80, rows=24) as app:
        deadline = time.monotonic() + PLAY_TIMEOUT
        while time.monotonic() < deadline and not stats.exists():
            got = app.read(0.05)
            if got < 0:
                break
            if got:
                chunks.append((time.monotonic(), got))
    if not stats.exists():
        raise RuntimeError(f"playback did not finish: {app.text[-400:]!r}")
    data = json.loads(stats.read_text())
    seconds = data["ended"] - data["started"]
    written = sum(n for t, n in chunks if data["started"] <= t <= data["ended"])
    return written / seconds, data["frames"] / seconds, data["fps"], seconds


def main() -> None:
    """Run every measurement on one generated video."""
    report = Report("preview")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        try:
            video = make_video(folder)
            total_ms, decode_ms, cpu_ms = exact_frame_ms(video)
            report.add("exact_frame_cpu_ms", "Exact frame at 3 s of a 10 s 1080p H.264 (keyframe "
                       "every 2 s): decode CPU time, median", cpu_ms, "ms", "<", 150)
            report.add("exact_frame_ms", "… decode wall-clock time on this shared machine",
                       decode_ms, "ms")
            report.add("exact_frame_open_ms", "… with opening the file (wall clock)", total_ms,
                       "ms")
            first, total, strip_cpu = strip_seconds(video)
            report.add("strip_cpu_s", "8-thumbnail strip, exact frames: CPU time, median",
                       strip_cpu, "s", "<", 1.0)
            report.add("strip_s", "… wall-clock time until all 8 are exact", total, "s")
            report.add("strip_first_s", "… until all 8 show (keyframe pass)", first, "s")
            peak, end = memory_growth_mib(video)
            report.add("memory_growth_mib", f"Memory growth while previewing ({SCRUBS} scrubs, "
                       "strips, 10 s played)", peak, "MiB", "<", 100)
            report.add("memory_end_mib", "… still held at the end", end, "MiB")
            for budget in (1_000_000, 250_000):
                rate, fps, chosen, seconds = playback(video, folder, budget)
                kb = budget // 1000
                report.add(f"play_bytes_{kb}k", f"Bytes/s written playing at 80x24 (budget "
                           f"{kb} KB/s)", rate / 1000, "KB/s", "<=", budget / 1000 * 1.1)
                report.add(f"play_fps_{kb}k", f"Frames/s shown (budget {kb} KB/s; chose "
                           f"{chosen:.1f})", fps, "fps")
                report.info[f"play_seconds_{kb}k"] = round(seconds, 2)
        except Exception as exc:  # noqa: BLE001 - any failure becomes a reported error
            report.errors.append(f"{type(exc).__name__}: {exc}")
    report.info.update(runs=RUNS, video="testsrc2 1920x1080 30 fps 10 s, -g 60, veryfast",
                       frame_size="80x46 pixels (80x23 half cells)", terminal="80x24 pty")
    report.emit()


if __name__ == "__main__":
    main()
