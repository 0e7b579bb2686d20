"""NemoClient against the local backend over loopback: every endpoint, headers, files."""

from __future__ import annotations

import asyncio
import os
import subprocess
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from nemo_tui.api import (
    ClientConfig,
    DownloadError,
    LocalFileTooLargeError,
    LocalInputError,
    LocalUnsupportedFileError,
    NemoClient,
    RenderStatus,
    TextFinal,
    Token,
    check_upload_path,
    safe_filename,
)
from nemo_tui.api.files import MAX_UPLOAD_BYTES, MultipartUpload, name_from_url

DRAFT = {"d": 2000, "m": {"title": "T", "width": 320, "height": 180},
         "t": [{"tt": 0, "sg": [{"s": 0, "d": 2000, "m": {"name": "clip"}}]}]}


class MemoryCache:
    """A TokenCache in memory."""

    def __init__(self, token: Token | None = None) -> None:
        self.token = token
        self.saved: list[Token] = []

    def load(self) -> Token | None:
        return self.token

    def save(self, token: Token) -> None:
        self.token = token
        self.saved.append(token)

    def clear(self) -> None:
        self.token = None


@pytest.fixture
def backend(make_local_backend):
    return make_local_backend(server_options={"wait_scale": 0.01})


def make_client(url: str, **kw) -> NemoClient:
    extra = {k: kw.pop(k) for k in list(kw) if k in ("token_cache", "session", "http",
                                                      "on_session_changed",
                                                      "on_client_id_changed")}
    cfg = ClientConfig(api_url=url, client_id=str(uuid.uuid4()), retry_base_delay=0.01,
                       rate_limit_delay=0.05, **kw)
    return NemoClient(cfg, **extra)


@pytest.fixture
async def client(backend):
    c = make_client(backend.url, token_streaming=True)
    yield c
    await c.aclose()


def sparse(path: Path, size: int) -> Path:
    """A file of `size` bytes that takes no disk space."""
    path.touch()
    os.truncate(path, size)
    return path


async def fetch(url: str) -> bytes:
    """GET a URL with a fresh client (not the one under test)."""
    async with httpx.AsyncClient() as http:
        return (await http.get(url)).content


def api_requests(backend) -> list[dict]:
    return [r for r in backend.requests() if not r["path"].startswith(("/files/", "/media/"))]


async def test_endpoints_send_every_header(client, backend):
    credits = await client.credits()
    assert (credits.available, credits.frozen, credits.total) == (100, 0, 100)
    state = await client.state()
    assert state.session_id == client.session.session_id and state.draft is None
    events = [e async for e in client.stream_turn("make a video of a beach")]
    assert any(isinstance(e, TextFinal) for e in events)
    assert (await client.state()).draft is not None
    reqs = api_requests(backend)
    assert [r["endpoint"] for r in reqs] == ["anonymous_token", "credits", "create_session",
                                             "state", "run_sse", "state"]
    for r in reqs:
        assert r["headers"]["x-client-id"] == client.client_id
        assert r["headers"]["x-skill-source"] == "free-ki-video-generation"
        assert r["headers"]["x-skill-version"] == "1.0.0"
        assert r["headers"]["x-skill-platform"] == "unknown"
        assert r["has_authorization"] == (r["endpoint"] != "anonymous_token")
    assert reqs[2]["json"] == {"task_name": "project", "language": "en"}


async def test_token_cache_reused_and_expiry_respected(backend):
    cache = MemoryCache()
    async with make_client(backend.url, token_cache=cache) as first:
        await first.credits()
    assert len(cache.saved) == 1 and cache.token.user_id.startswith("anon")
    async with make_client(backend.url, token_cache=cache) as second:
        await second.credits()
    assert [r["endpoint"] for r in api_requests(backend)].count("anonymous_token") == 1
    past = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    cache.token = Token(token=cache.token.token, user_id="anon_x", expires_at=past)
    async with make_client(backend.url, token_cache=cache) as third:
        await third.credits()
    assert [r["endpoint"] for r in api_requests(backend)].count("anonymous_token") == 2
    assert len(cache.saved) == 2


async def test_env_token_skips_anonymous_call(backend):
    async with httpx.AsyncClient() as http:
        minted = (await http.post(f"{backend.url}/_local/tokens", json={"credits": 7})).json()
    minted = minted["data"]
    async with make_client(backend.url, env_token=minted["token"]) as c:
        assert (await c.credits()).available == 7
        assert not c.token.anonymous
    assert "anonymous_token" not in [r["endpoint"] for r in api_requests(backend)]


async def test_upload_streams_identical_bytes_with_progress(client, backend, tmp_path):
    src = tmp_path / "deep" / "dir" / "my clip.mp4"
    src.parent.mkdir(parents=True)
    payload = os.urandom(3 * 1024 * 1024 + 123)  # several chunks, not a multiple of the chunk
    src.write_bytes(payload)
    image = tmp_path / "pic.PNG"
    image.write_bytes(b"\x89PNG fake")
    seen: list[tuple[int, int | None]] = []
    files = await client.upload_files([src, image], progress=lambda d, t: seen.append((d, t)))
    assert [f.filename for f in files] == ["my clip.mp4", "pic.PNG"]
    assert files[0].file_type == "video" and files[1].file_type == "image"
    total = len(payload) + len(b"\x89PNG fake")
    assert seen[0] == (0, total) and seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    got = await fetch(files[0].cdn_url)
    assert got == payload
    upload = next(r for r in api_requests(backend) if r["endpoint"] == "upload")
    assert "content-length" in upload["header_names"]  # exact length, not chunked
    assert "transfer-encoding" not in upload["header_names"]


def test_multipart_sends_only_the_base_name(tmp_path):
    f = tmp_path / "a" / 'we"ird\nname.mp4'
    f.parent.mkdir()
    f.write_bytes(b"x")
    head = MultipartUpload.build([f])._part_head(f)
    assert str(tmp_path).encode() not in head
    assert b'filename="we%22ird%0Aname.mp4"' in head


async def test_upload_memory_is_constant(client, tmp_path):
    big = sparse(tmp_path / "big.mov", 40 * 1024 * 1024)
    await client.ensure_session()
    tracemalloc.start()
    try:
        await client.upload_files([big])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024  # client + in-process server; the file is 40 MB


async def test_upload_urls(client, backend, tmp_path):
    src = tmp_path / "song.mp3"
    src.write_bytes(b"ID3 not really mp3")
    [uploaded] = await client.upload_files([src])
    [fetched] = await client.upload_urls([uploaded.cdn_url])
    assert fetched.file_type == "audio"
    assert await fetch(fetched.cdn_url) == src.read_bytes()
    req = [r for r in api_requests(backend) if r["endpoint"] == "upload"][-1]
    assert req["json"] == {"urls": [uploaded.cdn_url], "source_type": "url"}


async def test_local_checks_happen_before_any_request(client, backend, tmp_path):
    too_big = sparse(tmp_path / "huge.mp4", MAX_UPLOAD_BYTES + 1)
    exactly = sparse(tmp_path / "max.mp4", MAX_UPLOAD_BYTES)
    check_upload_path(exactly)  # the limit itself is allowed
    doc = tmp_path / "notes.txt"
    doc.write_text("hi")
    ok = tmp_path / "ok.mp4"
    ok.write_bytes(b"x")
    cases = [([tmp_path / "missing.mp4"], LocalInputError, "not found"),
             ([tmp_path], LocalInputError, "not a regular file"),
             ([ok, doc], LocalUnsupportedFileError, "mp4, mov"),
             ([too_big], LocalFileTooLargeError, "200 MB")]
    for paths, error, words in cases:
        with pytest.raises(error, match=words) as info:
            await client.upload_files(paths)
        assert info.value.exit_code == 2
    with pytest.raises(LocalInputError, match="http"):
        await client.upload_urls(["ftp://example.com/a.mp4"])
    assert backend.requests() == []  # not even a token was fetched


async def _finished_render(client: NemoClient) -> RenderStatus:
    status = await client.start_render(DRAFT)
    assert status.id.startswith("render_") and not status.finished
    while not status.finished:
        await asyncio.sleep(0.1)
        status = await client.poll_render(status.id)
    assert status.status == "completed" and status.url
    return status


async def test_export_poll_download_never_overwrites(client, backend, tmp_path):
    status = await _finished_render(client)
    start = next(r for r in api_requests(backend) if r["endpoint"] == "render_start")
    assert start["json"] == {"id": status.id, "sessionId": client.session.session_id,
                             "draft": DRAFT, "output": {"format": "mp4", "quality": "high"}}
    done: list[int] = []
    first = await client.download_render(status, tmp_path / "out", lambda d, t: done.append(d))
    assert first.name == f"{status.id}.mp4" and first.read_bytes()[4:8] == b"ftyp"
    assert done[-1] == first.stat().st_size
    second = await client.download_render(status, tmp_path / "out")
    assert second.name == f"{status.id} (2).mp4"
    assert second.read_bytes() == first.read_bytes()
    assert not list((tmp_path / "out").glob("*.part"))
    files = [r for r in backend.requests() if r["path"].startswith("/files/")]
    assert files and not any(r["has_authorization"] for r in files)  # no token to the CDN
    fallback = RenderStatus(status.id, "completed", 100, None, None, None, None, {})
    third = await client.download_render(fallback, tmp_path / "out")
    assert third.read_bytes() == first.read_bytes()
    proxy = [r for r in backend.requests() if r["path"].endswith("/download")]
    assert proxy and proxy[0]["has_authorization"]


async def test_download_resumes_a_cut_part(client, backend, tmp_path):
    status = await _finished_render(client)
    full = await fetch(status.url)
    backend.add_faults([{"endpoint": "file", "cut_after_bytes": len(full) // 3}])
    with pytest.raises(DownloadError, match="cut off"):
        await client.download_render(status, tmp_path)
    name = f"{status.id}.mp4"
    assert not (tmp_path / name).exists()
    part = tmp_path / f"{name}.part"
    assert 0 < part.stat().st_size < len(full)
    path = await client.download_render(status, tmp_path)
    assert path == tmp_path / name and path.read_bytes() == full and not part.exists()
    last = [r for r in backend.requests() if r["path"].startswith("/files/")][-1]
    assert "range" in last["header_names"]


@pytest.fixture
def tiny_disk(tmp_path):
    """A 4 KiB tmpfs: a real full disk (needs root; skipped where mounting is not allowed)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(mount_point)],
                          capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip("mounting a small tmpfs is not allowed here")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, check=False)


async def test_disk_full_is_a_clear_download_error(client, tiny_disk):
    status = await _finished_render(client)
    with pytest.raises(DownloadError, match="disk is full"):
        await client.download_render(status, tiny_disk)
    assert not (tiny_disk / f"{status.id}.mp4").exists()


async def test_a_symlinked_part_file_is_not_written_through(client, tmp_path):
    """A .part that is a symlink is replaced, never followed: the link's target is untouched."""
    status = await _finished_render(client)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / f"{status.id}.mp4.part").symlink_to(victim)
    path = await client.download_render(status, tmp_path / "out")
    assert victim.read_text() == "keep me"
    assert path.read_bytes()[4:8] == b"ftyp" and not path.is_symlink()


async def test_all_three_render_reply_shapes(make_local_backend):
    be = make_local_backend(server_options={"render_reply_style": "rotate"})
    async with make_client(be.url) as c:
        status = await c.start_render(DRAFT)
        shapes = []
        while not status.finished or len(shapes) < 3:
            await asyncio.sleep(0.05)
            status = await c.poll_render(status.id)
            shapes.append(status)
        assert all(s.id == status.id for s in shapes)
        assert status.status == "completed" and status.url and status.progress == 100


async def test_cancel_render(client):
    status = await client.start_render(DRAFT)
    await client.cancel_render(status.id)
    after = await client.poll_render(status.id)
    assert after.status in ("cancelled", "completed")  # it may have won the race
    assert after.finished


async def test_claim_url_has_no_token(client):
    assert client.claim_url() is None
    await client.ensure_session()
    url = client.claim_url()
    assert url.startswith("https://nemovideo.com/workspace/claim?task=task_")
    assert f"session={client.session.session_id}" in url
    assert "skill_name=free-ki-video-generation" in url
    assert client.token.token not in url


def test_safe_file_names():
    fb = "render_1.mp4"
    assert safe_filename("../../etc/passwd.mp4", fb) == "passwd.mp4"
    assert safe_filename("..", fb) == fb
    assert safe_filename(".hidden.mp4", fb) == fb
    assert safe_filename("CON.mp4", fb) == fb
    assert safe_filename("nul", fb) == fb
    assert safe_filename("a\x00b\x1b.mp4", fb) == "a_b_.mp4"
    assert safe_filename("C:\\x\\video.mp4", fb) == "video.mp4"
    assert safe_filename("noext", fb) == fb
    assert len(safe_filename("é" * 300 + ".mp4", fb).encode()) <= 200
    assert name_from_url("https://cdn/x/%2e%2e%2fclip%20one.mp4?sig=1", "r") == "clip one.mp4"
    assert name_from_url("https://cdn/download/", "r/../x") == "r_.._x.mp4"
    assert name_from_url(None, "CON") == "render.mp4"


async def test_stale_part_is_restarted_not_appended(client, backend, tmp_path):
    status = await _finished_render(client)
    full = await fetch(status.url)
    part = tmp_path / f"{status.id}.mp4.part"
    part.write_bytes(b"junk" * (len(full) // 2))  # longer than the file: the range is refused
    path = await client.download_render(status, tmp_path)
    assert path.read_bytes() == full and not part.exists()
    files = [r for r in backend.requests() if r["path"].startswith("/files/")][1:]
    assert ["range" in r["header_names"] for r in files] == [True, False]  # 416, then restart


async def test_polls_in_flight_are_capped(client, backend):
    """Concurrent polls of one client share POLL_CONCURRENCY slots; other requests do not wait."""
    from nemo_tui.api.client import POLL_CONCURRENCY

    status = await client.start_render(DRAFT)
    backend.add_faults([{"endpoint": "render_poll", "status": "processing", "progress": 5,
                         "delay": 0.4, "times": -1}])
    in_flight = peak = 0
    original = client.http.request

    async def counting(method, url, **kw):
        nonlocal in_flight, peak
        polling = method == "GET" and "/render/proxy/lambda/" in str(url)
        in_flight += polling
        peak = max(peak, in_flight)
        try:
            return await original(method, url, **kw)
        finally:
            in_flight -= polling

    client.http.request = counting  # a spy: every request still goes over the socket
    polls = [asyncio.create_task(client.poll_render(status.id)) for _ in range(POLL_CONCURRENCY + 2)]
    await asyncio.sleep(0.05)
    assert in_flight == POLL_CONCURRENCY  # the rest are queued behind the cap
    await client.credits()  # not a poll: answered while the first polls are still waiting
    assert not any(p.done() for p in polls)
    results = await asyncio.gather(*polls)
    assert peak == POLL_CONCURRENCY
    assert all(r.status == "processing" and r.progress == 5 for r in results)


async def test_cancel_wakes_a_polling_pause(client):
    """A watcher's long pause ends as soon as this client cancels the render."""
    status = await client.start_render(DRAFT)
    pause = asyncio.create_task(client.pause_polling(status.id, 3600))
    other = asyncio.create_task(client.pause_polling("render_other", 3600))
    await asyncio.sleep(0)
    await client.cancel_render(status.id)
    assert await asyncio.wait_for(pause, 10) is True
    assert not other.done()  # only that render's watchers wake
    other.cancel()
    assert await client.pause_polling(status.id, 0.01) is False  # a timeout, not a wake
    assert client._polls._waiters == {}  # nothing left behind
