"""Draft Protocol V3: decode a 10,000-clip V3 template into the Draft model (``decode_draft``,
the path a state reply takes), then summarize and diff it.

The template looks like what NemoVideo's tools author: a video track of media clips, a BGM
clip with a volume, a subtitle track starting with ``<styles>`` whose cues are styled ``<div>``s,
a graphics track whose clips carry ``<data type="json">`` and ``<render>`` bodies, and
transitions after the tracks. For comparison, the standard library's html.parser is timed
tokenizing the same text with empty handlers (the parser the decoder does not use).
"""

from __future__ import annotations

import gc
import time
from typing import Any

from _common import QUICK, Report, median

CLIPS = 10_000
RUNS = 5 if QUICK else 15


def make_template(clips: int = CLIPS, seed: int = 0) -> str:
    """A V3 template of exactly ``clips`` clips over four tracks, plus transitions."""
    video, subs, graphics = clips // 2, clips * 2 // 5, clips - clips // 2 - clips * 2 // 5 - 1
    total = video * 2000
    out = [f'<draft fps="30" width="1920" height="1080" duration="{total}">']
    out.append('  <track id="main-video" type="video">')
    for i in range(video):
        out.append(f'    <clip id="v{i}" in="{i * 2000}" out="{i * 2000 + 2000}" '
                   f'source-start="{i % 7 * 100}" source-end="{i % 7 * 100 + 2000}">'
                   f'<video src="asset://uploads/{seed}/shot-{i:05d}.mp4" /></clip>')
    out.append("  </track>")
    out.append(f'  <track id="music" type="bgm"><clip id="bgm" in="0" out="{total}" '
               'volume="0.35"><audio src="asset://music/lofi.mp3" /></clip></track>')
    out.append('  <track id="subtitle-track" type="text">\n    <styles>\n'
               "      .subtitle-box { left: 6%; top: 80%; width: auto; height: auto }\n"
               "      .subtitle-text { color: #fff; font-size: 2.4em; font-weight: 700 }\n"
               "    </styles>")
    for i in range(subs):
        out.append(f'    <clip id="s{i}" class="subtitle-box" in="{i * 2000 + 200}" '
                   f'out="{i * 2000 + 1800}"><div class="subtitle-text">Cue {i} &amp; '
                   f"its words, seed {seed}</div></clip>")
    out.append("  </track>")
    out.append('  <track id="lower-thirds" type="graphics">')
    for i in range(graphics):
        out.append(f'    <clip id="g{i}" in="{i * 4000}" out="{i * 4000 + 3000}">'
                   f'<data type="json">{{"name": "Speaker {i}", "accent": "#ff0"}}</data>'
                   "<render>return data.w > 10 && data.h < 5 ? `<b>${data.name}</b>` : ''"
                   "</render></clip>")
    out.append("  </track>")
    out.append("  <transitions>")
    for i in range(min(video - 1, 200)):
        out.append(f'    <transition type="glsl_cross_dissolve" from-clip="v{i}" '
                   f'to-clip="v{i + 1}" in="{i * 2000 + 2000}" duration="500" />')
    out.append("  </transitions>\n</draft>")
    return "\n".join(out)


def timed(fn: Any, *args: Any, cpu: list[float] | None = None) -> tuple[float, Any]:
    """Seconds one call takes (GC collected first, so earlier garbage does not bill this call);
    with ``cpu``, the process CPU seconds it took are appended there (less skewed by load)."""
    gc.collect()
    start, start_cpu = time.perf_counter(), time.process_time()
    result = fn(*args)
    if cpu is not None:
        cpu.append(time.process_time() - start_cpu)
    return time.perf_counter() - start, result


def ms(seconds: float | None) -> float | None:
    """Seconds as milliseconds, rounded."""
    return None if seconds is None else round(seconds * 1000, 1)


def stdlib_tokenize(text: str) -> None:
    """html.parser over the template with no handlers (fed only: its close() can go quadratic)."""
    from html.parser import HTMLParser

    HTMLParser().feed(text)


def main() -> None:
    """Measure and print the figures."""
    from nemo_tui.diff import diff_drafts
    from nemo_tui.draft import decode_draft, summarize

    report = Report("draft_v3")
    text_a = make_template(seed=0)
    text_b = make_template(seed=1)
    decode_draft(text_a)  # lxml imported and warm, as after the first V3 reply
    decode, decode_cpu, summary, stdlib = [], [], [], []
    draft = None
    for _ in range(RUNS):
        t, draft = timed(decode_draft, text_a, cpu=decode_cpu)
        decode.append(t)
        t, _ = timed(summarize, draft)
        summary.append(t)
    for _ in range(max(3, RUNS // 3)):
        t, _ = timed(stdlib_tokenize, text_a)
        stdlib.append(t)
    da, db = draft, decode_draft(text_b)
    diff_times, lines = [], []
    for _ in range(RUNS):
        t, lines = timed(diff_drafts, da, db)
        diff_times.append(t)
    report.add("decode_ms", "decode_draft of a 10,000-clip V3 template, median",
               ms(median(decode)), "ms", "<", 150)
    report.add("decode_cpu_ms", "the same, CPU time of this process, median",
               ms(median(decode_cpu)), "ms")
    report.add("summary_ms", "summarize() of it, median", ms(median(summary)), "ms")
    report.add("diff_ms", "diff_drafts of two such drafts (every label changed), median",
               ms(median(diff_times)), "ms")
    report.add("stdlib_ms", "for comparison: html.parser tokenizing it with empty handlers, "
               "median", ms(median(stdlib)), "ms")
    report.info.update(template_chars=len(text_a), clips=draft.segment_count if draft else 0,
                       transitions=len(draft.transitions) if draft else 0,
                       capped=draft.capped if draft else None, diff_lines=len(lines))
    report.emit()


if __name__ == "__main__":
    main()
