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
    """F3 focuses the timeline; Enter expands the first track (lazy segment nodes)."""
    assert snap_compare(build_demo_app(tmp_path), press=["f3", "enter"], terminal_size=(120, 40))
