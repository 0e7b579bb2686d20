"""Snapshot tests of the studio (pytest-textual-snapshot): fixed demo scene, no clocks/network.

Update after an intended change with `pytest tests/test_ui_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import pytest

from nemo_tui.ui.demo import build_demo_app


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_main_screen(snap_compare, tmp_path, size):
    """Main screen: 3-track draft, jobs completed/processing/pending/failed, hostile text literal."""
    assert snap_compare(build_demo_app(tmp_path), terminal_size=size)


def test_help_screen(snap_compare, tmp_path):
    """The help screen lists every key."""
    assert snap_compare(build_demo_app(tmp_path), press=["f1"], terminal_size=(120, 40))


def test_timeline_expanded_and_focused(snap_compare, tmp_path):
    """F3 focuses the timeline, whose short tracks start expanded (segments shown). The shot is
    taken once the tree is focused and the first track's segments are shown (conditions, not a
    guess at idleness: on a loaded machine the expansion came after the screenshot)."""

    async def expand_first_track(pilot) -> None:
        from nemo_tui.ui.widgets.timeline import DraftTree

        app = pilot.app

        async def until(condition, what: str) -> None:
            for _ in range(2000):
                if condition():
                    return
                await pilot.pause(0.01)
            raise AssertionError(f"timed out waiting for {what}")

        # the demo scene is painted after the first frame
        await until(lambda: app.query(DraftTree) and app.query_one(DraftTree).root.children,
                    "the demo draft in the tree")
        await pilot.press("f3")
        tree = app.query_one(DraftTree)
        await until(lambda: app.focused is tree and tree.cursor_node is not None,
                    "the focused tree")
        first = tree.root.children[0]
        await until(lambda: first.is_expanded and first.children, "the first track expanded")
        await pilot.pause()

    assert snap_compare(build_demo_app(tmp_path), run_before=expand_first_track,
                        terminal_size=(120, 40))
