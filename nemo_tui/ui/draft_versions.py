"""The studio's draft versions: every state reply's draft is recorded off the event loop.

One object per App (``app.versions``). ``record`` is the single call the state-reply handling
makes; the file work runs in one background thread, in call order (so versions are numbered in
the order the drafts arrived), inside a Textual worker (so tests and quitting can wait for it).
The Versions screen reads the stored versions through ``load`` / ``draft`` / ``diff``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from nemo_tui.draft import Draft
    from nemo_tui.ui.app import NemoStudioApp
    from nemo_tui.version_store import VersionStore
    from nemo_tui.versions import Version, VersionHistory

T = TypeVar("T")


class StudioVersions:
    """Records and reads the draft versions of the studio's current session."""

    def __init__(self, app: NemoStudioApp) -> None:
        """Bound to ``app`` (its settings, timeline, chat); no thread runs until needed."""
        self.app = app
        self._store: VersionStore | None = None
        self._executor: ThreadPoolExecutor | None = None
        self.current: Version | None = None
        """The version the timeline shows (None: no version, e.g. an empty timeline)."""
        self.listeners: list[Callable[[], None]] = []
        """Called on the event loop after a new version was recorded (open Versions screens)."""

    # ---- recording (the hook) --------------------------------------------------------------
    def record(self, session_id: str, raw: Any, message: str | None = None,
               decoded: Draft | None = None) -> None:
        """Keep ``raw`` (a state reply's draft) as a version of ``session_id``, in the
        background; ``message`` is the user message that led to it, ``decoded`` the draft
        already decoded. Costs the event loop only the hand-over."""
        self.app.run_worker(self.record_now(session_id, raw, message, decoded), group="versions",
                            exit_on_error=False, description="recording a draft version")

    async def record_now(self, session_id: str, raw: Any, message: str | None = None,
                         decoded: Draft | None = None) -> Version | None:
        """Record ``raw`` and wait for it; returns the draft's version (None: not a draft)."""
        store = self.store_for(session_id)
        try:
            recorded = await self.run(store.record, raw, message, decoded=decoded)
        except OSError as exc:
            self.app.say(f"Could not save this draft version ({exc.strerror or exc}). The "
                         "timeline is fine; only its history misses this step.", "error")
            return None
        finally:
            self._say_warning(store)
        if store is self._store:
            self.current = recorded.version
            self.app.timeline.set_version(recorded.version.number if recorded.version else None)
            if recorded.new:
                for listener in list(self.listeners):
                    listener()
        return recorded.version

    def store_for(self, session_id: str) -> VersionStore:
        """The store of ``session_id`` (made current: a new session resets the shown version)."""
        if self._store is None or self._store.session_id != session_id:
            from nemo_tui.version_store import VersionStore

            settings = self.app.settings
            self._store = VersionStore(settings.paths, settings.api_url, session_id)
            self.current = None
            self.app.timeline.set_version(None)
        return self._store

    # ---- reading (for the Versions screen) -------------------------------------------------
    @property
    def store(self) -> VersionStore | None:
        """The current session's store, once a state reply has named the session."""
        return self._store

    async def load(self) -> VersionHistory:
        """The current session's versions (empty before any)."""
        from nemo_tui.versions import VersionHistory

        store = self._store
        if store is None:
            return VersionHistory()
        try:
            return await self.run(store.load)
        finally:
            self._say_warning(store)

    async def draft(self, number: int) -> tuple[Version, dict[str, Any] | str]:
        """Version ``number`` and its draft as received (VersionError when not available)."""
        from nemo_tui.version_store import NoSuchVersion

        if self._store is None:
            raise NoSuchVersion("This session has no draft versions yet.")
        return await self.run(self._store.draft, number)

    async def diff(self, old: int, new: int | None) -> list[str]:
        """What changed from version ``old`` to version ``new`` (None: the current draft)."""
        return await self.run(self._diff, old, new, self.app.draft)

    def _diff(self, old: int, new: int | None, current: Draft | None) -> list[str]:
        """Blocking part of ``diff`` (reads and decodes the stored drafts)."""
        from nemo_tui.diff import diff_drafts
        from nemo_tui.draft import decode_draft

        assert self._store is not None
        before = decode_draft(self._store.draft(old)[1])
        after = current if new is None else decode_draft(self._store.draft(new)[1])
        return diff_drafts(before, after)

    async def changed_since(self, stamp: int | None) -> tuple[bool, int | None]:
        """Whether the versions file changed since ``stamp`` (another process recorded one)."""
        if self._store is None:
            return False, stamp
        return await self.run(self._store.changed_since, stamp)

    # ---- the thread --------------------------------------------------------------------------
    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking ``fn`` in the versions thread (one at a time, in call order)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="versions",
                                                initializer=_lower_priority)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(fn, *args, **kwargs))

    def close(self) -> None:
        """Finish pending writes (quitting must not lose a version) and stop the thread."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def _say_warning(self, store: VersionStore) -> None:
        """Say once that a damaged versions file was set aside."""
        if store.warning:
            self.app.say(store.warning, "error")
            store.warning = None


def _lower_priority() -> None:
    """Make the versions thread yield the CPU to the event loop's thread (Linux: per-thread
    nice 10), so encoding a big draft does not delay keys and paints on a busy machine."""
    import os
    import threading

    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
