"""Switching the studio to a session: its transcript, jobs, state and credits.

Plain functions taking the App (no mixin), named on the App class like the handlers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nemo_tui.session import RECORDED, ROLE_KINDS, Session
from nemo_tui.textsafe import safe_line
from nemo_tui.ui.chat_routing import turn_running
from nemo_tui.ui.writes import QueuedTranscript

if TYPE_CHECKING:
    from nemo_tui.ui.app import NemoStudioApp


def open_session_view(app: NemoStudioApp, session: Any, new: bool,
                      title: str | None = None) -> None:
    """Reset the panes to ``session``: transcript, jobs (persisted), state and credits;
    ``title``: its recorded title, if any (the opening line names it)."""
    app.leave_turn()
    app.session = Session(session.session_id, on_draft=app.keep_version)
    app.workers.cancel_group(app, "jobs")
    store, url = app.session_store, app.settings.api_url
    app.writes.submit(lambda: store.set_current(url, session))
    app.use_transcript(session.session_id)
    app.timeline.set_draft(None)
    app.versions.store_for(session.session_id)
    log = app.chat_log
    log.clear_log()
    app.replaying = True
    try:
        for entry in app.transcript.load():
            log.add_line(entry.text, replay_kind(entry))
    finally:
        app.replaying = False
    app.status.set_info(session=session.session_id)
    app.say(opened_words(session.session_id, new, title), record=False)
    app.load_jobs()
    app.io.fetch_state("open")
    app.io.fetch_credits()


def opened_words(session_id: str, new: bool, title: str | None) -> str:
    """The line that opens a session's view: named by its title when one is known."""
    if new:
        return "New session started."
    name = safe_line(title, max_len=80) if title and title.strip() else None
    return f"Session \u201c{name}\u201d opened." if name else f"Session {session_id} opened."


def replay_kind(entry: Any) -> str:
    """How a saved line shows again: the kind it was shown with live when it kept one we
    record (the file is not trusted), else its role's."""
    kind = entry.kind
    if kind in RECORDED and RECORDED[kind] == entry.role:
        return kind
    return ROLE_KINDS.get(entry.role, "info")


def pick_session(app: NemoStudioApp) -> None:
    """Ctrl+O: list the recent sessions and reopen the one picked, or start a new one.

    The list (one small file) is read here, on the event loop, on purpose: the dialog must be
    up before the next key is handled, or keys typed right after Ctrl+O (a filter, Enter) went
    to the chat input and Enter sent them to the agent.
    """
    from nemo_tui.ui.screens.sessions import SessionsScreen

    recent = app.session_store.recent(app.settings.api_url)
    current = app.client.session.session_id if app.client.session else None

    def chosen(session_id: str | None) -> None:
        if session_id == "new":
            app.io.new_session()
        elif session_id and session_id != current:
            app.io.switch_session(session_id, recent)

    app.push_screen(SessionsScreen(recent, clock=app.clock, current=current), chosen)


def leave_turn(app: NemoStudioApp) -> None:
    """Before a session switch: stop the running turn and the timeline check, saying so
    in the session they belong to (a turn never writes into another session)."""
    app.workers.cancel_group(app, "drop-check")
    running = turn_running(app)
    if running:
        app.cancel_requested = False
        app.workers.cancel_group(app, "chat")
        app.close_stream()
    for line in app.session.leave(turn_running=running):
        app.say(line.text, line.kind)


def use_transcript(app: NemoStudioApp, session_id: str) -> None:
    """Save the chat of ``session_id`` from now on."""
    from nemo_tui.store import TranscriptStore

    app.transcript = TranscriptStore(app.settings.paths, app.settings.api_url, session_id)
    app.session.sink = QueuedTranscript(app.transcript, app.writes)
    app.chat_log.transcript_path = app.transcript.path


def load_jobs(app: NemoStudioApp) -> None:
    """Show this API URL's persisted jobs and resume watching unfinished ones."""
    table = app.jobs_table
    table.clear_jobs()
    jobs = app.job_store.load()
    if app.job_store.warning:
        app.say(app.job_store.warning, "error")
        app.job_store.warning = None
    for job in jobs:
        if job.api_url != app.settings.api_url:
            continue
        app.post_message_job(job)
        if job.batch:
            continue  # its batch runner watches it (the feed shows it)
        if not job.finished or (job.status == "completed" and job.path is None):
            app.io.watch(job)


def post_message_job(app: NemoStudioApp, job: Any) -> None:
    """Show a job row now (no worker involved)."""
    app.jobs_table.upsert(job)


def touch_session(app: NemoStudioApp, **fields: str | None) -> None:
    """Record title / last message of the current session for the "reopen" list."""
    session = app.client.session
    if session is None:
        return
    store, url = app.session_store, app.settings.api_url

    def touch() -> None:
        try:
            store.touch(url, session.session_id, task_id=session.task_id, **fields)
        except OSError:
            pass  # the recent list is a convenience; never interrupt the user for it

    app.writes.submit(touch)
