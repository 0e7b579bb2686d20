"""`nemo-tui … | head`: a reader that goes away stops the command quietly, as with `cat`
(killed by SIGPIPE: the shell says 141), never exit 1 (CLI.md: the backend said no)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGPIPE"), reason="POSIX pipes")


def run_into_closed_pipe(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m nemo_tui ARGS` with stdout a pipe whose reader already left."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `head` having read its lines and exited
    try:
        return subprocess.run([sys.executable, "-m", "nemo_tui", *args], cwd=ROOT,
                              stdout=write_end, stderr=subprocess.PIPE, text=True,
                              stdin=subprocess.DEVNULL, timeout=60, check=False)
    finally:
        os.close(write_end)


@pytest.mark.parametrize("json_flag", [(), ("--json",)])
def test_jobs_into_a_closed_pipe_stops_quietly_by_sigpipe(local_backend, json_flag):
    proc = run_into_closed_pipe("--api-url", local_backend.url, *json_flag, "jobs")
    assert proc.returncode == -signal.SIGPIPE, (proc.returncode, proc.stderr)
    assert proc.stderr == ""
