"""Renders that finished before the studio started are not news: no "Video ready" toasts for
them at start (batch jobs were announced again on every start) (Pilot, local backend)."""

from __future__ import annotations

import pytest
from test_ui_support import make_studio, settle, wait_until

from nemo_tui.jobs import JobStore, RenderJob

pytestmark = pytest.mark.usefixtures("fast_idle")


async def test_jobs_finished_before_the_start_are_not_announced(backend, tmp_path):
    app = make_studio(backend.url, tmp_path)
    done = tmp_path / "sea.mp4"
    done.write_bytes(b"\0" * 16)
    kw = {"api_url": app.settings.api_url, "session_id": "1", "status": "completed",
          "progress": 100, "path": str(done), "updated_at": "2026-01-01T00:00:00Z"}
    JobStore(app.settings.paths).save([
        RenderJob(id="render_batch", batch=str(tmp_path / "clips.toml"), item="sea", **kw),
        RenderJob(id="render_plain", **kw)])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.jobs_table
        await wait_until(pilot, lambda: {"render_batch", "render_plain"} <= set(table.jobs))
        await settle(pilot)  # the batch feed's first look at the job store has run
        assert {"render_batch", "render_plain"} <= set(table.jobs)
        notes = [(n.title, n.message) for n in app._notifications]
        assert not [n for n in notes if n[0] == "Video ready"], notes
