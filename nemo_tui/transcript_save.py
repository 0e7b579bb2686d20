"""Gather a session's transcript, title and renders from the state dir, and save the Markdown.

Used by `nemo-tui transcript` and the studio's "Save transcript as Markdown" (in a thread).
No Textual.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nemo_tui.transcript_export import export_filename, transcript_json, transcript_markdown

if TYPE_CHECKING:
    from nemo_tui.config import AppPaths


@dataclass
class SessionRecord:
    """What this client kept of one session."""

    session_id: str
    api_url: str
    title: str | None
    entries: list[Any]
    jobs: list[Any]
    transcript_path: Path

    def markdown(self) -> str:
        """The Markdown export."""
        from nemo_tui.store import now_iso

        return transcript_markdown(title=self.title, session_id=self.session_id,
                                   api_url=self.api_url, entries=self.entries, jobs=self.jobs,
                                   exported_at=now_iso())

    def json(self) -> dict[str, Any]:
        """The JSON export."""
        return transcript_json(title=self.title, session_id=self.session_id,
                               api_url=self.api_url, entries=self.entries, jobs=self.jobs)


def gather(paths: AppPaths, api_url: str, session_id: str) -> SessionRecord:
    """Read the transcript, the recent-sessions title and this session's render jobs."""
    from nemo_tui.jobs import JobStore
    from nemo_tui.store import SessionStore, TranscriptStore, normalize_api_url

    store = TranscriptStore(paths, api_url, session_id)
    rec = next((r for r in SessionStore(paths).recent(api_url) if r.session_id == session_id),
               None)
    url = normalize_api_url(api_url)
    jobs = [j for j in JobStore(paths).load()
            if j.session_id == session_id and normalize_api_url(j.api_url) == url]
    return SessionRecord(session_id, api_url, rec.title if rec else None, store.load(), jobs,
                         store.path)


def save_markdown(record: SessionRecord, folder: Path) -> Path:
    """Write the Markdown into ``folder`` under a name from the title (never overwriting)."""
    from nemo_tui.store import ensure_private_dir

    name = export_filename(record.title, record.session_id)
    if not folder.exists():
        ensure_private_dir(folder)
    text = record.markdown()
    for n in itertools.count(1):
        path = folder / (name if n == 1 else f"{name[:-3]} ({n}).md")
        try:
            with open(path, "x", encoding="utf-8") as fh:  # "x": never replaces a file
                fh.write(text)
        except FileExistsError:
            continue
        return path
    raise AssertionError("unreachable")
