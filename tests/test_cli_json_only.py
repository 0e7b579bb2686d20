"""With --json, stdout carries JSON only (CLI.md): the long-running commands print their URL as
one JSON object instead of a sentence (`web` printed the sentence; `serve-local` nothing)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request

import pytest
from test_cli import ROOT, free_port
from test_cli_web import read_line


def start(*args: str) -> subprocess.Popen:
    """`python -m nemo_tui ARGS` in the background, output captured."""
    return subprocess.Popen([sys.executable, "-m", "nemo_tui", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, env={**os.environ})


def stop(proc: subprocess.Popen, code: int) -> tuple[str, str]:
    """Ctrl-C, then the rest of its output; it exits with ``code``."""
    try:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == code, err
    return out, err


@pytest.mark.timeout(90)
def test_serve_local_json_prints_its_url_as_json():
    port = free_port()
    proc = start("--json", "serve-local", "--port", str(port))
    first = read_line(proc)
    assert json.loads(first) == {"url": f"http://127.0.0.1:{port}"}
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_local/health", timeout=30) as resp:
        assert resp.status == 200  # it is answering once the URL is printed
    out, err = stop(proc, 130)  # uvicorn passes the Ctrl-C on: "interrupted" (CLI.md)
    assert out == "" and "Traceback" not in err


@pytest.mark.timeout(90)
def test_web_json_prints_its_url_as_json(local_backend):
    pytest.importorskip("textual_serve")
    port = free_port()
    proc = start("web", "--json", "--port", str(port), "--api-url", local_backend.url)
    first = read_line(proc)
    assert json.loads(first) == {"url": f"http://127.0.0.1:{port}"}
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as resp:
        assert resp.status == 200  # said once it answers, not just before it binds
    out, err = stop(proc, 0)  # textual-serve stops on Ctrl-C as its way out
    assert out == "" and "Traceback" not in err
