"""A batch's progress, persisted in the state dir and keyed by the batch file's absolute path.

The runner records an intent *before* each request that must not be repeated (a prompt, a
render POST) and the outcome after it, each write atomic and fsynced. So after `kill -9` the
rerun knows, per item, which prompts may have reached the server (never sent again) and which
render id was posted (watched, not posted again). No Textual, no network.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nemo_tui.store import normalize_api_url, now_iso, read_json, write_json

if TYPE_CHECKING:
    from nemo_tui.config import AppPaths

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

STATUSES = ("pending", "running", "done", "failed", "skipped")


class BatchBusyError(Exception):
    """Another process is running the same batch file right now."""


@dataclass
class ItemState:
    """What is known about one item; each field is written before/after its request."""

    fingerprint: str = ""
    status: str = "pending"
    phase: str = ""
    """Last step reached: checking / session / uploading / prompt k/n / rendering / downloading."""
    session_id: str | None = None
    task_id: str | None = None
    user_id: str | None = None
    uploaded: bool = False
    prompts_sent: int = 0
    """Prompts that may have reached the server (recorded before each is sent)."""
    prompts_done: int = 0
    """Prompts whose turn ended (or was checked through the state after a crash)."""
    render_id: str | None = None
    render_posted: bool = False
    """False with a render_id: the POST may or may not have arrived (checked by a poll)."""
    progress: int | None = None
    path: str | None = None
    error: str | None = None
    updated_at: str = field(default_factory=now_iso)

    @classmethod
    def from_dict(cls, data: Any) -> ItemState:
        """Tolerant decoding (unknown keys dropped, wrong types reset)."""
        if not isinstance(data, dict):
            return cls()
        defaults = cls()
        kw = {}
        for f in fields(cls):
            value = data.get(f.name, getattr(defaults, f.name))
            default = getattr(defaults, f.name)
            if default is not None and not isinstance(value, type(default)):
                value = default
            kw[f.name] = value
        if kw["status"] not in STATUSES:
            kw["status"] = "pending"
        return cls(**kw)


def state_path(paths: AppPaths, batch_file: Path) -> Path:
    """`<state>/batches/<hash of the absolute path>.json`."""
    key = hashlib.sha256(str(Path(batch_file).absolute()).encode("utf-8", "replace"))
    return paths.state_dir / "batches" / f"{key.hexdigest()[:24]}.json"


class BatchState:
    """The persisted progress of one batch file (one writer: the process holding the lock)."""

    def __init__(self, paths: AppPaths, batch_file: Path, api_url: str) -> None:
        """Bind to the batch's state file; `load()` reads it."""
        self.path = state_path(paths, batch_file)
        self.batch_file = str(Path(batch_file).absolute())
        self.api_url = normalize_api_url(api_url)
        self.items: dict[str, ItemState] = {}
        self.note: str | None = None
        """Set by load() when earlier progress could not be used (another API URL)."""
        self._lock_fd: int | None = None
        self._write_lock = asyncio.Lock()

    def load(self) -> None:
        """Read earlier progress; a file for another API URL or a corrupt one starts over."""
        try:
            data = read_json(self.path)
        except (OSError, ValueError):
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("items"), dict):
            return
        if data.get("api_url") != self.api_url:
            self.note = (f"Earlier progress of this batch was made against {data.get('api_url')}; "
                         "starting over for this API URL.")
            return
        self.items = {str(k): ItemState.from_dict(v) for k, v in data["items"].items()}

    def item(self, name: str, fingerprint: str) -> ItemState:
        """The state of an item; an item whose definition changed starts over."""
        rec = self.items.get(name)
        if rec is None or rec.fingerprint != fingerprint:
            rec = self.items[name] = ItemState(fingerprint=fingerprint)
        return rec

    def _snapshot(self) -> dict[str, Any]:
        return {"version": 1, "batch_file": self.batch_file, "api_url": self.api_url,
                "items": {k: asdict(v) for k, v in self.items.items()}}

    def save_now(self) -> None:
        """Write the file atomically (blocking)."""
        write_json(self.path, self._snapshot())

    async def save(self, rec: ItemState | None = None) -> None:
        """Write the file (off the event loop); writes happen one at a time, in order."""
        if rec is not None:
            rec.updated_at = now_iso()
        async with self._write_lock:
            snapshot = self._snapshot()
            await asyncio.to_thread(write_json, self.path, snapshot)

    def acquire(self) -> None:
        """Hold an exclusive lock for the run (released by `release` or by the process dying)."""
        if fcntl is None:  # pragma: no cover - Windows
            return
        from nemo_tui.store import ensure_private_dir

        ensure_private_dir(self.path.parent)
        fd = os.open(str(self.path) + ".run.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise BatchBusyError(f"The batch {self.batch_file} is already running in another "
                                 "process; wait for it, or stop it first.") from None
        self._lock_fd = fd

    def release(self) -> None:
        """Let another run of this batch start."""
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)
            self._lock_fd = None
