"""Message handlers of the studio: turn worker results into what the panes show."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.worker import Worker, WorkerState

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


#: Diff lines shown in the chat after a turn; a huge edit is summarized after these.
MAX_DIFF_LINES = 20


def error_words(exc: BaseException) -> str:
    """A failure as a sentence for the user (NemoError texts already say what to do)."""
    from nemo_tui.api.errors import NemoError

    if isinstance(exc, NemoError):  # a 2001's text already holds the registration link
        return str(exc)
    return (f"Something went wrong ({type(exc).__name__}: {safe_line(str(exc), max_len=200)}). "
            "Try again; if it keeps happening, restart the studio.")


class StudioHandlers:
    """Mixin for the App: the display side of every worker message."""

    # ---- connection ------------------------------------------------------------------------
    def on_connected(self: NemoStudioApp, msg: Connected) -> None:
        """Connection ready: show it."""
        expiry = msg.token_expiry[:10] if msg.token_expiry else None
        if self.settings.env_token:
            expiry = expiry or "NEMO_TOKEN"
        self.status.set_info(connection="ready", token_expiry=expiry)

    def on_session_opened(self: NemoStudioApp, msg: SessionOpened) -> None:
        """A session was started or reopened: load its transcript, jobs, state and credits."""
        self.open_session_view(msg.session, msg.new)

    def on_credits_updated(self: NemoStudioApp, msg: CreditsUpdated) -> None:
        """New balance (also said in the chat when the user asked for it)."""
        self.status.set_info(credits=msg.credits)
        self.mark_ready()
        if msg.to_chat:
            c = msg.credits
            self.say(f"Credits: {c.available} available, {c.frozen} frozen, {c.total} total.")

    def on_activity(self: NemoStudioApp, msg: Activity) -> None:
        """What is running now."""
        self.status.set_activity(msg.key, msg.text)

    def on_chat_notice(self: NemoStudioApp, msg: ChatNotice) -> None:
        """A line from the studio itself."""
        self.say(msg.text, msg.kind)

    # ---- state -----------------------------------------------------------------------------
    def on_state_fetched(self: NemoStudioApp, msg: StateFetched) -> None:
        """Ask the session model what the reply means; say it and refresh the panes."""
        self.mark_ready()
        if not self.session.owns(msg.session_id):
            return  # asked for a session the user has left: not this view's news
        state = msg.state
        news = self.session.apply_state(state.draft, msg.reason, state.task_name, msg.text)
        for line in news.lines:
            self.say(line.text, line.kind)
        if msg.reason in ("turn", "no_text") or (msg.reason == "poll" and news.changed):
            self.report_edit_verdict(news.draft, diff_shown=news.diff_shown)
        self.timeline.set_media(state.video_infos, state.generated_media)
        if news.redraw:
            self.timeline.set_draft(news.draft)
        if news.title:
            self.status.set_info(session=news.title)
            self.touch_session(title=news.title)
        if news.summary is not None:
            self.say(news.summary.text, news.summary.kind)

    # ---- composed timeline edits: did they happen? ----------------------------------------
    def expect_edit(self: NemoStudioApp, edit: object) -> None:
        """A message was sent to the agent: remember the timeline edit it asks for (if any)."""
        from nemo_tui.edit_check import EditWatch

        if self.edit_watch is None:
            self.edit_watch = EditWatch()
        self.edit_watch.expect(edit, self.draft)

    def report_edit_verdict(self: NemoStudioApp, new: object, diff_shown: bool) -> None:
        """After the turn: ``✓ applied`` or ``✗ not applied`` for a pending composed edit."""
        verdict = self.edit_watch.verdict(new, diff_shown) if self.edit_watch else None
        if verdict is None:
            return
        self.say(verdict.lines[0], "diff" if verdict.applied else "error")
        for line in verdict.lines[1:]:
            self.say(line, "info")

    # ---- chat turn -------------------------------------------------------------------------
    def on_turn_event_arrived(self: NemoStudioApp, msg: TurnEventArrived) -> None:
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
        if not self.session.owns(msg.session_id):
            return  # a turn left behind by a session switch (it was stopped and said so)
        log = self.chat_log
        if isinstance(ev, TextChunk):
            log.add_chunk(ev.text)
        elif isinstance(ev, TextFinal):
            log.finish_message(ev.text)
            self.record("agent", ev.text)
            self.session.stream_closed(None)  # the lines said while it streamed come after it
            self.apply_gui_speak(ev.text)
        elif isinstance(ev, ToolCall):
            phrase = tool_phrase(ev.name)
            if phrase != self.last_activity:
                self.say(phrase, "activity")
                self.last_activity = phrase
            self.status.set_activity("chat", phrase)
        elif isinstance(ev, StillWorking):
            self.say("⏳ Still working...", "working")
        elif isinstance(ev, StreamError):
            self.say(f"The agent hit an error: {ev.message}. The session is still usable; "
                     "try rephrasing or send the message again.", "error")
        elif isinstance(ev, SessionReplaced):
            self.say("The session had expired, so a new one was started and your message "
                     "was sent there.", "info")
            self.status.set_info(session=ev.new_session.session_id)
            self.session.replaced(ev.new_session.session_id, None)
            self.use_transcript(ev.new_session.session_id)
            if msg.text:  # the message now lives in the new session: keep it in its transcript
                self.record("user", msg.text)
        elif isinstance(ev, TurnEnd):
            self.close_stream()
            self.session.end_turn()
            if ev.reason == "timeout":
                limit = self.client.config.heartbeat_only_limit
                span = f"{limit / 60:g} minutes" if limit >= 60 else f"{limit:g} seconds"
                self.say(f"The agent sent nothing for {span}, so the turn was stopped. "
                         "Press Ctrl+R to see whether the timeline changed.", "error")

    def on_turn_dropped(self: NemoStudioApp, msg: TurnDropped) -> None:
        """The stream broke: say so, never re-send, offer a retry key, check the timeline in
        the background (the check never holds the chat: sending anything stops it)."""
        if not self.session.owns(msg.session_id):
            return
        self.close_stream()
        line = self.session.drop(msg.message, msg.text, self.drop_poll[0])
        self.say(line.text, line.kind)
        self.check_after_drop(msg.before, msg.session_id, msg.text)

    def apply_gui_speak(self: NemoStudioApp, text: str) -> None:
        """Turn the backend's GUI wording into the action itself or a one-key offer."""
        from nemo_tui.gui_speak import translate

        done: set[str] = set()
        for act in translate(text):
            if act.kind in done:
                continue
            done.add(act.kind)
            if act.kind == "export":
                self.say("No button here: press Ctrl+S to export the video now.", "offer")
            elif act.kind == "refresh_state":
                self.say("The timeline pane refreshes after this turn.", "offer")
            elif act.kind == "show_tracks":
                self.session.tracks_wanted = True
            elif act.kind == "send_edit":
                self.say("No dragging needed: describe the change here and press Enter.",
                         "offer")
            else:
                self.say(act.phrase, "offer")

    # ---- jobs and uploads ------------------------------------------------------------------
    def on_job_changed(self: NemoStudioApp, msg: JobChanged) -> None:
        """Update a job row."""
        job = msg.job
        dl = None
        if job.status == "completed" and job.path is None and job.download_progress is not None:
            dl = job.download_progress / 100
        self.jobs_table.upsert(job, downloading=dl)
        running = [j for j in self.jobs_table.running()]
        self.status.set_activity("jobs", f"{len(running)} render(s) running" if running else None)

    def on_upload_progress(self: NemoStudioApp, msg: UploadProgress) -> None:
        """Show upload progress in the status bar."""
        pct = f" {msg.done * 100 // msg.total}%" if msg.total else f" {msg.done // 1024} KiB"
        self.status.set_activity(f"up:{msg.name}", f"uploading {msg.name}{pct}")
        if msg.total and msg.done >= msg.total:
            self.status.set_activity(f"up:{msg.name}", None)

    def on_upload_finished(self: NemoStudioApp, msg: UploadFinished) -> None:
        """Say what was uploaded."""
        for f in msg.files:
            bits = [f.file_type or "file"]
            if f.duration:
                bits.append(f"{f.duration:g} s")
            if f.width and f.height:
                bits.append(f"{f.width}x{f.height}")
            self.say(f"Uploaded {f.filename} ({', '.join(bits)}).", "info")
        if msg.follow_up:
            self.send_to_agent(msg.follow_up)

    # ---- failures, in one place ------------------------------------------------------------
    def on_worker_state_changed(self: NemoStudioApp, event: Worker.StateChanged) -> None:
        """Every worker failure becomes a line in words; a cancelled turn is closed cleanly."""
        worker = event.worker
        if event.state == WorkerState.CANCELLED and worker.group == "chat":
            self.close_stream()
            self.session.end_turn("cancelled")
            self.status.set_activity("chat", None)
            if self.cancel_requested:
                self.cancel_requested = False
                self.say("Turn cancelled. The backend may still apply the edit: press Ctrl+R "
                         "to refresh the timeline.", "info")
        if event.state != WorkerState.ERROR or worker.error is None:
            return
        from nemo_tui.store import StateDirError, explain_state_error

        exc = explain_state_error(worker.error, self.settings.paths.state_dir)
        if worker.group == "chat":
            self.close_stream()
        if isinstance(exc, StateDirError):
            self.status.set_info(connection="state folder not writable")
        elif worker.group == "session" and self.status.info.connection != "ready":
            self.status.set_info(connection="offline")
        self.say(error_words(exc), "error")

    # ---- helpers used above (need the App) -------------------------------------------------
    def say(self: NemoStudioApp, text: str, kind: str = "info", *, record: bool = True) -> None:
        """Append a studio line to the chat log (and, unless ``record`` is False, the
        transcript)."""
        self.chat_log.add_line(text, kind)
        if not record:
            return
        if kind in ("error",):
            self.record("error", text)
        elif kind in ("diff", "info", "offer"):
            self.record("system", text)

    def mark_ready(self: NemoStudioApp) -> None:
        """A request succeeded: the backend is reachable (again)."""
        if self.status.info.connection != "ready":
            self.status.set_info(connection="ready")

    def close_stream(self: NemoStudioApp) -> None:
        """End the streaming reply on screen: the model records its text so far, then the
        lines said while it streamed (they are shown after it)."""
        self.session.stream_closed(self.chat_log.end_turn())

    def record(self: NemoStudioApp, role: str, text: str) -> None:
        """Save a line to the session's transcript (off the event loop, in order; while a
        reply streams, held until it ends: the transcript keeps the order shown live)."""
        if not self.replaying:
            self.session.record(role, text, streaming=self.chat_log.streaming)  # type: ignore[arg-type]
