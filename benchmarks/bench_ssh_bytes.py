"""Over SSH: bytes the studio writes to its terminal, idle and while a long reply streams.

Measured on the pty master (what sshd would carry): the studio runs against the local backend
(own process) whose chat turns stream one long reply as partial chunks at 200 chunks/s. Idle: the
bytes per second once start-up has settled. Streaming: all bytes from pressing Enter until the
reply's last word is on screen and the output has gone quiet, divided by the reply text's bytes.
"""

from __future__ import annotations

import time

from _backend import END_WORD, reply_text
from _common import QUICK, BackendProcess, PtyApp, Report, studio_argv, temp_home

IDLE = 5.0 if QUICK else 10.0
REPLY = {"chars": 12_000 if QUICK else 24_000, "chunks": 600 if QUICK else 1200, "rate": 200}
PROMPT = "write me a long treatment for the video\r"


def measure(report: Report) -> None:
    """One studio, idle window then one streamed reply."""
    text_bytes = len(reply_text(REPLY["chars"]).encode())
    with temp_home() as env, BackendProcess(env, reply=REPLY) as backend, \
            PtyApp(studio_argv("--api-url", backend.url), env) as app:
        if app.wait_screen("nemo-tui", 20) is None:
            raise RuntimeError(f"no first screen; exit={app.proc.poll()}")
        settled = app.settle(quiet=1.0, limit=15.0)
        idle_bytes = app.drain(IDLE)
        report.add("idle_bytes_s", "Idle: bytes written per second", idle_bytes / IDLE, "B/s",
                   "==", 0)
        start_bytes, start_len = app.total_bytes, len(app.text)
        started = time.perf_counter()
        app.write(PROMPT)
        done = app.wait_for(END_WORD, 60 + REPLY["chunks"] / REPLY["rate"], since=start_len)
        if done is None:
            raise RuntimeError("the reply's last word never appeared on screen")
        app.settle(quiet=1.0, limit=10.0)
        stream_bytes = app.total_bytes - start_bytes
        report.add("stream_ratio", "Streaming: terminal bytes / reply text bytes",
                   stream_bytes / text_bytes, "×", "<=", 2)
        report.add("stream_kib_s", "Streaming: terminal bytes per second",
                   stream_bytes / (done - started) / 1024, "KiB/s")
        report.info.update(idle_seconds=IDLE, startup_settled=settled, reply_text_bytes=text_bytes,
                           reply_chunks=REPLY["chunks"], chunk_rate=REPLY["rate"],
                           stream_terminal_bytes=stream_bytes,
                           stream_seconds=round(done - started, 2))


def main() -> None:
    """Run, report, never leave a process behind."""
    report = Report("ssh_bytes")
    try:
        measure(report)
    except Exception as exc:  # noqa: BLE001 - any failure becomes a reported error
        report.errors.append(f"{type(exc).__name__}: {exc}")
    ids = {f.id for f in report.figures}
    if "idle_bytes_s" not in ids:
        report.add("idle_bytes_s", "Idle: bytes written per second", None, "B/s", "==", 0)
    if "stream_ratio" not in ids:
        report.add("stream_ratio", "Streaming: terminal bytes / reply text bytes", None, "×",
                   "<=", 2)
    report.emit()


if __name__ == "__main__":
    main()
