"""A Preview screen that plays a video at once and records what it showed (for bench_preview).

    python preview_play_app.py VIDEO STATS.json [BYTES_PER_SECOND]

Writes {"started": t, "ended": t, "frames": n, "fps": f} (CLOCK_MONOTONIC seconds) to
STATS.json when the playback ends, then exits.
"""

from __future__ import annotations

import json
import sys
import time
from types import SimpleNamespace

from textual.app import App

from nemo_tui.preview.frames import FrameSource
from nemo_tui.ui.screens.preview import PreviewScreen


class PlayApp(App):
    """Opens the Preview screen, waits for the first frame, plays to the end, quits."""

    def __init__(self, video: str, stats: str, budget: int) -> None:
        super().__init__()
        self.settings = SimpleNamespace(preview="halfcell", preview_bytes_per_second=budget)
        self.video, self.stats = video, stats
        self.frames = 0
        self.started = 0.0

    def on_mount(self) -> None:
        """Push the screen and start playing once it shows its first frame."""
        screen = PreviewScreen(FrameSource(self.video),
                               FrameSource(self.video, thumbnails=True))
        shown = screen._show_played

        def counting(t: float, picture: object) -> None:
            self.frames += 1
            shown(t, picture)

        def ended(last: float) -> None:
            ended_at = time.monotonic()
            with open(self.stats, "w", encoding="utf-8") as out:
                json.dump({"started": self.started, "ended": ended_at, "frames": self.frames,
                           "fps": screen.play_fps, "last": last}, out)
            self.exit()

        screen._show_played = counting
        screen._play_ended = ended
        self.push_screen(screen)
        self.set_timer(1.5, lambda: self._play(screen))

    def _play(self, screen: PreviewScreen) -> None:
        """Start the playback (as Space does)."""
        self.started = time.monotonic()
        screen.action_play()


if __name__ == "__main__":
    PlayApp(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000).run()
