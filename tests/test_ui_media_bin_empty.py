"""The empty media bin names the upload key in effect (it said Ctrl+F, which is Find) (Pilot)."""

from __future__ import annotations

import pytest
from test_ui_support import RecordingStudio, studio_settings

pytestmark = pytest.mark.usefixtures("fast_idle")


def _empty_bin_text(app) -> str:
    media = app.timeline.media_bin
    return str(media.get_option_at_index(0).prompt)


@pytest.mark.parametrize(("keymap", "shown"), [({}, "Ctrl+L"), ({"upload": "f10"}, "F10")])
async def test_empty_media_bin_names_the_upload_key(tmp_path, keymap, shown):
    settings = studio_settings("http://127.0.0.1:9", tmp_path, keymap=keymap)
    app = RecordingStudio(settings, connect=False)
    async with app.run_test(size=(120, 40)) as pilot:
        app.timeline.action_timeline_media()  # what m runs in the timeline
        await pilot.pause()
        assert app.timeline.media_bin.display
        text = _empty_bin_text(app)
        assert text == f"No media yet: upload a file with {shown}."
        app.timeline.set_media([], [])  # a state reply without media says it again
        assert _empty_bin_text(app) == f"No media yet: upload a file with {shown}."
