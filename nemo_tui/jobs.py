"""Render jobs: persisted records and the polling watcher shared by the CLI and the studio.

A render belongs to the token: a client that forgets a job id orphans it, so every job is kept
in `<state>/jobs.json` (0600, written atomically) until the user forgets it. A change that matters
for resuming (status, URL, file) is written at once; progress-only changes are coalesced
(nemo_tui.job_writes).
No Textual, no Rich.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nemo_tui.api.errors import (
    DownloadError,
    NemoError,
    NetworkError,
    ProtocolError,
    RateLimitedError,
    ServerError,
)
from nemo_tui.api.models import RenderStatus
from nemo_tui.store import file_lock, now_iso, read_json, write_json

if TYPE_CHECKING:
    from nemo_tui.api.client import NemoClient
    from nemo_tui.config import AppPaths

log = logging.getLogger(__name__)

FINISHED = ("completed", "failed", "cancelled", "lost")
MAX_BACKOFF = 60.0  # seconds: the longest pause between polls while the server is failing
DOWNLOAD_ATTEMPTS = 3
IDLE_GROWTH = 1.5  # the poll interval grows by this per reply that changed nothing
IDLE_MAX = 10.0  # seconds: the longest idle interval (unless the configured one is longer)
IDLE_MAX_FACTOR = 10.0  # ... and never more than this many times the configured interval
JITTER = 0.15  # each pause is the interval ±15%, so jobs started together drift apart


@dataclass
class RenderJob:
    """One export the client started, as last seen."""

    id: str
    api_url: str
    session_id: str
    status: str = "pending"
    """pending / processing / completed / failed / cancelled, or "lost" (server forgot the id)."""
    progress: int | None = None
    """Render progress 0-100 reported by the server."""
    url: str | None = None
    """Download URL once completed (no auth needed)."""
    path: str | None = None
    """Local file once downloaded."""
    error: str | None = None
    """Last problem: the server's failure text, or a polling/download error being retried."""
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    output_dir: str | None = None
    """Where the finished file goes."""
    download_progress: int | None = None
    """Download progress 0-100 (None before the download starts or when the size is unknown)."""
    version: int | None = None
    """The number of the draft version it rendered (nemo_tui.versions), when known."""
    filename: str | None = None
    """The file name wanted for the download (session title or batch item), else from the URL."""
    batch: str | None = None
    """The batch file (absolute path) that started this job; its runner owns the job."""
    item: str | None = None
    """The batch item's name."""
    finished_at: str | None = None
    """When the job first reached a finished status: its elapsed time ends there, and a later
    download again does not move it. Jobs stored before this field use ``updated_at``."""

    @property
    def finished(self) -> bool:
        """True when nothing more will happen on the server side."""
        return self.status in FINISHED

    @property
    def ended_at(self) -> str:
        """When the job finished (``updated_at`` for a job stored without ``finished_at``)."""
        return self.finished_at or self.updated_at

    @property
    def downloaded(self) -> bool:
        """True when the file has been saved locally."""
        return self.path is not None

    @classmethod
    def from_status(cls, status: RenderStatus, *, api_url: str, session_id: str,
                    output_dir: Path | str | None = None,
                    version: int | None = None) -> RenderJob:
        """A new job from the server's reply to the render request (of draft ``version``)."""
        return cls(id=status.id, api_url=api_url, session_id=session_id, status=status.status,
                   progress=status.progress, url=status.url, error=status.error,
                   output_dir=str(output_dir) if output_dir is not None else None,
                   version=version)

    @classmethod
    def from_dict(cls, data: Any) -> RenderJob | None:
        """Tolerant decoding of a stored job; None when id/api_url/session_id are unusable."""
        if not isinstance(data, dict):
            return None
        if not all(isinstance(data.get(k), str) for k in ("id", "api_url", "session_id")):
            return None
        kw = {k: v for k, v in data.items() if k in _JOB_FIELDS}
        for key in ("progress", "download_progress", "version"):
            if not isinstance(kw.get(key), int) or isinstance(kw.get(key), bool):
                kw[key] = None
        for key in ("status", "created_at", "updated_at"):
            if not isinstance(kw.get(key), str):
                kw.pop(key, None)
        for key in ("url", "path", "error", "output_dir", "filename", "batch", "item",
                    "finished_at"):
            if not isinstance(kw.get(key), str):
                kw[key] = None
        return cls(**kw)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (every field is a str, int or None, so no deep copy is needed)."""
        if type(self) is not RenderJob:
            return asdict(self)  # a subclass may add fields that need asdict's deep copy
        # not asdict here: its recursive deep copy was most of a store write's CPU
        return {name: getattr(self, name) for name in _JOB_FIELDS}


_JOB_FIELDS = tuple(f.name for f in fields(RenderJob))


class JobStore:
    """All render jobs of all sessions and API URLs, in one JSON file.

    `upsert` writes at once (durably); `defer` keeps a progress-only change to be written with
    others within nemo_tui.job_writes.COALESCE_SECONDS. Each write merges with what other
    processes wrote meanwhile, under a file lock; reads in this process see waiting changes.
    """

    def __init__(self, paths: AppPaths) -> None:
        """Bind to `<state>/jobs.json`; read lazily."""
        from nemo_tui.job_writes import writes_for

        self.path = paths.state_dir / "jobs.json"
        self.warning: str | None = None
        """Set when a corrupt file was set aside; the caller may show it once."""
        # one per file in this process, so every JobStore of it sees the same waiting changes
        self._writes = writes_for(str(self.path), self._merge)

    @property
    def writes(self) -> int:
        """Writes of the file made in this process (all JobStores of it together)."""
        return self._writes.writes

    def _read(self) -> list[RenderJob]:
        """Read the file; a corrupt file is kept as `.corrupt` and the store starts empty."""
        try:
            data = read_json(self.path)
        except (OSError, ValueError):
            data = False  # marks "corrupt": not None (missing) and not a dict
        if data is None:
            return []
        if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
            corrupt = self.path.with_name(self.path.name + ".corrupt")
            with contextlib.suppress(OSError):
                os.replace(self.path, corrupt)
            self.warning = (f"The render job list {self.path} was damaged; it was kept as "
                            f"{corrupt.name} and a new list was started.")
            # not log.warning: without a configured handler, Python's last-resort handler
            # prints it to stderr, and the CLI prints the warning itself (it showed twice)
            log.info("%s", self.warning)
            return []
        return [job for job in map(RenderJob.from_dict, data["jobs"]) if job is not None]

    def _write(self, jobs: list[RenderJob]) -> None:
        """Replace the file atomically."""
        write_json(self.path, {"version": 1, "jobs": [j.to_dict() for j in jobs]})

    def _merge(self, changed: dict[str, RenderJob]) -> None:
        """One read-modify-write storing `changed` over what is in the file (by job id)."""
        with file_lock(self.path):
            jobs = self._read()
            for i, old in enumerate(jobs):
                if old.id in changed:
                    jobs[i] = changed.pop(old.id)
            jobs.extend(changed.values())
            self._write(jobs)

    def load(self) -> list[RenderJob]:
        """All jobs, oldest first (with the changes of this process still waiting)."""
        with file_lock(self.path):
            jobs = self._read()
        waiting = self._writes.pending()
        if waiting:
            jobs = [replace(waiting.pop(j.id)) if j.id in waiting else j for j in jobs]
            jobs.extend(replace(j) for j in waiting.values())
        return jobs

    def get(self, job_id: str) -> RenderJob | None:
        """One job by id."""
        return next((j for j in self.load() if j.id == job_id), None)

    def save(self, jobs: list[RenderJob]) -> None:
        """Replace the whole list (waiting changes are dropped: `jobs` is the truth)."""
        with self._writes.locked(), file_lock(self.path):
            self._writes.discard()
            self._write(jobs)

    def upsert(self, job: RenderJob) -> None:
        """Insert or replace one job now, durably (with every waiting change of this process)."""
        self._writes.write_now(job.id, replace(job))

    def defer(self, job: RenderJob) -> None:
        """Insert or replace one job within COALESCE_SECONDS (a progress-only change)."""
        self._writes.defer(job.id, replace(job))

    def flush(self) -> None:
        """Write every waiting change now (on quit and at exit)."""
        self._writes.flush()

    def forget(self, job_id: str) -> bool:
        """Remove one job; True if it was there."""
        with self._writes.locked():
            waiting = job_id in self._writes.pending()
            self._writes.discard(job_id)  # a later coalesced write must not bring it back
            with file_lock(self.path):
                jobs = self._read()
                kept = [j for j in jobs if j.id != job_id]
                if len(kept) != len(jobs):
                    self._write(kept)
            return waiting or len(kept) != len(jobs)


def next_poll_delay(delay: float, interval: float, changed: bool,
                    idle_max: float = IDLE_MAX) -> float:
    """The interval before the next poll: the base after a change, else ×IDLE_GROWTH, capped.

    The cap is min(idle_max, IDLE_MAX_FACTOR × interval), but never below `interval` itself.
    """
    if changed:
        return interval
    cap = max(interval, min(idle_max, IDLE_MAX_FACTOR * interval))
    return min(delay * IDLE_GROWTH, cap)


def _is_transient(exc: NemoError) -> bool:
    """Errors worth polling through: network faults, 5xx, 429, garbled replies (proxies, HTML)."""
    return (isinstance(exc, (NetworkError, ServerError, ProtocolError, RateLimitedError))
            and exc.http_status != 404)


def _failure_pause(exc: NemoError, failures: int, interval: float) -> float:
    """Seconds before polling again after `failures` failed polls in a row.

    Doubling from `interval`, capped at MAX_BACKOFF (or `interval` if longer); a 429's
    Retry-After is a floor, however long: polling sooner would only be refused again.
    """
    pause = min(interval * 2.0 ** min(failures - 1, 16), max(MAX_BACKOFF, interval))
    if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
        pause = max(pause, exc.retry_after)
    return pause


def _retry_words(exc: NemoError, pause: float) -> str:
    """What the job row says while polls fail: the reason, and that it keeps checking."""
    if isinstance(exc, RateLimitedError):
        return (f"The server is rate-limiting status checks (HTTP 429); checking again in "
                f"{pause:.0f} s. The render itself is not affected.")
    return f"{exc} (still trying)"


async def watch_job(
    client: NemoClient,
    job: RenderJob,
    store: JobStore,
    *,
    interval: float,
    on_update: Callable[[RenderJob], None] | None = None,
    download: bool = True,
    output_dir: Path | None = None,
    max_errors: int | None = None,
    idle_max: float = IDLE_MAX,
) -> RenderJob:
    """Poll `job` until it finishes, persisting it, then download the file.

    A change of status or URL, and every download step, is written before `on_update` sees it;
    a progress-only change (or a retry's error text) is coalesced (`JobStore.defer`).

    Polling is adaptive: `interval` is the base. Each reply that changes nothing (same status,
    progress, URL and error) makes the next pause ×1.5 longer, up to min(`idle_max` (10 s), 10 × interval)
    (never below `interval`); any change brings it back to `interval`. Each pause is jittered
    by ±15% so jobs started together don't poll in lockstep, and it ends early when this client
    cancels the render (`NemoClient.pause_polling`), so the cancel shows at once.
    Network errors, 5xx and 429 keep the watch going (with capped backoff, never sooner than a
    429's Retry-After; the error is shown in `job.error`) unless `max_errors` consecutive failures happen, then the last one is raised.
    An unknown id (404) ends the watch with status "lost". Cancel the task to stop watching:
    the job stays stored and can be watched again later.
    """
    async def changed(durable: bool = True) -> None:
        job.updated_at = now_iso()
        if job.finished and job.finished_at is None:
            job.finished_at = job.updated_at
        if durable:
            # the write fsyncs: keep it off the event loop (the studio shares it)
            await asyncio.to_thread(store.upsert, replace(job))
        else:  # progress or a retry's text only: written with others, by one timer thread
            store.defer(job)
        if on_update is not None:
            on_update(job)

    import random  # only here: the module's import block belongs to the lazy-import work

    if job.finished and job.finished_at is None:  # stored before finished_at was: keep its end
        job.finished_at = job.updated_at
    failures = 0
    delay = interval
    while not job.finished:
        try:
            status = await client.poll_render(job.id)
        except NemoError as exc:
            if exc.http_status == 404 or exc.code == 404:
                job.status = "lost"
                job.error = (f"The server no longer knows render {job.id}; it may have expired. "
                             "Start a new export.")
                await changed()
                return job
            if not _is_transient(exc):
                job.error = str(exc)
                await changed()
                raise
            failures += 1
            pause = _failure_pause(exc, failures, interval)
            job.error = _retry_words(exc, pause)
            await changed(durable=False)
            if max_errors is not None and failures >= max_errors:
                raise
            await asyncio.sleep(pause)
            continue
        had_error = failures > 0
        failures = 0
        kept = (job.status, job.url)
        news = _apply_status(job, status) or had_error
        if news:
            await changed(durable=(job.status, job.url) != kept)
        delay = next_poll_delay(delay, interval, news, idle_max)
        if not job.finished:
            pause = delay * (1.0 + JITTER * (2.0 * random.random() - 1.0))
            if await client.pause_polling(job.id, pause):
                delay = interval  # we changed the render ourselves: expect news soon

    if job.status == "completed" and download and job.path is None:
        dest = output_dir or (Path(job.output_dir) if job.output_dir else Path.cwd())
        await _download(client, job, dest, changed, on_update)
    return job


def _apply_status(job: RenderJob, status: RenderStatus) -> bool:
    """Copy the server's view into the job; True if anything changed."""
    before = (job.status, job.progress, job.url, job.error)
    job.status = status.status or job.status
    if status.progress is not None:
        job.progress = max(0, min(100, int(status.progress)))
    if status.status == "completed":
        job.progress = 100
    job.url = status.url or job.url
    job.error = status.error
    return before != (job.status, job.progress, job.url, job.error)


async def _download(client: NemoClient, job: RenderJob, dest: Path,
                    changed: Callable[[], Awaitable[None]],
                    on_update: Callable[[RenderJob], None] | None) -> None:
    """Download the finished render into `dest`, retrying network faults a few times."""

    def progress(done: int, total: int | None) -> None:
        pct = min(100, int(done * 100 / total)) if total else None
        if pct != job.download_progress:
            # only the live view gets each step; the store gets the start and the end
            job.download_progress = pct
            if on_update is not None:
                on_update(job)

    status = RenderStatus(id=job.id, status=job.status, progress=job.progress, url=job.url,
                          error=None, duration=None, size=None, raw={})
    job.output_dir = str(dest)
    for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
        job.download_progress = 0
        await changed()
        try:
            path = await client.download_render(status, dest, progress=progress,
                                                filename=job.filename)
        except (NetworkError, ServerError) as exc:
            job.error = f"Download failed: {exc}"
            job.download_progress = None  # the row shows the error, not "⬇ 0%"
            await changed()
            if attempt == DOWNLOAD_ATTEMPTS:
                raise DownloadError(job.error) from None
            await asyncio.sleep(attempt)
            continue
        except NemoError as exc:
            job.error = str(exc)
            job.download_progress = None
            await changed()
            raise
        job.path = str(path)
        job.download_progress = 100
        job.error = None
        await changed()
        return
