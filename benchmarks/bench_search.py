"""Find in a 10,000-message transcript: the work of one keystroke in the find bar.

In-process, headless, 120x40: a ChatView holding 10,000 messages (user questions, agent replies
of a few hundred characters, timeline-change lines). For each keystroke of several queries the
clock covers what the keystroke makes the studio do: the search over every message
(``ChatView.find``: count, current match, scroll into view) and painting every visible row again
(``render_line`` for the whole view, with the match highlights). The second figure is the whole
round trip through Textual (a key pressed with Pilot until its frame is done), as information.
"""

from __future__ import annotations

import asyncio
import gc
import time

from _common import QUICK, Report, median, percentile

MESSAGES = 2_000 if QUICK else 10_000
QUERIES = ["generating video", "e", "night lights", "zzz"]
WORDS = ["the", "city", "at", "night", "with", "neon", "lights", "and", "rain", "on", "the", "streets", "while", "music", "plays", "softly", "over", "a", "wide", "shot", "of", "the", "harbour", "and", "then", "the", "title", "fades", "in"]


def message(i: int) -> tuple[str, str]:
    """The i-th message: (text, kind)."""
    if i % 3 == 0:
        return f"make scene {i} brighter and add night lights", "user"
    if i % 3 == 1:
        words = [WORDS[(i * 7 + k) % len(WORDS)] for k in range(40 + i % 60)]
        return f"Reply {i}: " + " ".join(words) + ". Generating video now.", "agent"
    return f"  ~ video: scene {i} 0.0–5.0 s → 0.0–6.0 s", "diff"


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


async def measure(report: Report) -> None:
    """Type each query letter by letter; time find + repaint, and the Pilot round trip."""
    import textual.app
    import textual.pilot
    from textual.app import App, ComposeResult

    from nemo_tui.ui.widgets.chatview import ChatView
    from nemo_tui.ui.widgets.findbar import FindBar

    class Host(App):
        """The chat log and its find bar alone."""

        def compose(self) -> ComposeResult:
            log = ChatView(id="chat-log")
            yield log
            yield FindBar(log)

    async def no_idle_wait(*_a: object, **_kw: object) -> None:
        """Pilot would wait for the whole machine to be idle (up to 1 s a key): not ours."""
        await asyncio.sleep(0)

    textual.app.wait_for_idle = no_idle_wait  # type: ignore[assignment]
    textual.pilot.wait_for_idle = no_idle_wait  # type: ignore[assignment]
    app = Host()
    work: list[float] = []
    streamed: list[float] = []
    trips: list[float] = []
    counts: dict[str, str] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        log = app.query_one(ChatView)
        started = time.perf_counter()
        for i in range(MESSAGES):
            log.add_line(*message(i))
        report.info["fill_s"] = round(time.perf_counter() - started, 2)
        await pilot.pause()
        bar = app.query_one(FindBar)
        t0 = time.perf_counter()
        bar.open()  # joins the transcript for the search
        report.add("open_ms", f"Opening the find bar on {MESSAGES:,} messages",
                   ms(time.perf_counter() - t0), "ms")
        await pilot.pause()
        height = log.size.height
        for query in QUERIES:
            for n in range(1, len(query) + 1):
                gc.collect()
                t0 = time.perf_counter()
                count = log.find(query[:n])
                for y in range(height):  # the repaint the keystroke causes
                    log.render_line(y)
                work.append(time.perf_counter() - t0)
            counts[query] = count
            for n in range(1, len(query) + 1):  # a reply streams between the keystrokes
                log.add_line(f"new line {n} while searching", "agent")
                gc.collect()
                t0 = time.perf_counter()
                log.find(query[:n])
                for y in range(height):
                    log.render_line(y)
                streamed.append(time.perf_counter() - t0)
            bar.input.value = ""
            await pilot.pause()
            for ch in query:  # the same keystrokes through Textual, to their frame
                t0 = time.perf_counter()
                await pilot.press(ch)
                await pilot.pause()
                trips.append(time.perf_counter() - t0)
            bar.input.value = ""
            await pilot.pause()
    report.add("keystroke_p95", f"Find in {MESSAGES:,} messages: search + repaint per keystroke, "
               "p95", ms(percentile(work, 95)), "ms", "<", 50)
    report.add("keystroke_p50", "Find: search + repaint per keystroke, p50",
               ms(median(work)), "ms")
    report.add("keystroke_max", "Find: search + repaint per keystroke, worst", ms(max(work)), "ms")
    report.add("growing_p95", "Find: search + repaint per keystroke while lines arrive, p95",
               ms(percentile(streamed, 95)), "ms", "<", 50)
    report.add("roundtrip_p95", "Find: key pressed (Pilot) to its frame, p95",
               ms(percentile(trips, 95)), "ms")
    report.info.update(messages=MESSAGES, keystrokes=len(work), counts=counts)


def main() -> None:
    report = Report("search")
    try:
        asyncio.run(measure(report))
    except Exception as exc:  # noqa: BLE001 - reported, not hidden
        report.errors.append(f"{type(exc).__name__}: {exc}")
    report.emit()


if __name__ == "__main__":
    main()
