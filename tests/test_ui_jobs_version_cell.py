"""A running render's Output cell says its version alone (it read "v1 · ", a separator before
nothing), and "v1 · <path>" once downloaded (Pilot)."""

from __future__ import annotations

import pytest
from test_ui_support import RecordingStudio, studio_settings, wait_until

from nemo_tui.jobs import RenderJob

pytestmark = pytest.mark.usefixtures("fast_idle")


async def test_output_cell_of_a_running_and_a_finished_versioned_job(tmp_path):
    app = RecordingStudio(studio_settings("http://127.0.0.1:9", tmp_path), connect=False)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.jobs_table
        await wait_until(pilot, lambda: bool(table.columns))  # mounted after the first frame
        job = RenderJob(id="render_1", api_url=app.settings.api_url, session_id="1",
                        status="processing", progress=30, version=1)
        table.upsert(job)
        await pilot.pause()
        assert table.get_row("render_1")[-1].plain == "v1"
        table.upsert(RenderJob(id="render_1", api_url=app.settings.api_url, session_id="1",
                               status="completed", progress=100, version=1,
                               path=str(tmp_path / "Sea.mp4")))
        await pilot.pause()
        cell = table.get_row("render_1")[-1].plain  # (a long path keeps its end)
        assert cell.startswith("v1 · ") and cell.endswith("/Sea.mp4")
