"""Big drafts: decode a 10,000-segment draft, show its timeline (time to first paint), diff two.

"First paint" is measured in-process with ``App.run_test`` (headless driver, 120x40): from handing
the decoded draft to the timeline widget until Textual has rendered the next frame with it. The
widget is found by name at run time (``nemo_tui.ui.widgets.timeline``), since the UI is built in
parallel; its absence is reported, not hidden.
"""

from __future__ import annotations

import asyncio
import copy
import gc
import importlib
import json
import time
from typing import Any

from _common import QUICK, Report, median

SEGMENTS = 10_000
RUNS = 3 if QUICK else 7
PAINT_LABEL = "10,000-segment state reply → timeline on screen (parse, decode, paint)"


def make_draft(segments: int = SEGMENTS, seed: int = 0) -> dict[str, Any]:
    """A draft of ``segments`` segments over a video, a BGM, a voice and a text track."""
    shares = [(0, 0.5), (1, 0.1), (1, 0.2), (7, 0.2)]
    tracks = []
    for tt, share in shares:
        count = int(segments * share)
        seg_ms = 2000 if tt == 0 else 10_000 // max(1, count // 500)
        sg = []
        for i in range(count):
            meta: dict[str, Any] = {"name": f"clip {seed}-{tt}-{i}"}
            if tt == 1:
                meta["volume"] = 0.35
            if tt == 7:
                meta = {"text": f"Caption number {i} — «{seed}»"}
            sg.append({"s": i * seg_ms, "d": seg_ms, "m": meta, "x_unknown": {"keep": i}})
        tracks.append({"tt": tt, "sg": sg})
    total = sum(len(t["sg"]) for t in tracks)
    tracks[0]["sg"].extend(  # top up rounding so the draft has exactly `segments`
        {"s": 0, "d": 1000, "m": {"name": "pad"}} for _ in range(segments - total))
    duration = max(sg["s"] + sg["d"] for t in tracks for sg in t["sg"])
    return {"d": duration, "m": {"title": "Ten thousand cuts", "width": 1920, "height": 1080},
            "t": tracks}


def edited(draft: dict[str, Any]) -> dict[str, Any]:
    """A second draft: 1% of segments changed, one track added, title and a volume changed."""
    new = copy.deepcopy(draft)
    new["m"]["title"] = "Night Lights"
    new["d"] += 5000
    for track in new["t"]:
        for i, seg in enumerate(track["sg"]):
            if i % 100 == 7:
                seg["d"] += 500
    new["t"][1]["sg"][0]["m"]["volume"] = 0.2
    new["t"].append({"tt": 7, "sg": [{"s": 0, "d": 3000, "m": {"text": "Urban Dreams"}}]})
    return new


def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    """Seconds one call takes (GC collected first, so earlier garbage does not bill this call)."""
    gc.collect()
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def bench_domain(report: Report) -> bytes:
    """Decode, summarize and diff; returns the state reply's bytes for the UI part."""
    from nemo_tui.draft import decode_draft, summarize

    raw_a, raw_b = make_draft(seed=0), make_draft(seed=0)
    raw_b = edited(raw_b)
    body = json.dumps({"code": 0, "data": {"state": {"draft": raw_a}}}).encode()
    decode_times, parse_times, summary_times = [], [], []
    draft = None
    for _ in range(RUNS):
        t, obj = timed(json.loads, body)
        parse_times.append(t)
        t, draft = timed(decode_draft, obj["data"]["state"]["draft"])
        decode_times.append(t)
        t, _ = timed(summarize, draft)
        summary_times.append(t)
    count = sum(len(t.segments) for t in draft.tracks) if draft else 0
    report.add("decode_ms", "JSON parse + decode_draft of 10,000 segments, median",
               ms(median(parse_times) + median(decode_times)), "ms")
    report.add("summary_ms", "summarize() of the 10,000-segment draft, median",
               ms(median(summary_times)), "ms")
    report.info.update(draft_bytes=len(body), decoded_segments=count)
    try:
        from nemo_tui.diff import diff_drafts
    except ImportError as exc:
        report.errors.append(f"diff: {exc}")
        return body
    da, db = decode_draft(raw_a), decode_draft(raw_b)
    diff_times = []
    lines: list[str] = []
    for _ in range(RUNS):
        t, lines = timed(diff_drafts, da, db)
        diff_times.append(t)
    report.add("diff_ms", "diff_drafts of two 10,000-segment drafts, median",
               ms(median(diff_times)), "ms")
    report.info.update(diff_lines=len(lines), diff_sample=lines[:5])
    return body


def find_timeline() -> type | None:
    """The studio's timeline widget class, if the UI provides one."""
    for mod_name in ("nemo_tui.ui.widgets.timeline", "nemo_tui.ui.widgets.timeline_view"):
        try:
            mod = importlib.import_module(mod_name)
        except ImportError:
            continue
        for attr in ("TimelinePane", "TimelineView", "Timeline", "TimelinePanel"):
            if isinstance(getattr(mod, attr, None), type):
                return getattr(mod, attr)
    return None


async def first_paint(widget_cls: type, body: bytes) -> tuple[float, bool]:
    """Seconds from the state reply's bytes to the first frame showing the timeline (120x40).

    The clock covers JSON parsing, decode_draft, handing the draft to the widget and the frame.

    Headless Textual composes frames but skips turning them into terminal bytes, so the hook below
    does that step too: the figure includes everything a real terminal would cost us. Returns the
    time and whether the frame contained the draft's text (else: the first frame at all).
    """
    from _common import strip_escapes
    from textual._compositor import CompositorUpdate
    from textual.app import App, ComposeResult

    from nemo_tui.draft import decode_draft

    class Host(App):
        """Hosts the timeline alone."""

        def compose(self) -> ComposeResult:
            yield widget_cls()

    frames: list[tuple[float, str]] = []
    shown = asyncio.Event()
    armed = False
    app = Host()
    original = app._display

    def display(screen: Any, renderable: Any) -> None:
        if armed and renderable is not None:
            text = ""
            if isinstance(renderable, CompositorUpdate):
                text = strip_escapes(renderable.render_segments(app.console))
            frames.append((time.perf_counter(), text))
            if any(marker in text for marker in MARKERS):
                shown.set()
        original(screen, renderable)

    app._display = display
    async with app.run_test(size=(120, 40)) as pilot:
        widget = app.query_one(widget_cls)
        await pilot.pause()
        gc.collect()
        armed = True
        start = time.perf_counter()
        show_draft(widget, decode_draft(json.loads(body)["data"]["state"]["draft"]))
        try:
            await asyncio.wait_for(shown.wait(), 5.0)
        except TimeoutError:
            pass
        for stamp, text in frames:
            if any(marker in text for marker in MARKERS):
                return stamp - start, True
        if not frames:
            raise RuntimeError("no frame was painted within 5 s of showing the draft")
        return frames[0][0] - start, False


# Text that proves the draft is on screen: its title, a first track's role, a first segment name.
MARKERS = ("Ten thousand cuts", "clip 0-0-0", "Video")


def show_draft(widget: Any, draft: Any) -> None:
    """Hand the draft to the timeline through whichever setter it offers."""
    for name in ("show_draft", "set_draft", "update_draft", "load_draft"):
        if callable(getattr(widget, name, None)):
            getattr(widget, name)(draft)
            return
    widget.draft = draft


def ms(seconds: float | None) -> float | None:
    """Seconds to milliseconds."""
    return None if seconds is None else seconds * 1000


def main() -> None:
    """Run the domain part, then the timeline part when the widget exists."""
    report = Report("big_draft")
    body = None
    try:
        body = bench_domain(report)
    except Exception as exc:  # noqa: BLE001 - any failure becomes a reported error
        report.errors.append(f"decode: {type(exc).__name__}: {exc}")
    widget_cls = find_timeline()
    if widget_cls is None or body is None:
        report.add("first_paint_ms", PAINT_LABEL, None, "ms", "<", 150)
        report.errors.append("no timeline widget found in nemo_tui.ui.widgets.timeline")
    else:
        times = []
        found = True
        try:
            for _ in range(RUNS):
                elapsed, saw_text = asyncio.run(first_paint(widget_cls, body))
                times.append(elapsed)
                found = found and saw_text
        except Exception as exc:  # noqa: BLE001
            report.errors.append(f"timeline: {type(exc).__name__}: {exc}")
        fig = report.add("first_paint_ms", PAINT_LABEL + ", median", ms(median(times)), "ms",
                         "<", 150)
        if not found:
            fig.note = "no frame showed the draft's title/track/segment text; first frame timed"
        report.info["timeline_widget"] = f"{widget_cls.__module__}.{widget_cls.__qualname__}"
    report.emit()


if __name__ == "__main__":
    main()
