"""With --json, stdout carries JSON only (CLI.md): the long-running commands print their URL as
one JSON object instead of a sentence (`web` printed the sentence; `serve-local` nothing)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

import pytest
from test_cli import ROOT, free_port
from test_cli_web import read_line


@contextlib.contextmanager
def running(*args: str) -> Iterator[subprocess.Popen]:
    """`python -m nemo_tui ARGS` in the background, output captured; killed on the way out
    whatever the test found."""
    proc = subprocess.Popen([sys.executable, "-m", "nemo_tui", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, env={**os.environ})
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def stop(proc: subprocess.Popen, code: int) -> tuple[str, str]:
    """Ctrl-C, then the rest of its output; it exits with ``code``."""
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    return out, err


@pytest.mark.timeout(90)
def test_serve_local_json_prints_its_url_as_json():
    port = free_port()
    with running("--json", "serve-local", "--port", str(port)) as proc:
        first = read_line(proc)
        assert json.loads(first) == {"url": f"http://127.0.0.1:{port}"}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_local/health",
                                    timeout=30) as resp:
            assert resp.status == 200  # it is answering once the URL is printed
        out, err = stop(proc, 130)  # uvicorn passes the Ctrl-C on: "interrupted" (CLI.md)
    assert out == "" and "Traceback" not in err


@pytest.mark.timeout(90)
def test_web_json_prints_its_url_as_json(local_backend):
    pytest.importorskip("textual_serve")
    port = free_port()
    with running("web", "--json", "--port", str(port), "--api-url", local_backend.url) as proc:
        first = read_line(proc)
        assert json.loads(first) == {"url": f"http://127.0.0.1:{port}"}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as resp:
            assert resp.status == 200  # said once it answers, not just before it binds
        out, err = stop(proc, 130)  # Ctrl-C: "interrupted", as CLI.md says
    assert out == "" and "Traceback" not in err
