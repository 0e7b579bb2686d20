"""Persisted draft versions of one session of one API URL (state dir, 0600 files, locked).

Layout under ``<state>/versions/<url key>/<session key>/``: ``versions.json`` (numbers, times,
messages, summaries and diffs: small, read whole) and ``drafts/<digest>.json.gz`` (each distinct
draft once, exactly as received, read only when a version's draft is needed). A studio and CLI
runs share these files: every write re-reads the history under a file lock, so concurrent writers
never lose a version. Blocking I/O: callers on an event loop run these methods in a thread.
No Textual, no httpx.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import os
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nemo_tui.draft import Draft, decode_draft, is_exportable
from nemo_tui.store import (
    atomic_write,
    file_lock,
    now_iso,
    read_json,
    session_key,
    url_key,
    write_json,
)
from nemo_tui.versions import (
    Version,
    VersionHistory,
    draft_digest,
    draft_identity,
    make_version,
)

if TYPE_CHECKING:
    from nemo_tui.config import AppPaths

log = logging.getLogger(__name__)


class VersionError(Exception):
    """A version cannot be given; the message says why and what exists."""


class NoSuchVersion(VersionError):
    """The asked-for version number is not kept for this session."""


class VersionDraftUnreadable(VersionError):
    """A kept version's stored draft is missing or damaged."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """What recording a draft did: the draft's version (new, or the latest when unchanged)."""

    version: Version | None
    """None when the draft is not a renderable draft (no version for it)."""
    new: bool
    history: VersionHistory


class VersionStore:
    """The draft versions of one session of one API URL."""

    def __init__(self, paths: AppPaths, api_url: str, session_id: str) -> None:
        """Bind to the session's folder; nothing is read until asked."""
        self.api_url = api_url
        self.session_id = session_id
        self.dir = paths.state_dir / "versions" / url_key(api_url) / session_key(session_id)
        self.path = self.dir / "versions.json"
        self.drafts_dir = self.dir / "drafts"
        self.warning: str | None = None
        """Set when a damaged history was set aside; the caller says it once and clears it."""
        self._decoded: tuple[str, Draft | None] | None = None  # latest draft, decoded (diff base)

    def __repr__(self) -> str:
        return f"VersionStore({self.api_url!r}, {self.session_id!r})"

    # ---- reading -------------------------------------------------------------------------------
    def load(self) -> VersionHistory:
        """The kept versions, oldest first (empty when none; a damaged file is set aside)."""
        with file_lock(self.path):
            return self._read()

    def changed_since(self, stamp: int | None) -> tuple[bool, int | None]:
        """Whether the history file changed since ``stamp`` (its mtime in ns), and the new one."""
        try:
            now = os.stat(self.path).st_mtime_ns
        except FileNotFoundError:
            now = None
        return now != stamp, now

    def draft(self, number: int) -> tuple[Version, dict[str, Any] | str]:
        """Version ``number`` and its draft exactly as received; NoSuchVersion when not kept."""
        history = self.load()
        version = history.get(number)
        if version is None:
            raise NoSuchVersion(no_such_version_text(number, history))
        return version, self.draft_of(version)

    def draft_of(self, version: Version) -> dict[str, Any] | str:
        """The stored draft of ``version``; VersionDraftUnreadable when missing or damaged."""
        path = self._draft_path(version.digest)
        try:
            data = gzip.decompress(path.read_bytes())
            raw = json.loads(data) if draft_digest(data) == version.digest else None
        except (OSError, EOFError, ValueError) as exc:
            raise VersionDraftUnreadable(
                f"The stored draft of version {version.number} could not be read ({path}: "
                f"{getattr(exc, 'strerror', None) or exc}).") from None
        if not isinstance(raw, (dict, str)):  # str: a Draft Protocol V3 template
            raise VersionDraftUnreadable(
                f"The stored draft of version {version.number} is damaged ({path}).")
        return raw

    # ---- writing -------------------------------------------------------------------------------
    def record(self, raw: Any, message: str | None = None, *, decoded: Draft | None = None,
               created_at: str | None = None) -> Recorded:
        """Record ``raw`` as a new version unless it equals the latest one (or is no draft).

        ``decoded`` (optional) is ``raw`` already decoded, to save decoding it again.
        """
        if not is_exportable(raw):
            return Recorded(None, False, self.load())
        # blocking work in a thread: hand the GIL over between the slices of a big draft
        digest, data = draft_identity(raw, between=partial(time.sleep, 0))
        with file_lock(self.path):
            history = self._read()
            latest = history.latest
            if latest is not None and latest.digest == digest:
                if decoded is not None and decoded.raw is raw:
                    self._decoded = (digest, decoded)  # the next version's diff base, for free
                return Recorded(latest, False, history)
            self._save_draft(digest, data)
            previous = self._diff_base(latest)
            if decoded is None or decoded.raw is not raw:
                decoded = decode_draft(raw)
            version = make_version(history.next_number, raw, digest,
                                   created_at=created_at or now_iso(), message=message,
                                   previous=previous, decoded=decoded)
            gone = history.append(version)
            write_json(self.path, history.to_dict())
            self._decoded = (digest, decoded)
            self._forget_drafts(gone, history)
        return Recorded(version, True, history)

    # ---- internals -----------------------------------------------------------------------------
    def _read(self) -> VersionHistory:
        """Read the history; a damaged file is renamed aside (never deleted) and a new one begun."""
        try:
            data = read_json(self.path)
        except ValueError:  # not JSON / not UTF-8
            data = False
        if data is None:
            return VersionHistory()
        try:
            return VersionHistory.from_dict(data)
        except ValueError:
            self._set_aside()
            return VersionHistory()

    def _set_aside(self) -> None:
        """Rename the damaged history to a free ``versions.json.corrupt[-N]`` name."""
        target = self.path.with_name(self.path.name + ".corrupt")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.corrupt-{n}")
        os.rename(self.path, target)
        self.warning = (f"The draft versions file {self.path} was damaged; it was kept as "
                        f"{target.name} and a new version list was started.")
        # not log.warning: without a configured handler Python prints it to stderr itself,
        # and the caller already says it once
        log.info("%s", self.warning)

    def _draft_path(self, digest: str) -> Path:
        """Where the draft with ``digest`` is stored."""
        return self.drafts_dir / f"{digest}.json.gz"

    def _save_draft(self, digest: str, data: bytes) -> None:
        """Store a draft's JSON once (gzip level 1: small and fast; content-addressed)."""
        path = self._draft_path(digest)
        if not path.exists():
            atomic_write(path, gzip.compress(data, compresslevel=1, mtime=0))

    def _diff_base(self, latest: Version | None) -> Draft | None:
        """The latest version's draft, decoded (cached when this store recorded it)."""
        if latest is None:
            return None
        if self._decoded is not None and self._decoded[0] == latest.digest:
            return self._decoded[1]
        try:
            return decode_draft(self.draft_of(latest))
        except VersionDraftUnreadable:
            return None  # the diff then reads as a new timeline: better than no version

    def _forget_drafts(self, gone: list[Version], history: VersionHistory) -> None:
        """Delete the stored drafts only dropped versions used (best effort)."""
        keep = history.digests()
        for digest in {v.digest for v in gone} - keep:
            with contextlib.suppress(OSError):
                self._draft_path(digest).unlink()


def no_such_version_text(number: int, history: VersionHistory) -> str:
    """Why version ``number`` cannot be given, naming the numbers that exist."""
    if not history.versions:
        return "This session has no draft versions yet; they appear as the timeline changes."
    exist = f"versions {history.numbers_text()} exist"
    if 1 <= number <= history.dropped:
        return f"Version {number} was dropped (only the last versions are kept); {exist}."
    return f"There is no version {number}; {exist}."
