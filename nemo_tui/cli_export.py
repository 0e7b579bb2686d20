"""`nemo-tui export`: start a render, or finish a known job; watch it and download the MP4.

Split from cli.py to keep modules small. No Textual, no Rich.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from nemo_tui.cli_output import EXIT_FAIL, EXIT_OK, PROG, UsageError
from nemo_tui.textsafe import safe_line

if TYPE_CHECKING:
    from nemo_tui.api.client import NemoClient
    from nemo_tui.cli_output import Output
    from nemo_tui.config import Settings
    from nemo_tui.jobs import JobStore, RenderJob


def check_output_dir(path: Path) -> None:
    """The export target must be a directory we can create/write (exit 2 otherwise)."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"The output path {path} is not a directory.")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"Cannot create the output directory {path}: {exc.strerror}.") from None
    if not os.access(path, os.W_OK):
        raise UsageError(f"The output directory {path} is not writable.")


def check_output(path: Path) -> tuple[Path, str | None]:
    """`--output DIR|FILE.mp4`: the folder (created, writable) and the file name, if given."""
    from nemo_tui.naming import split_output

    folder, name = split_output(path)
    check_output_dir(folder)
    return folder, name


async def run_export(client: NemoClient, settings: Settings, output: Output, *, wait: bool,
                     output_dir: Path | None, version: int | None = None,
                     filename: str | None = None) -> int:
    """Start a render of the current draft (or of draft ``version``); with `wait`, watch it
    and download the file (named `filename`, else after the session's title)."""
    from nemo_tui.cli_versions import load_version, record_version
    from nemo_tui.draft import is_exportable
    from nemo_tui.jobs import JobStore, RenderJob
    from nemo_tui.naming import export_filename, session_title

    if version is not None:
        # checked before any request: a bad number is bad usage (exit 2)
        session_id = client.session.session_id if client.session else None
        chosen, draft = await asyncio.to_thread(load_version, settings, session_id, version)
        number: int | None = chosen.number
    else:
        state = await client.state()
        if not is_exportable(state.draft):
            output.err("There is nothing to export yet: the timeline is empty. "
                       "Ask the agent for a video first (nemo-tui ask \"…\").")
            return EXIT_FAIL
        draft = state.draft or {}
        session_id = state.session_id or client.session.session_id
        seen = await record_version(settings, output, session_id, draft)
        number = seen.number if seen is not None else None
    target = (output_dir or Path.cwd()).resolve()
    status = await client.start_render(draft)
    store = JobStore(settings.paths)
    session_id = session_id or client.session.session_id
    job = RenderJob.from_status(status, api_url=settings.api_url, session_id=session_id,
                                output_dir=target, version=number)
    job.filename = filename or export_filename(await asyncio.to_thread(
        session_title, draft, settings.paths, settings.api_url, session_id))
    await asyncio.to_thread(store.upsert, job)
    if wait:
        job = await _wait_job(client, settings, output, job, store, target)
    return _report_job(output, job)


async def _wait_job(client: NemoClient, settings: Settings, output: Output, job: RenderJob,
                    store: JobStore, target: Path) -> RenderJob:
    """Watch a job to the end and download it, with one progress line on a terminal."""
    from nemo_tui.jobs import watch_job

    output.note(f"… rendering {safe_line(job.id)}")
    # Ctrl-C stops the watching, not the render (its id is kept in the jobs file)
    output.interrupt_hint = (f"The render goes on: `{PROG} export --job {safe_line(job.id)}` "
                             "finishes it.")
    job = await watch_job(client, job, store, interval=settings.poll_interval,
                          on_update=_export_progress(output), output_dir=target, max_errors=8)
    output.interrupt_hint = ""
    if not output.json_mode and sys.stderr.isatty():
        sys.stderr.write("\n")
    return job


async def resume_job(client: NemoClient, settings: Settings, output: Output, job_id: str,
                     output_dir: Path | None, filename: str | None = None) -> int:
    """`export --job ID`: finish watching / downloading a job started earlier."""
    from nemo_tui.jobs import JobStore
    from nemo_tui.store import normalize_api_url

    store = JobStore(settings.paths)
    job = await asyncio.to_thread(store.get, job_id)
    if job is None:
        raise UsageError(f"No render job {job_id!r} is known here; `{PROG} jobs` lists them.")
    if normalize_api_url(job.api_url) != normalize_api_url(settings.api_url):
        raise UsageError(f"The job {job_id} belongs to {job.api_url}; run again with "
                         f"--api-url {job.api_url}.")
    if not (job.path and Path(job.path).is_file()):
        job.path = None
        job.filename = filename or job.filename
        target = (output_dir or Path(job.output_dir or Path.cwd())).resolve()
        job = await _wait_job(client, settings, output, job, store, target)
    return _report_job(output, job)


def _report_job(output: Output, job: RenderJob) -> int:
    """Print an export's outcome (path, or how to follow it) and choose the exit code."""
    if output.json_mode:
        output.json({"id": job.id, "status": job.status, "url": job.url, "path": job.path})
    if job.status in ("failed", "cancelled", "lost"):
        output.err(f"The render {job.status}: {job.error or 'no reason given'}")
        return EXIT_FAIL
    if not output.json_mode:
        if job.path:
            output.out(safe_line(job.path))
        else:
            output.out(f"Export started: {safe_line(job.id)} ({safe_line(job.status)}). "
                       f"Run `{PROG} jobs` to see its status.")
    return EXIT_OK


def _export_progress(output: Output):
    """A progress callback for watch_job that redraws one stderr line on a terminal."""
    tty = not output.json_mode and sys.stderr.isatty()

    def update(job: RenderJob) -> None:
        if not tty:
            return
        if job.download_progress is not None:
            line = f"… downloading {job.download_progress}%"
        else:
            line = f"… {job.status} {job.progress if job.progress is not None else '?'}%"
        sys.stderr.write("\r" + safe_line(line).ljust(40))
        sys.stderr.flush()

    return update

