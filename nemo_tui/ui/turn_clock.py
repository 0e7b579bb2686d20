"""Waiting made visible: the running turn's elapsed time in the status bar, and on the current
tool line (``⚙ generating video… 1:42 (usually a few minutes)``).

One 1-second timer, only while a turn runs: each tick rewrites one status line and one chat row.
Time comes from the app's clock (injectable: tests move it instead of sleeping).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nemo_tui.ui.attention import LONG_TURN

if TYPE_CHECKING:
    from nemo_tui.ui.app import NemoStudioApp

#: What a tool usually takes, by the phrase of its activity line.
TYPICAL = {
    "generating video…": "usually a few minutes",
    "generating music…": "usually under a minute",
    "editing the timeline…": "usually seconds",
}


def fmt_elapsed(seconds: float) -> str:
    """``75`` → ``1:15`` (the jobs table's format; its module is loaded once a turn runs)."""
    from nemo_tui.ui.widgets.jobs import fmt_elapsed as fmt

    return fmt(max(0.0, seconds))


class TurnClock:
    """Starts with a turn's first activity, ticks every second, stops when it ends."""

    def __init__(self, app: NemoStudioApp) -> None:
        self.app = app
        self.started: float | None = None
        self._timer: Any = None
        self._final = 0  # tool lines of this turn whose time is final (the next one began)

    @property
    def running(self) -> bool:
        """Whether a turn is being timed."""
        return self.started is not None

    def activity(self, key: str, text: str | None) -> None:
        """An Activity message: the "chat" key starts and ends a turn."""
        if key != "chat":
            return
        if text is not None and self.started is None:
            self.started = self.app.clock()
            self.app.chat_log.tool_lines = []
            self._final = 0
            self._timer = self.app.set_interval(1.0, self.tick, name="turn clock")
            self.tick()
        elif text is None and self.started is not None:
            self.tick()  # the last line keeps its final time
            elapsed = self.app.clock() - self.started
            self.started = None
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
            self.app.status.set_info(turn_elapsed=None)
            self.app.chat_log.tool_lines = []
            if elapsed >= LONG_TURN:
                self.app.attention.tell("Turn finished",
                                        f"The agent's turn ended after {fmt_elapsed(elapsed)}.")

    def tick(self) -> None:
        """Show the elapsed times (the status bar's and the current tool line's)."""
        if self.started is None:
            return
        now = self.app.clock()
        self.app.status.set_info(turn_elapsed=fmt_elapsed(now - self.started))
        lines = self.app.chat_log.tool_lines
        for i in range(self._final, len(lines)):
            last = i == len(lines) - 1
            # a tool ran until the next one began; the newest one is still running
            self._show(lines[i], now if last else lines[i + 1][2])
            if not last:
                self._final = i + 1

    def _show(self, line: tuple[Any, str, float], until: float) -> None:
        """Write a tool line's phrase, elapsed time and what it usually takes."""
        entry, phrase, since = line
        hint = TYPICAL.get(phrase)
        text = f"{phrase} {fmt_elapsed(until - since)}" + (f" ({hint})" if hint else "")
        if entry.raw_text != text:
            self.app.chat_log.set_entry_text(entry, text)
