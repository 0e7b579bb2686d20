"""The jobs pane: every render job in a table with a progress bar, elapsed time and output."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import BindingType
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from nemo_tui.textsafe import safe_line
from nemo_tui.ui.commands import jobs_bindings

#: Statuses after which nothing more happens (mirrors nemo_tui.jobs.FINISHED without importing
#: it: this module is on the first screen's import path).
FINISHED = ("completed", "failed", "cancelled", "lost")
BAR_CELLS = 10


def to_epoch(value: Any) -> float | None:
    """A timestamp (epoch number or ISO 8601 string) as epoch seconds, or None."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            return None
    return None


def fmt_elapsed(seconds: float | None) -> str:
    """``75`` → ``1:15``; ``3725`` → ``1:02:05``."""
    if seconds is None or seconds < 0:
        return "–"
    s = int(seconds)
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def progress_bar(fraction: float | None, label: str = "") -> Text:
    """A text progress bar of BAR_CELLS cells, e.g. ``█████░░░░░ 50%``."""
    if fraction is None:
        return Text("░" * BAR_CELLS + "  …", style="dim")
    fraction = max(0.0, min(1.0, fraction))
    full = round(fraction * BAR_CELLS)
    bar = Text("█" * full, style="bold")
    bar.append("░" * (BAR_CELLS - full), style="dim")
    bar.append(f" {label or f'{round(fraction * 100)}%'}")
    return bar


class JobsTable(DataTable):
    """Render jobs; rows keyed by job id. Keys act on the selected job."""

    BINDINGS: ClassVar[list[BindingType]] = jobs_bindings()
    COMPONENT_CLASSES: ClassVar[set[str]] = {"jobs--completed", "jobs--failed", "jobs--running"}
    DEFAULT_CSS = """
    JobsTable > .jobs--completed { color: $success; }
    JobsTable > .jobs--failed { color: $error; }
    JobsTable > .jobs--running { color: $warning; }
    """

    def __init__(self, clock: Callable[[], float], **kw) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kw)
        self.clock = clock
        self.jobs: dict[str, Any] = {}
        self.downloads: dict[str, float] = {}
        self._ticker = None

    def on_mount(self) -> None:
        """Create the columns."""
        for label, key, width in (("Job", "id", 20), ("Status", "status", 10),
                                  ("Progress", "progress", 15), ("Time", "elapsed", 7),
                                  ("Output", "output", None)):
            self.add_column(label, key=key, width=width)

    def selected_job(self) -> Any | None:
        """The job under the cursor, if any."""
        if not self.jobs or self.row_count == 0:
            return None
        row = min(self.cursor_row, self.row_count - 1)
        key = self.coordinate_to_cell_key(Coordinate(max(row, 0), 0)).row_key.value
        return self.jobs.get(key) if key is not None else None

    def _cells(self, job: Any) -> tuple[Text, ...]:
        """The row cells for a job (all literal Text)."""
        status = str(job.status or "unknown")
        dl = self.downloads.get(job.id)
        if dl is not None:
            bar = progress_bar(dl, f"⬇ {round(dl * 100)}%")
        elif status == "completed":
            bar = progress_bar(1.0)
        elif status in FINISHED:
            bar = Text("–", style="dim")
        else:
            prog = job.progress
            bar = progress_bar(prog / 100 if isinstance(prog, (int, float)) else None)
        start = to_epoch(job.created_at)
        end = to_epoch(job.updated_at) if status in FINISHED else self.clock()
        elapsed = fmt_elapsed(end - start) if start is not None and end is not None else "–"
        if job.path:
            output = str(job.path)
        elif job.error:
            output = str(job.error)
        elif job.url:
            output = str(job.url)
        else:
            output = ""
        tone = "completed" if status == "completed" else (
            "failed" if status in FINISHED else "running")
        status_text = Text(safe_line(status, max_len=12),
                           style=self.get_component_rich_style(f"jobs--{tone}"))
        return (Text(safe_line(job.id, max_len=24)), status_text, bar, Text(elapsed),
                Text(safe_line(output, max_len=200)))

    def upsert(self, job: Any, downloading: float | None = None) -> None:
        """Add or update the row of ``job``; starts/stops the elapsed-time ticker."""
        if downloading is None:
            self.downloads.pop(job.id, None)
        else:
            self.downloads[job.id] = downloading
        self.jobs[job.id] = job
        cells = self._cells(job)
        if job.id in self.rows:
            for col, value in zip(("id", "status", "progress", "elapsed", "output"), cells,
                                  strict=True):
                # the output column sizes to its content (a path appears only at the end)
                self.update_cell(job.id, col, value, update_width=col == "output")
        else:
            self.add_row(*cells, key=job.id)
        self._update_ticker()

    def forget(self, job_id: str) -> None:
        """Remove a job's row."""
        self.jobs.pop(job_id, None)
        self.downloads.pop(job_id, None)
        if job_id in self.rows:
            self.remove_row(job_id)
        self._update_ticker()

    def clear_jobs(self) -> None:
        """Remove every row (a session switch)."""
        self.jobs.clear()
        self.downloads.clear()
        self.clear()
        self._update_ticker()

    def running(self) -> list[Any]:
        """Jobs not finished yet."""
        return [j for j in self.jobs.values() if j.status not in FINISHED]

    def _update_ticker(self) -> None:
        """Repaint elapsed times once a second only while some job runs (idle app stays quiet)."""
        if self.running() and self._ticker is None:
            self._ticker = self.set_interval(1.0, self._tick)
        elif not self.running() and self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    def _tick(self) -> None:
        """Refresh the elapsed column of running jobs."""
        for job in self.running():
            if job.id in self.rows:
                self.update_cell(job.id, "elapsed", self._cells(job)[3])
