"""A title change said once in the studio's change summary (Pilot, local backend over
loopback): the draft's title and the Title track's text change together, one line says so."""

from __future__ import annotations

import pytest
from test_ui_support import lines, make_studio, say, settle

pytestmark = pytest.mark.usefixtures("fast_idle")

GENERATE = "make a 10 second video about the sea with background music"


async def test_title_change_is_one_line_of_the_summary(backend, tmp_path):
    """'change the title to "Night Lights"': both the title and its text track change; the
    chat's summary of the turn says it in one line."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, GENERATE)
        await settle(pilot)
        old_title = app.draft.title
        said = len(lines(app, "diff"))
        await say(pilot, 'change the title to "Night Lights"')
        await settle(pilot)
        assert app.draft.title == "Night Lights" and old_title != "Night Lights"
        title_track = next(t for t in app.draft.tracks if t.role == "Title")
        assert title_track.segments[0].text == "Night Lights"  # the text changed too
        # the change lines of this turn (not the agent's words, nor a tracks listing the
        # reply may ask for)
        mentions = [t for t in lines(app, "diff")[said:] if "Night Lights" in t]
        assert mentions == ['title changed to "Night Lights"'], mentions
