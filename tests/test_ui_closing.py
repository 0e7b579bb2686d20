"""Worker messages that arrive while the studio closes are dropped, never a traceback on quit."""

from __future__ import annotations

import pytest
from test_ui_support import make_studio

from nemo_tui.jobs import RenderJob
from nemo_tui.ui.messages import Activity, JobChanged


def a_job(url: str) -> RenderJob:
    """A running render of the studio's backend."""
    return RenderJob(id="r1", api_url=url, session_id="s1", status="processing", progress=5,
                     created_at="2026-12-01T00:00:00Z")


async def test_updates_after_the_panes_are_gone_are_dropped_while_closing(local_backend, tmp_path):
    """A job update or an activity line handled after quit has removed the panes does nothing."""
    app = make_studio(local_backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.exit()
    # the panes are gone now, as when a worker's last message is handled during shutdown
    app.on_job_changed(JobChanged(a_job(local_backend.url)))
    app.on_activity(Activity("turn", "still working"))


async def test_a_missing_pane_while_running_is_still_an_error(local_backend, tmp_path):
    """The guard is for closing only: a missing pane in a running studio is a bug, not hidden."""
    from textual.css.query import NoMatches

    from nemo_tui.ui.widgets.status import StatusBar

    app = make_studio(local_backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.query_one(StatusBar).remove()
        with pytest.raises(NoMatches):
            app.on_activity(Activity("turn", "still working"))
