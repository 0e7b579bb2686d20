"""The jobs pane (wide layout) is as tall as its jobs, up to 10 rows; the chat gets the rest."""

from __future__ import annotations

import pytest
from test_ui_support import make_studio, settle, until

from nemo_tui.jobs import RenderJob
from nemo_tui.ui.demo import build_demo_app
from nemo_tui.ui.widgets.chat import ChatInput
from nemo_tui.ui.widgets.chatlog import ChatLog

pytestmark = pytest.mark.usefixtures("fast_idle")

#: The jobs pane's height before it grew with its jobs (and its most now).
FULL = 10


async def test_no_jobs_leave_the_rows_to_the_chat(backend, tmp_path):
    """At 100x30 with no job the jobs pane is its border and header; the chat is taller."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await until(pilot, lambda: app.jobs_table.parent is not None, "jobs table mounted")
        jobs, chat = app.query_one("#jobs"), app.query_one("#chat")
        await until(pilot, lambda: jobs.region.height == 3, "jobs pane fitted")
        assert chat.region.bottom == jobs.region.y  # the chat took the rows
        assert app.query_one(ChatLog).scrollable_content_region.height >= 18
        assert app.query_one(ChatInput).region.bottom <= chat.region.bottom


async def test_jobs_pane_grows_with_its_jobs_then_scrolls(tmp_path):
    """Each job adds a row, up to 10 rows; more jobs scroll inside the pane."""
    app = build_demo_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.jobs_table
        await until(pilot, lambda: table.parent is not None and table.row_count == 4,
                    "demo jobs shown")
        jobs = app.query_one("#jobs")
        await until(pilot, lambda: jobs.region.height == 2 + 1 + 4, "pane fits four jobs")
        for n in range(8):
            app.post_message_job(RenderJob(id=f"render_extra_{n}", api_url=app.settings.api_url,
                                           session_id="s", created_at="2026-11-25T12:00:00Z"))
        await until(pilot, lambda: table.row_count == 12, "twelve jobs shown")
        await until(pilot, lambda: jobs.region.height == FULL, "pane at its most")
        assert table.virtual_size.height > table.size.height  # the rest scrolls
        chat = app.query_one("#chat")
        assert chat.region.bottom == jobs.region.y
        assert app.query_one(ChatInput).region.bottom <= chat.region.bottom
