"""Pilot tests of exports and render jobs against the local backend over loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from test_ui_support import exported, lines, make_studio, say, settle, wait_until

from nemo_tui.jobs import JobStore

pytestmark = pytest.mark.usefixtures("fast_idle")

GENERATE = "make a 5 second video of a forest with piano music"


async def test_export_progresses_completes_and_downloads(backend, tmp_path):
    """Ctrl+S renders the draft; the row goes pending → … → completed; the MP4 lands in the
    configured folder; the job is persisted; credits refresh."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        job = await exported(pilot, GENERATE)
        assert len(app.jobs_table.jobs) == 1
        assert job.status == "completed" and job.path
        path = Path(job.path)
        assert path.parent == tmp_path / "out" and path.stat().st_size > 0
        statuses = [u.status for u in app.job_updates]
        assert statuses[0] in ("pending", "processing") and statuses[-1] == "completed"
        assert any(u.download_progress is not None for u in app.job_updates)
        assert JobStore(app.settings.paths).get(job.id).path == job.path
        table = app.jobs_table
        cell = table.get_cell(job.id, "output").plain  # fitted to the pane: "…" + the end
        assert cell.startswith("v1 · ")  # the row says it rendered draft version 1
        cell = cell.removeprefix("v1 · ")
        assert cell == job.path or (cell[0] == "…" and job.path.endswith(cell[1:]))
        # the column grew to show the path (it was sized when the output was empty)
        assert table.columns["output"].get_render_width(table) >= len(cell)
        assert any(t.startswith("Video ready: ") for t in lines(app, "info"))
        assert app.jobs_table._ticker is None  # nothing repaints once no job runs


async def test_two_exports_run_at_once(backend, tmp_path):
    """Two exports: two jobs, each watched by its own worker, both downloaded."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, GENERATE)
        await settle(pilot)
        await pilot.press("ctrl+s")
        await say(pilot, "export")
        await wait_until(pilot, lambda: sum(
            w.group == "jobs" and not w.is_finished for w in app.workers) == 2)
        assert sum(w.group == "jobs" and not w.is_finished for w in app.workers) == 2
        await settle(pilot)
        jobs = list(app.jobs_table.jobs.values())
        assert len(jobs) == 2 and len({j.id for j in jobs}) == 2
        assert all(j.status == "completed" and Path(j.path).exists() for j in jobs)
        assert len({j.path for j in jobs}) == 2


async def test_restart_resumes_a_persisted_job(backend, tmp_path):
    """Quit while a render runs; the next start shows the job and finishes watching it."""
    backend.add_faults([{"endpoint": "render_poll", "status": "processing", "progress": 30,
                         "times": 1}])
    app = make_studio(backend.url, tmp_path, poll_interval=60)
    async with app.run_test() as pilot:
        await settle(pilot)
        await say(pilot, GENERATE)
        await settle(pilot)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: any(u.status == "processing" for u in app.job_updates))
        job_id = app.job_updates[-1].id
        # the store is written before the row is updated: the stored job is "processing" too
        assert JobStore(app.settings.paths).get(job_id).status == "processing"
    again = make_studio(backend.url, tmp_path)
    async with again.run_test() as pilot:
        await settle(pilot)
        job = again.jobs_table.jobs[job_id]
        assert job.status == "completed" and Path(job.path).exists()
        assert JobStore(again.settings.paths).get(job_id).path == job.path


async def test_job_keys_copy_download_again_and_forget(backend, tmp_path):
    """On the jobs table: c copies the path (OSC 52), d downloads again, Delete forgets."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, GENERATE)
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        first = next(iter(app.jobs_table.jobs.values()))
        await pilot.press("f4")
        assert app.focused is app.jobs_table
        await pilot.press("c")
        assert app.clipboard == first.path
        await pilot.press("d")
        await settle(pilot)
        again = app.jobs_table.jobs[first.id]
        assert again.path != first.path and Path(again.path).exists()  # never overwritten
        await pilot.press("delete")
        assert first.id not in app.jobs_table.jobs
        assert JobStore(app.settings.paths).get(first.id) is None


async def _render_until_cancelled(draft: dict, out_path: Path, *, media_dir: Path,
                                  progress: Any, scale: float = 1.0,
                                  cancel: asyncio.Event | None = None) -> None:
    """A render that runs until it is cancelled (so a cancel can never come too late)."""
    progress(0.1)
    assert cancel is not None
    await cancel.wait()


async def test_cancel_a_running_job(make_local_backend, tmp_path):
    """x on a running job asks the server to cancel; the row and the stored job end cancelled."""
    backend = make_local_backend(agent_options={"generation_cost": 10, "edit_cost": 5},
                                 render_options={"render_fn": _render_until_cancelled})
    app = make_studio(backend.url, tmp_path, poll_interval=0.3)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, GENERATE)
        await settle(pilot)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: bool(app.jobs_table.jobs))
        await pilot.press("f4", "x")
        await settle(pilot)
        cancels = [r for r in backend.requests() if r.get("endpoint") == "render_cancel"]
        assert len(cancels) == 1
        assert any("Cancel requested" in t for t in lines(app, "info"))
        job_id = next(iter(app.jobs_table.jobs))
        assert app.jobs_table.jobs[job_id].status == "cancelled"
        assert "cancelled" in app.jobs_table.get_cell(job_id, "status").plain
        assert JobStore(app.settings.paths).get(job_id).status == "cancelled"


async def until(pilot, condition) -> None:
    """Let the app run until ``condition()`` holds (a resize takes a few message rounds)."""
    for _ in range(200):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError("condition never held")


def pane_text(app) -> str:
    """The jobs pane as painted on the screen (border and all), one line per row."""
    strips = app.screen._compositor.render_strips()
    region = app.query_one("#jobs").region
    return "\n".join("".join(seg.text for seg in strip)[region.x:region.right]
                     for strip in strips[region.y:region.bottom])


async def test_jobs_pane_fits_80x24_and_relayouts_on_resize(backend, tmp_path):
    """At 80x24 a completed job's progress % and output file name are on screen without
    scrolling sideways; a wide terminal shows every column; keys act on the selected row."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await say(pilot, GENERATE)
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        job = next(iter(app.jobs_table.jobs.values()))
        assert job.status == "completed" and job.path
        table = app.jobs_table
        assert table.compact
        text = pane_text(app)
        assert "100%" in text and Path(job.path).name in text, text
        assert job.id[-6:] in text and "completed" in text
        assert table.scroll_x == 0 and not table.show_horizontal_scrollbar
        await pilot.resize_terminal(120, 40)
        await until(pilot, lambda: not table.compact)
        cell = table.get_cell(job.id, "output").plain  # fitted to the pane: "…" + the end
        assert cell.startswith("v1 · ")  # the row says it rendered draft version 1
        cell = cell.removeprefix("v1 · ")
        assert cell == job.path or (cell[0] == "…" and job.path.endswith(cell[1:]))
        await pilot.pause(0.01)
        assert "Time" in pane_text(app) and job.id in pane_text(app)
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: table.compact)
        await pilot.pause(0.01)
        assert Path(job.path).name in pane_text(app)
        await pilot.press("f4")
        await pilot.press("c")
        assert app.clipboard == job.path
