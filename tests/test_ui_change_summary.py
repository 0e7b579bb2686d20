"""Pilot test: the chat's change summary of a huge edit counts the real number of changes."""

from __future__ import annotations

from test_ui_support import RecordingStudio, studio_settings, wait_until

from nemo_tui.api.models import SessionState
from nemo_tui.ui.handlers import MAX_DIFF_LINES
from nemo_tui.ui.messages import StateFetched

SEGMENTS = 50_000


def draft(seconds: int, title: str, volume: float) -> dict:
    """A video track of SEGMENTS segments of `seconds` each, and a music track."""
    return {"m": {"title": title},
            "t": [{"tt": 0, "sg": [{"s": i * seconds * 1000, "d": seconds * 1000,
                                    "m": {"name": f"shot {i}"}} for i in range(SEGMENTS)]},
                  {"tt": 1, "sg": [{"s": 0, "d": 1000, "m": {"name": "tune", "volume": volume}}]}]}


def state(raw: dict) -> SessionState:
    """A state reply holding `raw`."""
    return SessionState("s1", None, "project", raw, [], [], {})


async def test_summary_of_a_50000_segment_edit_counts_every_change(tmp_path):
    """Every segment moves (50,000 span changes), the title, duration and music volume change:
    the chat lists the first lines and '… and N more changes' with the true remainder."""
    app = RecordingStudio(studio_settings("http://127.0.0.1:9", tmp_path), connect=False)
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(StateFetched(state(draft(1, "Before", 0.5)), "open"))
        await wait_until(pilot, lambda: app.draft is not None, tries=3000)
        app.post_message(StateFetched(state(draft(2, "After", 0.2)), "turn"))
        await wait_until(pilot, lambda: any("more change" in t for t in app.chat_log.lines(None)),
                         tries=3000)
        diff = app.chat_log.lines("diff")
    real = SEGMENTS + 3  # every segment's span, the title, the duration, the music volume
    assert len(diff) == MAX_DIFF_LINES + 1
    assert diff[-1] == f"… and {real - MAX_DIFF_LINES} more changes (see the timeline)."
