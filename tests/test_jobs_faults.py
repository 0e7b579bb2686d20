"""Render jobs through server faults, against the local backend over loopback: rate-limited
polls, download redirect loops, renders that complete without a link, unwritable folders."""

from __future__ import annotations

import itertools

from nemo_tui.config import AppPaths
from nemo_tui.jobs import JobStore, RenderJob, watch_job

DRAFT = {"d": 1000, "m": {"title": "Sea", "width": 160, "height": 90},
         "t": [{"tt": 0, "sg": [{"s": 0, "d": 1000, "m": {"name": "waves"}}]}]}


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
