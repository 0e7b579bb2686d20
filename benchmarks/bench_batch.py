"""Batch runs: 12 items of 6 s against the local backend, `--parallel 3` vs `--one-session`.

`nemo-tui batch` runs as its own process (what a user types), against the built-in backend in
another process (benchmarks/_backend.py, the studio's render settings: full 1080p, one render
per core), each mode with a fresh temp home and backend. Figures: wall time of each mode, the
ratio parallel / sequential (goal ≤ 0.7 on 2 cores), and the CLI process's own CPU time and
peak memory (os.wait4 rusage: ffmpeg runs under the backend, not counted).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import PYTHON, QUICK, BackendProcess, Report, temp_home

ITEMS = 4 if QUICK else 12
SECONDS = 6
TOPICS = ("the sea", "a city at night", "a forest", "the desert", "mountains", "a harbour",
          "a market", "rooftops", "the snow", "a river", "a train", "the stars")


def batch_text(out: Path) -> str:
    """The benchmark's batch file: ITEMS items, one 6-second video each."""
    return f'output = "{out}"\n' + "".join(
        f'[[item]]\nname = "item-{i:02d}"\n'
        f'prompt = "make a {SECONDS}-second video about {TOPICS[i % len(TOPICS)]} with music"\n'
        for i in range(ITEMS))


def run_mode(args: list[str]) -> dict[str, float]:
    """One batch run in a fresh home and backend: wall, CPU seconds, peak RSS (MiB), rc."""
    with temp_home() as env, tempfile.TemporaryDirectory(prefix="nemo-bench-batch-") as tmp:
        batch = Path(tmp) / "batch.toml"
        batch.write_text(batch_text(Path(tmp) / "out"))
        with BackendProcess(env, server_options={"free_credits": 100_000}) as backend:
            start = time.perf_counter()
            proc = subprocess.Popen(
                [PYTHON, "-m", "nemo_tui", "--api-url", backend.url, "--json", "batch",
                 str(batch), *args], env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            assert proc.stdout is not None
            out = proc.stdout.read()
            _pid, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            wall = time.perf_counter() - start
        done = sum(1 for p in (Path(tmp) / "out").glob("*.mp4"))
    last = out.decode(errors="replace").strip().splitlines()[-1:] or [""]
    print(f"  {' '.join(args)}: {wall:.1f} s, rc {proc.returncode}, {done} files, {last[0]}",
          file=sys.stderr)
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "rss": usage.ru_maxrss / 1024, "rc": proc.returncode, "files": done}


def main() -> None:
    """Run both modes and report."""
    report = Report("batch")
    load_before = os.getloadavg()[0]
    try:
        parallel = run_mode(["--parallel", "3"])
        sequential = run_mode(["--one-session"])
    except Exception as exc:  # noqa: BLE001 - any failure becomes a reported error
        report.errors.append(f"{type(exc).__name__}: {exc}")
        report.emit()
        return
    for name, r in (("parallel", parallel), ("one-session", sequential)):
        if r["rc"] != 0 or r["files"] != ITEMS:
            report.errors.append(f"{name}: exit {r['rc']}, {r['files']}/{ITEMS} videos")
    load = max(load_before, os.getloadavg()[0])
    cores = os.cpu_count() or 1
    busy = f"machine busy (load {load:.1f} on {cores} cores)" if load > cores else ""
    report.add("parallel_wall", f"{ITEMS} items of {SECONDS} s, --parallel 3: wall time",
               parallel["wall"], "s", note=busy)
    report.add("sequential_wall", f"{ITEMS} items of {SECONDS} s, --one-session: wall time",
               sequential["wall"], "s", note=busy)
    report.add("ratio", "Wall time, --parallel 3 / --one-session",
               parallel["wall"] / sequential["wall"], "×", "<=", 0.7, busy)
    report.add("parallel_cpu", "Client CPU time, --parallel 3 (the CLI process)",
               parallel["cpu"], "s")
    report.add("sequential_cpu", "Client CPU time, --one-session", sequential["cpu"], "s")
    report.add("parallel_rss", "Client peak memory, --parallel 3", parallel["rss"], "MiB")
    report.add("sequential_rss", "Client peak memory, --one-session", sequential["rss"], "MiB")
    report.info.update(items=ITEMS, seconds=SECONDS, loadavg=round(load, 2),
                       render_workers=cores)
    report.emit()


if __name__ == "__main__":
    main()
