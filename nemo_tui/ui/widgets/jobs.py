"""The jobs pane: every render job in a table with a progress bar, elapsed time and output."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.binding import BindingType
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from nemo_tui.textsafe import safe_line
from nemo_tui.ui.commands import jobs_bindings

if TYPE_CHECKING:
    from nemo_tui.jobs import RenderJob
    from nemo_tui.ui.app import NemoStudioApp

#: Statuses after which nothing more happens (mirrors nemo_tui.jobs.FINISHED without importing
#: it: this module is on the first screen's import path).
FINISHED = ("completed", "failed", "cancelled", "lost")
BAR_CELLS = 10
#: Below this many columns the table shows the compact layout (two-line rows, two columns).
COMPACT_BELOW = 60
#: (label, key, width) of the columns: all fields when wide; when narrow, the short job id over
#: the status, and the progress bar and elapsed time over the output file's base name.
WIDE_COLUMNS = (("Job", "id", 20), ("Status", "status", 10), ("Progress", "progress", 15),
                ("Time", "elapsed", 7), ("Output", "output", None))
#: (The compact layout has no cell padding: its own leading spaces save the two cells a padded
#: column wastes at its right edge, which a 24-character file name at 80x24 needs.)
COMPACT_COLUMNS = ((" Job", "id", 12), ("Progress · Output", "progress", None))


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


def fit_output(text: str, width: int, *, is_path: bool) -> Text:
    """One output cell cut to `width` cells with an ellipsis: a path keeps its end (the file
    name), an error or URL its start. "c" copies the whole text."""
    line = Text(safe_line(text, max_len=500))
    if line.cell_len <= width:
        return line
    if is_path:
        tail = line.plain[-max(1, width - 1):]
        while Text(tail).cell_len > width - 1 and len(tail) > 1:  # wide characters
            tail = tail[1:]
        return Text("…" + tail)
    line.truncate(width, overflow="ellipsis")
    return line


def base_name(text: str) -> str:
    """The last path or URL component of ``text`` (a URL's query string dropped)."""
    if "://" in text:
        text = text.split("?", 1)[0].split("#", 1)[0]
    return text.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or text


def job_label(job: RenderJob, width: int) -> str:
    """A batch job's ``<batch> › <item>`` (the item kept whole when space is short), else
    its id; literal and at most ``width`` characters."""
    item = getattr(job, "item", None)
    if not item:
        return safe_line(job.id, max_len=24)[:width]
    batch = getattr(job, "batch", None) or ""
    stem = base_name(batch).rsplit(".", 1)[0]
    label = f"{stem} › {item}" if stem and len(stem) + len(item) + 3 <= width else item
    return safe_line(label, max_len=width)[:width]


def grouped(jobs: Iterable[RenderJob]) -> list[RenderJob]:
    """Jobs in arrival order, except that each batch's jobs follow one another."""
    ordered = list(jobs)
    first: dict[str, int] = {}
    rank = [first.setdefault(getattr(job, "batch", None) or f"\0{i}", i)
            for i, job in enumerate(ordered)]
    order = sorted(range(len(ordered)), key=lambda i: (rank[i], i))
    return [ordered[i] for i in order]


class JobsTable(DataTable):
    """Render jobs; rows keyed by job id. Keys act on the selected job (the actions live here;
    the workers that watch and cancel renders are the App's)."""

    app: NemoStudioApp  # type: ignore[assignment] - only ever mounted in the studio

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
        self.jobs: dict[str, RenderJob] = {}
        self.downloads: dict[str, float] = {}
        self._ticker = None
        #: True while the compact (narrow) layout is shown; decided on every resize.
        self.compact = False
        self._built_width = 0

    def on_mount(self) -> None:
        """Create the (wide) columns and rows of jobs given before the mount; the first resize
        picks the layout that fits."""
        self._build(compact=False)
        self._update_ticker()

    def on_resize(self) -> None:
        """Switch between the wide and the compact layout when the width crosses the line."""
        width = self.size.width
        compact = width < COMPACT_BELOW
        # cells are cut to the width, so any width change re-lays them out
        if compact != self.compact or width != self._built_width:
            self._build(compact)

    def _build(self, compact: bool) -> None:
        """(Re)create columns and rows for a layout, keeping the selected job selected."""
        selected = self.selected_job()
        self.compact = compact
        self._built_width = self.size.width
        self.clear(columns=True)
        self.cell_padding = 0 if compact else 1
        for label, key, width in COMPACT_COLUMNS if compact else WIDE_COLUMNS:
            self.add_column(label, key=key, width=width)
        for job in grouped(self.jobs.values()):
            self.add_row(*self._cells(job), key=job.id, height=2 if compact else 1)
        if selected is not None and selected.id in self.rows:
            self.move_cursor(row=self.get_row_index(selected.id), animate=False)

    def _column_keys(self) -> tuple[str, ...]:
        """The keys of the current layout's columns, in order."""
        return tuple(key for _, key, _ in (COMPACT_COLUMNS if self.compact else WIDE_COLUMNS))

    def selected_job(self) -> RenderJob | None:
        """The job under the cursor, if any."""
        if not self.jobs or self.row_count == 0:
            return None
        row = min(self.cursor_row, self.row_count - 1)
        key = self.coordinate_to_cell_key(Coordinate(max(row, 0), 0)).row_key.value
        return self.jobs.get(key) if key is not None else None

    def _cells(self, job: RenderJob) -> tuple[Text, ...]:
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
        end = to_epoch(job.ended_at) if status in FINISHED else self.clock()
        elapsed = fmt_elapsed(end - start) if start is not None and end is not None else "–"
        if job.path:
            output = str(job.path)
        elif job.error:
            output = str(job.error)
        elif job.url:
            output = str(job.url)
        else:
            output = ""
        number = getattr(job, "version", None)
        version = f"v{number}" if isinstance(number, int) else ""
        tone = "completed" if status == "completed" else (
            "failed" if status in FINISHED else "running")
        try:
            tone_style: Any = self.get_component_rich_style(f"jobs--{tone}")
        except KeyError:  # a job update can arrive after mount, before the stylesheet applied
            tone_style = ""
        status_text = Text(safe_line(status, max_len=12), style=tone_style)
        if self.compact:
            # two lines per cell: what fits a ~38-column pane without scrolling sideways
            budget = max(12, self.size.width - 13)  # the id column and a vertical scrollbar
            short = job_label(job, 11) if getattr(job, "item", None) else job.id[-6:]
            job_cell = Text(" " + safe_line(short, max_len=24))
            if version:
                job_cell.append(f" {version}", style="bold")
            job_cell.append("\n ").append_text(status_text)
            progress = bar.copy()
            progress.append(f"  {elapsed}", style="dim")
            progress.truncate(budget, overflow="crop")
            progress.append("\n")
            name = base_name(output) if job.path or (job.url and not job.error) else output
            line = Text(safe_line(name, max_len=200))
            # cut to the pane so that no sideways scrolling is needed; "c" copies it whole
            line.truncate(budget, overflow="ellipsis")
            progress.append_text(line)
            return (job_cell, progress)
        fixed = sum(w or 0 for _, _, w in WIDE_COLUMNS) + 2 * self.cell_padding * len(
            WIDE_COLUMNS)
        budget = max(12, self.size.width - fixed - 1)  # the rest of the pane, minus a scrollbar
        if not version:
            out_cell = fit_output(output, budget, is_path=bool(job.path))
        elif not output:  # still rendering: the version alone, no separator before nothing
            out_cell = Text(version, style="bold")
        else:  # "rough cut vs refined": which draft version each row rendered
            out_cell = Text.assemble((version, "bold"), " · ", fit_output(
                output, max(12, budget - len(version) - 3), is_path=bool(job.path)))
        return (Text(job_label(job, 20)), status_text, bar, Text(elapsed), out_cell)

    def upsert(self, job: RenderJob, downloading: float | None = None) -> None:
        """Add or update the row of ``job``; starts/stops the elapsed-time ticker."""
        if downloading is None:
            self.downloads.pop(job.id, None)
        else:
            self.downloads[job.id] = downloading
        self.jobs[job.id] = job
        if not self.columns:
            return  # not mounted yet (start-up): on_mount adds the rows
        cells = self._cells(job)
        if job.id in self.rows:
            last = self._column_keys()[-1]
            for col, value in zip(self._column_keys(), cells, strict=True):
                # the output column sizes to its content (a path appears only at the end)
                self.update_cell(job.id, col, value, update_width=col == last)
        elif getattr(job, "batch", None) and any(
                getattr(j, "batch", None) == job.batch for j in self.jobs.values() if j is not job):
            self._build(self.compact)  # a batch's rows stay together
        else:
            self.add_row(*cells, key=job.id, height=2 if self.compact else 1)
        self._update_ticker()

    def forget(self, job_id: str) -> None:
        """Remove a job's row."""
        self.jobs.pop(job_id, None)
        self.downloads.pop(job_id, None)
        if self.columns and job_id in self.rows:
            self.remove_row(job_id)
        self._update_ticker()

    def clear_jobs(self) -> None:
        """Remove every row (a session switch)."""
        self.jobs.clear()
        self.downloads.clear()
        if self.columns:
            self.clear()
        self._update_ticker()

    def running(self) -> list[RenderJob]:
        """Jobs not finished yet."""
        return [j for j in self.jobs.values() if j.status not in FINISHED]

    def _update_ticker(self) -> None:
        """Repaint elapsed times once a second only while some job runs (idle app stays quiet)."""
        if not self.columns:
            return  # not mounted yet: on_mount starts it
        if self.running() and self._ticker is None:
            self._ticker = self.set_interval(1.0, self._tick)
        elif not self.running() and self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    def _tick(self) -> None:
        """Refresh the elapsed time of running jobs (its own column, or under the bar)."""
        col, index = ("progress", 1) if self.compact else ("elapsed", 3)
        for job in self.running():
            if job.id in self.rows:
                self.update_cell(job.id, col, self._cells(job)[index])

    # ---- actions on the selected job (keys here; palette entries reach them through the App) --
    def selected_or_hint(self) -> RenderJob | None:
        """The job under the cursor, or None with a hint."""
        job = self.selected_job()
        if job is None:
            self.app.notify("No job selected: F4 focuses the jobs table.", markup=False)
        return job

    def action_job_download(self) -> None:
        """Download the selected job's video again (or watch it again if its watch stopped)."""
        job = self.selected_or_hint()
        if job is None:
            return
        app = self.app
        if job.status != "completed":
            watched = any(w.name == f"job:{job.id}" and not w.is_finished for w in app.workers)
            if job.finished or watched:
                app.notify("This job has not completed yet.", markup=False)
            else:  # its watch stopped (an error it could not poll through): start it again
                app.notify(f"Watching job {job.id} again.", markup=False)
                app.io.watch(job)
            return
        app.io.watch(self.replace_job(job, path=None, download_progress=None))

    def action_job_copy(self) -> None:
        """Copy the selected job's path or URL to the clipboard (OSC 52)."""
        job = self.selected_or_hint()
        if job is None:
            return
        what = job.path or job.url
        if not what:
            self.app.notify("This job has no file or URL yet.", markup=False)
            return
        self.app.copy_to_clipboard(what)
        self.app.notify(f"Copied: {safe_line(what, max_len=120)}", markup=False)

    def action_job_cancel(self) -> None:
        """Cancel the selected render."""
        job = self.selected_or_hint()
        if job is not None and not job.finished:
            self.app.io.cancel_job(job)

    def action_job_forget(self) -> None:
        """Forget the selected job (stops watching it; the server keeps it)."""
        job = self.selected_or_hint()
        if job is None:
            return
        for w in list(self.app.workers):
            if w.name == f"job:{job.id}":
                w.cancel()
        self.app.job_store.forget(job.id)
        self.forget(job.id)

    def action_job_preview(self) -> None:
        """Open the selected job's downloaded video in the Preview screen."""
        job = self.selected_or_hint()
        if job is None:
            return
        if not job.path:
            self.app.notify("This job's video is not downloaded yet: nothing to preview.",
                            markup=False)
            return
        from nemo_tui.ui.screens.preview import open_preview

        open_preview(self.app, job.path, title=job.id)

    def replace_job(self, job: RenderJob, **changes: Any) -> RenderJob:
        """A changed copy of a job, stored and shown."""
        job = dataclasses.replace(job, **changes)
        self.app.job_store.upsert(job)
        self.upsert(job)
        return job
