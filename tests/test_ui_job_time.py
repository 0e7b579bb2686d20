"""A finished job keeps its elapsed time: `d` (download again) does not move the Time column
(the job records when it finished; jobs stored before that field keep their old end). Pilot
against the local backend over loopback."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_ui_support import exported, make_studio, settle, until

from nemo_tui.jobs import JobStore

pytestmark = pytest.mark.usefixtures("fast_idle")

GENERATE = "make a 5 second video of a forest with piano music"


def iso(epoch: float) -> str:
    """An ISO time as the job store writes it."""
    return datetime.fromtimestamp(int(epoch), UTC).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("stored", ["with finished_at", "old record without it"])
async def test_download_again_keeps_a_finished_jobs_time(backend, tmp_path, stored):
    """A job that rendered in 12 s an hour ago still says 0:12 after `d` downloaded it again
    (the download is recorded: its updated_at moves, its end does not)."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        job = await exported(pilot, GENERATE)
        table = app.jobs_table
        assert job.status == "completed" and job.path
        assert job.finished_at is not None  # recorded when the render finished
        # the same job as a jobs file written an hour ago keeps it (or an older file, without)
        start = time.time() - 3600
        job = table.replace_job(job, created_at=iso(start), updated_at=iso(start + 12),
                                finished_at=iso(start + 12) if "with" in stored else None)
        assert table.get_cell(job.id, "elapsed").plain == "0:12"
        await pilot.press("f4", "d")
        await until(pilot, lambda: (table.jobs[job.id].path or job.path) != job.path,
                    "the second download")
        await settle(pilot)
        again = table.jobs[job.id]
        assert Path(again.path).exists() and again.updated_at > iso(start + 12)
        assert table.get_cell(job.id, "elapsed").plain == "0:12"
        assert JobStore(app.settings.paths).get(job.id).finished_at == iso(start + 12)
