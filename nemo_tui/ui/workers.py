"""Workers: every network call of the studio, run as Textual workers that post messages up.

Widgets never call the client. Each worker reports through the messages of
:mod:`nemo_tui.ui.messages`; failures surface in ``on_worker_state_changed`` (handlers.py).
The App owns one :class:`StudioWorkers` (``app.io``); its methods start workers on the App,
so Textual's worker groups, exclusivity and cancellation work as for ``@work`` methods.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Coroutine
from functools import partial, wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec

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

if TYPE_CHECKING:
    from textual.message import Message
    from textual.worker import Worker

    from nemo_tui.api.client import NemoClient
    from nemo_tui.jobs import JobStore, RenderJob
    from nemo_tui.session import StateReason
    from nemo_tui.store import RecentSession
    from nemo_tui.ui.app import NemoStudioApp

Params = ParamSpec("Params")


def in_worker(*, group: str, description: str, exclusive: bool = False) -> Callable[
        [Callable[Concatenate[StudioWorkers, Params], Coroutine[Any, Any, None]]],
        Callable[Concatenate[StudioWorkers, Params], Worker[None]]]:
    """Textual's ``@work`` for a method of :class:`StudioWorkers` (not a widget): calling it
    starts the coroutine as a worker of the App, named after the method."""

    def decorator(method: Callable[Concatenate[StudioWorkers, Params],
                                   Coroutine[Any, Any, None]]
                  ) -> Callable[Concatenate[StudioWorkers, Params], Worker[None]]:
        @wraps(method)
        def start(self: StudioWorkers, *args: Params.args, **kwargs: Params.kwargs) -> Worker:
            return self.app.run_worker(partial(method, self, *args, **kwargs),
                                       name=method.__name__, group=group,
                                       description=description, exclusive=exclusive,
                                       exit_on_error=False)

        return start

    return decorator


async def export_name(settings: Any, raw_draft: Any, session_id: str) -> str | None:
    """The download's file name from the session's title (off the loop: it may read a file)."""
    from nemo_tui.naming import export_filename, session_title

    title = await asyncio.to_thread(session_title, raw_draft, settings.paths, settings.api_url,
                                    session_id)
    return export_filename(title)


class StudioWorkers:
    """The studio's I/O side: every method runs (or starts) a worker of ``app`` that talks to
    the backend through the App's one client and reports back with messages."""

    def __init__(self, app: NemoStudioApp) -> None:
        self.app = app

    # what the workers use of the App (the client is built lazily, so always read it anew)
    @property
    def client(self) -> NemoClient:
        return self.app.client

    @property
    def job_store(self) -> JobStore:
        return self.app.job_store

    @property
    def settings(self) -> Any:
        return self.app.settings

    def post_message(self, message: Message) -> bool:
        """Post ``message`` to the App (its handlers update the panes)."""
        return self.app.post_message(message)

    # ---- connection and sessions ------------------------------------------------------------
    @in_worker(group="session", description="connecting", exclusive=True)
    async def connect(self, new_session: bool = False) -> None:
        """Get a token and a session (new, or the stored current one), then load everything."""
        from nemo_tui.store import check_state_dir

        self.post_message(Activity("connect", "connecting…"))
        try:
            # an unwritable state folder would fail every request's bookkeeping: say it first
            await asyncio.to_thread(check_state_dir, self.settings.paths.state_dir)
            await self.app.ensure_client()
            token = await self.client.ensure_token()
            if new_session or self.client.session is None:
                session = await self.client.create_session()
                new = True
            else:
                session = self.client.session
                new = False
            title = None if new else await asyncio.to_thread(
                self.app.session_store.title, self.settings.api_url, session.session_id)
            self.post_message(Connected(session, token.expires_at, token.user_id, new))
            self.post_message(SessionOpened(session, new, title))
        finally:
            self.post_message(Activity("connect", None))

    @in_worker(group="session", description="new session", exclusive=True)
    async def new_session(self) -> None:
        """Create a new backend session and switch to it."""
        self.post_message(Activity("session", "creating a session…"))
        try:
            session = await self.client.create_session()
            self.post_message(SessionOpened(session, True))
        finally:
            self.post_message(Activity("session", None))

    def switch_session(self, session_id: str, recent: list[RecentSession]) -> None:
        """Point the client at an existing session (no request needed); what ``recent`` (the
        list it was picked from) recorded of it gives its task and title."""
        from nemo_tui.api.models import SessionInfo

        rec = next((r for r in recent if r.session_id == session_id), None)
        session = SessionInfo(session_id, rec.task_id if rec else None)
        self.client.session = session
        self.post_message(SessionOpened(session, False, rec.title if rec else None))

    # ---- state and credits -----------------------------------------------------------------
    @in_worker(group="state", description="fetching state", exclusive=True)
    async def fetch_state(self, reason: StateReason = "refresh") -> None:
        """Fetch the session state; handlers decode, diff and show it."""
        self.post_message(Activity("state", "fetching timeline…"))
        try:
            sid = self._session_id()
            state = await self.client.state()
            self.post_message(StateFetched(state, reason, sid))
        finally:
            self.post_message(Activity("state", None))

    @in_worker(group="credits", description="fetching credits", exclusive=True)
    async def fetch_credits(self, to_chat: bool = False) -> None:
        """Fetch the credit balance (``to_chat``: also say it in the chat)."""
        self.post_message(CreditsUpdated(await self.client.credits(), to_chat))

    def _session_id(self) -> str | None:
        """The id of the client's current session (None before there is one)."""
        session = self.client.session
        return session.session_id if session is not None else None

    # ---- chat -------------------------------------------------------------------------------
    @in_worker(group="chat", description="chat turn", exclusive=True)
    async def run_turn(self, text: str) -> None:
        """Stream one turn; afterwards refresh state (diff) and credits. Never re-sends.

        Every message is tagged with the turn's session, so nothing of a turn left behind by a
        session switch is shown in (or recorded for) another session.
        """
        from nemo_tui.api.errors import StreamDroppedError
        from nemo_tui.api.models import SessionReplaced, TextChunk, TextFinal, TurnEnd

        self.post_message(Activity("chat", "agent is working…"))
        before = self.app.raw_draft
        had_text = False
        try:
            await self.client.ensure_session()
            sid = self._session_id()
            try:
                async for event in self.client.stream_turn(text):
                    if isinstance(event, (TextChunk, TextFinal)) and event.text.strip():
                        had_text = True
                    if isinstance(event, TurnEnd):
                        had_text = had_text or event.had_text
                    self.post_message(TurnEventArrived(event, text, sid))
                    if isinstance(event, SessionReplaced):
                        sid = event.new_session.session_id
            except StreamDroppedError as exc:
                # the timeline check runs in a worker of its own: it never holds the chat
                self.post_message(TurnDropped(str(exc), text, sid, before))
                return
            if sid != self._session_id():
                return  # the user switched session: this turn's state is not theirs to see
            state = await self.client.state()
            self.post_message(StateFetched(state, "turn" if had_text else "no_text", sid, text))
            self.post_message(CreditsUpdated(await self.client.credits()))
        finally:
            self.post_message(Activity("chat", None))

    @in_worker(group="drop-check", description="timeline check", exclusive=True)
    async def check_after_drop(self, before: Any, sid: str | None,
                               text: str | None = None) -> None:
        """After a dropped stream: poll state (30 s, then every 60 s, up to 5 times) until the
        draft differs from ``before``; the handler reports what changed. Cancelled as soon as
        the user sends a message, retries, or switches session."""
        from nemo_tui.api.errors import NemoError

        first, every, times = self.app.drop_poll
        try:
            for i in range(times):
                await asyncio.sleep(first if i == 0 else every)
                self.post_message(Activity("drop-check",
                                           f"checking the timeline ({i + 1}/{times})…"))
                try:
                    state = await self.client.state()
                except NemoError as exc:
                    self.post_message(ChatNotice(f"Could not check the timeline: {exc}",
                                                 "error"))
                    continue
                self.post_message(StateFetched(state, "poll", sid, text))
                if state.draft != before:
                    return
            self.post_message(ChatNotice("Stopped checking. Press Ctrl+R to refresh the "
                                         "timeline, or Ctrl+Y to send the message again.",
                                         "info"))
        finally:
            self.post_message(Activity("drop-check", None))

    # ---- exports ----------------------------------------------------------------------------
    @in_worker(group="export", description="starting export")
    async def start_export(self, version: int | None = None) -> None:
        """Start a render of the current draft (or of draft ``version``, exactly as it was
        received), then watch it in its own worker."""
        from nemo_tui.draft import is_exportable
        from nemo_tui.jobs import RenderJob
        from nemo_tui.version_store import VersionError

        self.post_message(Activity("export", "starting export…"))
        try:
            sid = self._session_id()
            if version is not None:
                try:
                    chosen, draft = await self.app.versions.draft(version)
                except VersionError as exc:
                    self.post_message(ChatNotice(str(exc), "error"))
                    return
            else:
                state = await self.client.state()
                self.post_message(StateFetched(state, "export", sid))
                if not is_exportable(state.draft):
                    self.post_message(ChatNotice(
                        "Nothing to export yet: the timeline is empty. Ask the agent to make a "
                        "video first.", "error"))
                    return
                draft = state.draft or {}
                sid = state.session_id or sid
                chosen = await self.app.versions.record_now(sid or "", draft)
            number = chosen.number if chosen is not None else None
            status = await self.client.start_render(draft)
            job = RenderJob.from_status(status, api_url=self.settings.api_url,
                                        session_id=sid or "",
                                        output_dir=self.settings.download_dir, version=number)
            job.filename = await export_name(self.settings, draft, job.session_id)
            self.job_store.upsert(job)
            self.post_message(JobChanged(dataclasses.replace(job)))
            which = f" (version {number})" if number is not None else ""
            self.post_message(ChatNotice(f"Export started: job {job.id}{which}.", "info"))
            self.watch(job)
        finally:
            self.post_message(Activity("export", None))

    def watch(self, job: RenderJob) -> Any:
        """Watch one job in its own worker (several exports run at once)."""
        return self.app.run_worker(self._watch(job), name=f"job:{job.id}", group="jobs",
                               exit_on_error=False, description=f"render {job.id}")

    async def _watch(self, job: RenderJob) -> None:
        """Poll until finished, download into the configured folder, refresh credits."""
        from nemo_tui.api.errors import NemoError
        from nemo_tui.jobs import watch_job

        def update(j: RenderJob) -> None:
            self.post_message(JobChanged(dataclasses.replace(j)))

        try:
            done = await watch_job(self.client, job, self.job_store,
                                   interval=self.settings.poll_interval, on_update=update,
                                   download=True, output_dir=Path(job.output_dir)
                                   if job.output_dir else Path(self.settings.download_dir))
        except NemoError as exc:
            self.post_message(JobChanged(dataclasses.replace(job)))
            self.post_message(ChatNotice(f"Job {job.id}: {exc}", "error", job.session_id))
            return
        self.post_message(JobChanged(dataclasses.replace(done)))
        # its session's news: another session open meanwhile only gets the toast (Attention)
        if done.status == "completed" and done.path:
            self.post_message(ChatNotice(f"Video ready: {done.path}", "info", done.session_id))
        elif done.status in ("failed", "lost"):
            self.post_message(ChatNotice(f"Job {done.id} {done.status}: "
                                         f"{done.error or 'no reason given'}", "error",
                                         done.session_id))
        self.post_message(CreditsUpdated(await self.client.credits()))

    @in_worker(group="jobs-cancel", description="cancelling a render")
    async def cancel_job(self, job: RenderJob) -> None:
        """Ask the server to cancel a render; the job's watcher sees the new status."""
        await self.client.cancel_render(job.id)
        self.post_message(ChatNotice(f"Cancel requested for job {job.id}.", "info"))

    # ---- uploads ----------------------------------------------------------------------------
    @in_worker(group="upload", description="uploading")
    async def upload(self, target: str, follow_up: str | None = None) -> None:
        """Upload a URL or a local file (checked for size and format before sending)."""
        from nemo_tui.api.client import check_upload_path

        name = target if "://" in target else Path(target).name
        self.post_message(Activity(f"upload:{target}", f"uploading {name}…"))
        try:
            if target.startswith(("http://", "https://")):
                files = await self.client.upload_urls([target])
            else:
                path = Path(target).expanduser()
                check_upload_path(path)

                def progress(done: int, total: int | None) -> None:
                    self.post_message(UploadProgress(path.name, done, total))

                files = await self.client.upload_files([path], progress=progress)
            self.post_message(UploadFinished(list(files), follow_up))
            sid = self._session_id()
            self.post_message(StateFetched(await self.client.state(), "upload", sid))
        finally:
            self.post_message(Activity(f"upload:{target}", None))
