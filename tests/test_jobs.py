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


def test_job_from_status():
    status = RenderStatus("render_5", "pending", 5, None, None, None, None, {})
    job = RenderJob.from_status(status, api_url=API, session_id="s", output_dir="/tmp/out")
    assert (job.id, job.status, job.progress, job.output_dir) == ("render_5", "pending", 5,
                                                                 "/tmp/out")
    assert not job.finished and not job.downloaded
