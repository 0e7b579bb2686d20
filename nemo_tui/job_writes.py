"""Coalesced job-store writes: progress-only changes are batched, transitions written at once.

Watching many renders, nearly every poll moves a progress figure. Writing jobs.json (a locked
read-modify-write with fsync) for each of those cost most of a poll's CPU, yet a progress figure
is not needed to resume a render: the server has it. So such changes wait here, newest per job,
and one timer thread writes all of them together at most every COALESCE_SECONDS. A change that
matters for resuming (the job's status, its URL, its file) is written by the caller at once, and
takes every waiting change of the same file along in that one write, so an older waiting state
can never overwrite a newer written one. Waiting changes are also written at interpreter exit.
No Textual, no asyncio.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

#: Seconds a progress-only change may wait before it is written (with every other waiting one).
COALESCE_SECONDS = 1.0


class CoalescedWrites:
    """The latest unwritten record per key of one file, and the one lock all its writes take."""

    def __init__(self, write: Callable[[dict[str, Any]], None]) -> None:
        """`write(records)` stores records by key in one read-modify-write of the file."""
        self._write = write
        self._pending: dict[str, Any] = {}
        self._pending_lock = threading.Lock()  # held only for dict moves: never blocks a loop
        self._write_lock = threading.RLock()  # one write of the file at a time, in call order
        self._timer: threading.Timer | None = None
        self.writes = 0
        """Writes of the file made through this object (the tests count them)."""

    def defer(self, key: str, record: Any) -> None:
        """Keep `record` as the newest state of `key`; it is written within COALESCE_SECONDS."""
        with self._pending_lock:
            self._pending[key] = record
            if self._timer is None:
                self._timer = threading.Timer(COALESCE_SECONDS, self._on_timer)
                self._timer.daemon = True  # exit is not held up: atexit flushes instead
                self._timer.start()

    def pending(self) -> dict[str, Any]:
        """A copy of the waiting records (so readers in this process see the newest state)."""
        with self._pending_lock:
            return dict(self._pending)

    def discard(self, key: str | None = None) -> None:
        """Drop the waiting record of `key` (every waiting record when None)."""
        with self._pending_lock:
            if key is None:
                self._pending.clear()
            else:
                self._pending.pop(key, None)

    def locked(self) -> threading.RLock:
        """The lock every write of the file holds (forget/replace take it too)."""
        return self._write_lock

    def write_now(self, key: str, record: Any) -> None:
        """Write `record` (and every waiting record) at once; raises what the write raises."""
        with self._write_lock:
            batch = self._take()
            batch[key] = record
            try:
                self._store(batch)
            except BaseException:
                batch.pop(key)
                self._requeue(batch)
                raise

    def flush(self) -> None:
        """Write every waiting record now (no-op when none); raises what the write raises."""
        with self._write_lock:
            batch = self._take()
            if not batch:
                return
            try:
                self._store(batch)
            except BaseException:
                self._requeue(batch)
                raise

    def _store(self, batch: dict[str, Any]) -> None:
        self._write(batch)
        self.writes += 1

    def _take(self) -> dict[str, Any]:
        """Move the waiting records out (the caller holds the write lock)."""
        with self._pending_lock:
            batch, self._pending = self._pending, {}
            return batch

    def _requeue(self, batch: dict[str, Any]) -> None:
        """Put back records a failed write did not store, unless a newer one came meanwhile."""
        with self._pending_lock:
            for key, record in batch.items():
                self._pending.setdefault(key, record)

    def _on_timer(self) -> None:
        """The timer thread: write what waits; a failure keeps it waiting for the next change."""
        with self._pending_lock:
            self._timer = None
        try:
            self.flush()
        except Exception as exc:  # noqa: BLE001 - a thread must not print a traceback on a TUI
            log.info("coalesced job write failed (kept for the next one): %s", exc)


_registry: dict[str, CoalescedWrites] = {}
_registry_lock = threading.Lock()


def writes_for(path: str, write: Callable[[dict[str, Any]], None]) -> CoalescedWrites:
    """The one CoalescedWrites of `path` in this process (`write` is used when it is new)."""
    with _registry_lock:
        found = _registry.get(path)
        if found is None:
            found = _registry[path] = CoalescedWrites(write)
        return found


def flush_all() -> None:
    """Write every waiting record of every file (at exit, or when the studio quits)."""
    with _registry_lock:
        every = list(_registry.values())
    for writes in every:
        try:
            writes.flush()
        except Exception as exc:  # noqa: BLE001 - one unwritable file must not stop the others
            log.info("job write at exit failed: %s", exc)


atexit.register(flush_all)
