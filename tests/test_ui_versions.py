"""Draft versions in the studio (Pilot) against the local backend over loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_ui_support import lines, make_studio, say, settle, wait_until
from textual.widgets import OptionList, Static

from nemo_tui.local.probe import probe_media
from nemo_tui.ui.screens.versions import VersionsScreen

pytestmark = pytest.mark.usefixtures("fast_idle")

ROOT = Path(__file__).resolve().parent.parent
GENERATE = "make a 10 second video about the sea with background music"
EDITS = ("make it 15 seconds", "make the music quieter")


def rows(screen: VersionsScreen) -> list[str]:
    """The plain text of the Versions list, top to bottom."""
    listing = screen.query_one(OptionList)
    return [str(listing.get_option_at_index(i).prompt)
            for i in range(listing.option_count)]


def diff_text(screen: VersionsScreen) -> str:
    return str(screen.query_one("#versions-diff-text", Static).render())


async def open_versions(pilot, count: int) -> VersionsScreen:
    """F5, then wait until the list shows ``count`` versions."""
    await pilot.press("f5")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, VersionsScreen))
    screen = pilot.app.screen
    assert isinstance(screen, VersionsScreen)
    await wait_until(pilot, lambda: screen.query_one(OptionList).option_count == count)
    return screen


async def generate(pilot) -> None:
    """Once the studio is connected, ask for the 10-second video and wait for the turn."""
    await settle(pilot)
    await say(pilot, GENERATE)
    await settle(pilot)


def cli_versions(url: str) -> list[dict]:
    """`nemo-tui versions --json` in another process, on the same state dir."""
    proc = subprocess.run([sys.executable, "-m", "nemo_tui", "versions", "--json"],
                          env={**os.environ, "NEMO_API_URL": url}, cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["versions"]


async def test_three_versions_listed_compared_exported_and_kept_after_restart(backend, tmp_path):
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.timeline.border_title == "Timeline"  # a new session: no version yet
        for message in (GENERATE, *EDITS):
            await say(pilot, message)
            await settle(pilot)
        assert app.timeline.border_title == "Timeline · v3"

        screen = await open_versions(pilot, 3)
        shown = rows(screen)
        assert [r.split()[0] for r in shown] == ["v3", "v2", "v1"]  # newest first
        assert EDITS[0] in shown[1] and "duration 10s → 15s" in shown[1]
        assert GENERATE in shown[2] and "new timeline" in shown[2] and "(shown)" in shown[0]

        await pilot.press("down", "down", "enter")  # v1 against the current draft
        await wait_until(pilot, lambda: "v1 → the current draft:" in diff_text(screen))
        assert "duration 10s → 15s" in diff_text(screen)

        await pilot.press("m", "up", "m", "d")  # mark v1 and v2, compare them
        await wait_until(pilot, lambda: "v1 → v2:" in diff_text(screen))
        assert "duration 10s → 15s" in diff_text(screen)
        assert "volume" not in diff_text(screen)  # that was v3's change

        await pilot.press("down", "e")  # export version 1
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        [job] = app.jobs_table.jobs.values()
        assert job.version == 1 and job.status == "completed" and job.path
        cell = app.jobs_table.get_cell(job.id, "output").plain
        assert cell.startswith("v1 · ") and cell.endswith(Path(job.path).name)
        assert abs(probe_media(job.path)["duration"] - 10) < 0.5  # version 1's 10 s, not 15 s
        assert any("(version 1)" in line for line in lines(app, "info"))

    versions = cli_versions(backend.url)  # the CLI sees the studio's versions
    assert [(v["number"], v["message"]) for v in versions] == [
        (1, GENERATE), (2, EDITS[0]), (3, EDITS[1])]

    again = make_studio(backend.url, tmp_path)  # a restart shows the same versions
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert again.timeline.border_title == "Timeline · v3"
        screen = await open_versions(pilot, 3)
        assert [r.split()[0] for r in rows(screen)] == ["v3", "v2", "v1"]
        [job] = again.jobs_table.jobs.values()
        assert job.version == 1  # the job remembers what it rendered


async def test_export_of_the_current_draft_names_its_version(backend, tmp_path):
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await generate(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        [job] = app.jobs_table.jobs.values()
        assert job.version == 1


async def test_corrupt_versions_file_is_set_aside_and_the_studio_starts(backend, tmp_path):
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await generate(pilot)
        index = app.versions.store.path
    index.write_bytes(b"\x00garbage")
    again = make_studio(backend.url, tmp_path)
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        said = [line for line in lines(again, "error") if "damaged" in line]
        assert len(said) == 1 and "versions.json.corrupt" in said[0]
        assert (index.parent / "versions.json.corrupt").read_bytes() == b"\x00garbage"
        # the draft on screen starts the new list
        assert again.timeline.border_title == "Timeline · v1"
        screen = await open_versions(pilot, 1)
        assert rows(screen)[0].split()[0] == "v1"


async def test_versions_screen_is_in_the_palette_and_help(backend, tmp_path):
    from nemo_tui.ui.screens.help import key_rows

    assert ("F5", "Versions — List the draft's versions, compare them and export one",
            "anywhere") in key_rows()
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_versions(pilot, 0)
        note = str(screen.query_one("#versions-note", Static).render())
        assert note.startswith("No versions yet")
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.press(*"versions")
        await wait_until(pilot, lambda: "Versions" in str(pilot.app.screen.query("*")))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, VersionsScreen))
        assert isinstance(pilot.app.screen, VersionsScreen)


async def test_open_versions_screen_shows_a_version_a_cli_run_records(backend, tmp_path):
    """A CLI turn on the studio's session, while F5 is open: its version appears in the list."""
    import asyncio

    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await generate(pilot)
        screen = await open_versions(pilot, 1)
        proc = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "nemo_tui", "ask", EDITS[0]],
            env={**os.environ, "NEMO_API_URL": backend.url}, cwd=ROOT, capture_output=True,
            text=True, timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr
        await wait_until(pilot, lambda: screen.query_one(OptionList).option_count == 2, 600)
        shown = rows(screen)
        assert shown[0].split()[0] == "v2" and EDITS[0] in shown[0]


async def test_a_long_message_keeps_its_version_on_one_row(backend, tmp_path):
    """At 80x24 a version whose message and diff are long is one row ending in "…" (it wrapped
    over three rows with "(N more characters)" in the middle)."""
    long_message = GENERATE + " and " + "soft waves, " * 12
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await say(pilot, long_message)
        await settle(pilot)
        screen = await open_versions(pilot, 1)
        listing = screen.query_one(OptionList)
        await wait_until(pilot, lambda: listing.virtual_size.height > 0)
        assert listing.virtual_size.height == 1
        row = rows(screen)[0]
        assert "more characters" not in row and "…" in row
