"""Pilot tests: what the studio says and does on server and local faults (local backend, loopback)."""

from __future__ import annotations

from pathlib import Path

from test_ui_support import (  # noqa: F401 - fixtures are used by name
    backend_fixture,
    lines,
    make_studio,
    say,
    settle,
    wait_until,
)

GENERATE = "make a 5 second video of a forest with piano music"


async def test_rate_limited_polls_keep_the_job_watched_and_d_works(backend, tmp_path):
    """429 on two polls in a row (after the client's own retry): the job is still watched, its
    row says why, it completes and downloads, and d downloads it again."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, GENERATE)
        await settle(pilot)
        backend.add_faults([{"endpoint": "render_poll", "http": 429, "retry_after": 0.3,
                             "times": 4}])
        await pilot.press("ctrl+s")
        await settle(pilot)
        job = next(iter(app.jobs_table.jobs.values()))
        assert job.status == "completed" and job.path and Path(job.path).exists()
        assert any(u.error and "HTTP 429" in u.error for u in app.job_updates)
        assert not [t for t in lines(app, "error") if "rate-limiting" in t]  # on the row only
        await pilot.press("f4")
        await wait_until(pilot, lambda: app.focused is app.jobs_table)
        await pilot.press("d")
        await settle(pilot)
        again = app.jobs_table.jobs[job.id]
        assert again.path != job.path and Path(again.path).exists()


async def test_no_credits_shows_the_registration_link_once(backend, tmp_path):
    """2001 on a turn: one error line, with the register link (bind=<anon id>) exactly once."""
    backend.add_faults([{"endpoint": "run_sse", "code": 2001}])
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, GENERATE)
        await settle(pilot)
        errors = [t for t in lines(app, "error") if "credits" in t]
        assert len(errors) == 1, errors
        assert errors[0].count("/register?bind=anon_") == 1, errors[0]
        assert errors[0].count("http") == 1, errors[0]
