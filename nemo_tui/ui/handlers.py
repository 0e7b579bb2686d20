"""Message handlers of the studio: turn worker results into what the panes show.

Plain functions taking the App (no mixin): the App class names them as its handlers and helpers
(``on_state_fetched = handlers.on_state_fetched``). The decisions are the session model's
(nemo_tui/session.py); these only ask it and update the widgets.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual.css.query import NoMatches
from textual.worker import Worker, WorkerState

from nemo_tui.session import RECORDED
from nemo_tui.textsafe import safe_line
from nemo_tui.ui.messages import (
    Activity,
    ChatNotice,
    Connected,
    CreditsUpdated,
    JobChanged,
    SessionOpened,
    StateFetched,
    TurnDropped,
    TurnEventArrived,
    UploadFinished,
    UploadProgress,
)
from nemo_tui.ui.widgets.chat import tool_phrase

if TYPE_CHECKING:
    from nemo_tui.ui.app import NemoStudioApp


_Handler = TypeVar("_Handler", bound=Callable[..., Any])


def while_open(handler: _Handler) -> _Handler:
    """Drop a worker message that arrives after quitting has removed the panes.

    A worker's last message (a poll, a state reply) can be handled while the studio closes; what
    it carries is already persisted by the worker, so there is nothing left to show — and no
    traceback on quit. A missing pane in a running studio is still an error.
    """

    @functools.wraps(handler)
    def guarded(app: NemoStudioApp, *args: Any) -> Any:
        try:
            return handler(app, *args)
        except NoMatches:
            # quitting (exit) or shutting down (the App stops running before removing screens)
            closing = (getattr(app, "_exit", False) or getattr(app, "_closing", False)
                       or not getattr(app, "_running", True))
            if closing:
                return None
            raise

    return guarded  # type: ignore[return-value]


#: Diff lines shown in the chat after a turn; a huge edit is summarized after these.
MAX_DIFF_LINES = 20


def error_words(exc: BaseException) -> str:
    """A failure as a sentence for the user (NemoError texts already say what to do)."""
    from nemo_tui.api.errors import NemoError

    if isinstance(exc, NemoError):  # a 2001's text already holds the registration link
        return str(exc)
    return (f"Something went wrong ({type(exc).__name__}: {safe_line(str(exc), max_len=200)}). "
            "Try again; if it keeps happening, restart the studio.")


# ---- connection ------------------------------------------------------------------------
@while_open
def on_connected(app: NemoStudioApp, msg: Connected) -> None:
    """Connection ready: show it."""
    expiry = msg.token_expiry[:10] if msg.token_expiry else None
    if app.settings.env_token:
        expiry = expiry or "NEMO_TOKEN"
    app.status.set_info(connection="ready", token_expiry=expiry)


@while_open
def on_session_opened(app: NemoStudioApp, msg: SessionOpened) -> None:
    """A session was started or reopened: load its transcript, jobs, state and credits."""
    app.open_session_view(msg.session, msg.new, msg.title)


@while_open
def on_credits_updated(app: NemoStudioApp, msg: CreditsUpdated) -> None:
    """New balance (also said in the chat when the user asked for it)."""
    app.status.set_info(credits=msg.credits)
    app.mark_ready()
    if msg.to_chat:
        c = msg.credits
        app.say(f"Credits: {c.available} available, {c.frozen} frozen, {c.total} total.")


@while_open
def on_activity(app: NemoStudioApp, msg: Activity) -> None:
    """What is running now."""
    app.status.set_activity(msg.key, msg.text)


@while_open
def on_chat_notice(app: NemoStudioApp, msg: ChatNotice) -> None:
    """A line from the studio itself (news about another session than the open one: dropped)."""
    if msg.session_id and not app.session.owns(msg.session_id):
        return
    app.say(msg.text, msg.kind)


# ---- state -----------------------------------------------------------------------------
@while_open
def on_state_fetched(app: NemoStudioApp, msg: StateFetched) -> None:
    """Ask the session model what the reply means; say it and refresh the panes."""
    app.mark_ready()
    if not app.session.owns(msg.session_id):
        return  # asked for a session the user has left: not this view's news
    state = msg.state
    news = app.session.apply_state(state.draft, msg.reason, state.task_name, msg.text)
    for line in news.lines:
        app.say(line.text, line.kind)
    if msg.reason in ("turn", "no_text") or (msg.reason == "poll" and news.changed):
        app.report_edit_verdict(news.draft, diff_shown=news.diff_shown)
    app.timeline.set_media(state.video_infos, state.generated_media)
    if news.redraw:
        app.timeline.set_draft(news.draft)
    if news.title:
        app.status.set_info(session=news.title)
        app.touch_session(title=news.title)
    if news.summary is not None:
        app.say(news.summary.text, news.summary.kind)


# ---- composed timeline edits: did they happen? ----------------------------------------
def expect_edit(app: NemoStudioApp, edit: object) -> None:
    """A message was sent to the agent: remember the timeline edit it asks for (if any)."""
    from nemo_tui.edit_check import EditWatch

    if app.edit_watch is None:
        app.edit_watch = EditWatch()
    app.edit_watch.expect(edit, app.draft)


def report_edit_verdict(app: NemoStudioApp, new: object, diff_shown: bool) -> None:
    """After the turn: ``✓ applied`` or ``✗ not applied`` for a pending composed edit."""
    verdict = app.edit_watch.verdict(new, diff_shown) if app.edit_watch else None
    if verdict is None:
        return
    if verdict.applied:
        app.timeline.follow_edit(verdict.action)
    app.say(verdict.lines[0], "diff" if verdict.applied else "error")
    for line in verdict.lines[1:]:
        app.say(line, "info")


# ---- chat turn -------------------------------------------------------------------------
@while_open
def on_turn_event_arrived(app: NemoStudioApp, msg: TurnEventArrived) -> None:
    """Show one event of the running turn."""
    from nemo_tui.api.models import (
        SessionReplaced,
        StillWorking,
        StreamError,
        TextChunk,
        TextFinal,
        ToolCall,
        TurnEnd,
    )

    ev = msg.event
    if not app.session.owns(msg.session_id):
        return  # a turn left behind by a session switch (it was stopped and said so)
    log = app.chat_log
    if isinstance(ev, TextChunk):
        log.add_chunk(ev.text)
    elif isinstance(ev, TextFinal):
        log.finish_message(ev.text)
        app.record("agent", ev.text)
        app.session.stream_closed(None)  # the lines said while it streamed come after it
        app.apply_gui_speak(ev.text)
    elif isinstance(ev, ToolCall):
        phrase = tool_phrase(ev.name)
        if phrase != app.last_activity:
            app.say(phrase, "activity")
            app.last_activity = phrase
        app.status.set_activity("chat", phrase)
    elif isinstance(ev, StillWorking):
        app.say("⏳ Still working...", "working")
    elif isinstance(ev, StreamError):
        app.say(f"The agent hit an error: {ev.message}. The session is still usable; "
                 "try rephrasing or send the message again.", "error")
    elif isinstance(ev, SessionReplaced):
        app.say("The session had expired, so a new one was started and your message "
                 "was sent there.", "info")
        app.status.set_info(session=ev.new_session.session_id)
        app.session.replaced(ev.new_session.session_id, None)
        app.use_transcript(ev.new_session.session_id)
        if msg.text:  # the message now lives in the new session: keep it in its transcript
            app.record("user", msg.text)
    elif isinstance(ev, TurnEnd):
        app.close_stream()
        app.session.end_turn()
        if ev.reason == "timeout":
            limit = app.client.config.heartbeat_only_limit
            span = f"{limit / 60:g} minutes" if limit >= 60 else f"{limit:g} seconds"
            app.say(f"The agent sent nothing for {span}, so the turn was stopped. "
                     "Press Ctrl+R to see whether the timeline changed.", "error")


@while_open
def on_turn_dropped(app: NemoStudioApp, msg: TurnDropped) -> None:
    """The stream broke: say so, never re-send, offer a retry key, check the timeline in
    the background (the check never holds the chat: sending anything stops it)."""
    if not app.session.owns(msg.session_id):
        return
    app.close_stream()
    line = app.session.drop(msg.message, msg.text, app.drop_poll[0])
    app.say(line.text, line.kind)
    app.io.check_after_drop(msg.before, msg.session_id, msg.text)


def apply_gui_speak(app: NemoStudioApp, text: str) -> None:
    """Turn the backend's GUI wording into the action itself or a one-key offer."""
    from nemo_tui.gui_speak import translate

    done: set[str] = set()
    for act in translate(text):
        if act.kind in done:
            continue
        done.add(act.kind)
        if act.kind == "export":
            app.say("No button here: press Ctrl+S to export the video now.", "offer")
        elif act.kind == "refresh_state":
            app.say("The timeline pane refreshes after this turn.", "offer")
        elif act.kind == "show_tracks":
            app.session.tracks_wanted = True
        elif act.kind == "send_edit":
            app.say("No dragging needed: describe the change here and press Enter.",
                     "offer")
        else:
            app.say(act.phrase, "offer")


# ---- jobs and uploads ------------------------------------------------------------------
@while_open
def on_job_changed(app: NemoStudioApp, msg: JobChanged) -> None:
    """Update a job row."""
    job = msg.job
    dl = None
    if job.status == "completed" and job.path is None and job.download_progress is not None:
        dl = job.download_progress / 100
    app.jobs_table.upsert(job, downloading=dl)
    running = [j for j in app.jobs_table.running()]
    app.status.set_activity("jobs", f"{len(running)} render(s) running" if running else None)


@while_open
def on_upload_progress(app: NemoStudioApp, msg: UploadProgress) -> None:
    """Show upload progress in the status bar."""
    pct = f" {msg.done * 100 // msg.total}%" if msg.total else f" {msg.done // 1024} KiB"
    app.status.set_activity(f"up:{msg.name}", f"uploading {msg.name}{pct}")
    if msg.total and msg.done >= msg.total:
        app.status.set_activity(f"up:{msg.name}", None)


@while_open
def on_upload_finished(app: NemoStudioApp, msg: UploadFinished) -> None:
    """Say what was uploaded."""
    for f in msg.files:
        bits = [f.file_type or "file"]
        if f.duration:
            bits.append(f"{f.duration:g} s")
        if f.width and f.height:
            bits.append(f"{f.width}x{f.height}")
        app.say(f"Uploaded {f.filename} ({', '.join(bits)}).", "info")
    if msg.follow_up:
        app.send_to_agent(msg.follow_up)


# ---- failures, in one place ------------------------------------------------------------
def on_worker_state_changed(app: NemoStudioApp, event: Worker.StateChanged) -> None:
    """Every worker failure becomes a line in words; a cancelled turn is closed cleanly."""
    worker = event.worker
    if event.state == WorkerState.CANCELLED and worker.group == "chat":
        app.close_stream()
        app.session.end_turn("cancelled")
        app.status.set_activity("chat", None)
        if app.cancel_requested:
            app.cancel_requested = False
            app.say("Turn cancelled. The backend may still apply the edit: press Ctrl+R "
                     "to refresh the timeline.", "info")
    if event.state != WorkerState.ERROR or worker.error is None:
        return
    from nemo_tui.store import StateDirError, explain_state_error

    exc = explain_state_error(worker.error, app.settings.paths.state_dir)
    if worker.group == "chat":
        app.close_stream()
    if isinstance(exc, StateDirError):
        app.status.set_info(connection="state folder not writable")
    elif worker.group == "session" and app.status.info.connection != "ready":
        app.status.set_info(connection="offline")
    app.say(error_words(exc), "error")


# ---- helpers used above (need the App) -------------------------------------------------
def say(app: NemoStudioApp, text: str, kind: str = "info", *, record: bool = True) -> None:
    """Append a studio line to the chat log (and, unless ``record`` is False, the
    transcript)."""
    app.chat_log.add_line(text, kind)
    if not record:
        return
    role = RECORDED.get(kind)
    if role in ("error", "system"):  # the user's and the agent's lines are recorded as they come
        app.record(role, text, kind)


@while_open
def mark_ready(app: NemoStudioApp) -> None:
    """A request succeeded: the backend is reachable (again)."""
    if app.status.info.connection != "ready":
        app.status.set_info(connection="ready")


def close_stream(app: NemoStudioApp) -> None:
    """End the streaming reply on screen: the model records its text so far, then the
    lines said while it streamed (they are shown after it)."""
    app.session.stream_closed(app.chat_log.end_turn())


def record(app: NemoStudioApp, role: str, text: str, kind: str | None = None) -> None:
    """Save a line (shown as ``kind``) to the session's transcript (off the event loop, in
    order; while a reply streams, held until it ends: the transcript keeps the order shown
    live)."""
    if not app.replaying:
        app.session.record(role, text, streaming=app.chat_log.streaming,  # type: ignore[arg-type]
                           kind=kind)
