"""Responsiveness while streaming: keystroke-to-screen latency in the chat input.

Honest end to end: the studio runs in a 120x40 pty against the local backend (own process) that
streams one long reply at 200 partial chunks a second. A keystroke is a byte written to the pty
master; it has reached the screen when the pty output (escapes stripped) shows the input holding
that many marker characters ("ж", which the ASCII reply never contains). Keys are typed at
irregular 30-80 ms gaps. The same is measured first with nothing streaming: the baseline.
"""

from __future__ import annotations

import random
import time

from _backend import END_WORD
from _common import (
    QUICK,
    BackendProcess,
    PtyApp,
    Report,
    percentile,
    strip_escapes,
    studio_argv,
    temp_home,
)

MARK = "ж"
PER_ROUND = 25  # markers typed before the input is cleared again (stays within its width)
IDLE_KEYS = 15 if QUICK else 25
STREAM_KEYS = 25 if QUICK else 75
KEY_TIMEOUT = 5.0  # a keystroke not shown after this counts as this (and is reported)
PHASE_LIMIT = 35.0  # seconds of typing while streaming at most (the reply lasts 60 s)
RATE = 200
REPLY = {"chars": 240_000, "chunks": 12_000, "rate": RATE}  # 60 s of streaming: outlasts the test
PROMPT = "write me a long treatment for the video\r"


def type_round(app: PtyApp, keys: int, rng: random.Random, misses: list[str],
               deadline: float) -> list[float]:
    """Type ``keys`` markers one by one; latency of each; clears the input afterwards."""
    latencies: list[float] = []
    for k in range(1, keys + 1):
        if time.perf_counter() > deadline:
            break
        app.drain(rng.uniform(0.03, 0.08))
        since = len(app.text)
        start = time.perf_counter()
        app.write(MARK)
        seen = app.wait_for(MARK * k, KEY_TIMEOUT, since=since)
        if seen is None:
            tail = strip_escapes(app.text[since:])[-120:]
            misses.append(f"key {k}: {tail!r}")
            latencies.append(KEY_TIMEOUT)
            break  # the count on screen is unknown now: start a new round
        latencies.append(seen - start)
    app.write("\x7f" * (keys + 2))  # backspaces: empty the input for the next round
    app.drain(0.5)
    return latencies


def measure(report: Report) -> None:
    """Baseline (idle) round, then rounds while the reply streams."""
    rng = random.Random(7)
    misses: list[str] = []
    with temp_home() as env, BackendProcess(env, reply=REPLY) as backend, \
            PtyApp(studio_argv("--api-url", backend.url), env) as app:
        if app.wait_screen("nemo-tui", 20) is None:
            raise RuntimeError(f"no first screen; exit={app.proc.poll()}")
        app.settle(quiet=1.0, limit=15.0)
        idle: list[float] = []
        idle_misses: list[str] = []
        limit = time.perf_counter() + PHASE_LIMIT
        while len(idle) < IDLE_KEYS and time.perf_counter() < limit:
            idle += type_round(app, min(PER_ROUND, IDLE_KEYS - len(idle)), rng, idle_misses,
                               limit)
        since = len(app.text)
        app.write(PROMPT)
        if app.wait_for("The camera glides", 15, since=since) is None:
            raise RuntimeError("the streamed reply never appeared")
        app.drain(0.5)
        streaming: list[float] = []
        limit = time.perf_counter() + PHASE_LIMIT
        while len(streaming) < STREAM_KEYS and time.perf_counter() < limit:
            streaming += type_round(app, min(PER_ROUND, STREAM_KEYS - len(streaming)), rng,
                                    misses, limit)
        still = END_WORD not in app.text[since:]
        p50, p95 = percentile(streaming, 50), percentile(streaming, 95)
        idle95 = percentile(idle, 95)
        report.add("p95_ms", "Keystroke to screen while streaming, p95", ms(p95), "ms", "<", 50)
        report.add("p50_ms", "Keystroke to screen while streaming, p50", ms(p50), "ms")
        report.add("idle_p95_ms", "Keystroke to screen when idle (baseline), p95", ms(idle95),
                   "ms")
        report.add("p95_ratio", "p95 while streaming / idle p95", (p95 or 0) / (idle95 or 1), "×")
        report.info.update(streaming_samples=len(streaming), idle_samples=len(idle),
                           chunk_rate=RATE, still_streaming_at_end=still,
                           timeouts=len(misses), timeout_tails=misses[:3],
                           idle_timeouts=idle_misses[:3], max_ms=ms(max(streaming)),
                           key_timeout_s=KEY_TIMEOUT)
        if not still:
            report.errors.append("the reply finished before the measurement did")


def ms(seconds: float | None) -> float | None:
    """Seconds to milliseconds."""
    return None if seconds is None else seconds * 1000


def main() -> None:
    """Run, report, never leave a process behind."""
    report = Report("streaming_latency")
    try:
        measure(report)
    except Exception as exc:  # noqa: BLE001 - any failure becomes a reported error
        report.errors.append(f"{type(exc).__name__}: {exc}")
    if not report.figures:
        report.add("p95_ms", "Keystroke to screen while streaming, p95", None, "ms", "<", 50)
    report.emit()


if __name__ == "__main__":
    main()
