"""Helpers for the studio's pilot tests (imported by the other test_ui_* files), and checks of
the helpers' building blocks that need no backend."""

from __future__ import annotations

import asyncio
import dataclasses
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from textual._queue import Queue

from nemo_tui.api.models import TurnEvent
from nemo_tui.config import Settings, load_settings
from nemo_tui.ui.app import NemoStudioApp
from nemo_tui.ui.widgets.chat import ChatInput


def _pumps(app: Any) -> list[Any]:
    """The app and every node of every screen on its stack (each has a message queue)."""
    out = [app]
    for screen in app.screen_stack:
        out.extend(screen.walk_children(with_self=True))
    return out


class _WatchedQueue(Queue):
    """Textual's message queue, knowing whether its pump is waiting for a message (is idle)."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = False

    async def get(self) -> Any:
        """Wait for the next message, marked as waiting meanwhile."""
        self.waiting = True
        try:
            return await super().get()
        finally:
            self.waiting = False

    def idle(self) -> bool:
        """Nothing queued and the pump back at its ``get`` (no handler running)."""
        return self.waiting and not self.values


def _key_to_queue(driver: Any, message: Any) -> None:
    """Driver.send_message without the thread hop: a pressed key is queued before the press
    returns, so the drain below sees it (upstream goes through run_coroutine_threadsafe)."""
    driver._app.post_message(message)


async def _queues_drained(*_a: Any, **_kw: Any) -> None:
    """Stands in for Textual's wait_for_idle: wait until the app and every widget on screen have
    handled all their messages (nothing queued, nothing in a handler), twice in a row."""
    from textual._context import active_app

    app = active_app.get(None)
    if app is None:
        await asyncio.sleep(0)
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5.0  # a guard against a pump that never rests, not a timing
    quiet = 0
    while quiet < 2 and loop.time() < deadline:
        await asyncio.sleep(0)
        busy = any(not p._message_queue.idle() for p in _pumps(app))
        quiet = 0 if busy else quiet + 1


@pytest.fixture
def fast_idle(monkeypatch):
    """Replace Textual's CPU-idle heuristic in pilot key presses and pauses with a condition.

    Textual waits (up to 1 s per key) until the *process* is idle, and the local backend runs in
    a thread of this process; on a loaded machine that is luck either way. Instead a key is put
    on the app's queue at once and a press returns when every message queue of the app and its
    screens is drained (nothing queued, every pump back waiting for its next message). Work
    that finishes later (workers, timers) is waited for by the tests' own conditions
    (:func:`settle`, :func:`wait_until`).
    """
    import textual.app
    import textual.message_pump
    import textual.pilot
    from textual.drivers.headless_driver import HeadlessDriver

    monkeypatch.setattr(textual.message_pump, "Queue", _WatchedQueue)
    monkeypatch.setattr(textual.app, "wait_for_idle", _queues_drained)
    monkeypatch.setattr(textual.pilot, "wait_for_idle", _queues_drained)
    monkeypatch.setattr(HeadlessDriver, "send_message", _key_to_queue, raising=False)


@pytest.fixture(name="backend")
def backend_fixture(make_local_backend):
    """A local backend where credits last for several turns (generation 10, edit 5)."""
    return make_local_backend(agent_options={"generation_cost": 10, "edit_cost": 5})


class RecordingStudio(NemoStudioApp):
    """The studio, remembering every turn event and job update it handled (for assertions)."""

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.events: list[TurnEvent] = []
        self.job_updates: list[Any] = []

    # Textual calls the handlers of every class in the MRO: no super() calls here.
    def on_turn_event_arrived(self, msg: Any) -> None:
        self.events.append(msg.event)

    def on_job_changed(self, msg: Any) -> None:
        self.job_updates.append(msg.job)


def studio_settings(url: str, tmp_path: Path, **changes: Any) -> Settings:
    """Settings for a studio on the local backend at ``url`` (fast polls, private out dir)."""
    settings = load_settings({"api_url": url})
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    base = {"poll_interval": 0.1, "download_dir": out}
    return dataclasses.replace(settings, **{**base, **changes})


def make_studio(url: str, tmp_path: Path, *, drop_poll=(0.05, 0.05, 2), **changes: Any
                ) -> RecordingStudio:
    """A recording studio connected (on mount) to ``url``."""
    return RecordingStudio(studio_settings(url, tmp_path, **changes), drop_poll=drop_poll)


async def settle(pilot: Any, limit: float = 20.0) -> None:
    """Wait until no worker runs and the message queues are drained (workers start workers).

    Polls in small steps; ``limit`` only guards against a hang (it is not a timing assertion).
    """
    app = pilot.app
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    quiet = 0
    while loop.time() < deadline:
        await pilot.pause(0)
        # only the studio's own workers: DirectoryTree keeps a loader worker alive for good
        if all(w.is_finished for w in app.workers if w.node is app):
            quiet += 1
            if quiet >= 3:
                return
        else:
            quiet = 0
            await asyncio.sleep(0.005)
    raise AssertionError("workers did not settle")


async def wait_until(pilot: Any, condition: Any, tries: int = 400) -> None:
    """Pause in small steps until ``condition()`` is true (at most ``tries`` steps); the caller
    asserts what it needs afterwards."""
    for _ in range(tries):
        await pilot.pause(0.01)
        if condition():
            return


async def until(pilot: Any, condition: Any, what: str = "condition", limit: float = 20.0
                ) -> None:
    """Let the app run until ``condition()`` holds; fail saying ``what`` if it never does
    (``limit`` only guards against a hang, it is not a timing assertion)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"{what} never held")
        await pilot.pause(0.005)


async def say(pilot: Any, text: str) -> None:
    """Type ``text`` into the chat input and press Enter."""
    inp = pilot.app.query_one(ChatInput)
    inp.focus()
    inp.value = text
    await pilot.press("enter")


async def exported(pilot: Any, prompt: str, limit: float = 20.0) -> Any:
    """Once connected, ask for ``prompt``, export it (Ctrl+S) and wait until that is done
    (``limit`` guards the render's wait against a hang); returns the (first) job of the jobs
    table."""
    await settle(pilot)
    await say(pilot, prompt)
    await settle(pilot)
    await pilot.press("ctrl+s")
    await settle(pilot, limit=limit)
    return next(iter(pilot.app.jobs_table.jobs.values()))


def lines(app: NemoStudioApp, kind: str | None = None) -> list[str]:
    """Chat log texts (optionally of one kind)."""
    return app.chat_log.lines(kind)


def shown(app: NemoStudioApp) -> str:
    """Everything the chat log shows, as the plain text of its Text objects."""
    return app.chat_log.shown_text()


def tiny_png(path: Path) -> Path:
    """Write a valid 8x8 grey PNG (a real, supported media file for uploads)."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    raw = b"".join(b"\x00" + b"\x80" * 8 for _ in range(8))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    path.write_bytes(png)
    return path


def run_sse_count(backend: Any) -> int:
    """How many chat turns the backend received."""
    return sum(1 for r in backend.requests() if r.get("endpoint") == "run_sse")


def test_tiny_png_is_a_png(tmp_path):
    """The helper writes a PNG signature and an IEND chunk."""
    data = tiny_png(tmp_path / "a.png").read_bytes()
    assert data.startswith(b"\x89PNG") and data.endswith(b"IEND\xaeB`\x82")
