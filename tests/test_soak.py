"""Bounded soak: 50 render jobs and repeated chat turns under randomly injected faults, then a
restart of the app — zero jobs lost, zero crashes, and the chat turns go through the studio
itself: every message its chat log showed is in the transcripts it recorded, in order.

Deterministic fault sequence (seed ``NEMO_SOAK_SEED``, default 6). ``NEMO_SOAK_SCALE`` multiplies
the counts for a longer manual run (e.g. ``NEMO_SOAK_SCALE=10``); the default run takes seconds.
"""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from pathlib import Path
from typing import Any

import pytest
from test_ui_support import RecordingStudio, say, settle, studio_settings

from nemo_tui.api import ClientConfig, NemoClient
from nemo_tui.api import models as m
from nemo_tui.api.errors import (
    DownloadError,
    NemoError,
    NetworkError,
    ProtocolError,
    RateLimitedError,
    ServerError,
)
from nemo_tui.config import AppPaths
from nemo_tui.jobs import JobStore, RenderJob, watch_job
from nemo_tui.store import TokenStore, TranscriptStore

SCALE = max(1, int(os.environ.get("NEMO_SOAK_SCALE", "1")))
SEED = int(os.environ.get("NEMO_SOAK_SEED", "6"))
N_JOBS = 50 * SCALE
TURN_EVERY = 5  # one chat turn per this many submitted renders
DRAFT = {"d": 1000, "m": {"title": "Soak", "width": 160, "height": 90},
         "t": [{"tt": 0, "sg": [{"s": 0, "d": 1000, "m": {"name": "clip"}}]}]}
#: Errors a user may see during the soak (each is a clear message); anything else is a crash.
EXPECTED = (ServerError, ProtocolError, NetworkError, RateLimitedError, DownloadError)

RENDER_FAULTS = [
    {"endpoint": "render_start", "http": 500}, {"endpoint": "render_start", "http": 502},
    {"endpoint": "render_start", "body": "html"},
    {"endpoint": "render_start", "http": 429, "retry_after": 0.01},
    {"endpoint": "render_poll", "http": 503, "times": 3},
    {"endpoint": "render_poll", "body": "malformed_json", "times": 2},
    {"endpoint": "render_poll", "body": "html", "http": 502},
    {"endpoint": "render_poll", "status": "processing", "progress": 50, "times": 5},
    {"endpoint": "file", "cut_after_bytes": 1000},
    {"endpoint": "file", "http": 503},
    {"endpoint": "credits", "http": 500},
]
STREAM_FAULTS = [
    {"stream": "drop", "after_events": 1}, {"stream": "stall", "seconds": 3},
    {"stream": "in_stream_error"}, {"stream": "in_stream_error", "error_form": "legacy"},
    {"stream": "malformed_lines"}, {"stream": "invalid_utf8"}, {"stream": "no_text"},
    {"stream": "heartbeats_only", "seconds": 3}, {"code": 1002}, {"http": 503},
    {"code": 1001},
]


async def _render(draft: dict, out_path: Path, *, media_dir: Path, progress: Any,
                  scale: float = 1.0, cancel: asyncio.Event | None = None) -> None:
    """A cheap render: a few progress steps, then a small file unique to the job."""
    for step in range(3):
        progress(step / 3)
        await asyncio.sleep(0.01)
    data = b"\x00\x00\x00\x18ftypmp42" + out_path.name.encode() * 200
    await asyncio.to_thread(out_path.write_bytes, data)


@pytest.fixture
def backend(make_local_backend):
    """A backend with a cheap renderer and credits for every turn."""
    return make_local_backend(
        server_options={"wait_scale": 0.001, "free_credits": 10**7,
                        "enforce_token_rate_limit": False},
        render_options={"render_fn": _render, "max_concurrent": 8})


def make_client(url: str, client_id: str, paths: AppPaths) -> NemoClient:
    """A client with short deadlines; like the app, it keeps its client id and token cache."""
    return NemoClient(ClientConfig(
        api_url=url, client_id=client_id, retry_base_delay=0.005, rate_limit_delay=0.01,
        still_working_after=0.2, heartbeat_only_limit=0.6, stream_read_timeout=0.5,
        request_timeout=5), token_cache=TokenStore(paths, url))


def fast_studio_client(settings: Any) -> NemoClient:
    """The studio's own client, with the soak's short deadlines."""
    from nemo_tui.services import build_client

    client = build_client(settings)
    cfg = client.config
    cfg.still_working_after, cfg.heartbeat_only_limit = 0.2, 0.6
    cfg.stream_read_timeout, cfg.retry_base_delay, cfg.rate_limit_delay = 0.5, 0.005, 0.01
    return client


class SoakStudio(RecordingStudio):
    """The studio, remembering each session replacement with the message re-sent there."""

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.replacements: list[tuple[Any, str]] = []
        self.first_session = ""

    def on_turn_event_arrived(self, msg: Any) -> None:
        if isinstance(msg.event, m.SessionReplaced):
            self.replacements.append((msg.event, msg.text))


def recorded_view(app: Any) -> list[tuple[str, str]]:
    """What the studio's chat log showed that belongs in a transcript, as (role, text)."""
    roles = {"user": "user", "agent": "agent", "error": "error", "info": "system",
             "diff": "system", "offer": "system"}
    return [(roles[kind], text)
            for kind, text in zip(app.chat_log.kinds(), app.chat_log.lines(None), strict=True)
            if kind in roles and not text.startswith(("New session started.", "Session "))]


def transcripts_in_order(app: Any) -> list[tuple[str, str]]:
    """What the studio recorded, session after session (a replaced session's transcript starts
    with the user's message again, which the chat shows once: that copy is checked and left out)."""
    from nemo_tui.api.models import SessionReplaced

    paths, url = app.settings.paths, app.settings.api_url
    replaced = [(ev.new_session.session_id, msg) for ev, msg in app.replacements
                if isinstance(ev, SessionReplaced)]
    out = [(e.role, e.text) for e in TranscriptStore(paths, url, app.first_session).load()]
    for sid, message in replaced:
        entries = [(e.role, e.text) for e in TranscriptStore(paths, url, sid).load()]
        assert entries[:1] == [("user", message)], (sid, entries[:2])
        out += entries[1:]
    return out


@pytest.mark.usefixtures("fast_idle")
async def test_soak_jobs_and_turns_under_faults_then_restart(backend, tmp_path):
    """Submit, watch, chat and fail at random; then restart and finish every job."""
    rng = random.Random(SEED)
    paths = AppPaths.default()
    out = tmp_path / "videos"
    store = JobStore(paths)
    accepted: list[str] = []
    outcomes: dict[str, int] = {}
    watchers: list[asyncio.Task[RenderJob]] = []
    client_id = str(uuid.uuid4())

    studio = SoakStudio(studio_settings(backend.url, tmp_path), client_factory=fast_studio_client,
                        drop_poll=(0.02, 0.02, 1))
    async with make_client(backend.url, client_id, paths) as client, \
            studio.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        studio.first_session = studio.client.session.session_id
        await client.ensure_session()
        for i in range(N_JOBS):
            if rng.random() < 0.5:
                backend.add_faults([dict(rng.choice(RENDER_FAULTS))])
            for _attempt in range(5):  # the user presses export again after a clear error
                try:
                    status = await client.start_render(DRAFT)
                    break
                except EXPECTED as exc:
                    outcomes[type(exc).__name__] = outcomes.get(type(exc).__name__, 0) + 1
            else:
                raise AssertionError("export kept failing")
            job = RenderJob.from_status(status, api_url=backend.url,
                                        session_id=client.session.session_id, output_dir=out)
            await asyncio.to_thread(store.upsert, job)
            accepted.append(job.id)
            watchers.append(asyncio.create_task(
                watch_job(client, job, store, interval=0.02, output_dir=out)))
            if i % TURN_EVERY == 0:
                if rng.random() < 0.7:
                    backend.add_faults([{"endpoint": "run_sse", **rng.choice(STREAM_FAULTS)}])
                # the turn goes through the studio itself: what it shows and what it records
                await say(pilot, f"edit number {i}")
                await settle(pilot)
                outcomes["turn"] = outcomes.get("turn", 0) + 1
        # the app "exits" while about half of the watchers are still busy
        await asyncio.sleep(0)
        for task in watchers[len(watchers) // 2:]:
            task.cancel()
        results = await asyncio.gather(*watchers, return_exceptions=True)
        # every message the studio showed is in the transcripts it recorded, in order, and
        # nothing else is there
        shown = recorded_view(studio)
        assert shown == transcripts_in_order(studio)
        assert sum(role == "user" for role, _t in shown) == N_JOBS // TURN_EVERY
    for res in results:
        if isinstance(res, BaseException) and not isinstance(res, asyncio.CancelledError):
            assert isinstance(res, EXPECTED), repr(res)  # a clear error, not a crash
    backend.clear_faults()

    # restart: a new client and a new store instance read everything back from disk
    restarted = JobStore(paths)
    jobs = await asyncio.to_thread(restarted.load)
    assert restarted.warning is None
    assert sorted(j.id for j in jobs) == sorted(accepted)  # zero jobs lost
    async with make_client(backend.url, client_id, paths) as client:
        await asyncio.gather(*(watch_job(client, j, restarted, interval=0.02, output_dir=out)
                               for j in jobs if not j.downloaded))
    final = await asyncio.to_thread(restarted.load)
    assert len(final) == len(accepted)
    for job in final:
        assert job.status == "completed" and job.path, (job.id, job.status, job.error)
        assert Path(job.path).read_bytes().endswith(f"{job.id}.tmp.mp4".encode())  # its own
    assert len({j.path for j in final}) == len(final)  # one file per job, none overwritten
    assert not list(out.glob("*.part"))
    assert len(list(out.glob("*.mp4"))) == len(final)
    assert outcomes["turn"] == N_JOBS // TURN_EVERY
    assert not any(isinstance(r, NemoError) and not isinstance(r, EXPECTED) for r in results)
