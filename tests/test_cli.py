"""The CLI run as a subprocess (`python -m nemo_tui …`) against the local backend."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `python -m nemo_tui ARGS` with the test's environment; capture text output."""
    return subprocess.run(
        [sys.executable, "-m", "nemo_tui", *args],
        env={**os.environ, **(env or {})}, cwd=cwd or ROOT, capture_output=True, text=True,
        check=False,
        timeout=timeout, stdin=subprocess.DEVNULL,
    )


def assert_clean_error(proc: subprocess.CompletedProcess[str], code: int) -> str:
    """The process failed with `code` and one or two plain sentences, no traceback."""
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    err = proc.stderr.strip()
    assert err.startswith("nemo-tui: "), err
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert len(err.splitlines()) <= 2, err
    return err


def free_port() -> int:
    """A loopback port with nothing listening on it (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- without a backend ---------------------------------------------------------------------


def test_version_and_help():
    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == "nemo-tui 0.1.0"
    proc = run("--help")
    assert proc.returncode == 0
    for word in ("ask", "state", "credits", "upload", "export", "jobs", "serve-local",
                 "--api-url", "--local", "--new-session", "--json"):
        assert word in proc.stdout
    proc = run("export", "--help")
    assert proc.returncode == 0 and "--wait" in proc.stdout and "--output" in proc.stdout


@pytest.mark.parametrize("args", [("frobnicate",), ("ask",), ("upload",), ("--bogus",),
                                  ("serve-local", "--port", "x")])
def test_usage_errors_exit_2(args):
    assert_clean_error(run(*args), 2)


def test_jobs_empty_and_json():
    proc = run("jobs")
    assert proc.returncode == 0 and "No render jobs" in proc.stdout
    proc = run("--json", "jobs")
    assert proc.returncode == 0 and json.loads(proc.stdout) == {"jobs": []}
    proc = run("jobs", "--json")  # global flag after the subcommand
    assert json.loads(proc.stdout) == {"jobs": []}


def test_serve_local_refuses_public_host():
    err = assert_clean_error(run("serve-local", "--host", "0.0.0.0"), 2)
    assert "loopback" in err


def test_broken_config_file_exit_2(isolated_dirs):
    cfg = isolated_dirs / "config" / "nemo-tui" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text("api_url = [")
    err = assert_clean_error(run("credits"), 2)
    assert str(cfg) in err


def test_cli_import_stays_light():
    code = ("import sys, nemo_tui.cli, nemo_tui.config, nemo_tui.store, nemo_tui.jobs; "
            "bad = [m for m in ('textual', 'rich', 'httpx') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                          cwd=ROOT, timeout=30)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_server_gone_is_one_sentence():
    url = f"http://127.0.0.1:{free_port()}"
    for args in (("credits",), ("state",), ("ask", "hello")):
        err = assert_clean_error(run(*args, env={"NEMO_API_URL": url}), 1)
        assert "127.0.0.1" in err or "reach" in err.lower() or "connect" in err.lower(), err
