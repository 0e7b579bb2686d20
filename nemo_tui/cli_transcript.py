"""`nemo-tui transcript [--session ID] [--format md|json]`: a session's conversation, printed."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nemo_tui.cli_output import Output
    from nemo_tui.config import Settings


def run_transcript(settings: Settings, output: Output, *, session_id: str | None,
                   fmt: str) -> int:
    """Print the current (or the given) session's transcript as Markdown or JSON (no network)."""
    from nemo_tui.cli_output import UsageError
    from nemo_tui.store import SessionStore
    from nemo_tui.transcript_save import gather

    if settings.local:  # the studio's --local backend serves on this port (CLI.md)
        settings = settings.with_api_url(f"http://127.0.0.1:{settings.local_port}")
    explicit = session_id is not None
    if session_id is None:
        current = SessionStore(settings.paths).current(settings.api_url)
        if current is None:
            raise UsageError("There is no session yet for this API URL; start one in the "
                             "studio or with `nemo-tui ask`, or name one with --session ID.")
        session_id = current.session_id
    record = gather(settings.paths, settings.api_url, session_id)
    known = any(r.session_id == session_id
                for r in SessionStore(settings.paths).recent(settings.api_url))
    if not known and not record.entries:
        raise UsageError(f"No transcript of session {session_id!r} for this API URL "
                         "(`nemo-tui sessions` lists the known ones).")
    if explicit and known:  # the global --session: that session, made current (CLI.md)
        from nemo_tui.cli_sessions import use_session

        use_session(settings, session_id)
    if fmt == "json" or output.json_mode:
        output.json(record.json())
    else:
        output.out(record.markdown(), end="")
    return 0
