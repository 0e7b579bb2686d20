"""Draft versions: recording a new version of a 10,000-segment draft from the studio, and loading
the versions of a session that holds 100 versions of such a draft.

Recording is measured on the studio's real hook (``app.versions.record``, the call the state-reply
handler makes) inside ``App.run_test``: the figure is the longest stall of the event loop from the
call until the version is on disk — the hand-over itself plus the background thread competing for
the GIL and, on a loaded machine, for a core — read by a 1 ms ticker on the same loop; the loop
thread's own CPU time per recording is measured apart. The load figure is a fresh
``VersionStore.load()`` (what a new CLI run or a restarted studio does) of 100 such versions.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import QUICK, Report, median, percentile
from bench_big_draft import SEGMENTS, edited, make_draft

RECORD_RUNS = 5 if QUICK else 15
STORED = 100
LOAD_RUNS = 5 if QUICK else 15
TICK = 0.001


def variant(base: dict[str, Any], i: int) -> dict[str, Any]:
    """The ``i``-th edit of ``base``: the edited draft with its title numbered (all distinct)."""
    new = edited(base)
    new["m"]["title"] = f"Night Lights {i}"
    new["d"] += i
    return new


async def stall_while(work: Any, done: Any) -> tuple[float, float]:
    """Run ``work()`` (a sync call on the loop) and tick every 1 ms until ``done()``; returns
    (seconds the call itself took, longest gap between ticks beyond 1 ms)."""
    worst = 0.0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(TICK)
            now = time.perf_counter()
            worst = max(worst, now - last - TICK)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)  # the ticker is running
    start = time.perf_counter()
    work()
    handover = time.perf_counter() - start
    while not done():
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.01)
    stop.set()
    await task
    return handover, max(worst, handover)


async def bench_record(report: Report, home: Path) -> None:
    """Record RECORD_RUNS new versions of a 10,000-segment draft through the studio's hook."""
    from nemo_tui.config import load_settings
    from nemo_tui.draft import decode_draft
    from nemo_tui.ui.app import NemoStudioApp

    settings = dataclasses.replace(load_settings({"api_url": "http://127.0.0.1:9"}),
                                   download_dir=home)
    base = make_draft(SEGMENTS)
    app = NemoStudioApp(settings, connect=False)
    stalls, handovers, idle = [], [], []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        versions = app.versions

        def recorded(n: int) -> Any:
            return lambda: versions.current is not None and versions.current.number == n

        # the first draft of the session (a first version has no diff to compute)
        app.versions.record("bench", base, "generate", decode_draft(base))
        while not recorded(1)():
            await asyncio.sleep(0.01)
        for i in range(1, RECORD_RUNS + 1):
            # as in the studio: the state reply's draft arrives decoded (outside the window);
            # only the previous and the new draft are alive
            raw = variant(base, i)
            new = decode_draft(raw)
            gc.collect()
            call = (lambda i=i, raw=raw, new=new: versions.record("bench", raw, f"edit {i}", new))
            started = time.perf_counter()
            handover, stall = await stall_while(call, recorded(i + 1))
            report.info.setdefault("background_ms", []).append(
                round((time.perf_counter() - started) * 1000))
            handovers.append(handover)
            stalls.append(stall)
            # the same loop left idle as long (what the machine's load does anyway)
            until = time.perf_counter() + report.info["background_ms"][-1] / 1000
            idle.append((await stall_while(lambda: None,
                                           lambda until=until: time.perf_counter() > until))[1])
        # the loop thread's own CPU per recording (no ticker running: nothing else to bill)
        cpu = []
        for i in range(RECORD_RUNS + 1, 2 * RECORD_RUNS + 1):
            raw = variant(base, i)
            new = decode_draft(raw)
            gc.collect()
            start = time.thread_time()
            versions.record("bench", raw, f"edit {i}", new)
            while not recorded(i + 1)():
                await asyncio.sleep(0.005)
            cpu.append(time.thread_time() - start)
        store = versions.store
        report.info["index_bytes_after_record"] = os.path.getsize(store.path)
    report.add("record_stall_ms", "Recording a new version of a 10,000-segment draft: longest "
               "event-loop stall (hand-over + background thread), median",
               ms(median(stalls)), "ms", "<", 20)
    report.add("record_stall_max_ms", "… the same, worst of the runs", ms(max(stalls)), "ms")
    report.add("record_handover_ms", "… the hook call itself on the event loop, median",
               ms(median(handovers)), "ms")
    report.add("record_loop_cpu_ms", "… CPU time of the event-loop thread per recording, "
               "hand-over to version shown (no ticker), median", ms(median(cpu)), "ms")
    report.add("record_background_ms", "… time until the version is on disk (thread), median",
               median(report.info["background_ms"]), "ms")
    report.add("idle_gap_ms", "… baseline: the idle loop's longest gap over as long, between "
               "the recordings (the machine's load shows here), median", ms(median(idle)), "ms")


def bench_load(report: Report, home: Path) -> None:
    """Store 100 versions of the draft, then time fresh loads of the history and of one draft."""
    from nemo_tui.config import AppPaths
    from nemo_tui.version_store import VersionStore

    paths = AppPaths(config_dir=home / "c", state_dir=home / "s", data_dir=home / "d",
                     client_id_file=home / "id")
    base = make_draft(SEGMENTS)
    writer = VersionStore(paths, "http://127.0.0.1:9", "load")
    started = time.perf_counter()
    for i in range(STORED):
        writer.record(base if i == 0 else variant(base, i), f"edit {i}")
    report.info["store_100_seconds"] = round(time.perf_counter() - started, 1)
    loads, drafts = [], []
    for _ in range(LOAD_RUNS):
        gc.collect()
        start = time.perf_counter()
        history = VersionStore(paths, "http://127.0.0.1:9", "load").load()
        loads.append(time.perf_counter() - start)
        gc.collect()
        start = time.perf_counter()
        VersionStore(paths, "http://127.0.0.1:9", "load").draft(1)
        drafts.append(time.perf_counter() - start)
    assert len(history.versions) == STORED
    raw_bytes = len(__import__("json").dumps(base).encode())
    draft_files = list(writer.drafts_dir.iterdir())
    stored = sum(p.stat().st_size for p in draft_files)
    report.add("load_ms", "Loading the versions of a session with 100 versions of a "
               "10,000-segment draft (fresh store), median", ms(median(loads)), "ms", "<", 200)
    report.add("load_p95_ms", "… the same, p95", ms(percentile(loads, 95)), "ms")
    report.add("draft_ms", "Reading one version's draft back (for export / compare), median",
               ms(median(drafts)), "ms")
    report.add("disk_mib", "Disk used by the 100 versions (history + drafts)",
               (stored + writer.path.stat().st_size) / 2**20, "MiB")
    report.info.update(index_bytes=writer.path.stat().st_size, drafts_stored=len(draft_files),
                       one_draft_json_mib=round(raw_bytes / 2**20, 2))


def ms(seconds: float | None) -> float | None:
    """Seconds to milliseconds."""
    return None if seconds is None else seconds * 1000


def main() -> None:
    """Record, then load; each part reports its own errors."""
    report = Report("versions")
    with tempfile.TemporaryDirectory(prefix="nemo-bench-versions-") as tmp:
        home = Path(tmp)
        for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_STATE_HOME", "state"),
                         ("XDG_DATA_HOME", "data")):
            (home / sub).mkdir()
            os.environ[var] = str(home / sub)
        try:
            asyncio.run(bench_record(report, home))
        except Exception as exc:  # noqa: BLE001 - any failure becomes a reported error
            report.errors.append(f"record: {type(exc).__name__}: {exc}")
        try:
            bench_load(report, home / "load")
        except Exception as exc:  # noqa: BLE001
            report.errors.append(f"load: {type(exc).__name__}: {exc}")
    report.emit()


if __name__ == "__main__":
    main()
