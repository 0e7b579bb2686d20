"""File writes of the studio (transcript lines, the recent-sessions list) off the event loop,
in the order they were asked for: one thread worker at a time drains a queue."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any


class OrderedWriter:
    """Runs write functions one after another in a thread worker (started on demand).

    ``start`` runs a callable in a thread (the App's ``run_worker(..., thread=True)``);
    ``failed`` is told (in that thread) about an OSError, the rest keeps going.
    """

    def __init__(self, start: Callable[[Callable[[], None]], Any],
                 failed: Callable[[OSError], None]) -> None:
        self._start = start
        self._failed = failed
        self._queue: deque[Callable[[], Any]] = deque()
        self._lock = threading.Lock()  # guards the queue and the running flag
        self._writing = threading.Lock()  # one write at a time, in queue order
        self._running = False

    def submit(self, write: Callable[[], Any]) -> None:
        """Queue ``write``; start a drain unless one runs."""
        with self._lock:
            self._queue.append(write)
            if self._running:
                return
            self._running = True
        try:
            self._start(self._drain)
        except Exception:  # noqa: BLE001 - no worker (the app is closing): write here and now
            self._drain()

    def _step(self) -> bool:
        """Run the oldest queued write; False when the queue is empty."""
        with self._writing:
            with self._lock:
                if not self._queue:
                    return False
                write = self._queue.popleft()
            try:
                write()
            except OSError as exc:
                self._failed(exc)
        return True

    def _drain(self) -> None:
        while True:
            while self._step():
                pass
            with self._lock:  # a write queued since the last step is drained too
                if not self._queue:
                    self._running = False
                    return

    def flush(self) -> None:
        """Run every queued write now, in this thread (the studio is closing)."""
        while self._step():
            pass


class QueuedTranscript:
    """A session's transcript whose appends go through an :class:`OrderedWriter`."""

    def __init__(self, store: Any, writer: OrderedWriter) -> None:
        self.store = store
        self._writer = writer

    def append(self, role: str, text: str, kind: str | None = None) -> None:
        """Save one line (later, in order, off the event loop)."""
        store = self.store
        self._writer.submit(lambda: store.append(role, text, kind=kind))
