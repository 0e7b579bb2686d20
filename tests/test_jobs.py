"""Tests for nemo_tui.jobs: the persisted job list and watch_job against the local backend."""

from __future__ import annotations

import json
import os
import stat

import pytest

from nemo_tui.api.models import RenderStatus
from nemo_tui.config import AppPaths
from nemo_tui.jobs import JobStore, RenderJob

API = "http://127.0.0.1:9"


@pytest.fixture
def paths() -> AppPaths:
    """App paths inside the test's private XDG dirs."""
    return AppPaths.default()


def test_job_store_round_trip(paths):
    store = JobStore(paths)
    assert store.load() == []
    job = RenderJob("render_1", API, "s1", status="processing", progress=40)
    store.upsert(job)
    store.upsert(RenderJob("render_2", API, "s2"))
    job.status, job.progress, job.url = "completed", 100, "http://x/render_1.mp4"
    store.upsert(job)
    loaded = store.load()
    assert [j.id for j in loaded] == ["render_1", "render_2"]
    assert loaded[0] == job
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert store.forget("render_2") is True
    assert store.forget("render_2") is False
    assert [j.id for j in JobStore(paths).load()] == ["render_1"]
    assert store.get("render_1").url == "http://x/render_1.mp4"


def test_job_store_corrupt_file_is_kept_aside(paths):
    store = JobStore(paths)
    store.path.parent.mkdir(parents=True)
    store.path.write_text('{"jobs": [ {"id": "render_1", ')
    assert store.load() == []
    assert store.warning and "jobs.json.corrupt" in store.warning
    corrupt = store.path.with_name("jobs.json.corrupt")
    assert corrupt.read_text().startswith('{"jobs"')
    store.upsert(RenderJob("render_9", API, "s"))
    assert [j.id for j in JobStore(paths).load()] == ["render_9"]


def test_job_store_skips_bad_records(paths):
    store = JobStore(paths)
    store.path.parent.mkdir(parents=True)
    store.path.write_text(json.dumps({"jobs": [
        {"id": "ok", "api_url": API, "session_id": "s", "progress": "lots", "future": 1},
        {"id": 3}, "junk", None,
    ]}))
    jobs = store.load()
    assert [(j.id, j.progress) for j in jobs] == [("ok", None)]
    assert store.warning is None


def test_job_stored_before_finished_at_loads_and_ends_at_its_last_update(paths):
    """A jobs file written before `finished_at` existed loads; its end is its updated_at."""
    store = JobStore(paths)
    store.path.parent.mkdir(parents=True)
    store.path.write_text(json.dumps({"jobs": [
        {"id": "old", "api_url": API, "session_id": "s", "status": "completed",
         "created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-01T10:00:12Z"}]}))
    (job,) = store.load()
    assert job.finished_at is None and job.ended_at == "2026-11-01T10:00:12Z"


def test_job_from_status():
    status = RenderStatus("render_5", "pending", 5, None, None, None, None, {})
    job = RenderJob.from_status(status, api_url=API, session_id="s", output_dir="/tmp/out")
    assert (job.id, job.status, job.progress, job.output_dir) == ("render_5", "pending", 5,
                                                                 "/tmp/out")
    assert not job.finished and not job.downloaded


# ---- watch_job against the local backend (real sockets, real render at 0.1 scale) ----------

DRAFT = {"d": 2000, "m": {"title": "Sea", "width": 1920, "height": 1080},
         "t": [{"tt": 0, "sg": [{"s": 0, "d": 2000, "m": {"name": "waves"}}]}]}


def make_client(url: str, **overrides):
    """A client without GET retries, so watch_job itself sees every failure."""
    from nemo_tui.api.client import ClientConfig, NemoClient

    config = ClientConfig(api_url=url, client_id="0b7d5c4e-8c43-4a39-9a57-2d1f1c1e0f00",
                          get_retries=0, retry_base_delay=0.01, **overrides)
    return NemoClient(config)


async def start_job(client, url: str, out_dir) -> RenderJob:
    """Submit DRAFT for rendering and wrap the reply in a RenderJob."""
    session = await client.ensure_session()
    status = await client.start_render(DRAFT)
    return RenderJob.from_status(status, api_url=url, session_id=session.session_id,
                                 output_dir=out_dir)


async def test_watch_job_renders_and_downloads(local_backend, paths, tmp_path):
    from nemo_tui.jobs import watch_job

    store = JobStore(paths)
    seen: list[tuple[str, int | None, int | None]] = []
    async with make_client(local_backend.url) as client:
        job = await start_job(client, local_backend.url, tmp_path / "out")
        store.upsert(job)
        done = await watch_job(client, job, store, interval=0.05,
                               on_update=lambda j: seen.append(
                                   (j.status, j.progress, j.download_progress)))
    assert done.status == "completed" and done.progress == 100 and done.error is None
    path = tmp_path / "out" / os.path.basename(done.path)
    assert path.is_file() and path.stat().st_size > 1000
    assert path.read_bytes()[4:8] == b"ftyp"  # a real MP4
    assert done.download_progress == 100
    assert seen[-1] == ("completed", 100, 100)
    stored = JobStore(paths).get(job.id)
    assert stored.status == "completed" and stored.path == done.path
    # it finished when the server said so (the download after it does not move its end)
    assert done.finished_at is not None and stored.finished_at == done.finished_at
    assert done.ended_at == done.finished_at <= done.updated_at


async def test_watch_job_keeps_polling_through_server_errors(local_backend, paths, tmp_path):
    from nemo_tui.jobs import watch_job

    store = JobStore(paths)
    errors: list[str] = []
    async with make_client(local_backend.url) as client:
        job = await start_job(client, local_backend.url, tmp_path)
        local_backend.add_faults([{"endpoint": "render_poll", "http": 503, "times": 2}])
        done = await watch_job(client, job, store, interval=0.01, download=False,
                               on_update=lambda j: j.error and errors.append(j.error))
    assert done.status == "completed" and done.path is None and done.error is None
    assert len(errors) == 2 and all("still trying" in e for e in errors)


async def test_watch_job_failed_render(local_backend, paths, tmp_path):
    from nemo_tui.jobs import watch_job

    async with make_client(local_backend.url) as client:
        job = await start_job(client, local_backend.url, tmp_path)
        local_backend.add_faults([{"endpoint": "render_poll", "status": "failed",
                                   "error": "font missing", "times": -1}])
        done = await watch_job(client, job, JobStore(paths), interval=0.01)
    assert done.status == "failed" and done.path is None
    assert "font missing" in done.error
    assert JobStore(paths).get(job.id).status == "failed"


async def test_watch_job_unknown_id_is_lost(local_backend, paths):
    from nemo_tui.jobs import watch_job

    job = RenderJob("render_404", local_backend.url, "s")
    async with make_client(local_backend.url) as client:
        done = await watch_job(client, job, JobStore(paths), interval=0.01)
    assert done.status == "lost" and "render_404" in done.error
    assert JobStore(paths).get("render_404").status == "lost"


async def test_watch_job_gives_up_after_max_errors(make_local_backend, paths, tmp_path):
    from nemo_tui.api.errors import NetworkError
    from nemo_tui.jobs import watch_job

    backend = make_local_backend()
    async with make_client(backend.url) as client:
        job = await start_job(client, backend.url, tmp_path)
        backend.stop()  # the server is gone: nothing listens on the port any more
        with pytest.raises(NetworkError):
            await watch_job(client, job, JobStore(paths), interval=0.01, max_errors=3)
    stored = JobStore(paths).get(job.id)
    assert not stored.finished and "still trying" in stored.error


async def test_watch_job_can_be_cancelled(local_backend, paths, tmp_path):
    import asyncio

    from nemo_tui.jobs import watch_job

    store = JobStore(paths)
    first_update = asyncio.Event()
    async with make_client(local_backend.url) as client:
        job = await start_job(client, local_backend.url, tmp_path)
        local_backend.add_faults([{"endpoint": "render_poll", "status": "processing",
                                   "progress": 42, "times": -1}])
        task = asyncio.create_task(watch_job(client, job, store, interval=0.01,
                                             on_update=lambda j: first_update.set()))
        await first_update.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    stored = store.get(job.id)
    assert stored.status == "processing" and stored.progress == 42 and not stored.finished


def test_next_poll_delay_grows_when_idle_and_resets_on_change():
    from nemo_tui.jobs import next_poll_delay

    delays, d = [], 1.0
    for _ in range(8):
        d = next_poll_delay(d, 1.0, changed=False)
        delays.append(d)
    assert delays == [1.5, 2.25, 3.375, 5.0625, 7.59375, 10.0, 10.0, 10.0]
    assert next_poll_delay(10.0, 1.0, changed=True) == 1.0
    assert next_poll_delay(0.9, 0.1, changed=False) == 1.0  # capped at 10x a small base
    assert next_poll_delay(30.0, 30.0, changed=False) == 30.0  # never below the configured one


async def test_watch_job_slows_down_while_nothing_changes(local_backend, paths, tmp_path):
    """Unchanged replies stretch the pause x1.5 each (jittered); a change brings the base back."""
    from nemo_tui.jobs import JITTER, watch_job

    requested: list[float] = []
    async with make_client(local_backend.url) as client:
        original = client.pause_polling

        async def spy(render_id: str, seconds: float) -> bool:
            requested.append(seconds)
            return await original(render_id, 0.0)  # keep the test fast; the loop is unchanged

        client.pause_polling = spy
        job = await start_job(client, local_backend.url, tmp_path)
        # reply 6 is a change too, whatever the real render did meanwhile (it may be done)
        local_backend.add_faults([{"endpoint": "render_poll", "status": "processing",
                                   "progress": 7, "times": 5},
                                  {"endpoint": "render_poll", "status": "processing",
                                   "progress": 50, "times": 1}])
        done = await watch_job(client, job, JobStore(paths), interval=0.2, download=False)
    assert done.status == "completed"
    # reply 1 changed pending -> processing 7; replies 2-5 changed nothing
    expected = [0.2, 0.3, 0.45, 0.675, 1.0125]
    for got, want in zip(requested[:5], expected, strict=True):
        assert want * (1 - JITTER) <= got <= want * (1 + JITTER)
    # reply 6 (processing 50) is a change, so the next pause is the base again
    assert 0.2 * (1 - JITTER) <= requested[5] <= 0.2 * (1 + JITTER)


async def test_cancel_is_seen_at_once_by_a_slowed_watcher(local_backend, paths, tmp_path):
    """A watcher in a long idle pause sees the cancel right away (the cancel wakes it)."""
    import asyncio

    from nemo_tui.jobs import watch_job

    store = JobStore(paths)
    async with make_client(local_backend.url) as client:
        job = await start_job(client, local_backend.url, tmp_path)
        local_backend.add_faults([{"endpoint": "render_poll", "status": "processing",
                                   "progress": 3, "times": 1}])
        polled = asyncio.Event()
        task = asyncio.create_task(watch_job(client, job, store, interval=3600, download=False,
                                             on_update=lambda j: polled.set()))
        await polled.wait()  # first reply seen; the watcher now pauses for about an hour
        await client.cancel_render(job.id)
        done = await asyncio.wait_for(task, 30)
    assert done.status in ("cancelled", "completed")  # the render may have won the race
