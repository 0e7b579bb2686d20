"""`nemo-tui batch FILE.toml`: run a batch file; progress per item on stderr, JSON lines.

Progress is a live table when stderr is a terminal, plain lines otherwise (one per change of
an item's step), nothing with --json (stdout then carries one JSON line per finished item and
the counts). No Textual, no Rich.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nemo_tui.batch.spec import DEFAULT_PARALLEL, load_batch
from nemo_tui.cli_output import EXIT_FAIL, EXIT_OK
from nemo_tui.textsafe import safe_line

if TYPE_CHECKING:
    from nemo_tui.batch.runner import ItemReport
    from nemo_tui.batch.spec import BatchSpec
    from nemo_tui.cli_output import Output
    from nemo_tui.config import Settings

REDRAW_EVERY = 0.2  # seconds between live-table redraws (the last state is always drawn)


def prepare_batch(args: Any) -> tuple[BatchSpec, Path, int]:
    """Parse and check the file and flags (exit 2, before any request)."""
    from nemo_tui.cli_export import check_output_dir

    spec = load_batch(args.file, parallel_flag=args.parallel)
    output_dir = (args.output or spec.output or Path.cwd()).absolute()
    check_output_dir(output_dir)
    parallel = args.parallel or spec.parallel or DEFAULT_PARALLEL
    return spec, output_dir, parallel


async def run_batch_command(args: Any, settings: Settings, output: Output,
                            prepared: tuple[BatchSpec, Path, int]) -> int:
    """Run the batch and report; exit 0 when every item is done, else 1."""
    from nemo_tui.batch.clients import SettingsClients
    from nemo_tui.batch.run import run_batch

    spec, output_dir, parallel = prepared
    display = Display(output, [i.name for i in spec.items])
    clients = SettingsClients(settings)
    try:
        result = await run_batch(spec, settings, clients, output_dir=output_dir,
                                 parallel=parallel, one_session=args.one_session,
                                 on_update=display.update, on_note=output.note)
    finally:
        display.close()
        if clients.token_secret:
            output.secrets.append(clients.token_secret)
        await clients.aclose()
    done, failed, skipped = (result.count(s) for s in ("done", "failed", "skipped"))
    if output.json_mode:
        output.json({"done": done, "failed": failed, "skipped": skipped})
    else:
        width = max((len(safe_line(r.name, max_len=60)) for r in result.reports), default=0)
        for r in result.reports:
            output.out(f"{r.status:<8} {safe_line(r.name, max_len=60):<{width}}  "
                       f"{safe_line(r.path or r.error or '', max_len=300)}")
        if failed or skipped:
            output.err(f"{done} done, {failed} failed, {skipped} skipped. Fix what the messages "
                       "say and run the same command again: done items are kept.")
    return EXIT_OK if done == len(result.reports) else EXIT_FAIL


class Display:
    """Item progress on stderr (live table or plain lines) and JSON lines on stdout."""

    def __init__(self, output: Output, names: list[str]) -> None:
        self.output = output
        self.rows: dict[str, ItemReport | None] = dict.fromkeys(names)
        self.live = not output.json_mode and sys.stderr.isatty()
        self._drawn = 0
        self._last_draw = 0.0
        self._last_line: dict[str, str] = {}

    def update(self, report: ItemReport) -> None:
        """One item changed."""
        self.rows[report.name] = report
        if report.final and self.output.json_mode:
            self.output.json({"name": report.name, "status": report.status,
                              "session_id": report.session_id, "render_id": report.render_id,
                              "path": report.path, "error": report.error})
        if self.live:
            now = time.monotonic()
            if report.final or now - self._last_draw >= REDRAW_EVERY:
                self._draw()
                self._last_draw = now
        elif not self.output.json_mode:
            line = _describe(report, percent=False)
            if self._last_line.get(report.name) != line:  # one line per change of step
                self._last_line[report.name] = line
                self.output.note(f"[{report.name}] {line}")

    def _draw(self) -> None:
        width = shutil.get_terminal_size((100, 24)).columns - 1
        name_w = min(24, max(len(n) for n in self.rows))
        lines = []
        for name, r in self.rows.items():
            text = _describe(r) if r is not None else "waiting"
            lines.append(safe_line(f"{name[:name_w]:<{name_w}}  {text}")[:width])
        up = f"\x1b[{self._drawn}F" if self._drawn else ""
        sys.stderr.write(up + "".join(f"{line}\x1b[K\n" for line in lines))
        sys.stderr.flush()
        self._drawn = len(lines)

    def close(self) -> None:
        """Draw the last state of the live table."""
        if self.live and self._drawn:
            self._draw()


def _describe(r: ItemReport, *, percent: bool = True) -> str:
    """`running  rendering 40%` / `done  out/x.mp4` / `failed  reason`."""
    if r.status == "done":
        return f"done      {r.path or ''}"
    if r.status in ("failed", "skipped"):
        return f"{r.status:<9} {r.error or ''}"
    pct = f" {r.progress}%" if percent and r.progress is not None and r.phase in (
        "rendering", "downloading") else ""
    return f"{r.status:<9} {r.phase}{pct}"
