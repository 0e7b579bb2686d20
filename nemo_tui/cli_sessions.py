"""`nemo-tui sessions`, `nemo-tui open` and the global `--session ID` (CLI.md). No Textual."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from nemo_tui.cli_output import EXIT_OK, PROG, UsageError
from nemo_tui.textsafe import safe_line

if TYPE_CHECKING:
    from nemo_tui.api.client import NemoClient
    from nemo_tui.cli_output import Output
    from nemo_tui.config import Settings
    from nemo_tui.store import RecentSession


def known_sessions(settings: Settings) -> tuple[list[RecentSession], str | None]:
    """The sessions this client knows for the API URL (newest first) and the current id."""
    from nemo_tui.store import RecentSession, SessionStore

    store = SessionStore(settings.paths)
    recent = store.recent(settings.api_url)
    current = store.current(settings.api_url)
    current_id = current.session_id if current is not None else None
    if current is not None and all(r.session_id != current_id for r in recent):
        recent.insert(0, RecentSession(current.session_id, current.task_id))
    return recent, current_id


def remember_title(settings: Settings, session_id: str, raw_draft: Any,
                   task_name: str | None = None) -> None:
    """Record the session's title for `sessions` (the draft's, else a task name of its own), as
    the studio does; only when it changed, so that reading the state does not reorder the list."""
    from nemo_tui.draft import decode_draft
    from nemo_tui.session import DEFAULT_TASK_NAME
    from nemo_tui.store import SessionStore

    draft = decode_draft(raw_draft)
    title = (draft.title if draft is not None and draft.title else None) or (
        task_name if task_name and task_name != DEFAULT_TASK_NAME else None)
    if not title or not title.strip():
        return
    recent, _ = known_sessions(settings)
    if any(r.session_id == session_id and r.title == title for r in recent):
        return
    with contextlib.suppress(OSError):  # the list is a convenience: never fail the command
        SessionStore(settings.paths).touch(settings.api_url, session_id, title=title)


def use_session(settings: Settings, session_id: str) -> None:
    """`--session ID`: make a known session the current one (exit 2 when it is unknown)."""
    from nemo_tui.api.models import SessionInfo
    from nemo_tui.store import SessionStore

    if settings.new_session:
        raise UsageError("--session and --new-session contradict each other; give one.")
    recent, current = known_sessions(settings)
    rec = next((r for r in recent if r.session_id == session_id), None)
    if rec is None:
        raise UsageError(f"No session {session_id!r} is known for {settings.api_url}; "
                         f"`{PROG} sessions` lists the known ones.")
    if session_id != current:
        SessionStore(settings.paths).set_current(settings.api_url,
                                                 SessionInfo(rec.session_id, rec.task_id))


def run_sessions(settings: Settings, output: Output) -> int:
    """List the known sessions: id, title, last message, time; the current one marked."""
    recent, current = known_sessions(settings)
    if output.json_mode:
        output.json({"sessions": [{"id": r.session_id, "title": r.title,
                                   "last_message": r.last_message, "updated_at": r.updated_at,
                                   "current": r.session_id == current} for r in recent]})
        return EXIT_OK
    if not recent:
        output.out(f"No sessions yet for {settings.api_url}. Start one with `{PROG}` or "
                   f"`{PROG} ask \"…\"`.")
        return EXIT_OK
    rows = [("", "ID", "TITLE", "TIME", "LAST MESSAGE")]
    rows += [("*" if r.session_id == current else "", r.session_id, r.title or "-",
              r.updated_at or "-", r.last_message or "") for r in recent]
    safe = [[safe_line(c, max_len=m) for c, m in zip(row, (1, 40, 40, 20, 80), strict=True)]
            for row in rows]
    widths = [max(len(r[i]) for r in safe) for i in range(4)]
    for r in safe:
        output.out("  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4])
    return EXIT_OK


async def run_open(client: NemoClient, output: Output) -> int:
    """Print the current session's web-editor (claim) link; a session is created if none."""
    await client.ensure_session()
    url = client.claim_url()
    if output.json_mode:
        output.json({"url": url})
    else:
        output.out(safe_line(url or ""))
    return EXIT_OK
