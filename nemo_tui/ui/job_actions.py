"""Actions on the selected render job (keys on the jobs table, and palette entries)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from nemo_tui.textsafe import safe_line

if TYPE_CHECKING:
    from nemo_tui.ui.app import NemoStudioApp


class JobActions:
    """Mixin for the App: download again, copy, cancel and forget the selected job."""

    def _selected_job(self: NemoStudioApp) -> Any | None:
        """The job under the jobs table's cursor (with a hint when there is none)."""
        job = self.jobs_table.selected_job()
        if job is None:
            self.notify("No job selected: F4 focuses the jobs table.", markup=False)
        return job

    def action_job_download(self: NemoStudioApp) -> None:
        """Download the selected job's video again."""
        job = self._selected_job()
        if job is None:
            return
        if job.status != "completed":
            watched = any(w.name == f"job:{job.id}" and not w.is_finished for w in self.workers)
            if job.finished or watched:
                self.notify("This job has not completed yet.", markup=False)
            else:  # its watch stopped (an error it could not poll through): start it again
                self.notify(f"Watching job {job.id} again.", markup=False)
                self.watch(job)
            return
        self.watch(self.replace_job(job, path=None, download_progress=None))

    def action_job_copy(self: NemoStudioApp) -> None:
        """Copy the selected job's path or URL."""
        job = self._selected_job()
        if job is not None:
            self.job_copy(job)

    def action_job_cancel(self: NemoStudioApp) -> None:
        """Cancel the selected render."""
        job = self._selected_job()
        if job is not None and not job.finished:
            self.cancel_job(job)

    def action_job_forget(self: NemoStudioApp) -> None:
        """Forget the selected job (stops watching it; the server keeps it)."""
        job = self._selected_job()
        if job is None:
            return
        for w in list(self.workers):
            if w.name == f"job:{job.id}":
                w.cancel()
        self.job_store.forget(job.id)
        self.jobs_table.forget(job.id)

    def action_job_preview(self: NemoStudioApp) -> None:
        """Open the selected job's downloaded video in the Preview screen."""
        job = self._selected_job()
        if job is None:
            return
        if not job.path:
            self.notify("This job's video is not downloaded yet: nothing to preview.",
                        markup=False)
            return
        from nemo_tui.ui.screens.preview import open_preview

        open_preview(self, job.path, title=job.id)

    def job_copy(self: NemoStudioApp, job: Any) -> None:
        """Copy a job's path or URL to the clipboard (OSC 52)."""
        what = job.path or job.url
        if not what:
            self.notify("This job has no file or URL yet.", markup=False)
            return
        self.copy_to_clipboard(what)
        self.notify(f"Copied: {safe_line(what, max_len=120)}", markup=False)

    def replace_job(self: NemoStudioApp, job: Any, **changes: Any) -> Any:
        """A changed copy of a job, stored and shown."""
        job = dataclasses.replace(job, **changes)
        self.job_store.upsert(job)
        self.jobs_table.upsert(job)
        return job
