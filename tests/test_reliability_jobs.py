"""Fault matrix, render layer: server down and back, cut downloads resumed, hostile file names.

Rows already proven in test_jobs.py / test_client.py (failed render, stuck render + stop
watching, unknown id, 5xx polls, disk full, existing target) are listed in docs/RELIABILITY.md.
"""

from __future__ import annotations

import asyncio
import http.server
import threading
import uuid
from pathlib import Path

import httpx
import pytest

from nemo_tui.api import ClientConfig, DownloadError, NemoClient, RenderStatus
from nemo_tui.config import AppPaths
from nemo_tui.jobs import JobStore, RenderJob, watch_job
from nemo_tui.local.runner import LocalBackend

DRAFT = {"d": 1000, "m": {"title": "T", "width": 160, "height": 90},
         "t": [{"tt": 0, "sg": [{"s": 0, "d": 1000, "m": {"name": "clip"}}]}]}


def make_client(url: str) -> NemoClient:
    """A client with tiny retry delays."""
    return NemoClient(ClientConfig(api_url=url, client_id=str(uuid.uuid4()),
                                   retry_base_delay=0.01, get_retries=1, request_timeout=5))


async def finished_job(client: NemoClient, url: str, out: Path) -> RenderJob:
    """Start a render, let the server finish it, and return the job as first submitted."""
    session = await client.ensure_session()
    status = await client.start_render(DRAFT)
    job = RenderJob.from_status(status, api_url=url, session_id=session.session_id,
                                output_dir=out)
    while not status.finished:
        await asyncio.sleep(0.05)
        status = await client.poll_render(job.id)
    assert status.status == "completed"
    return job


async def test_server_down_for_several_polls_then_back(make_local_backend, tmp_path):
    """Connection refused for a while: the job keeps its place, then resumes and downloads."""
    data = tmp_path / "be"
    first = make_local_backend(data_dir=data)
    port = first.port
    store = JobStore(AppPaths.default())
    errors: list[str] = []
    down = asyncio.Event()
    async with make_client(first.url) as client:
        job = await finished_job(client, first.url, tmp_path / "out")
        store.upsert(job)
        first.stop()

        def update(j: RenderJob) -> None:
            if j.error and "still trying" in j.error:
                errors.append(j.error)
                if len(errors) >= 3:
                    down.set()

        task = asyncio.create_task(watch_job(client, job, store, interval=0.05, on_update=update))
        await down.wait()
        stored = store.get(job.id)
        assert stored is not None and not stored.finished and "still trying" in stored.error
        again = LocalBackend(data, port=port, server_options={"heartbeat_interval": 0.2},
                             render_options={"scale": 0.1})
        await asyncio.to_thread(again.start)
        try:
            done = await asyncio.wait_for(task, 30)
        finally:
            await asyncio.to_thread(again.stop)
    assert done.status == "completed" and done.error is None and done.path
    assert Path(done.path).read_bytes()[4:8] == b"ftyp"
    assert store.get(job.id).path == done.path
    assert all("Could not connect" in e or "connection" in e.lower() for e in errors)


async def test_download_cut_midway_resumes_on_the_next_watch(local_backend, tmp_path):
    """A cut download leaves only `.part`; watching again resumes it to the final name."""
    store = JobStore(AppPaths.default())
    out = tmp_path / "out"
    async with make_client(local_backend.url) as client:
        job = await finished_job(client, local_backend.url, out)
        full = (await client.poll_render(job.id)).url
        async with httpx.AsyncClient() as h:
            size = len((await h.get(full)).content)
        local_backend.add_faults([{"endpoint": "file", "cut_after_bytes": size // 2}])
        with pytest.raises(DownloadError, match="cut off"):
            await watch_job(client, job, store, interval=0.05)
        stored = store.get(job.id)
        assert stored.status == "completed" and stored.path is None and "cut off" in stored.error
        assert [p.name for p in out.iterdir()] == [f"{job.id}.mp4.part"]  # never the final name
        resumed = await watch_job(client, stored, store, interval=0.05)
    final = Path(resumed.path)
    assert final.name == f"{job.id}.mp4" and final.stat().st_size == size
    assert not list(out.glob("*.part"))
    ranges = [r for r in local_backend.requests() if r["path"].startswith("/files/")]
    assert "range" in ranges[-1]["header_names"]  # resumed, not restarted


# -- hostile download names: a plain loopback file server answers any path ------------------

class _AnyPath(http.server.BaseHTTPRequestHandler):
    """Serves a few bytes of 'video' for every path."""

    def do_GET(self) -> None:
        body = b"\x00\x00\x00\x18ftypmp42 video bytes"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def any_path_server():
    """Base URL of a loopback HTTP server that serves every path."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AnyPath)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


HOSTILE_NAMES = [
    ("dotdot", "%2e%2e%2f%2e%2e%2fescape.mp4", "escape.mp4"),
    ("dotdot-backslash", "..%5C..%5Cescape.mp4", "escape.mp4"),
    ("absolute", "%2Fetc%2Fpasswd.mp4", "passwd.mp4"),
    ("nul", "a%00b.mp4", "a_b.mp4"),
    ("escape-seq", "%1b%5b2Jclear.mp4", None),
    ("reserved", "CON.mp4", "render_x.mp4"),
    ("dots-only", "..", "render_x.mp4"),
    ("hidden", ".bashrc", "render_x.mp4"),
    ("no-extension", "payload", "render_x.mp4"),
]


@pytest.mark.parametrize("case, segment, expected", HOSTILE_NAMES,
                         ids=[c[0] for c in HOSTILE_NAMES])
async def test_download_name_cannot_escape(any_path_server, tmp_path, case, segment, expected):
    """Whatever the URL says, the file lands directly in the output folder under a safe name."""
    out = tmp_path / "deep" / "out"
    status = RenderStatus("render_x", "completed", 100, f"{any_path_server}/v/{segment}",
                          None, None, None, {})
    async with make_client(any_path_server) as client:
        path = await client.download_render(status, out)
    assert path.parent == out and path.is_file()
    assert "\x00" not in path.name and "\x1b" not in path.name and "/" not in path.name
    if expected is not None:
        assert path.name == expected
    everything = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert everything == [path.relative_to(tmp_path)]  # nothing written anywhere else


@pytest.mark.timeout(20)
async def test_download_never_writes_through_symlinks_at_the_target(any_path_server, tmp_path):
    """An existing (or dangling) symlink with the target's name is a taken name: no overwrite."""
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    (out / "clip.mp4").symlink_to(outside)
    (out / "clip (2).mp4").symlink_to(tmp_path / "missing")
    status = RenderStatus("render_y", "completed", 100, f"{any_path_server}/clip.mp4",
                          None, None, None, {})
    async with make_client(any_path_server) as client:
        path = await client.download_render(status, out)
    assert path.name == "clip (3).mp4" and not path.is_symlink()
    assert outside.read_text() == "keep me"
    assert not (tmp_path / "missing").exists()
