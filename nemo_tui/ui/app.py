"""The studio App: composition, key bindings and wiring (decisions live in the session model,
nemo_tui/session.py; display in ui/handlers.py; I/O in ui/workers.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Grid, Vertical
from textual.widgets import Footer, Header

from nemo_tui.session import Session
from nemo_tui.ui import chat_routing, handlers, session_view
from nemo_tui.ui.attention import Attention
from nemo_tui.ui.commands import app_bindings, resolve_user_keymap, works_over
from nemo_tui.ui.draft_versions import StudioVersions
from nemo_tui.ui.messages import Activity, JobChanged
from nemo_tui.ui.palette import StudioCommands
from nemo_tui.ui.pane_focus import focus_if_shown, keep_focus_on_screen
from nemo_tui.ui.turn_clock import TurnClock
from nemo_tui.ui.widgets.chat import ChatInput, ChatPane
from nemo_tui.ui.widgets.chatview import ChatView
from nemo_tui.ui.widgets.status import StatusBar
from nemo_tui.ui.widgets.timeline import TimelinePane
from nemo_tui.ui.workers import StudioWorkers
from nemo_tui.ui.writes import OrderedWriter

if TYPE_CHECKING:
    from nemo_tui.api.client import NemoClient
    from nemo_tui.config import Settings
    from nemo_tui.draft import Draft
    from nemo_tui.jobs import JobStore
    from nemo_tui.store import SessionStore, TranscriptStore
    from nemo_tui.ui.widgets.jobs import JobsTable

STYLES = Path(__file__).parent / "styles"


class NemoStudioApp(App[int]):
    """nemo-tui: chat, timeline and render jobs in one keyboard-driven screen."""

    TITLE = "nemo-tui"
    CSS_PATH: ClassVar[list[Path]] = [STYLES / "studio.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = app_bindings()
    COMMANDS: ClassVar[set[Any]] = {StudioCommands}  # one provider, Textual's in it: fixed order
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (100, "-wide")]
    # below 18 rows the timeline and jobs panes give way: the chat input must stay on screen
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-short"), (18, "-tall")]

    # What each worker message does to the panes (ui/handlers.py: functions of the App, asking
    # the session model); Textual finds them here by name.
    on_connected = handlers.on_connected
    on_session_opened = handlers.on_session_opened
    on_credits_updated = handlers.on_credits_updated
    on_activity = handlers.on_activity
    on_chat_notice = handlers.on_chat_notice
    on_state_fetched = handlers.on_state_fetched
    on_turn_event_arrived = handlers.on_turn_event_arrived
    on_turn_dropped = handlers.on_turn_dropped
    on_job_changed = handlers.on_job_changed
    on_upload_progress = handlers.on_upload_progress
    on_upload_finished = handlers.on_upload_finished
    on_worker_state_changed = handlers.on_worker_state_changed
    # helpers the handlers, screens and widgets use
    expect_edit = handlers.expect_edit
    report_edit_verdict = handlers.report_edit_verdict
    apply_gui_speak = handlers.apply_gui_speak
    say = handlers.say
    mark_ready = handlers.mark_ready
    close_stream = handlers.close_stream
    record = handlers.record
    # switching session (ui/session_view.py) and where a chat message goes (ui/chat_routing.py)
    open_session_view = session_view.open_session_view
    leave_turn = session_view.leave_turn
    use_transcript = session_view.use_transcript
    load_jobs = session_view.load_jobs
    post_message_job = session_view.post_message_job
    touch_session = session_view.touch_session
    on_chat_submitted = chat_routing.on_chat_submitted
    send_to_agent = chat_routing.send_to_agent
    action_retry_turn = chat_routing.action_retry_turn
    action_cancel_turn = chat_routing.action_cancel_turn

    def __init__(self, settings: Settings, *, client: NemoClient | None = None,
                 client_factory: Callable[[Settings], NemoClient] | None = None,
                 session_store: SessionStore | None = None, job_store: JobStore | None = None,
                 clock: Callable[[], float] = time.time, connect: bool = True,
                 drop_poll: tuple[float, float, int] = (30.0, 60.0, 5)) -> None:
        super().__init__()
        self.settings = settings
        # The client (httpx, an SSL context) is built after the first screen, in the connect
        # worker, unless one is given; see the ``client`` property.
        self._client = client
        self._client_factory = client_factory
        # stores are opened on first use (they import the API models, not needed to paint)
        self._session_store = session_store
        self._job_store = job_store
        self.clock = clock
        self.auto_connect = connect
        self.drop_poll = drop_poll
        # the session on screen: draft, turn, retry text, transcript order (nemo_tui/session.py)
        self.session = Session("")
        self.transcript: TranscriptStore | None = None  # the session's file (read on open)
        # transcript lines and the recent-sessions list are written off the event loop
        self.writes = OrderedWriter(self._start_writes, self._write_failed)
        self.replaying = False
        self.last_activity: str | None = None
        self.cancel_requested = False
        self.edit_watch: Any = None  # edit_check.EditWatch: the composed edit awaiting its turn
        self._jobs_table: JobsTable | None = None
        self.attention = Attention(self, settings.notify)  # toasts, bell / OSC 9 when away
        self.turn_clock = TurnClock(self)  # elapsed times while a turn runs
        self.versions = StudioVersions(self)
        self.io = StudioWorkers(self)  # every network call, as workers of this App
        # the user's [keymap]: what works is applied on mount, what does not is said once
        self.keymap_result = resolve_user_keymap(settings.keymap)
        self.key_table: dict[str, str] = self.keymap_result.keys

    def get_driver_class(self) -> Any:
        """Textual's driver, parsing input with the paste-safe parser (ui/paste_guard.py)."""
        from nemo_tui.ui.paste_guard import guard_driver

        return guard_driver(super().get_driver_class())

    # ---- composition -----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        """Header, the three panes, the status bar and the footer."""
        yield Header(icon="▶")
        with Grid(id="main"):
            yield ChatPane(id="chat")
            yield TimelinePane(id="timeline")
            # the jobs table (a DataTable) is mounted after the first frame: start-up time
            yield Vertical(id="jobs")
        yield StatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        """Apply the remembered theme, show where we connect, start connecting."""
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.set_keymap(self.keymap_result.overrides)
        if self.keymap_result.message:
            self.notify(self.keymap_result.message, severity="warning", timeout=20, markup=False)
        self.query_one("#timeline").border_title = "Timeline"
        self.query_one("#jobs").border_title = "Jobs"
        self.query_one("#chat").border_title = "Chat"
        self.status.set_info(api_url=self.settings.api_url)
        self.query_one(ChatInput).focus()
        keep_focus_on_screen(self)
        self.call_after_refresh(self.mount_jobs_table)
        from nemo_tui.ui.batch_runs import BatchJobsFeed

        self.call_after_refresh(BatchJobsFeed(self).start)  # batches' jobs, CLI ones too
        if self.auto_connect:
            # after the first frame: nothing the first screen does not need runs before it
            self.call_after_refresh(self.io.connect, self.settings.new_session)

    async def on_unmount(self) -> None:
        """Save what is still queued; close the HTTP client (running renders stay persisted
        and resume next time)."""
        self.writes.flush()
        self.versions.close()
        if self._job_store is not None:
            try:  # progress still waiting to be coalesced (nemo_tui.job_writes)
                self._job_store.flush()
            except OSError:  # unwritable state dir: already reported; quitting goes on
                self.log.warning("writing the last job changes failed")
        if self._client is None:
            return
        try:
            await self._client.aclose()
        except Exception:  # noqa: BLE001 - closing must never block quitting
            self.log.warning("closing the HTTP client failed")

    @property
    def session_store(self) -> SessionStore:
        """Current and recent sessions per API URL."""
        if self._session_store is None:
            from nemo_tui.store import SessionStore

            self._session_store = SessionStore(self.settings.paths)
        return self._session_store

    @property
    def job_store(self) -> JobStore:
        """Persisted render jobs."""
        if self._job_store is None:
            from nemo_tui.jobs import JobStore

            self._job_store = JobStore(self.settings.paths)
        return self._job_store

    @property
    def client(self) -> NemoClient:
        """The API client, built on first use."""
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def _make_client(self) -> NemoClient:
        """Build the client from the settings (through the factory when one was given)."""
        if self._client_factory is not None:
            return self._client_factory(self.settings)
        from nemo_tui.services import build_client

        # the client's "current session" write goes through the ordered writer (off the loop)
        return build_client(self.settings, defer_write=self.writes.submit)

    async def ensure_client(self) -> None:
        """Build the client in a thread (imports httpx, loads CA certificates) if needed."""
        if self._client is None:
            import asyncio

            client = await asyncio.to_thread(self._make_client)
            if self._client is None:
                self._client = client

    # ---- pane accessors (attributes down) --------------------------------------------------
    @property
    def status(self) -> StatusBar:
        """The status bar."""
        return self.query_one(StatusBar)

    @property
    def chat_log(self) -> ChatView:
        """The chat log (searchable, selectable)."""
        return self.query_one(ChatView)

    @property
    def timeline(self) -> TimelinePane:
        """The timeline pane."""
        return self.query_one(TimelinePane)

    @property
    def jobs_table(self) -> JobsTable:
        """The jobs table (created on first use; it shows its jobs once mounted)."""
        if self._jobs_table is None:
            from nemo_tui.ui.widgets.jobs import JobsTable

            self._jobs_table = JobsTable(self.clock, id="jobs-table")
        return self._jobs_table

    def mount_jobs_table(self) -> None:
        """Mount the jobs table in its pane if it is not mounted yet."""
        table = self.jobs_table
        if table.parent is None:
            self.query_one("#jobs").mount(table)

    @on(Activity)
    def _time_turn(self, msg: Activity) -> None:
        """A turn starts or ends: its clock (elapsed times, the long-turn notification)."""
        self.turn_clock.activity(msg.key, msg.text)

    @on(JobChanged)
    def _tell_job_outcome(self, msg: JobChanged) -> None:
        """A render finished or failed: a toast (and the bell when the terminal is away)."""
        self.attention.job_changed(msg.job)

    # ---- the session model's fields, as the panes and tests read them ------------------------
    @property
    def draft(self) -> Draft | None:
        """The decoded draft on screen."""
        return self.session.draft

    @draft.setter
    def draft(self, draft: Draft | None) -> None:
        self.session.draft = draft

    @property
    def raw_draft(self) -> Any:
        """The draft on screen as the server sent it."""
        return self.session.raw_draft

    @raw_draft.setter
    def raw_draft(self, raw: Any) -> None:
        self.session.raw_draft = raw

    @property
    def retry_text(self) -> str | None:
        """The message Ctrl+Y sends again (after a dropped stream)."""
        return self.session.retry_text

    @retry_text.setter
    def retry_text(self, text: str | None) -> None:
        self.session.retry_text = text

    def _start_writes(self, drain: Callable[[], None]) -> None:
        """Run the writer's queue in a thread worker."""
        self.run_worker(drain, thread=True, group="writes", exit_on_error=False,
                        description="saving")

    def _write_failed(self, exc: OSError) -> None:
        """A transcript or sessions write failed (in the writer's thread): say so once."""
        from nemo_tui.store import explain_state_error

        text = f"Could not save the transcript: {explain_state_error(exc, self.settings.paths.state_dir)}"
        self.call_from_thread(self.notify, text, severity="warning", markup=False)

    def keep_version(self, session_id: str, raw: Any, message: str | None,
                      draft: Draft | None) -> None:
        """The session model applied a new draft: keep it as a version (off the event loop)."""
        self.versions.record(session_id, raw, message, draft)

    # ---- actions (one per Binding and palette entry; see commands.ACTIONS) -----------------
    def action_help(self) -> None:
        """Show every key."""
        from nemo_tui.ui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_new_session(self) -> None:
        """Start a new session."""
        self.io.new_session()

    def action_open_session(self) -> None:
        """Pick a recent session to reopen (ui/session_view.py)."""
        session_view.pick_session(self)

    def action_run_batch(self) -> None:
        """Pick a batch file and run it with the batch engine (ui/batch_runs.py)."""
        from nemo_tui.ui.batch_runs import pick_batch_file

        pick_batch_file(self)

    def action_export(self) -> None:
        """Render the draft and download it when done."""
        self.io.start_export()

    def action_credits(self) -> None:
        """Fetch the credit balance (shown in the status bar and the chat)."""
        self.show_credits_line()

    def action_refresh_state(self) -> None:
        """Fetch the session state."""
        self.io.fetch_state("refresh")

    def action_upload(self) -> None:
        """Open the upload picker."""
        from nemo_tui.ui.screens.upload import UploadScreen

        def chosen(target: str | None) -> None:
            if target:
                self.io.upload(target)

        self.push_screen(UploadScreen(Path.cwd()), chosen)

    def action_open_web(self) -> None:
        """Show and copy the web editor's claim URL (no token in it, ever)."""
        url = self.client.claim_url()
        if not url:
            self.say("There is no session yet to open in the web editor.", "error")
            return
        self.copy_to_clipboard(url)
        self.say(f"Open this project in the web editor (link copied): {url}", "info")

    def action_switch_theme(self) -> None:
        """Pick a theme (Textual's picker); the choice is remembered in config."""
        self.action_change_theme()

    def action_focus_chat(self) -> None:
        """Focus the chat input."""
        self.query_one(ChatInput).focus()

    def action_focus_timeline(self) -> None:
        """Focus the timeline (its tree, or the media bin when that is shown), if on screen."""
        pane = self.timeline
        focus_if_shown(self, pane.media_bin if pane.media_bin.display else pane.tree, "timeline")

    def on_timeline_pane_edit_composed(self, msg: TimelinePane.EditComposed) -> None:
        """A timeline key composed an instruction: it waits in the chat input (Enter sends)."""
        self.query_one(ChatInput).compose_instruction(msg.text, msg.action, msg.select)

    def action_focus_jobs(self) -> None:
        """Focus the jobs table, if on screen."""
        focus_if_shown(self, self.jobs_table, "jobs pane")

    def action_find(self) -> None:
        """Open the find bar under the chat log."""
        self.query_one(ChatPane).open_find()

    def action_select_messages(self) -> None:
        """Selection mode in the chat log (copy one message or a range)."""
        self.chat_log.start_selection()

    def action_copy_reply(self) -> None:
        """Copy the agent's last reply (OSC 52)."""
        self.chat_log.copy_last_reply()

    def action_save_transcript(self) -> None:
        """Save the transcript as Markdown (messages, timeline changes, renders)."""
        from nemo_tui.ui.transcript_actions import save_transcript

        save_transcript(self)

    def action_versions(self) -> None:
        """List the draft's versions (compare, export one)."""
        from nemo_tui.ui.screens.versions import VersionsScreen

        self.push_screen(VersionsScreen(self.versions, on_export=self.io.start_export))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Over a dialog or the preview only the studio keys that work there run (and show in
        that screen's footer): commands.works_over."""
        return len(self.screen_stack) < 2 or works_over(action, self.screen)

    def get_system_commands(self, screen: Any) -> Any:
        """Textual's palette entries, minus Quit/Theme (the studio's own entries cover them)."""
        for cmd in super().get_system_commands(screen):
            if cmd.title not in ("Quit", "Theme"):
                yield cmd

    # ---- small helpers ---------------------------------------------------------------------
    def show_credits_line(self) -> None:
        """Fetch credits and also say them in the chat."""
        self.io.fetch_credits(to_chat=True)

    def _remember_theme(self, theme: Any) -> None:
        """Save the chosen theme in config.toml (in a thread: file I/O off the event loop)."""
        name = getattr(theme, "name", str(theme))
        if name == self.settings.theme:
            return
        from nemo_tui.config import save_setting

        paths = self.settings.paths
        self.run_worker(lambda: save_setting("theme", name, paths=paths), thread=True,
                        group="config", exit_on_error=False)


def run_studio(settings: Settings, *, backend_url_override: str | None = None) -> int:
    """Run the studio until the user quits; returns the exit code."""
    if backend_url_override:
        settings = settings.with_api_url(backend_url_override)
    app = NemoStudioApp(settings)
    from nemo_tui.preview.terminal import choose_graphics

    # asked before Textual reads the terminal: a running app would take the answer for keys
    app.graphics = choose_graphics(settings.preview)
    result = app.run()
    return int(result or 0)
