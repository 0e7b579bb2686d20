"""Pilot tests: what the studio says and does on server and local faults (local backend, loopback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_ui_support import lines, make_studio, say, settle, wait_until

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


@pytest.mark.parametrize(("faults", "words"), [
    ([{"endpoint": "file", "redirect": "loop"}], "redirects in a loop"),
    ([{"endpoint": "render_poll", "status": "completed", "without_url": True, "times": -1},
      {"endpoint": "render_download", "http": 404, "message": "no such endpoint", "times": -1}],
     "finished without a download link"),
], ids=["redirect-loop", "completed-without-url"])
async def test_download_faults_are_reported_on_the_job_in_words(backend, tmp_path, faults,
                                                               words):
    """A download that cannot happen: the row shows why (not `completed ⬇ 0%`), and the chat
    line names the job; never the generic 'Something went wrong'."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await say(pilot, GENERATE)
        await settle(pilot)
        backend.add_faults(faults)
        await pilot.press("ctrl+s")
        await settle(pilot)
        job = next(iter(app.jobs_table.jobs.values()))
        assert job.status == "completed" and job.path is None and words in job.error
        assert job.id not in app.jobs_table.downloads  # no download bar left behind
        row = " ".join(c.plain for c in app.jobs_table.get_row(job.id))
        assert "⬇" not in row and words[:12] in row
        errors = lines(app, "error")
        assert any(job.id in t and words in t for t in errors), errors
        assert not any("Something went wrong" in t for t in errors)
        assert app.job_store.get(job.id).error == job.error


async def test_unwritable_state_dir_is_named_with_the_fix(backend, tmp_path, unwritable_dir,
                                                          monkeypatch):
    """The state folder cannot be written: the studio says which folder and how to fix it (at
    start and on each message), the status bar does not claim 'offline', and the generic
    'Something went wrong … restart' never shows."""
    monkeypatch.setenv("XDG_STATE_HOME", str(unwritable_dir))
    app = make_studio(backend.url, tmp_path)
    folder = str(unwritable_dir / "nemo-tui")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        first = lines(app, "error")
        assert len(first) == 1 and folder in first[0] and "XDG_STATE_HOME" in first[0]
        assert app.status.info.connection == "state folder not writable"
        await say(pilot, GENERATE)
        await settle(pilot)
        errors = lines(app, "error")
        assert len(errors) == 2 and folder in errors[1], errors
        assert not any("Something went wrong" in t or "offline" in t for t in errors)
        assert app.status.info.connection != "offline"


async def test_jobs_table_cuts_long_errors_and_paths_with_an_ellipsis(tmp_path):
    """A long error keeps its start and a long path its file name, each cut with '…' to the
    pane, so nothing is cut off silently at the edge (wide and compact layouts)."""
    from nemo_tui.jobs import RenderJob

    error = "The server had a problem " + "with many words " * 20 + "END"
    path = "/very/" + "deep/" * 30 + "render_final.mp4"
    failed = RenderJob("render_1", "http://127.0.0.1:9", "s", status="failed", error=error)
    done = RenderJob("render_2", "http://127.0.0.1:9", "s", status="completed", path=path)
    app = make_studio("http://127.0.0.1:9", tmp_path)
    app.auto_connect = False
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.jobs_table
        await wait_until(pilot, lambda: table.is_mounted and table.columns)
        for size in ((120, 30), (80, 24)):
            await pilot.resize_terminal(*size)
            await wait_until(pilot, lambda: table.size.width and
                             table._built_width == table.size.width)
            table.upsert(failed)
            table.upsert(done)
            await pilot.pause()
            cells = {key: " ".join(c.plain for c in table.get_row(key))
                     for key in ("render_1", "render_2")}
            assert "…" in cells["render_1"] and "END" not in cells["render_1"], cells
            assert "The server had" in cells["render_1"]
            assert "render_final.mp4" in cells["render_2"], cells
            if not table.compact:  # (the compact layout shows only the file name)
                out = table.get_cell("render_2", "output").plain
                assert out.startswith("…") and out.endswith("/deep/render_final.mp4"), out
            assert table.virtual_size.width <= table.size.width  # no sideways scrolling


async def test_d_on_a_job_whose_watch_stopped_watches_it_again(backend, tmp_path):
    """A poll refused for good (403) ends the watch with the job unfinished; d on it starts
    watching again, and it completes and downloads."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, GENERATE)
        await settle(pilot)
        backend.add_faults([{"endpoint": "render_poll", "http": 403}])
        await pilot.press("ctrl+s")
        await settle(pilot)
        job = next(iter(app.jobs_table.jobs.values()))
        assert not job.finished and "scope" in job.error
        await pilot.press("f4")
        await wait_until(pilot, lambda: app.focused is app.jobs_table)
        await pilot.press("d")
        await settle(pilot)
        again = app.jobs_table.jobs[job.id]
        assert again.status == "completed" and again.path and Path(again.path).exists()
