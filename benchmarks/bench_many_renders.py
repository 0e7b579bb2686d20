"""Many renders: 100 render jobs watched at a 1 s poll interval on one NemoClient.

The jobs are watched with ``nemo_tui.jobs.watch_job`` (what the CLI and the studio's workers use),
against the local backend in its own process, through a counting TCP relay (own process too), so
the CPU time read from /proc/self/stat is the client's alone. Two phases, each over a bounded
window after its warm-up, each with its polls per second:

1. worst case: every poll is answered with a change (a fault makes the progress move on every
   poll), so adaptive polling never slows down and all 100 jobs are polled every 1 s;
2. adaptive steady state: nothing changes, and the window starts only once every job's pause has
   grown to its cap (10 s), so ~10 polls/s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

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
WORST_WARMUP = 3.0
# 1 + 1.5 + 2.25 + … reaches the 10 s cap after ~21 s (±15% jitter): past that, steady state
ADAPTIVE_WARMUP = 12.0 if QUICK else 30.0
WINDOW = 8.0 if QUICK else 20.0
BASELINE_POLLS = 100 if QUICK else 300
# A long draft keeps every job pending/processing through the window (1 render runs at a time).
DRAFT = {"d": 600_000, "m": {"title": "Many renders", "width": 1920, "height": 1080},
         "t": [{"tt": 0, "sg": [{"s": 0, "d": 600_000, "m": {"name": "long clip"}}]}]}
NEWS_ON_EVERY_POLL = {"endpoint": "render_poll", "status": "processing", "progress": "advance",
                      "times": -1}


def backend_call(base_url: str, path: str, method: str, body: Any = None) -> list[dict]:
    """A control call straight to the backend: the request log (GET / DELETE) or faults."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{base_url}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        data = json.loads(resp.read() or b"{}")
    inner = data.get("data") if isinstance(data, dict) else None
    return inner.get("requests", []) if isinstance(inner, dict) else []


class Watcher:
    """One client watching JOBS renders, measured over a window."""

    def __init__(self, url: str, backend_url: str, state_dir: Path, report: Report,
                 counter: ConnectionCounter) -> None:
        from nemo_tui.api.client import ClientConfig, NemoClient
        from nemo_tui.config import AppPaths
        from nemo_tui.jobs import JobStore

        self.url, self.backend_url, self.report, self.counter = url, backend_url, report, counter
        paths = AppPaths(config_dir=state_dir / "config", state_dir=state_dir / "state",
                         data_dir=state_dir / "data", client_id_file=state_dir / "client_id")
        self.store = JobStore(paths)
        self.client = NemoClient(ClientConfig(api_url=url, client_id=str(uuid.uuid4())))
        self.updates = 0

    def on_update(self, _job: Any) -> None:
        """Count job changes (each one is a store write)."""
        self.updates += 1

    async def baseline_ms(self) -> float:
        """Client CPU of one poll when polls go one after another."""
        first = await self.client.start_render(DRAFT)
        for _ in range(20):
            await self.client.poll_render(first.id)
        cpu_b = proc_cpu_seconds()
        for _ in range(BASELINE_POLLS):
            await self.client.poll_render(first.id)
        return (proc_cpu_seconds() - cpu_b) * 1000 / BASELINE_POLLS

    async def phase(self, key: str, what: str, warmup: float, baseline: float) -> None:
        """Start JOBS renders, watch them, wait `warmup`, measure WINDOW seconds, stop."""
        from nemo_tui.jobs import RenderJob, watch_job

        session = await self.client.ensure_session()
        tasks: list[asyncio.Task] = []
        try:
            for _ in range(JOBS):
                status = await self.client.start_render(DRAFT)
                job = RenderJob.from_status(status, api_url=self.url,
                                            session_id=session.session_id)
                self.store.upsert(job)
                tasks.append(asyncio.create_task(watch_job(
                    self.client, job, self.store, interval=INTERVAL, on_update=self.on_update,
                    download=False)))
            await asyncio.sleep(warmup)
            await asyncio.to_thread(backend_call, self.backend_url, "/_local/requests", "DELETE")
            updates0 = self.updates
            conns0, cpu0, t0 = self.counter.count(), proc_cpu_seconds(), time.perf_counter()
            with maybe_profile():
                await asyncio.sleep(WINDOW)
            cpu1, t1, conns1 = proc_cpu_seconds(), time.perf_counter(), self.counter.count()
            log = await asyncio.to_thread(backend_call, self.backend_url, "/_local/requests",
                                          "GET")
            self.report_phase(key, what, log, cpu1 - cpu0, t1 - t0, conns1 - conns0,
                              self.updates - updates0, baseline)
            for task in tasks:
                if task.done() and task.exception():
                    self.report.errors.append(f"watch_job ({key}): {task.exception()!r}")
                    break
        finally:
            for task in tasks:
                task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.gather(*tasks, return_exceptions=True)

    def report_phase(self, key: str, what: str, log: list[dict], cpu: float, span: float,
                     conns: int, updates: int, baseline: float) -> None:
        """The figures of one phase."""
        polls = sum(1 for r in log if r.get("method") == "GET"
                    and "/api/render/proxy/lambda/" in str(r.get("path")))
        add = self.report.add
        prefix = "" if key == "adaptive" else f"{key}_"
        add(f"{prefix}cpu_percent", f"CPU of the app process watching {JOBS} renders, {what}",
            cpu / span * 100, "% of one core", "<", 5)
        add(f"{prefix}polls_s", f"Polls answered per second, {what}", polls / span, "/s")
        add(f"{prefix}window_connections", f"New connections during the window, {what}",
            conns, "", "==", 0)
        per_poll = cpu * 1000 / max(1, polls)
        add(f"{prefix}cpu_ms_per_poll", f"Client CPU per poll, {what}", per_poll, "ms")
        add(f"{prefix}per_poll_ratio", f"CPU per poll / one at a time, {what}",
            per_poll / baseline if baseline else None, "×")
        self.report.info[key] = {"cpu_seconds": round(cpu, 3), "polls": polls,
                                 "job_updates": updates, "window_s": round(span, 2)}


async def watch_many(url: str, backend_url: str, state_dir: Path, report: Report,
                     counter: ConnectionCounter) -> None:
    """The two phases on one client, then memory and totals."""
    watcher = Watcher(url, backend_url, state_dir, report, counter)
    try:
        await watcher.client.ensure_session()
        baseline = await watcher.baseline_ms()
        await asyncio.to_thread(backend_call, backend_url, "/_local/faults", "POST",
                                {"rules": [NEWS_ON_EVERY_POLL]})
        await watcher.phase("worst", "every poll answered with a change (fixed 1 s)",
                            WORST_WARMUP, baseline)
        await asyncio.to_thread(backend_call, backend_url, "/_local/faults", "DELETE")
        await watcher.phase("adaptive", "adaptive polling in steady state (nothing changes)",
                            ADAPTIVE_WARMUP, baseline)
        report.add("baseline_ms_per_poll", "Client CPU per poll, one at a time (baseline)",
                   baseline, "ms")
        report.add("total_connections",
                   f"Connections opened in all ({2 * JOBS} starts + polls, both phases)",
                   counter.count(), "")
        report.add("rss_mib", "Resident memory after both windows",
                   (proc_status_kib("self", "VmRSS") or 0) / 1024, "MiB")
        report.add("hwm_mib", "Peak resident memory",
                   (proc_status_kib("self", "VmHWM") or 0) / 1024, "MiB")
        report.info.update(jobs=JOBS, interval_s=INTERVAL, window_s=WINDOW,
                           worst_warmup_s=WORST_WARMUP, adaptive_warmup_s=ADAPTIVE_WARMUP)
    finally:
        await watcher.client.aclose()


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
