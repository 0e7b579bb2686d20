"""Render jobs through server faults, against the local backend over loopback: rate-limited
polls, download redirect loops, renders that complete without a link, unwritable folders."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from test_jobs import make_client, start_job  # a client without GET retries; a started render

from nemo_tui.api.errors import DownloadError
from nemo_tui.config import AppPaths
from nemo_tui.jobs import JobStore, RenderJob, watch_job


def poll_times(backend) -> list[float]:
    """When the backend received each render poll."""
    return [r["time"] for r in backend.requests() if r.get("endpoint") == "render_poll"]


async def test_429_twice_in_a_row_keeps_watching_and_honours_retry_after(local_backend,
                                                                          tmp_path):
    """Four 429s (two failed polls even after the client's own one retry): the watch goes on,
    never polls sooner than Retry-After, says why on the job, and downloads in the end."""
    store = JobStore(AppPaths.default())
    errors: list[str] = []
    async with make_client(local_backend.url) as client:
        job = await start_job(client, local_backend.url, tmp_path)
        local_backend.add_faults([{"endpoint": "render_poll", "http": 429, "retry_after": 0.4,
                                   "times": 4}])
        done = await watch_job(client, job, store, interval=0.01,
                               on_update=lambda j: j.error and errors.append(j.error))
    assert done.status == "completed" and done.path and done.error is None
    assert len(errors) == 2 and all("rate-limiting" in e and "HTTP 429" in e for e in errors)
    times = poll_times(local_backend)
    assert len(times) >= 5
    # the first five polls are the four refused ones and the first answered one
    gaps = [b - a for a, b in itertools.pairwise(times[:5])]
    assert all(gap >= 0.39 for gap in gaps), gaps
    assert store.get(job.id).status == "completed"


async def finished_job(client, url: str, out_dir) -> RenderJob:
    """A submitted render, once the server reports it completed."""
    job = await start_job(client, url, out_dir)
    while not (await client.poll_render(job.id)).finished:
        await asyncio.sleep(0.05)
    return job


async def test_download_redirect_loop_is_reported_on_the_job(local_backend, tmp_path):
    """The video link redirects forever: a DownloadError in words, stored on the job, and the
    row's download progress is cleared (not left at 0%)."""
    store = JobStore(AppPaths.default())
    async with make_client(local_backend.url) as client:
        job = await finished_job(client, local_backend.url, tmp_path / "out")
        local_backend.add_faults([{"endpoint": "file", "redirect": "loop"}])
        with pytest.raises(DownloadError, match="redirects in a loop") as info:
            await watch_job(client, job, store, interval=0.01)
    stored = store.get(job.id)
    assert stored.status == "completed" and stored.path is None
    assert stored.download_progress is None and stored.error == str(info.value)
    hops = [r for r in local_backend.requests() if r["path"].startswith("/files/")]
    assert len(hops) > 10  # it really looped
    assert not list((tmp_path / "out").glob("*.part"))


async def test_render_completed_without_a_link_says_so(local_backend, tmp_path):
    """Completed, no URL, and the fallback download endpoint does not exist (404 'no such
    endpoint'): the job says the render finished without a link and what to do."""
    store = JobStore(AppPaths.default())
    async with make_client(local_backend.url) as client:
        job = await finished_job(client, local_backend.url, tmp_path / "out")
        local_backend.add_faults([
            {"endpoint": "render_poll", "status": "completed", "without_url": True, "times": -1},
            {"endpoint": "render_download", "http": 404, "message": "no such endpoint",
             "times": -1}])
        with pytest.raises(DownloadError) as info:
            await watch_job(client, job, store, interval=0.01)
    words = str(info.value)
    assert "finished without a download link" in words and "Export again" in words
    assert "no such endpoint" not in words
    stored = store.get(job.id)
    assert stored.status == "completed" and stored.url is None and stored.error == words
    fallback = [r for r in local_backend.requests() if r.get("endpoint") == "render_download"]
    assert len(fallback) == 1 and fallback[0]["has_authorization"]


async def test_unwritable_download_folder_is_named(local_backend, unwritable_dir):
    """The download folder refuses new files: the message names that folder."""
    store = JobStore(AppPaths.default())
    async with make_client(local_backend.url) as client:
        job = await finished_job(client, local_backend.url, unwritable_dir)
        with pytest.raises(DownloadError) as info:
            await watch_job(client, job, store, interval=0.01)
    assert f"the folder {unwritable_dir} " in str(info.value)
    assert "writable" in str(info.value)
    assert store.get(job.id).error == str(info.value)


async def test_advancing_progress_fault_gives_news_on_every_poll(local_backend, tmp_path):
    """`"progress": "advance"` (the many-renders benchmark's worst case): each poll of a job
    answers a new progress, so a watcher never slows down."""
    async with make_client(local_backend.url) as client:
        job = await start_job(client, local_backend.url, tmp_path)
        local_backend.add_faults([{"endpoint": "render_poll", "status": "processing",
                                   "progress": "advance", "times": -1}])
        seen = [(await client.poll_render(job.id)).progress for _ in range(4)]
    assert len(set(seen)) == 4 and all(5 < p < 100 for p in seen), seen
