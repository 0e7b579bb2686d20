"""Profile the studio's start-up to its first screen (a diagnosis tool, not a benchmark).

Usage: ``.venv/bin/python benchmarks/profile_start.py [--local] [--top 30] [--sort tottime]``

Starts a local backend, runs the studio in a 120x40 pty under cProfile, and as soon as ``nemo-tui``
is on screen asks it (SIGUSR1) to dump the profile and the modules loaded so far; prints the
costliest functions and the packages imported before the first screen.
"""

from __future__ import annotations

import argparse
import os
import pstats
import signal
import sys
import tempfile
from pathlib import Path

from _common import PYTHON, BackendProcess, PtyApp, temp_home

# Runs inside the studio process: profile everything until SIGUSR1, dump, exit.
WRAPPER = """
import cProfile, os, signal, sys
prof = cProfile.Profile()
def dump(*_):
    prof.disable(); prof.dump_stats(os.environ["NEMO_PROFILE_OUT"])
    with open(os.environ["NEMO_PROFILE_OUT"] + ".modules", "w") as fh:
        fh.write("\\n".join(sorted(sys.modules)))
    os._exit(0)
signal.signal(signal.SIGUSR1, dump)
def restart(*_):
    global prof
    prof.disable(); prof = cProfile.Profile(); prof.enable()
signal.signal(signal.SIGUSR2, restart)
sys.argv = ["nemo-tui"] + sys.argv[1:]
prof.enable()
from nemo_tui.cli import main
sys.exit(main())
"""


def main() -> None:
    """Run once, print the profile."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--local", action="store_true", help="profile `nemo-tui --local`")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative", help="pstats sort key")
    parser.add_argument("--stream", type=float, default=0, metavar="SECONDS",
                        help="profile SECONDS of a reply streaming at 200 chunks/s instead")
    args = parser.parse_args()
    out = Path(tempfile.mkstemp(prefix="nemo-profile-", suffix=".prof")[1])
    try:
        reply = {"chars": 240_000, "chunks": 12_000, "rate": 200}
        with temp_home() as env, BackendProcess(env, reply=reply) as backend:
            flags = ["--local"] if args.local else ["--api-url", backend.url]
            argv = [PYTHON, "-c", WRAPPER, *flags]
            env = dict(env, NEMO_PROFILE_OUT=str(out))
            with PtyApp(argv, env) as app:
                seen = app.wait_screen("nemo-tui", 30)
                print(f"first screen after {seen - app.started:.3f} s" if seen else "no screen")
                if args.stream:
                    app.settle(1.0, 15.0)
                    os.kill(app.proc.pid, signal.SIGUSR2)  # restart the profile from here
                    app.write("write me a long treatment for the video\r")
                    app.drain(args.stream)
                os.kill(app.proc.pid, signal.SIGUSR1)
                for _ in range(300):  # keep reading: a blocked terminal write would stall it
                    if app.proc.poll() is not None:
                        break
                    app.drain(0.1)
        pstats.Stats(str(out)).sort_stats(args.sort).print_stats(args.top)
        show_modules(Path(str(out) + ".modules"))
    finally:
        out.unlink(missing_ok=True)
        Path(str(out) + ".modules").unlink(missing_ok=True)


def show_modules(path: Path) -> None:
    """Packages loaded before the first screen, with their module counts; heavy ones flagged."""
    counts: dict[str, int] = {}
    for name in path.read_text().split():
        top = name.split(".")[0]
        counts[top] = counts.get(top, 0) + 1
    print(f"{sum(counts.values())} modules loaded before the first screen:")
    biggest = sorted(counts.items(), key=lambda kv: -kv[1])[:15]
    print("  " + ", ".join(f"{k} {v}" for k, v in biggest))
    lazy = [m for m in ("starlette", "uvicorn", "imageio_ffmpeg", "multipart", "httpx",
                        "httpx_sse", "anyio", "h11", "ssl", "hypothesis") if m in counts]
    print("loaded though not needed to draw the first screen:", ", ".join(lazy) or "none")


if __name__ == "__main__":
    sys.exit(main())
