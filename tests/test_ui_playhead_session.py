"""The playhead after a session with no timeline: on whole seconds again, not 1 ms off (Pilot).

An empty draft clamped the playhead to the ruler's 1 ms minimum, so the next session's playhead
read ``1.001s`` after one step.
"""

from __future__ import annotations

import copy

import pytest
from test_draft import SEED
from test_ui_support import RecordingStudio, studio_settings

from nemo_tui.draft import decode_draft

pytestmark = pytest.mark.usefixtures("fast_idle")


async def test_playhead_after_an_empty_session_steps_on_whole_seconds(tmp_path):
    app = RecordingStudio(studio_settings("http://127.0.0.1:9", tmp_path), connect=False)
    longer = copy.deepcopy(SEED)
    longer["d"] = 15000
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.timeline
        pane.set_draft(decode_draft(longer))
        pane.ruler.set_playhead(9500)
        pane.set_draft(None)  # a new session: nothing on the timeline
        pane.set_draft(decode_draft(SEED))
        await pilot.pause()
        pane.action_timeline_playhead_forward()  # what Right runs in the timeline
        assert pane.ruler.playhead_ms == 1000
