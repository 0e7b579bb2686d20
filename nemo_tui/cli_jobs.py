"""`nemo-tui jobs`: the render jobs this client knows (persisted), with status. No network.

Split from cli.py (parser and dispatch only). No Textual, no Rich.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nemo_tui.cli_output import EXIT_OK
from nemo_tui.textsafe import safe_line

if TYPE_CHECKING:
    from nemo_tui.cli_output import Output
    from nemo_tui.config import Settings
    from nemo_tui.jobs import RenderJob


def job_json(job: RenderJob) -> dict[str, Any]:
    """One job as `jobs --json` prints it (CLI.md's keys, then the ones added since)."""
    return {"id": job.id, "status": job.status, "progress": job.progress, "url": job.url,
            "path": job.path, "api_url": job.api_url, "session_id": job.session_id,
            "created_at": job.created_at, "version": job.version, "batch": job.batch,
            "item": job.item, "error": job.error}


def run_jobs(settings: Settings, output: Output) -> int:
    """List the persisted render jobs as a table, or as JSON."""
    from nemo_tui.jobs import JobStore

    store = JobStore(settings.paths)
    jobs = store.load()
    if store.warning:
        output.err(store.warning)
    if output.json_mode:
        output.json({"jobs": [job_json(j) for j in jobs]})
        return EXIT_OK
    if not jobs:
        output.out("No render jobs yet. Start one with `nemo-tui export`.")
        return EXIT_OK
    rows = [("ID", "VERSION", "STATUS", "PROGRESS", "CREATED", "ITEM", "FILE / URL")]
    for j in jobs:
        progress = f"{j.progress}%" if j.progress is not None else "-"
        version = f"v{j.version}" if j.version is not None else "-"
        rows.append((j.id, version, j.status, progress, j.created_at, j.item or "-",
                     j.path or j.url or j.error or ""))
    safe_rows = [[safe_line(c, max_len=120) for c in row] for row in rows]
    columns = len(rows[0]) - 1  # the last column is not padded
    widths = [max(len(r[i]) for r in safe_rows) for i in range(columns)]
    for r in safe_rows:
        output.out("  ".join(c.ljust(w) for c, w in zip(r[:columns], widths, strict=True))
                   + "  " + r[columns])
    return EXIT_OK
