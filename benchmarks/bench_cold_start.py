"""Cold start: time and peak memory to the first screen in a 120x40 pty, against a bare Textual app.

The studio runs with ``--api-url`` against a local backend started beforehand in its own process, so
the figure is the studio's own start-up; ``--local`` (the studio starting the backend too) is
reported as information. Runs alternate between the apps so that drift hits both alike.
"""

from __future__ import annotations

from _common import (
    BENCH_DIR,
    PYTHON,
    QUICK,
    BackendProcess,
    PtyApp,
    Report,
    median,
    proc_status_kib,
    strip_escapes,
    studio_argv,
    temp_home,
)

RUNS = 3 if QUICK else 7
SETTLE = 1.0  # seconds after the first screen before reading the peak memory
TIMEOUT = 20.0


def start_once(argv: list[str], env: dict[str, str], needle: str) -> tuple[float, int, int]:
    """One cold start: (seconds to ``needle`` on screen, VmHWM KiB at that time, after SETTLE)."""
    with PtyApp(argv, env) as app:
        seen = app.wait_screen(needle, TIMEOUT)
        if seen is None:
            tail = app.text[-600:].encode("unicode_escape").decode()
            raise RuntimeError(f"{needle!r} never appeared; exit={app.proc.poll()} tail={tail}")
        hwm_first = proc_status_kib(app.proc.pid, "VmHWM") or 0
        app.drain(SETTLE)
        hwm_settled = proc_status_kib(app.proc.pid, "VmHWM") or hwm_first
        if app.proc.poll() is not None:
            tail = strip_escapes(app.text[-600:])
            raise RuntimeError(f"exited ({app.proc.returncode}) after its first screen: {tail}")
        return seen - app.started, hwm_first, hwm_settled


def main() -> None:
    """Measure the bare app, the studio with --api-url, and the studio with --local."""
    report = Report("cold_start")
    hello = [PYTHON, str(BENCH_DIR / "hello_app.py")]
    samples: dict[str, list[tuple[float, int, int]]] = {"hello": [], "studio": [], "local": []}
    with temp_home() as env:
        try:
            with BackendProcess(env) as backend:
                studio = studio_argv("--api-url", backend.url)
                # One warm-up each (bytecode compilation, page cache), not counted.
                start_once(hello, env, "hello")
                start_once(studio, env, "nemo-tui")
                for _ in range(RUNS):
                    samples["hello"].append(start_once(hello, env, "hello"))
                    samples["studio"].append(start_once(studio, env, "nemo-tui"))
        except Exception as exc:  # noqa: BLE001 - any failure becomes a reported error
            report.errors.append(f"studio --api-url: {exc}")
        try:
            local = studio_argv("--local")
            start_once(local, env, "nemo-tui")
            for _ in range(max(3, RUNS // 2)):
                samples["local"].append(start_once(local, env, "nemo-tui"))
        except Exception as exc:  # noqa: BLE001 - any failure becomes a reported error
            report.errors.append(f"studio --local: {exc}")

    def med(key: str, idx: int) -> float | None:
        return median([s[idx] for s in samples[key]])

    t_hello, t_studio, t_local = med("hello", 0), med("studio", 0), med("local", 0)
    m_hello, m_studio, m_local = med("hello", 1), med("studio", 1), med("local", 1)
    s_hello, s_studio = med("hello", 2), med("studio", 2)
    report.add("time_ratio", "Cold start time, studio / bare Textual app", ratio(t_studio, t_hello),
               "×", "<=", 1.5)
    report.add("memory_ratio", "Peak memory (VmHWM) at the first screen, studio / bare app",
               ratio(m_studio, m_hello), "×", "<=", 1.5)
    report.add("memory_settled_ratio", f"Peak memory {SETTLE:g} s later (connected), studio / bare",
               ratio(s_studio, s_hello), "×")
    report.add("studio_ms", "Studio (--api-url) to first screen, median", ms(t_studio), "ms")
    report.add("hello_ms", "Bare Textual app to first screen, median", ms(t_hello), "ms")
    report.add("studio_mib", "Studio peak memory at the first screen, median", mib(m_studio),
               "MiB")
    report.add("hello_mib", "Bare Textual app peak memory at the first screen, median",
               mib(m_hello), "MiB")
    report.add("studio_settled_mib", f"Studio peak memory {SETTLE:g} s later, median",
               mib(s_studio), "MiB")
    report.add("local_ms", "Studio with --local to first screen, median (info)", ms(t_local), "ms")
    report.add("local_mib", "Studio with --local peak memory at the first screen, median (info)",
               mib(m_local), "MiB")
    report.info.update(runs=RUNS, settle_s=SETTLE, terminal="120x40 pty, TERM=xterm-256color",
                       sample_fields="seconds to first screen, VmHWM KiB then, VmHWM KiB later",
                       samples={k: [[round(a, 4), b, c] for a, b, c in v]
                                for k, v in samples.items()})
    report.emit()


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b, or None when either is missing."""
    return None if a is None or not b else a / b


def ms(seconds: float | None) -> float | None:
    """Seconds to milliseconds."""
    return None if seconds is None else seconds * 1000


def mib(kib: float | None) -> float | None:
    """KiB to MiB."""
    return None if kib is None else kib / 1024


if __name__ == "__main__":
    main()
