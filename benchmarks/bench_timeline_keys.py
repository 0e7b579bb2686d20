"""Timeline keys on a 10,000-segment draft: moving the selection (Up/Down) or the playhead
(Right, Shift+Right, zoomed in) repaints within one 60 Hz frame (16 ms).

Measured in-process with ``App.run_test`` (headless driver, 120x40) on the studio's timeline pane
alone, per key: the CPU time of the app's thread from posting the key event to the App until
Textual has rendered the frame that shows its effect, including turning the frame into terminal
bytes (the headless driver skips that step, so the hook below does it, as ``bench_big_draft``
does). That is the repaint's cost, and it does not grow when other work shares the machine. The
wall-clock latency is reported too: it adds Textual's frame tick (frames go out at most 60 times
a second, so up to 16.7 ms of waiting for the next tick) and any time the CPU was busy elsewhere.
"""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any

from _common import QUICK, Report, median, percentile
from bench_big_draft import make_draft

PRESSES = 30 if QUICK else 120
GOAL_MS = 16


async def measure() -> dict[str, list[float]]:
    """Key → frame latencies (seconds) for each kind of key."""
    from _common import strip_escapes
    from textual import events
    from textual._compositor import CompositorUpdate
    from textual.app import App, ComposeResult

    from nemo_tui.draft import decode_draft
    from nemo_tui.ui.widgets.timeline import TimelinePane

    class Host(App):
        """The timeline pane alone."""

        def compose(self) -> ComposeResult:
            yield TimelinePane(id="timeline")

    app = Host()
    frames: list[tuple[float, float]] = []  # (wall clock, thread CPU) when a frame was done
    painted = asyncio.Event()
    original = app._display

    def display(screen: Any, renderable: Any) -> None:
        original(screen, renderable)
        if renderable is not None:
            if isinstance(renderable, CompositorUpdate):
                strip_escapes(renderable.render_segments(app.console))
            frames.append((time.perf_counter(), time.thread_time()))
            painted.set()

    app._display = display
    out: dict[str, list[float]] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(TimelinePane)
        await pilot.pause()
        pane.mount_tree()
        pane.set_draft(decode_draft(make_draft()))
        await pilot.pause()
        tree = pane.tree
        tree.root.children[0].expand()  # 5,000 segments: the first chunk of 200 nodes
        tree.focus()
        await pilot.pause()
        await pilot.pause(0.2)

        async def press(key: str, character: str | None) -> tuple[float, float]:
            """(CPU seconds, wall seconds) from the key to its frame."""
            frames.clear()
            painted.clear()
            wall, cpu = time.perf_counter(), time.thread_time()
            app.post_message(events.Key(key, character))
            await asyncio.wait_for(painted.wait(), 5.0)
            return frames[0][1] - cpu, frames[0][0] - wall

        async def series(name: str, keys: list[tuple[str, str | None]]) -> None:
            cpu, wall = out.setdefault(name, []), out.setdefault(f"{name}_wall", [])
            gc.collect()
            while len(cpu) < PRESSES:
                for key, char in keys:
                    c, w = await press(key, char)
                    cpu.append(c)
                    wall.append(w)
                    await asyncio.sleep(0.02)  # keys one at a time, each frame out first

        await series("selection", [("down", None)] * 8 + [("up", None)] * 8)
        await series("playhead", [("right", None)])
        await series("playhead_fine", [("shift+right", None)])
        for _ in range(3):
            await press("plus", "+")
        await series("playhead_zoomed", [("right", None)])
        if pane.selection is None:
            raise RuntimeError("nothing was selected")
    return out


def main() -> None:
    """Run and report p50/p95 per key kind."""
    report = Report("timeline_keys")
    try:
        result = asyncio.run(measure())
    except Exception as exc:  # noqa: BLE001 - any failure becomes a reported error
        report.errors.append(f"{type(exc).__name__}: {exc}")
        report.add("selection_p95_ms", "Down (selection) → frame on a 10,000-segment draft, p95",
                   None, "ms", "<", GOAL_MS)
        report.emit()
        return
    labels = {
        "selection": "Up/Down (selection) → frame on a 10,000-segment draft",
        "playhead": "Right (playhead 1 s) → frame on a 10,000-segment draft",
        "playhead_fine": "Shift+Right (playhead 0.1 s) → frame on a 10,000-segment draft",
        "playhead_zoomed": "Right (playhead, zoomed in 8x) → frame on a 10,000-segment draft",
    }
    for name, label in labels.items():
        values = [v * 1000 for v in result.get(name, [])]
        report.add(f"{name}_p95_ms", f"{label}: repaint CPU time, p95", percentile(values, 95),
                   "ms", "<", GOAL_MS)
        report.add(f"{name}_p50_ms", f"{label}: repaint CPU time, median", median(values), "ms")
        wall = [v * 1000 for v in result.get(f"{name}_wall", [])]
        report.add(f"{name}_wall_p95_ms", f"{label}: key to frame (wall clock, with the 60 Hz "
                   "tick), p95", percentile(wall, 95), "ms")
    report.info["presses_per_kind"] = PRESSES
    report.emit()


if __name__ == "__main__":
    main()
