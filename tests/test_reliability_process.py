"""Fault matrix, process layer: `kill -9` of the CLI while streaming, polling and downloading.

The CLI runs as a subprocess against an in-process local backend whose agent and renderer are
swapped for controllable ones (a turn that pauses after its first message, a render held at a
gate, a download that hangs halfway). After the kill: every job is still in jobs.json and
resumes; the transcript has every message shown before the kill; nothing sits under a final
name half-written.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nemo_tui.api import ClientConfig, NemoClient
from nemo_tui.config import AppPaths
from nemo_tui.jobs import JobStore, watch_job
from nemo_tui.local.agent import Say, Wait
from nemo_tui.store import SessionStore, TranscriptStore

ROOT = Path(__file__).resolve().parent.parent
DRAFT = {"d": 1000, "m": {"title": "Kill test", "width": 160, "height": 90},
         "t": [{"tt": 0, "sg": [{"s": 0, "d": 1000, "m": {"name": "clip"}}]}]}
VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8192  # ~2 MB of "video"


class Controls:
    """Switches the test flips from its own thread while the backend runs."""

    def __init__(self) -> None:
        self.slow_turn = threading.Event()
        self.render_gate = threading.Event()


@pytest.fixture
def controls() -> Controls:
    """Fresh controls: fast turns, renders held until the gate opens."""
    return Controls()


@pytest.fixture
def backend(make_local_backend, controls):
    """A backend with a controllable agent and renderer."""

    async def turn(ctx: Any, message: str):
        ctx.draft = json.loads(json.dumps(DRAFT))
        yield Say(f"First part of the answer to: {message}")
        if controls.slow_turn.is_set():
            yield Wait(120)  # the CLI is killed during this pause
        yield Say("Second part.")

    async def render(draft: dict, out_path: Path, *, media_dir: Path,
                     progress: Callable[[float], None], scale: float = 1.0,
                     cancel: asyncio.Event | None = None) -> None:
        while not controls.render_gate.is_set():
            progress(0.3)
            await asyncio.sleep(0.02)
        await asyncio.to_thread(out_path.write_bytes, VIDEO)

    return make_local_backend(server_options={"turn_fn": turn, "free_credits": 100_000},
                              render_options={"render_fn": render})


class Cli:
    """One `python -m nemo_tui …` subprocess whose stdout lines are read by a thread."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "nemo_tui", *args], cwd=ROOT, env={**os.environ, **env},
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def next_line(self, timeout: float = 30) -> str:
        """The next stdout line (fails the test if none comes in `timeout`)."""
        return self.lines.get(timeout=timeout)

    def kill9(self) -> None:
        """SIGKILL this process (only ours, by pid) and reap it."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        assert self.proc.returncode == -signal.SIGKILL


def wait_for(check: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    """Poll `check` until it returns something truthy (a deadline, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the CLI to completion."""
    return subprocess.run([sys.executable, "-m", "nemo_tui", *args], cwd=ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=60, check=False, stdin=subprocess.DEVNULL)


def cli_env(url: str) -> dict[str, str]:
    """Point the CLI at the test backend with fast polling."""
    return {"NEMO_API_URL": url, "NEMO_POLL_INTERVAL": "0.05"}


def resume_all(url: str) -> list[Any]:
    """What a restarted client does: watch every unfinished or undownloaded job to the end."""
    store = JobStore(AppPaths.default())

    async def main() -> list[Any]:
        cfg = ClientConfig(api_url=url, client_id=str(uuid.uuid4()), retry_base_delay=0.01)
        async with NemoClient(cfg) as client:
            # the render belongs to the token: reuse the one the killed CLI cached
            from nemo_tui.store import TokenStore

            client.token = TokenStore(AppPaths.default(), url).load()
            out = []
            for job in store.load():
                if job.path is None and job.status not in ("failed", "cancelled", "lost"):
                    out.append(await watch_job(client, job, store, interval=0.05))
            return out

    return asyncio.run(main())


def test_kill_during_streaming_keeps_the_transcript(backend, controls):
    """Killed while the agent pauses: the shown message is in the transcript; chat goes on."""
    env = cli_env(backend.url)
    controls.slow_turn.set()
    cli = Cli("ask", "--json", "a video about tides", env=env)
    shown = json.loads(cli.next_line())
    assert shown == {"type": "text", "text": "First part of the answer to: a video about tides"}
    cli.kill9()
    paths = AppPaths.default()
    session = SessionStore(paths).current(backend.url)
    assert session is not None  # the session survived the kill
    before = [(e.role, e.text) for e in TranscriptStore(paths, backend.url,
                                                        session.session_id).load()]
    assert before == [("user", "a video about tides"), ("agent", shown["text"])]
    # restart: the same session goes on, the transcript only grows
    controls.slow_turn.clear()
    again = run_cli("ask", "--json", "shorter please", env=env)
    assert again.returncode == 0, again.stderr
    after = [(e.role, e.text) for e in TranscriptStore(paths, backend.url,
                                                       session.session_id).load()]
    assert after[:2] == before and after[2] == ("user", "shorter please")
    assert ("agent", "Second part.") in after[3:]
    assert SessionStore(paths).current(backend.url).session_id == session.session_id


def _start_export(backend, out: Path) -> tuple[Cli, dict[str, str]]:
    env = cli_env(backend.url)
    made = run_cli("ask", "make the video", env=env)  # the agent builds a draft
    assert made.returncode == 0, made.stderr
    cli = Cli("export", "--wait", "--json", "--output", str(out), env=env)
    return cli, env


def test_kill_during_polling_then_the_job_resumes(backend, controls, tmp_path):
    """Killed while polling a held render: the job is kept, resumes and downloads."""
    out = tmp_path / "out"
    cli, _ = _start_export(backend, out)
    store = JobStore(AppPaths.default())
    job = wait_for(lambda: next(iter(store.load()), None), "the job to be saved")
    wait_for(lambda: sum(r.get("endpoint") == "render_poll" for r in backend.requests()) >= 3,
             "a few polls")
    cli.kill9()
    kept = store.get(job.id)
    assert kept is not None and not kept.finished and store.warning is None
    assert kept.output_dir == str(out.resolve())
    controls.render_gate.set()
    [done] = resume_all(backend.url)
    assert done.id == job.id and done.status == "completed"
    assert Path(done.path).read_bytes() == VIDEO and Path(done.path).parent == out.resolve()
    assert not list(out.glob("*.part"))


def test_kill_during_download_leaves_only_a_part_file_then_resumes(backend, controls,
                                                                     tmp_path):
    """Killed mid-download: only `<name>.part` exists; the resumed download completes it."""
    out = tmp_path / "out"
    controls.render_gate.set()
    half = len(VIDEO) // 2
    backend.add_faults([{"endpoint": "file", "cut_after_bytes": half, "stall": 120}])
    cli, _ = _start_export(backend, out)
    store = JobStore(AppPaths.default())
    job = wait_for(lambda: next(iter(store.load()), None), "the job to be saved")
    # the file is named after the session's title when it has one (the job records the name)
    final_name = job.filename or f"{job.id}.mp4"
    part = out.resolve() / f"{final_name}.part"
    # the client may buffer up to one chunk: any bytes on disk mean the download is under way
    wait_for(lambda: part.exists() and part.stat().st_size > 0, "the download to start")
    cli.kill9()
    assert 0 < part.stat().st_size <= half
    assert not (out / final_name).exists()  # nothing under the final name
    kept = store.get(job.id)
    assert kept.status == "completed" and kept.path is None
    [done] = resume_all(backend.url)
    assert Path(done.path) == out.resolve() / final_name
    assert Path(done.path).read_bytes() == VIDEO and not part.exists()
    files = [r for r in backend.requests() if r["path"].startswith("/files/")]
    assert "range" in files[-1]["header_names"]  # resumed from the .part, not restarted


# -- the studio in a pseudo-terminal ------------------------------------------------------------

class Studio:
    """`python -m nemo_tui` (the studio) in a pty of 120x40; its screen bytes are drained."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        import fcntl
        import pty
        import struct
        import termios

        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "nemo_tui"], cwd=cwd, stdin=slave, stdout=slave,
            stderr=slave, env={**os.environ, "TERM": "xterm-256color", **env},
            start_new_session=True)
        os.close(slave)
        self.master = master
        self.screen = bytearray()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.screen.extend(data)

    def type(self, text: str) -> None:
        """Type keys into the studio."""
        os.write(self.master, text.encode())

    def kill9(self) -> None:
        """SIGKILL the studio (ours, by pid) and reap it."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        os.close(self.master)


def _transcript(url: str) -> list[tuple[str, str]]:
    paths = AppPaths.default()
    session = SessionStore(paths).current(url)
    if session is None:
        return []
    return [(e.role, e.text) for e in TranscriptStore(paths, url, session.session_id).load()]


def test_kill_studio_while_streaming_and_polling_then_restart(backend, controls, tmp_path):
    """kill -9 of the studio mid-turn with a render running; the restarted studio resumes the
    job to a downloaded file, and the transcript holds every message shown before the kill.
    NEMO_TOKEN is a secret throughout: never on the screen, never in a file."""
    import httpx

    token = httpx.post(f"{backend.url}/_local/tokens", json={}).json()["data"]["token"]
    env = {**cli_env(backend.url), "NEMO_TOKEN": token}
    downloads = tmp_path / "dl"
    downloads.mkdir()
    studio = Studio(env, downloads)
    try:
        wait_for(lambda: SessionStore(AppPaths.default()).current(backend.url), "a session")
        # the session is made after the input took focus on mount: typing is safe now
        studio.type("make the video\r")
        wait_for(lambda: ("agent", "Second part.") in _transcript(backend.url), "a full turn",
                 timeout=60)
        studio.type("\x13")  # Ctrl+S: export
        store = JobStore(AppPaths.default())
        job = wait_for(lambda: next(iter(store.load()), None), "the export job")
        controls.slow_turn.set()
        studio.type("now shorter\r")
        first = "First part of the answer to: now shorter"
        wait_for(lambda: ("agent", first) in _transcript(backend.url), "the first message")
    finally:
        studio.kill9()
    shown_before = _transcript(backend.url)
    assert ("user", "make the video") in shown_before and shown_before[-1] == ("agent", first)
    kept = JobStore(AppPaths.default()).get(job.id)
    assert kept is not None and not kept.finished
    controls.render_gate.set()
    controls.slow_turn.clear()
    again = Studio(env, downloads)
    try:
        done = wait_for(lambda: (j := JobStore(AppPaths.default()).get(job.id)) and j.path and j,
                        "the resumed job's file", timeout=60)
    finally:
        again.kill9()
    assert Path(done.path).read_bytes() == VIDEO and Path(done.path).parent == downloads
    assert _transcript(backend.url)[:len(shown_before)] == shown_before
    screens = bytes(studio.screen) + bytes(again.screen)
    assert b"Second part" in screens  # the screen really showed the chat
    assert token.encode() not in screens
    home = Path(os.environ["HOME"])
    for path in [*home.rglob("*"), *tmp_path.rglob("*")]:
        if path.is_file() and not path.is_symlink():
            assert token.encode() not in path.read_bytes(), path
