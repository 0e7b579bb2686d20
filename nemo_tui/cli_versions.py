"""`nemo-tui versions`, and recording the drafts the CLI sees as versions (ask, state, export).

Split from cli.py to keep modules small. No Textual, no Rich.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from nemo_tui.api.errors import NemoError
from nemo_tui.cli_output import EXIT_OK, PROG, UsageError
from nemo_tui.textsafe import safe_line

if TYPE_CHECKING:
    from nemo_tui.api.client import NemoClient
    from nemo_tui.cli_output import Output
    from nemo_tui.config import Settings
    from nemo_tui.version_store import VersionStore
    from nemo_tui.versions import Version

#: Characters of the message shown per line of `nemo-tui versions`.
MESSAGE_CHARS = 60


def version_store(settings: Settings, session_id: str) -> VersionStore:
    """The versions of ``session_id`` on the settings' API URL."""
    from nemo_tui.version_store import VersionStore

    return VersionStore(settings.paths, settings.api_url, session_id)


async def record_version(settings: Settings, output: Output, session_id: str, raw: Any,
                         message: str | None = None) -> Version | None:
    """Record ``raw`` as a version of the session (in a thread); the draft's version or None.

    A failure to save is said on stderr and never fails the command that saw the draft.
    """
    store = version_store(settings, session_id)
    try:
        recorded = await asyncio.to_thread(store.record, raw, message)
    except OSError as exc:
        output.note(f"Could not save the draft version ({exc.strerror or exc}).")
        return None
    finally:
        if store.warning:
            output.err(store.warning)
    return recorded.version


async def record_after_turn(client: NemoClient, settings: Settings, output: Output,
                            message: str, draft: Any = None) -> Any:
    """After `ask`: record the session's draft (fetched unless given) as led to by ``message``;
    returns that draft (None when it could not be fetched)."""
    if client.session is None:
        return None
    if draft is None:
        try:
            draft = (await client.state()).draft
        except NemoError:
            return None  # the turn's outcome is already reported; the next `state` records it
    await record_version(settings, output, client.session.session_id, draft, message)
    return draft


def load_version(settings: Settings, session_id: str | None, number: int
                 ) -> tuple[Version, dict[str, Any] | str]:
    """Version ``number`` of the session and its draft; bad usage (exit 2) when not kept."""
    from nemo_tui.version_store import NoSuchVersion, VersionDraftUnreadable, no_such_version_text
    from nemo_tui.versions import VersionHistory

    if session_id is None:
        raise UsageError(no_such_version_text(number, VersionHistory()))
    try:
        return version_store(settings, session_id).draft(number)
    except NoSuchVersion as exc:
        raise UsageError(f"{exc} `{PROG} versions` lists them.") from None
    except VersionDraftUnreadable as exc:
        raise NemoError(str(exc)) from None


def run_versions(settings: Settings, output: Output) -> int:
    """List the current session's versions (no network): number, time, message, one-line diff."""
    from nemo_tui.store import SessionStore
    from nemo_tui.versions import VersionHistory, one_line_diff

    session = None if settings.new_session else SessionStore(settings.paths).current(
        settings.api_url)
    history = VersionHistory()
    if session is not None:
        store = version_store(settings, session.session_id)
        history = store.load()
        if store.warning:
            output.err(store.warning)
    if output.json_mode:
        output.json({"versions": [v.cli_json() for v in history.versions]})
        return EXIT_OK
    if note := history.dropped_note():
        output.note(note)
    if not history.versions:
        output.out("No draft versions yet: they appear as the timeline changes "
                   f"(`{PROG} ask \"…\"`, `{PROG} state`).")
        return EXIT_OK
    width = len(str(history.versions[-1].number))
    for v in history.versions:
        when = v.created_at.replace("T", " ").rstrip("Z")
        message = safe_line(v.message, max_len=MESSAGE_CHARS) if v.message else "—"
        output.out(f"v{v.number:<{width}}  {safe_line(when, max_len=20)}  {message}  ·  "
                   f"{safe_line(one_line_diff(v), max_len=120)}")
    return EXIT_OK
