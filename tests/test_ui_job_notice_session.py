"""A render's "Video ready" line goes to the chat of the session it rendered, never into the
session open when it finished (export, then Ctrl+N: the line landed in the new session's chat
and transcript) (Pilot, local backend)."""

from __future__ import annotations

import pytest
from test_ui_support import lines, make_studio, say, settle, wait_until

pytestmark = pytest.mark.usefixtures("fast_idle")


@pytest.mark.timeout(120)
async def test_video_ready_of_another_session_stays_out_of_this_chat(backend, tmp_path):
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, "make a 3 second video of a forest with piano music")
        await settle(pilot)
        first = app.client.session.session_id
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: bool(app.jobs_table.jobs))
        await pilot.press(app.key_table["new_session"])
        await wait_until(pilot, lambda: app.client.session.session_id != first)
        await settle(pilot, limit=60)  # the render finishes and downloads meanwhile
        job = next(iter(app.jobs_table.jobs.values()))
        assert job.session_id == first and job.status == "completed" and job.path
        assert not [t for t in lines(app) if t.startswith("Video ready")], lines(app)
        assert not [e for e in app.transcript.load() if e.text.startswith("Video ready")]
        notes = [(n.title, n.message) for n in app._notifications]
        assert ("Video ready", job.path) in notes  # the toast still tells the user
