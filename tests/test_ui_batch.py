"""Batches in the studio: a CLI batch shows in the Jobs pane, grouped; "Run batch file…" runs
one with the same engine; Ctrl+O filters sessions as you type. Local backend over loopback."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_ui_support import lines, make_studio, settle, until

from nemo_tui.ui.screens.batch_file import BatchFileScreen
from nemo_tui.ui.screens.sessions import SessionsScreen
from nemo_tui.ui.widgets.jobs import grouped

pytestmark = pytest.mark.usefixtures("fast_idle")
ROOT = Path(__file__).resolve().parent.parent


def batch_file(folder: Path, names: list[str]) -> Path:
    path = folder / "clips.toml"
    path.write_text('output = "renders"\n' + "".join(
        f'[[item]]\nname = "{n}"\nprompt = "make a 2-second video about the {n}"\n'
        for n in names))
    return path


async def run_in_picker(pilot, batch: Path) -> None:
    """In the batch picker (once it opens), type ``batch``'s path and run it to the end."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, BatchFileScreen), "the picker")
    app.screen.query_one("#upload-input").value = str(batch)
    app.screen.query_one("#upload-input").focus()
    await pilot.press("enter")
    await until(pilot, lambda: any("finished" in t for t in lines(app, "info")),
                "the batch finished", limit=90)


def batch_rows(app) -> list:
    """The jobs of the table in row order."""
    table = app.jobs_table
    return [table.jobs[row.value] for row in table.rows]


@pytest.mark.timeout(120)
async def test_a_cli_batch_shows_in_the_jobs_pane_grouped(backend, tmp_path):
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")  # an ordinary export first: the batch rows come after it
        batch = batch_file(tmp_path, ["sea", "city"])
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "nemo_tui", "--api-url", backend.url, "batch", str(batch),
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, "NEMO_POLL_INTERVAL": "0.2"})
        try:
            def done() -> bool:
                items = {j.item: j for j in app.jobs_table.jobs.values() if j.item}
                return set(items) == {"sea", "city"} and all(
                    j.status == "completed" and j.path for j in items.values())

            await until(pilot, done, "the CLI batch's jobs completed in the pane", limit=90)
        finally:
            _out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err
        rows = [j for j in batch_rows(app) if j.item]
        assert [Path(j.path).name for j in rows] in (["sea.mp4", "city.mp4"],
                                                     ["city.mp4", "sea.mp4"])
        for job in rows:  # the label names the batch and the item
            label = app.jobs_table.get_cell(job.id, "id").plain
            assert label.endswith(job.item) and "clips" in label
        # the studio did not download them a second time
        assert sorted(p.name for p in (tmp_path / "renders").iterdir()) == ["city.mp4",
                                                                            "sea.mp4"]
        assert not any(p.name.startswith(("sea", "city")) for p in (tmp_path / "out").iterdir())


@pytest.mark.timeout(120)
async def test_run_batch_file_from_the_palette(backend, tmp_path):
    batch = batch_file(tmp_path, ["forest", "desert"])
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"run batch")
        await until(pilot, lambda: "Run batch" in str(app.screen.query("CommandList")
                                                      .first().get_option_at_index(0).prompt)
                    if app.screen.query("CommandList") else False, "the palette entry")
        await pilot.press("enter")
        await run_in_picker(pilot, batch)
        await settle(pilot)
        assert any("Batch clips.toml finished: 2 done, 0 failed" in t for t in lines(app, "info"))
        assert sorted(p.name for p in (tmp_path / "renders").iterdir()) == ["desert.mp4",
                                                                            "forest.mp4"]
        await until(pilot, lambda: {j.item for j in app.jobs_table.jobs.values()}
                    == {"forest", "desert"}, "the batch's jobs in the pane")


def test_the_picker_lists_only_toml_files(tmp_path):
    from nemo_tui.ui.screens.batch_file import TomlTree

    folder = tmp_path / "files"
    folder.mkdir()
    for name in ("a.toml", "b.mp4", ".hidden.toml", "notes.txt"):
        (folder / name).write_text("")
    (folder / "sub").mkdir()
    tree = TomlTree.__new__(TomlTree)  # filter_paths reads only the class's extensions
    kept = tree.filter_paths(sorted(folder.iterdir()))
    assert [p.name for p in kept] == ["a.toml", "sub"]


async def test_sessions_list_filters_as_you_type(backend, tmp_path):
    from nemo_tui.store import SessionStore

    app = make_studio(backend.url, tmp_path)
    store = SessionStore(app.settings.paths)
    store.touch(backend.url, "s-night", title="Night Lights", last_message="make it blue")
    store.touch(backend.url, "s-beach", title="Beach teaser", last_message="add music")
    store.touch(backend.url, "s-city", title=None, last_message="a city at night")
    chosen: list = []
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(SessionsScreen(store.recent(backend.url), clock=app.clock,
                                       current="s-city"), chosen.append)
        await until(pilot, lambda: isinstance(app.screen, SessionsScreen)
                    and app.screen.query("#sessions-list"), "sessions screen")
        option_list = app.screen.query_one("#sessions-list")

        def ids() -> list[str]:
            return [option_list.get_option_at_index(i).id
                    for i in range(option_list.option_count)]

        assert {"s-beach", "s-city", "s-night"} <= set(ids())  # and the studio's own one
        city = str(option_list.get_option_at_index(ids().index("s-city")).prompt)
        assert "s-city" in city and "(open)" in city and "a city at night" in city
        await pilot.press(*"night")  # title or last message
        await until(pilot, lambda: sorted(ids()) == ["s-city", "s-night"], "two matches")
        await pilot.press(*" lig")  # every word must match
        await until(pilot, lambda: ids() == ["s-night"], "one match")
        app.screen.query_one("#sessions-filter").value = "music"
        await until(pilot, lambda: ids() == ["s-beach"], "matched on the last message")
        await pilot.press("enter")
        await until(pilot, lambda: chosen == ["s-beach"], "chosen")


def test_grouped_keeps_each_batch_together():
    from types import SimpleNamespace as J

    jobs = [J(id="a", batch=None), J(id="b1", batch="x"), J(id="c", batch=None),
            J(id="b2", batch="x"), J(id="d1", batch="y")]
    assert [j.id for j in grouped(jobs)] == ["a", "b1", "b2", "c", "d1"]


def test_no_two_actions_of_a_scope_share_a_key():
    from collections import Counter

    from nemo_tui.ui.commands import ACTIONS

    keys = Counter((a.scope, k.strip()) for a in ACTIONS for k in a.key.split(","))
    assert [k for k, n in keys.items() if n > 1] == []


@pytest.mark.timeout(120)
async def test_studio_downloads_are_named_from_the_session_title(backend, tmp_path):
    from test_ui_support import say

    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, "make a 2 second video of a forest")
        await settle(pilot)
        await say(pilot, "change the title to Night/Lights")
        await settle(pilot)
        for _ in range(2):
            await pilot.press("ctrl+s")
            await settle(pilot)
        names = sorted(Path(j.path).name for j in app.jobs_table.jobs.values())
        assert names == ["Night Lights (2).mp4", "Night Lights.mp4"]  # "/" is no separator


@pytest.mark.timeout(120)
async def test_credits_in_the_status_bar_are_current_after_a_studio_batch(backend, tmp_path):
    """F9 runs a batch (its turns spend credits): when its renders are done the status bar
    shows the balance the server has now, without Ctrl+B."""
    batch = batch_file(tmp_path, ["lake"])
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before = app.status.info.credits
        assert before is not None
        await pilot.press("f9")
        await run_in_picker(pilot, batch)
        now = await app.client.credits()  # the server's balance after the batch
        assert now.available < before.available  # the batch was paid for
        await until(pilot, lambda: app.status.info.credits == now, "the status bar's credits")
