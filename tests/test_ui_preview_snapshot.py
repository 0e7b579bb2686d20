"""Snapshot of the Preview screen (half cells) over the fixed demo scene.

Update after an intended change with
`pytest tests/test_ui_preview_snapshot.py --snapshot-update`.
"""

from __future__ import annotations

from preview_support import make_single_keyframe_video

from nemo_tui.ui.demo import build_demo_app
from nemo_tui.ui.demo_preview import open_demo_preview


def test_preview_screen(snap_compare, tmp_path):
    """Facts, the exact frame at 2.3 s (not the keyframe), the strip of 8 with the current
    thumbnail marked, the time line and the keys."""
    video = make_single_keyframe_video(tmp_path / "render_1795607400000.mp4")

    async def run_before(pilot) -> None:
        await open_demo_preview(pilot, video, at=2.3)

    assert snap_compare(build_demo_app(tmp_path / "state"), terminal_size=(100, 30),
                        run_before=run_before)
