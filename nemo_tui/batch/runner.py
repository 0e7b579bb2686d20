"""The batch runner: items in their own sessions (several at once) or one session in turn.

Per item: check its media locally → session → upload → prompt(s), each turn waited for →
export → watch and download as `<output>/<name>.mp4`. Used by `nemo-tui batch` and by the
studio ("Run batch file…") alike; progress goes to an `on_update` callback. No Textual.

Exactly-once rules (the state is written before and after each request that must not repeat):
- a prompt is recorded as sent *before* the POST; after a crash a sent-but-unfinished prompt is
  never re-sent: the rerun fetches the session state and goes on from the timeline it finds;
- a render id is recorded *before* the POST; a rerun polls that id first and POSTs only if the
  server does not know it (404), so no item is ever rendered twice;
- uploads are the one step that may repeat (a crash between the upload and its record): a
  duplicate media file in the session is harmless.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from nemo_tui.api.errors import (
    DuplicateRenderIdError,
    LocalInputError,
    NemoError,
    NoCreditsError,
)
from nemo_tui.batch.state import BatchState, ItemState
from nemo_tui.batch.turns import ItemFailed, run_prompt

if TYPE_CHECKING:
    from nemo_tui.api.client import NemoClient
    from nemo_tui.api.models import SessionInfo
    from nemo_tui.batch.spec import BatchItem, BatchSpec
    from nemo_tui.jobs import JobStore, RenderJob

#: a batch render's watcher polls at most this many base intervals apart (2 s on loopback)
BATCH_IDLE_MAX_FACTOR = 2.0
NO_CREDITS_SKIP = "Not started: the credits ran out. Top up, then run the batch again."


@dataclass(frozen=True)
class ItemReport:
    """An item's progress as displays show it."""

    name: str
    status: str  # pending / running / done / failed / skipped
    phase: str
    progress: int | None
    session_id: str | None
    render_id: str | None
    path: str | None
    error: str | None
    final: bool  # True once, when the item ends in this run


@dataclass(frozen=True)
class BatchResult:
    """Counts per final status."""

    reports: tuple[ItemReport, ...]

    def count(self, status: str) -> int:
        """How many items ended with `status`."""
        return sum(1 for r in self.reports if r.status == status)


class ClientSource:
    """Where the runner gets clients: the current-session client and per-item clients."""

    async def main(self) -> NemoClient:
        """The client of the current session, with a token (called once, only if needed)."""
        raise NotImplementedError

    def for_session(self, session: SessionInfo | None) -> NemoClient:
        """A client bound to `session` (None: it will create its own), sharing the pool."""
        raise NotImplementedError


class BatchRunner:
    """Runs one batch; safe to run again after any interruption."""

    def __init__(self, spec: BatchSpec, state: BatchState, clients: ClientSource,
                 job_store: JobStore, *, api_url: str, output_dir: Path, parallel: int,
                 one_session: bool, poll_interval: float,
                 on_update: Callable[[ItemReport], None] | None = None,
                 on_session: Callable[[BatchItem, SessionInfo], Awaitable[None] | None]
                 | None = None) -> None:
        self.spec = spec
        self.state = state
        self.clients = clients
        self.jobs = job_store
        self.api_url = api_url
        self.output_dir = output_dir
        self.parallel = 1 if one_session else parallel
        self.one_session = one_session
        self.poll_interval = poll_interval
        self.on_update = on_update
        self.on_session = on_session
        self.no_credits = False
        self._main: NemoClient | None = None
        self._main_lock = asyncio.Lock()
        self._last_ms = 0
        self._item_clients: list[NemoClient] = []

    # ---- the whole batch -------------------------------------------------------------------
    async def run(self) -> BatchResult:
        """Run every item that is not done yet; returns one final report per item."""
        records = [(item, self.state.item(item.name, item.fingerprint))
                   for item in self.spec.items]
        gate = asyncio.Semaphore(self.parallel)
        reports: dict[str, ItemReport] = {}

        async def slot(item: BatchItem, rec: ItemState) -> None:
            if rec.status == "done":
                reports[item.name] = self._report(item, rec, final=True)
                return
            async with gate:
                reports[item.name] = await self._run_item(item, rec)

        try:
            await asyncio.gather(*(slot(i, r) for i, r in records))
        finally:
            for client in self._item_clients:
                await client.aclose()
        return BatchResult(tuple(reports[i.name] for i in self.spec.items))

    def _report(self, item: BatchItem, rec: ItemState, *, final: bool = False) -> ItemReport:
        report = ItemReport(item.name, rec.status, rec.phase, rec.progress, rec.session_id,
                            rec.render_id, rec.path, rec.error, final)
        if self.on_update is not None:
            self.on_update(report)
        return report

    async def _step(self, item: BatchItem, rec: ItemState, phase: str,
                    client: NemoClient | None = None) -> None:
        """Record and show a new phase (and the client's session, which a 1002 may replace)."""
        if client is not None and client.session is not None:
            rec.session_id, rec.task_id = client.session.session_id, client.session.task_id
        rec.phase = phase
        await self.state.save(rec)
        self._report(item, rec)

    # ---- one item ----------------------------------------------------------------------------
    async def _run_item(self, item: BatchItem, rec: ItemState) -> ItemReport:
        """Run an item to its end; a failure is recorded, never raised."""
        if self.no_credits:
            rec.status, rec.error, rec.phase = "skipped", NO_CREDITS_SKIP, ""
            await self.state.save(rec)
            return self._report(item, rec, final=True)
        rec.status, rec.error = "running", None
        try:
            await self._step(item, rec, "checking media")
            await self._advance(item, rec)
            rec.status, rec.phase = "done", "done"
        except ItemFailed as exc:
            rec.status, rec.error = "failed", str(exc)
        except NoCreditsError as exc:
            self.no_credits = True  # no new item starts; running ones finish or fail alone
            rec.status, rec.error = "failed", str(exc)
        except (LocalInputError, NemoError) as exc:
            rec.status, rec.error = "failed", str(exc)
        except (OSError, ValueError) as exc:
            rec.status, rec.error = "failed", f"{type(exc).__name__}: {exc}"
        await self.state.save(rec)
        return self._report(item, rec, final=True)

    async def _advance(self, item: BatchItem, rec: ItemState) -> None:
        """Do what is left of the item, recording each step."""
        from nemo_tui.api.files import check_upload_path

        if not rec.uploaded:  # format and size, before anything is sent for this item
            for path in item.files:
                await asyncio.to_thread(check_upload_path, path)
        client = await self._client_for(item, rec)
        if not rec.uploaded:
            if item.files or item.urls:
                await self._step(item, rec, "uploading")
                if item.files:
                    await client.upload_files(list(item.files))
                if item.urls:
                    await client.upload_urls(list(item.urls))
            rec.uploaded = True
            await self._step(item, rec, "uploaded", client)
        await self._prompts(item, rec, client)
        await self._render(item, rec, client)

    async def _client_for(self, item: BatchItem, rec: ItemState) -> NemoClient:
        """The item's client: its recorded session, the current one, or a new session."""
        from nemo_tui.api.models import SessionInfo

        main = await self._main_client()
        if rec.session_id is not None:
            if main.session is not None and main.session.session_id == rec.session_id:
                return main
            return self._new_client(SessionInfo(rec.session_id, rec.task_id, rec.user_id))
        await self._step(item, rec, "session")
        if self.one_session:
            client = main
            session = await main.ensure_session()
        else:
            client = self._new_client(None)
            session = await client.create_session()
        await self._remember_session(item, rec, session)
        return client

    async def _remember_session(self, item: BatchItem, rec: ItemState,
                                session: SessionInfo) -> None:
        rec.session_id, rec.task_id, rec.user_id = (session.session_id, session.task_id,
                                                    session.user_id)
        await self.state.save(rec)
        if self.on_session is not None:
            done = self.on_session(item, session)
            if done is not None:
                await done

    async def _main_client(self) -> NemoClient:
        async with self._main_lock:
            if self._main is None:
                self._main = await self.clients.main()
            return self._main

    def _new_client(self, session: SessionInfo | None) -> NemoClient:
        client = self.clients.for_session(session)
        self._item_clients.append(client)
        return client

    async def _prompts(self, item: BatchItem, rec: ItemState, client: NemoClient) -> None:
        """Send the prompts not sent yet, each turn waited for; never re-send a sent one."""
        from nemo_tui.batch.turns import check_state

        total = len(item.prompts)
        for k, prompt in enumerate(item.prompts):
            what = f"prompt {k + 1}/{total}"
            if k < rec.prompts_done:
                continue
            if k < rec.prompts_sent:
                # sent before an interruption: its turn may have run; look, don't re-send
                await self._step(item, rec, f"checking {what}")
                await check_state(client, None, False)
                rec.prompts_done = k + 1
                await self.state.save(rec)
                continue
            rec.prompts_sent = k + 1
            await self._step(item, rec, what, client)  # recorded before the POST

            def tool(name: str, what: str = what) -> None:
                rec.phase = f"{what}: {name}"
                self._report(item, rec)

            def moved(session: SessionInfo) -> None:
                rec.session_id, rec.task_id = session.session_id, session.task_id

            try:
                await run_prompt(client, prompt, what, on_tool=tool, on_session=moved)
            except ItemFailed as exc:
                if not exc.unsure:
                    rec.prompts_sent = k  # refused: a retry of the item sends it again
                raise
            except NemoError:
                rec.prompts_sent = k  # refused before the turn started
                raise
            rec.prompts_done = k + 1
            await self.state.save(rec)

    # ---- render ------------------------------------------------------------------------------
    def _render_id(self) -> str:
        """`render_<ms>`, unique within this run even for items started in the same ms."""
        self._last_ms = max(int(time.time() * 1000), self._last_ms + 1)
        return f"render_{self._last_ms}"

    async def _render(self, item: BatchItem, rec: ItemState, client: NemoClient) -> None:
        """Post the render once, watch it, download `<name>.mp4`."""
        from nemo_tui.jobs import RenderJob

        if rec.render_id is not None and not rec.render_posted:
            await self._step(item, rec, "checking render")
            if await self._known_render(client, rec.render_id):
                rec.render_posted = True
                await self.state.save(rec)
        if not rec.render_posted:
            await self._post_render(item, rec, client)
        assert rec.render_id is not None
        job = await asyncio.to_thread(self.jobs.get, rec.render_id)
        if job is None:
            job = RenderJob(id=rec.render_id, api_url=self.api_url,
                            session_id=rec.session_id or "")
        job = replace(job, batch=str(self.spec.path), item=item.name,
                      filename=f"{item.name}.mp4", output_dir=str(self.output_dir))
        if job.path is None or not Path(job.path).is_file():
            job.path = None
            job = await self._watch(item, rec, client, job)
        rec.path, rec.progress = job.path, 100
        await self.state.save(rec)

    async def _known_render(self, client: NemoClient, render_id: str) -> bool:
        """Whether the server has this render (a POST recorded but unconfirmed)."""
        try:
            await client.poll_render(render_id)
        except NemoError as exc:
            if exc.http_status == 404 or exc.code == 404:
                return False
            raise
        return True

    async def _post_render(self, item: BatchItem, rec: ItemState, client: NemoClient) -> None:
        from nemo_tui.draft import is_exportable
        from nemo_tui.jobs import RenderJob

        state = await client.state()
        if not is_exportable(state.draft):
            raise ItemFailed("The timeline is still empty after the prompts, so there is "
                             "nothing to render. Reword the prompt and run the batch again.")
        for attempt in range(2):
            if rec.render_id is None or attempt:
                rec.render_id = self._render_id()
            await self._step(item, rec, "starting render", client)  # the id, before the POST
            try:
                status = await client.start_render(state.draft or {}, render_id=rec.render_id)
            except DuplicateRenderIdError:
                if attempt:
                    raise
                continue
            break
        rec.render_posted = True
        await self.state.save(rec)
        job = RenderJob.from_status(status, api_url=self.api_url,
                                    session_id=rec.session_id or "",
                                    output_dir=self.output_dir)
        job.batch, job.item, job.filename = str(self.spec.path), item.name, f"{item.name}.mp4"
        await asyncio.to_thread(self.jobs.upsert, job)

    async def _watch(self, item: BatchItem, rec: ItemState, client: NemoClient,
                     job: RenderJob) -> RenderJob:
        from nemo_tui.jobs import watch_job

        await self._step(item, rec, "rendering")

        def update(j: RenderJob) -> None:
            downloading = j.download_progress is not None
            rec.phase = "downloading" if downloading else "rendering"
            rec.progress = j.download_progress if downloading else j.progress
            self._report(item, rec)

        # a render queued behind the others changes nothing for a while: with the default
        # idle growth (up to 10 s) its watcher would sleep through its start and its end
        done = await watch_job(client, job, self.jobs, interval=self.poll_interval,
                               on_update=update, output_dir=self.output_dir, max_errors=8,
                               idle_max=BATCH_IDLE_MAX_FACTOR * self.poll_interval)
        if done.status != "completed" or done.path is None:
            rec.render_id, rec.render_posted = None, False  # a retry renders again
            raise ItemFailed(f"The render {done.status}: {done.error or 'no reason given'}")
        return done
