"""Many renders: 100 render jobs watched at a 1 s poll interval on one NemoClient.

The jobs are watched with ``nemo_tui.jobs.watch_job`` (what the CLI and the studio's workers use),
against the local backend in its own process, through a counting TCP relay (own process too), so
the CPU time read from /proc/self/stat is the client's alone. After a warm-up the process's CPU
time, the connections opened and the memory are read over a bounded window.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import urllib.request
import uuid
from pathlib import Path

from _common import (
    QUICK,
    BackendProcess,
    ConnectionCounter,
    Report,
    maybe_profile,
    proc_cpu_seconds,
    proc_status_kib,
    temp_home,
)

JOBS = 100
INTERVAL = 1.0
WARMUP = 3.0
WINDOW = 8.0 if QUICK else 20.0
BASELINE_POLLS = 100 if QUICK else 300
# A long draft keeps every job pending/processing through the window (1 render runs at a time).
DRAFT = {"d": 600_000, "m": {"title": "Many renders", "width": 1920, "height": 1080},
         "t": [{"tt": 0, "sg": [{"s": 0, "d": 600_000, "m": {"name": "long clip"}}]}]}


def server_requests(base_url: str, method: str) -> list[dict]:
    """The local backend's request log (GET), or clear it (DELETE); straight to the backend."""
    req = urllib.request.Request(f"{base_url}/_local/requests", method=method)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read()).get("data", {}).get("requests", [])


async def watch_many(url: str, backend_url: str, state_dir: Path, report: Report,
                     counter: ConnectionCounter) -> None:
    """Start JOBS renders, watch them all, measure the window, stop."""
    from nemo_tui.api.client import ClientConfig, NemoClient
    from nemo_tui.config import AppPaths
    from nemo_tui.jobs import JobStore, RenderJob, watch_job

    paths = AppPaths(config_dir=state_dir / "config", state_dir=state_dir / "state",
                     data_dir=state_dir / "data", client_id_file=state_dir / "client_id")
    store = JobStore(paths)
    client = NemoClient(ClientConfig(api_url=url, client_id=str(uuid.uuid4())))
    updates = 0

    def on_update(job: RenderJob) -> None:
        nonlocal updates
        updates += 1

    tasks: list[asyncio.Task] = []
    try:
        session = await client.ensure_session()
        # Baseline in the same run: the CPU of one poll when polls go one after another.
        first = await client.start_render(DRAFT)
        for _ in range(20):
            await client.poll_render(first.id)
        cpu_b = proc_cpu_seconds()
        for _ in range(BASELINE_POLLS):
            await client.poll_render(first.id)
        baseline_ms = (proc_cpu_seconds() - cpu_b) * 1000 / BASELINE_POLLS
        for _ in range(JOBS):
            status = await client.start_render(DRAFT)
            job = RenderJob.from_status(status, api_url=url, session_id=session.session_id)
            store.upsert(job)
            tasks.append(asyncio.create_task(watch_job(
                client, job, store, interval=INTERVAL, on_update=on_update, download=False)))
        await asyncio.sleep(WARMUP)
        await asyncio.to_thread(server_requests, backend_url, "DELETE")
        conns0, cpu0, t0 = counter.count(), proc_cpu_seconds(), time.perf_counter()
        with maybe_profile():
            await asyncio.sleep(WINDOW)
        cpu1, t1, conns1 = proc_cpu_seconds(), time.perf_counter(), counter.count()
        log = await asyncio.to_thread(server_requests, backend_url, "GET")
        polls = sum(1 for r in log if r.get("method") == "GET"
                    and "/api/render/proxy/lambda/" in str(r.get("path")))
        finished = sum(1 for t in tasks if t.done())
        share = (cpu1 - cpu0) / (t1 - t0) * 100
        report.add("cpu_percent", f"CPU of the app process watching {JOBS} renders",
                   share, "% of one core", "<", 5)
        report.add("window_connections", "New connections during the steady window",
                   conns1 - conns0, "", "==", 0)
        report.add("total_connections", f"Connections opened in all ({JOBS} starts + polls)",
                   conns1, "")
        report.add("rss_mib", "Resident memory after the window",
                   (proc_status_kib("self", "VmRSS") or 0) / 1024, "MiB")
        report.add("hwm_mib", "Peak resident memory",
                   (proc_status_kib("self", "VmHWM") or 0) / 1024, "MiB")
        report.add("polls_s", "Polls answered per second (100 jobs at 1 s would be 100)",
                   polls / (t1 - t0), "/s")
        per_poll = (cpu1 - cpu0) * 1000 / max(1, polls)
        report.add("cpu_ms_per_poll", "Client CPU per poll while watching", per_poll, "ms")
        report.add("baseline_ms_per_poll", "Client CPU per poll, one at a time (baseline)",
                   baseline_ms, "ms")
        report.add("per_poll_ratio", "CPU per poll while watching / one at a time",
                   per_poll / baseline_ms if baseline_ms else None, "×")
        report.info.update(jobs=JOBS, interval_s=INTERVAL, window_s=WINDOW,
                           cpu_seconds=round(cpu1 - cpu0, 3), job_updates=updates,
                           finished_in_window=finished)
        for task in tasks:
            if task.done() and task.exception():
                report.errors.append(f"watch_job: {task.exception()!r}")
                break
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*tasks, return_exceptions=True)
        await client.aclose()


def main() -> None:
    """Backend, relay, client; every process stopped at the end."""
    report = Report("many_renders")
    try:
        with temp_home() as env, BackendProcess(env) as backend, \
                ConnectionCounter(backend.port, env) as counter:
            asyncio.run(watch_many(counter.url, backend.url, Path(env["HOME"]), report, counter))
    except Exception as exc:  # noqa: BLE001 - any failure becomes a reported error
        report.errors.append(f"{type(exc).__name__}: {exc}")
        if not report.figures:
            report.add("cpu_percent", "CPU of the app process watching 100 renders", None,
                       "% of one core", "<", 5)
    report.emit()


if __name__ == "__main__":
    main()
