"""Coalesced job-store writes: progress is batched, transitions are durable at once.

Write counts come from the store itself (`JobStore.writes`), never from timings: the coalescing
window is made an hour long where a test needs "inside the window", so nothing is timer luck.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from nemo_tui import job_writes
from nemo_tui.config import AppPaths
from nemo_tui.jobs import JobStore, RenderJob, watch_job
from nemo_tui.store import read_json

API = "http://127.0.0.1:9"
ROOT = Path(__file__).resolve().parent.parent
DRAFT = {"d": 1000, "m": {"title": "Coalesce", "width": 160, "height": 90},
         "t": [{"tt": 0, "sg": [{"s": 0, "d": 1000, "m": {"name": "clip"}}]}]}


@pytest.fixture
def long_window(monkeypatch):
    """A coalescing window of an hour: a deferred change is written only by a flush."""
    monkeypatch.setattr(job_writes, "COALESCE_SECONDS", 3600.0)


def on_disk(store: JobStore) -> dict[str, dict]:
    """The jobs as the file has them (not as this process's store overlays them)."""
    data = read_json(store.path) or {"jobs": []}
    return {j["id"]: j for j in data["jobs"]}


def stored_jobs(*progress: int) -> tuple[JobStore, list[RenderJob]]:
    """A store holding one processing job per `progress` value (render_1, render_2, …)."""
    store = JobStore(AppPaths.default())
    jobs = [RenderJob(f"render_{i}", API, "s", status="processing", progress=pct)
            for i, pct in enumerate(progress, 1)]
    for job in jobs:
        store.upsert(job)
    return store, jobs


def test_progress_updates_in_the_window_make_one_write(long_window):
    store, (job, other) = stored_jobs(0, 0)
    assert store.writes == 2
    for pct in range(1, 31):
        job.progress = other.progress = pct
        store.defer(job)
        store.defer(other)
    assert store.writes == 2  # nothing written yet: both wait for the window
    assert on_disk(store)["render_1"]["progress"] == 0
    assert JobStore(AppPaths.default()).get("render_1").progress == 30  # this process sees it
    store.flush()
    assert store.writes == 3  # 60 progress changes of 2 jobs: one write
    assert {k: v["progress"] for k, v in on_disk(store).items()} == {"render_1": 30,
                                                                     "render_2": 30}
    store.flush()
    assert store.writes == 3  # nothing waiting: no write


def test_the_timer_writes_waiting_progress(monkeypatch):
    monkeypatch.setattr(job_writes, "COALESCE_SECONDS", 0.05)
    store, [job] = stored_jobs(5)
    job.progress = 60
    store.defer(job)
    deadline = time.monotonic() + 30  # a condition with a deadline, not a fixed sleep
    while store.writes < 2 and time.monotonic() < deadline:  # counted after the replace
        time.sleep(0.02)
    assert on_disk(store)["render_1"]["progress"] == 60 and store.writes == 2


def test_a_transition_takes_waiting_progress_along_and_is_never_undone(long_window):
    store, (job, late) = stored_jobs(10, 10)
    job.progress = late.progress = 50
    store.defer(job)
    store.defer(late)
    job.status, job.progress, job.url = "completed", 100, "http://x/1.mp4"
    store.upsert(job)  # durable at once, with render_2's waiting progress in the same write
    assert store.writes == 3
    disk = on_disk(store)
    assert disk["render_1"]["status"] == "completed" and disk["render_2"]["progress"] == 50
    store.flush()  # the older waiting state of render_1 is gone, not written over "completed"
    assert store.writes == 3 and on_disk(store)["render_1"]["status"] == "completed"


def test_forget_drops_waiting_changes_so_a_flush_does_not_bring_the_job_back(long_window):
    store, [job] = stored_jobs(10)
    job.progress = 70
    store.defer(job)
    assert store.forget("render_1") is True
    store.flush()
    assert on_disk(store) == {} and store.load() == []


def test_waiting_progress_merges_with_another_process_writes(long_window):
    """A CLI run adds a job while the studio's progress waits: both survive the flush."""
    store, [job] = stored_jobs(10)
    job.progress = 80
    store.defer(job)
    script = textwrap.dedent(f"""
        from nemo_tui.config import AppPaths
        from nemo_tui.jobs import JobStore, RenderJob
        JobStore(AppPaths.default()).upsert(RenderJob("render_cli", {API!r}, "s2"))
    """)
    ran = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=dict(os.environ),
                         capture_output=True, text=True, timeout=60, check=False)
    assert ran.returncode == 0, ran.stderr
    store.flush()
    disk = on_disk(store)
    assert set(disk) == {"render_1", "render_cli"} and disk["render_1"]["progress"] == 80


def test_waiting_progress_is_written_when_the_process_exits():
    """The CLI's exit (atexit) writes what waits, even inside an hour-long window."""
    script = textwrap.dedent(f"""
        from nemo_tui import job_writes
        from nemo_tui.config import AppPaths
        from nemo_tui.jobs import JobStore, RenderJob
        job_writes.COALESCE_SECONDS = 3600.0
        store = JobStore(AppPaths.default())
        job = RenderJob("render_1", {API!r}, "s", status="processing", progress=1)
        store.upsert(job)
        job.progress = 42
        store.defer(job)
    """)
    ran = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=dict(os.environ),
                         capture_output=True, text=True, timeout=60, check=False)
    assert ran.returncode == 0, ran.stderr
    assert on_disk(JobStore(AppPaths.default()))["render_1"]["progress"] == 42


async def test_watch_job_writes_transitions_and_coalesces_progress(local_backend, long_window):
    """Polls answered with new progress each time are not written one by one."""
    from nemo_tui.api.client import ClientConfig, NemoClient

    store = JobStore(AppPaths.default())
    seen: list[tuple[str, str | None, int | None]] = []
    local_backend.add_faults([{"endpoint": "render_poll", "status": "processing",
                               "progress": "advance", "times": 12}])
    config = ClientConfig(api_url=local_backend.url,
                          client_id="0b7d5c4e-8c43-4a39-9a57-2d1f1c1e0f00", get_retries=0)
    async with NemoClient(config) as client:
        session = await client.ensure_session()
        job = RenderJob.from_status(await client.start_render(DRAFT),
                                    api_url=local_backend.url, session_id=session.session_id)
        store.upsert(job)
        first = (job.status, job.url, job.progress)
        done = await watch_job(client, job, store, interval=0.01, download=False,
                               on_update=lambda j: seen.append((j.status, j.url, j.progress)))
    assert done.status == "completed" and done.url
    transitions = sum(1 for before, after in zip([first, *seen], seen,
                                                 strict=False) if before[:2] != after[:2])
    progress_only = len(seen) - transitions
    assert progress_only >= 10  # the fault's advancing progress was seen...
    assert store.writes == 1 + transitions  # ...but only the start and transitions were written
    assert on_disk(store)[job.id]["status"] == "completed"


KILLED_WATCHER = """
import asyncio, sys, uuid
from nemo_tui import job_writes
from nemo_tui.api.client import ClientConfig, NemoClient
from nemo_tui.config import AppPaths
from nemo_tui.jobs import JobStore, RenderJob, watch_job

job_writes.COALESCE_SECONDS = 3600.0  # a transition left waiting would never be written
DRAFT = {draft!r}

async def main():
    config = ClientConfig(api_url=sys.argv[1], client_id=str(uuid.uuid4()))
    async with NemoClient(config) as client:
        session = await client.ensure_session()
        job = RenderJob.from_status(await client.start_render(DRAFT), api_url=sys.argv[1],
                                    session_id=session.session_id)
        store = JobStore(AppPaths.default())
        store.upsert(job)
        show = lambda j: print(j.status, j.progress, flush=True)
        await watch_job(client, job, store, interval=0.02, on_update=show, download=False)
        await asyncio.sleep(3600)  # killed here, never exits on its own

asyncio.run(main())
"""


def test_kill_9_right_after_a_status_transition_keeps_it(local_backend):
    """The watcher reports "completed" (after its write): a kill -9 then loses nothing."""
    local_backend.add_faults([{"endpoint": "render_poll", "status": "processing",
                               "progress": "advance", "times": 8}])
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WATCHER.format(draft=DRAFT), local_backend.url],
        cwd=ROOT, env=dict(os.environ), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        seen = []
        while not seen or not seen[-1].startswith("completed"):
            try:
                seen.append(lines.get(timeout=60))
            except queue.Empty:
                proc.kill()
                pytest.fail(f"no 'completed' from the watcher; saw {seen}: "
                            f"{proc.stderr.read() if proc.stderr else ''}")
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    assert sum(s.startswith("processing") for s in seen) >= 5  # progress went by, coalesced
    [stored] = on_disk(JobStore(AppPaths.default())).values()
    assert stored["status"] == "completed" and stored["url"] and stored["progress"] == 100
