"""Run every benchmark in its own process, print a table, and write benchmarks/RESULTS.md.

Usage: ``.venv/bin/python benchmarks/run_all.py [--quick] [--only NAME ...]``

Each ``bench_<name>.py`` prints JSON on its last stdout line (see benchmarks/README.md). Results are
merged into ``benchmarks/results.json`` so that ``--only`` refreshes one benchmark and keeps the
others; RESULTS.md is rebuilt from that file every time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import machine_info
from _limits import LIMITS

# Order of the list; unknown bench_*.py files run after these.
ORDER = ["cold_start", "sse", "streaming_latency", "big_draft", "many_renders", "upload",
         "ssh_bytes", "render", "search", "preview"]
TITLES = {
    "cold_start": "1. Cold start (120x40 pty)",
    "sse": "2. SSE parsing and end-to-end streaming",
    "streaming_latency": "3. Responsiveness while streaming (200 chunks/s)",
    "big_draft": "4. Big drafts (10,000 segments)",
    "many_renders": "5. Many renders (100 jobs polled at 1 s)",
    "upload": "6. Upload (200 MB)",
    "ssh_bytes": "7. Over SSH (bytes written to the pty)",
    "render": "8. Local render (30 s 1080p export)",
    "versions": "Draft versions (10,000-segment drafts, 100 versions)",
    "search": "Find in the transcript (10,000 messages)",
    "timeline_keys": "Timeline keys (selection and playhead on a 10,000-segment draft)",
    "draft_v3": "Draft Protocol V3 (10,000-clip template)",
    "preview": "Preview (exact frames, strip, memory, playback bytes at 80x24)",
    "batch": "Batch runs (12 items of 6 s: --parallel 3 vs --one-session)",
}
TIMEOUTS = {"render": 600, "many_renders": 180, "cold_start": 240, "versions": 300,
            "preview": 400, "batch": 600}
RESULTS_JSON = HERE / "results.json"
RESULTS_MD = HERE / "RESULTS.md"


def discover() -> list[str]:
    """Benchmark names found on disk, in the issue's order."""
    found = sorted(p.stem[len("bench_"):] for p in HERE.glob("bench_*.py"))
    return [n for n in ORDER if n in found] + [n for n in found if n not in ORDER]


def run_one(name: str, quick: bool) -> dict[str, Any]:
    """Run bench_<name>.py in a subprocess and return its parsed JSON (or an error record)."""
    env = dict(os.environ, NEMO_BENCH_QUICK="1" if quick else "0", PYTHONUNBUFFERED="1")
    load = load_average()
    started = time.monotonic()
    timeout = TIMEOUTS.get(name, 150) // (2 if quick else 1)
    proc = subprocess.Popen([sys.executable, str(HERE / f"bench_{name}.py")], cwd=HERE, env=env,
                            stdout=subprocess.PIPE, stderr=None, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the group this runner created for the bench
        out, _ = proc.communicate()
        return error_record(name, f"timed out after {timeout} s", started)
    lines = [ln for ln in out.splitlines() if ln.strip()]
    try:
        result = json.loads(lines[-1])
        if not isinstance(result, dict):
            raise TypeError("not an object")
    except (IndexError, ValueError, TypeError):
        return error_record(name, f"no JSON result (exit {proc.returncode})", started)
    result = normalize(name, result)
    result["seconds"] = round(time.monotonic() - started, 1)
    result["quick"] = quick
    result["load_before"] = load
    result["load_after"] = load_average()
    result["measured_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if proc.returncode:
        result.setdefault("errors", []).append(f"exit code {proc.returncode}")
    return result


def load_average() -> str:
    """The 1-minute load average and the core count: other work on the machine skews timings."""
    try:
        first = Path("/proc/loadavg").read_text(encoding="ascii").split()[0]
        return f"{first} on {os.cpu_count()} cores"
    except OSError:
        return "?"


def normalize(name: str, result: dict[str, Any]) -> dict[str, Any]:
    """Accept a bare ``{"key": number}`` object too (as information figures)."""
    result.setdefault("name", name)
    if "figures" not in result:
        figures = [{"id": k, "label": k, "value": v, "unit": "", "goal_op": None, "goal": None,
                    "note": "", "status": "INFO"}
                   for k, v in result.items() if isinstance(v, int | float) and k != "seconds"]
        result = {"name": name, "figures": figures, "info": result, "errors": []}
    return result


def error_record(name: str, message: str, started: float) -> dict[str, Any]:
    """A result that only says what went wrong."""
    return {"name": name, "figures": [], "info": {}, "errors": [message],
            "seconds": round(time.monotonic() - started, 1),
            "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}


def fmt_value(fig: dict[str, Any]) -> str:
    """A figure's value with its unit."""
    value = fig.get("value")
    if value is None:
        return "—"
    text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    return f"{text} {fig.get('unit') or ''}".strip()


def fmt_goal(fig: dict[str, Any]) -> str:
    """A figure's goal, or an empty string."""
    if fig.get("goal_op") is None:
        return ""
    return f"{fig['goal_op']} {fig['goal']:g} {fig.get('unit') or ''}".strip()


def print_table(results: list[dict[str, Any]]) -> None:
    """The figures of this run, one per line."""
    print()
    for res in results:
        print(TITLES.get(res["name"], res["name"]))
        for fig in res.get("figures", []):
            goal = fmt_goal(fig)
            print(f"  {fig['status']:<5} {fig['label']}: {fmt_value(fig)}"
                  + (f"  (goal {goal})" if goal else ""))
        for err in res.get("errors", []):
            print(f"  ERROR {err}")


def machine_line(machine: dict[str, Any] | None) -> str:
    """The machine a section was measured on, in one line (each result keeps its own: a
    partial run must not put other sections' figures under its machine)."""
    if not machine:
        return "Machine: not recorded."
    return "Machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()) + "."


def write_markdown(results: dict[str, dict[str, Any]]) -> None:
    """Rebuild RESULTS.md from all stored results."""
    out = ["# Benchmark results", "",
           ("Written by `.venv/bin/python benchmarks/run_all.py` — do not edit by hand "
           "(notes on limits live in `benchmarks/_limits.py`). Each section names the machine "
           "it was measured on.")]
    counts = {"PASS": 0, "MISS": 0}
    body: list[str] = []
    for name in [n for n in ORDER if n in results] + [n for n in results if n not in ORDER]:
        res = results[name]
        quick = " — **quick run**" if res.get("quick") else ""
        when = (f"Measured {res.get('measured_at', '?')} in {res.get('seconds', '?')} s{quick}; "
                f"load average {res.get('load_before', '?')} before, "
                f"{res.get('load_after', '?')} after.")
        body += ["", f"## {TITLES.get(name, name)}", "", when, "", machine_line(
            res.get("machine")), ""]
        if res.get("figures"):
            body += ["| figure | value | goal | status |", "|---|---|---|---|"]
        for fig in res.get("figures", []):
            counts[fig["status"]] = counts.get(fig["status"], 0) + 1
            body.append(f"| {fig['label']} | {fmt_value(fig)} | {fmt_goal(fig)} | "
                        f"{fig['status']} |")
        notes = []
        for fig in res.get("figures", []):
            note = fig.get("note") or ""
            if fig["status"] == "MISS":
                limit = LIMITS.get(f"{name}.{fig['id']}", "not analysed yet")
                note = f"{note} What limits it: {limit}".strip()
            if note:
                notes.append(f"- *{fig['label']}*: {note}")
        for err in res.get("errors", []):
            one_line = " ".join(str(err).split())
            notes.append(f"- error: `{one_line[-400:]}`")
        if notes:
            body += [""] + notes
    summary = ["", (f"**{counts.get('PASS', 0)} PASS, {counts.get('MISS', 0)} MISS** "
               "against the issue's goals (other figures are information).")]
    RESULTS_MD.write_text("\n".join(out + summary + body) + "\n", encoding="utf-8")


def main() -> int:
    """Parse options, run the benchmarks, store and publish the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and smaller inputs")
    parser.add_argument("--report", action="store_true",
                        help="run nothing: rebuild RESULTS.md from results.json")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this benchmark (repeatable): " + ", ".join(discover()))
    args = parser.parse_args()
    names = discover()
    if args.only:
        unknown = [n for n in args.only if n not in names and n not in ORDER]
        if unknown:
            parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
        names = [n for n in names if n in args.only]
    stored: dict[str, dict[str, Any]] = {}
    with contextlib.suppress(OSError, ValueError):
        stored = json.loads(RESULTS_JSON.read_text(encoding="utf-8"))
    if args.report:
        names = []
    for name in ORDER if not args.report else []:  # asked for by the issue, not written yet
        if name not in discover() and (not args.only or name in args.only):
            stored[name] = error_record(name, f"benchmarks/bench_{name}.py does not exist yet",
                                        time.monotonic())
    fresh = []
    machine = machine_info() if names else {}
    for name in names:
        print(f"== {name}", file=sys.stderr, flush=True)
        res = run_one(name, args.quick)
        res["machine"] = machine  # kept with the figures it measured
        fresh.append(res)
        stored[name] = res
    RESULTS_JSON.write_text(json.dumps(stored, indent=1) + "\n", encoding="utf-8")
    write_markdown(stored)
    print_table(fresh)
    print(f"\nwrote {RESULTS_MD.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
