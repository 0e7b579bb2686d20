"""Studio side of batch runs: batch jobs from the shared job store shown in the Jobs pane
(a batch started from the command line included), and "Run batch file…" running a batch with
the same engine as `nemo-tui batch`, in a worker.

Jobs of a batch belong to its runner (the CLI process or this worker): the studio shows them
and never watches or downloads them itself, so a file is never fetched twice.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from nemo_tui.ui.messages import ChatNotice, JobChanged

if TYPE_CHECKING:
    from nemo_tui.batch.runner import ItemReport
    from nemo_tui.ui.app import NemoStudioApp

REFRESH_EVERY = 1.0  # seconds between looks at the job store's modification time


class BatchJobsFeed:
    """Puts the batch jobs of this API URL into the Jobs pane whenever the store changes."""

    def __init__(self, app: NemoStudioApp) -> None:
        self.app = app
        self._seen: int | None = None

    def start(self) -> None:
        """Look now and then every REFRESH_EVERY seconds (a stat; a read only on change)."""
        self.tick()
        self.app.set_interval(REFRESH_EVERY, self.tick)

    def tick(self) -> None:
        """Reload the batch jobs if the store file changed."""
        try:
            mtime = self.app.job_store.path.stat().st_mtime_ns  # one stat: no real I/O wait
        except OSError:
            return
        if mtime == self._seen:
            return
        self._seen = mtime
        self.app.run_worker(self._load, thread=True, group="batch-feed", exclusive=True,
                            exit_on_error=False, description="reading batch jobs")

    def _load(self) -> None:
        from nemo_tui.jobs import JobStore

        api_url = self.app.settings.api_url
        try:  # a copy: the table lives on the loop's thread (a resize mid-copy: show all)
            shown = dict(self.app.jobs_table.jobs)
        except RuntimeError:
            shown = {}
        for job in JobStore(self.app.settings.paths).load():
            if job.batch and job.api_url == api_url and shown.get(job.id) != job:
                self.app.post_message(JobChanged(job))  # only what changed is repainted


def pick_batch_file(app: NemoStudioApp) -> None:
    """Ask for a .toml batch file, then run it."""
    from nemo_tui.ui.screens.batch_file import BatchFileScreen

    def chosen(path: str | None) -> None:
        if path:
            run_batch_file(app, Path(path).expanduser())

    app.push_screen(BatchFileScreen(Path.cwd()), chosen)


def run_batch_file(app: NemoStudioApp, path: Path) -> None:
    """Run (or resume) the batch in a worker; items report in the chat as they end."""
    app.run_worker(_run(app, path), group="batch", exit_on_error=False,
                   description=f"batch {path.name}")


async def _run(app: NemoStudioApp, path: Path) -> None:
    from nemo_tui.api.errors import NemoError
    from nemo_tui.batch.clients import SettingsClients
    from nemo_tui.batch.run import run_batch
    from nemo_tui.batch.spec import DEFAULT_PARALLEL, load_batch

    name = path.name

    def say(text: str, kind: str = "info") -> None:
        app.post_message(ChatNotice(text, kind))

    def update(report: ItemReport) -> None:
        if not report.final:
            return
        app.io.fetch_credits()  # the item's turns and render are paid: the status bar says so
        if report.status == "done":
            say(f"Batch {name}: {report.name} done: {report.path}")
        else:
            say(f"Batch {name}: {report.name} {report.status}: {report.error}", "error")

    try:
        spec = await asyncio.to_thread(load_batch, path)
        output_dir = (spec.output or Path(app.settings.download_dir)).absolute()
        await asyncio.to_thread(output_dir.mkdir, parents=True, exist_ok=True)
        await app.ensure_client()
        say(f"Batch {name}: {len(spec.items)} item(s), output in {output_dir}.")
        result = await run_batch(spec, app.settings, SettingsClients(app.settings, app.client),
                                 output_dir=output_dir,
                                 parallel=spec.parallel or DEFAULT_PARALLEL, one_session=False,
                                 on_update=update, on_note=say)
    except (NemoError, OSError) as exc:
        say(f"Batch {name}: {exc}", "error")
        return
    finally:
        app.io.fetch_credits()  # whatever ran was paid for (a batch may stop half-way)
    counts = {s: result.count(s) for s in ("done", "failed", "skipped")}
    kind = "info" if counts["done"] == len(result.reports) else "error"
    say(f"Batch {name} finished: {counts['done']} done, {counts['failed']} failed, "
        f"{counts['skipped']} skipped.", kind)
