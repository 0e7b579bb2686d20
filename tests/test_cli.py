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
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    # activity lines ("… generating video") may come first; the error is the last line
    errors = [line for line in proc.stderr.splitlines() if line.startswith("nemo-tui: ")]
    assert len(errors) == 1 and proc.stderr.rstrip("\n").endswith(errors[0]), proc.stderr
    assert errors[0].count(". ") <= 2, errors[0]  # one or two sentences
    return errors[0]


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


@pytest.mark.parametrize("args", [("frobnicate",), ("upload",), ("serve-local", "--port", "x")])
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
    code = ("import sys, nemo_tui.cli, nemo_tui.cli_ask, nemo_tui.cli_export, nemo_tui.config, "
            "nemo_tui.store, nemo_tui.jobs, nemo_tui.services; "
            "bad = [m for m in ('textual', 'rich') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, cwd=ROOT, timeout=30)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_server_gone_is_one_sentence():
    url = f"http://127.0.0.1:{free_port()}"
    err = assert_clean_error(run("ask", "hello", env={"NEMO_API_URL": url}), 1)
    assert url in err and "connect" in err.lower(), err


# ---- against the local backend -------------------------------------------------------------

ASK = "make a 10 second video about the sea"


@pytest.fixture
def backend(make_local_backend):
    """A local backend with plenty of credits and no simulated waits."""
    return make_local_backend(server_options={"free_credits": 100_000, "wait_scale": 0.0})


@pytest.fixture
def cli(backend):
    """Run the CLI against `backend`; every result is kept for the token-leak check."""
    runs: list[subprocess.CompletedProcess[str]] = []

    def call(*args: str, env: dict[str, str] | None = None, **kw):
        proc = run(*args, env={"NEMO_API_URL": backend.url, **(env or {})}, **kw)
        runs.append(proc)
        return proc

    call.runs = runs
    return call


def json_lines(text: str) -> list[dict]:
    """Parse one JSON object per line (every line must be JSON)."""
    return [json.loads(line) for line in text.splitlines()]


def tiny_png() -> bytes:
    """A valid 2x2 PNG."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def transcript_texts(isolated_dirs: Path, role: str) -> list[str]:
    """All transcript texts of `role` written by the CLI runs of this test."""
    texts = []
    for f in (isolated_dirs / "state" / "nemo-tui" / "transcripts").rglob("*.jsonl"):
        for line in f.read_text().splitlines():
            entry = json.loads(line)
            if entry["role"] == role:
                texts.append(entry["text"])
    return texts


def test_ask_state_credits(cli, isolated_dirs, backend):
    proc = cli("ask", ASK)
    assert proc.returncode == 0, proc.stderr
    agent_texts = transcript_texts(isolated_dirs, "agent")
    assert agent_texts, "the turn produced no text"
    # chunks + the remainder of the final text: every message exactly once
    assert proc.stdout == "".join(t + "\n" for t in agent_texts)
    assert "Traceback" not in proc.stderr

    proc = cli("state")
    assert proc.returncode == 0 and proc.stdout.startswith("Timeline (")  # same session reused
    proc = cli("state", "--json")
    state = json.loads(proc.stdout)
    assert set(state) == {"summary", "format", "duration_ms", "tracks", "transitions", "draft"}
    assert state["format"] == "short-json" and state["transitions"] == []
    assert state["duration_ms"] > 0 and state["tracks"] and isinstance(state["draft"], dict)
    for track in state["tracks"]:
        assert track["type"] in ("video", "audio", "text") or track["type"].startswith("type ")
        assert all(set(s) == {"start_ms", "duration_ms", "label"} for s in track["segments"])

    proc = cli("credits")
    assert proc.returncode == 0 and proc.stdout.startswith("Credits: ")
    credits = json.loads(cli("--json", "credits").stdout)
    assert set(credits) == {"available", "frozen", "total"}
    assert credits["total"] == credits["available"] + credits["frozen"]
    assert credits["total"] < 100_000  # the turn was charged to the same user

    proc = cli("--new-session", "state")
    assert proc.returncode == 0 and proc.stdout.strip() == "Timeline is empty."
    sessions = {r["json"]["session_id"] for r in backend.requests()
                if r.get("endpoint") == "run_sse" and r.get("json")}
    assert len(sessions) == 1
    assert_no_token_leak(cli.runs, isolated_dirs)


def test_ask_json_lines(cli):
    proc = cli("ask", ASK, "--json")
    assert proc.returncode == 0, proc.stderr
    events = json_lines(proc.stdout)
    assert {e["type"] for e in events} <= {"text", "tool", "error", "summary"}
    texts = [e for e in events if e["type"] == "text"]
    assert texts and all(isinstance(e["text"], str) and e["text"] for e in texts)
    assert all(isinstance(e["name"], str) for e in events if e["type"] == "tool")


def test_ask_no_text_turn_prints_summary(cli, backend):
    assert cli("ask", ASK).returncode == 0
    backend.add_faults([{"endpoint": "run_sse", "stream": "no_text", "times": 2}])
    proc = cli("ask", 'change the title to "Night Sea"')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Done. Changes:\n")
    assert 'title changed to "Night Sea"' in proc.stdout
    assert proc.stdout.splitlines()[-1].startswith("Timeline (")
    events = json_lines(cli("--json", "ask", "make it darker").stdout)
    assert [e["type"] for e in events if e["type"] != "tool"] == ["summary"]
    assert events[-1]["text"].startswith("Timeline (")
    assert isinstance(events[-1]["changes"], list)


def test_ask_dropped_stream_is_not_resent(cli, backend):
    backend.add_faults([{"endpoint": "run_sse", "stream": "drop", "times": -1}])
    proc = cli("ask", ASK)
    err = assert_clean_error(proc, 1)
    assert "nemo-tui state" in err
    assert len([r for r in backend.requests() if r.get("endpoint") == "run_sse"]) == 1


def test_ask_in_stream_error(cli, backend):
    backend.add_faults([{"endpoint": "run_sse", "stream": "in_stream_error"}])
    proc = cli("ask", ASK)
    assert proc.returncode == 1
    assert "error" in proc.stderr.lower() and "Traceback" not in proc.stderr


def test_ask_hostile_text_is_escaped(cli, backend):
    backend.add_faults([{"endpoint": "run_sse", "stream": "hostile_text"}])
    proc = cli("ask", "hi")
    for raw in ("\x1b", "\x07", "\x9b", "\u202e", "\x00", "\x7f"):
        assert raw not in proc.stdout and raw not in proc.stderr
    proc = cli("--json", "ask", "hi again")
    assert all(ord(c) < 128 for c in proc.stdout)


def test_upload_files_and_bad_input(cli, backend, tmp_path):
    good = tmp_path / "still.png"
    good.write_bytes(tiny_png())
    proc = cli("upload", str(good))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Uploaded still.png (image")
    assert "0s" not in proc.stdout  # a picture has no duration to tell
    files = json.loads(cli("--json", "upload", str(good)).stdout)["files"]
    assert len(files) == 1 and files[0]["name"].startswith("still")

    before = len([r for r in backend.requests() if r.get("endpoint") == "upload"])
    err = assert_clean_error(cli("upload", str(tmp_path / "missing.mp4")), 2)
    assert f"File not found: {tmp_path / 'missing.mp4'}." in err  # where it was looked for
    err = assert_clean_error(cli("upload", str(tmp_path)), 2)
    assert f"{tmp_path} is not a regular file" in err
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    err = assert_clean_error(cli("upload", str(good), str(notes)), 2)
    assert "mp4" in err  # names the supported formats
    after = len([r for r in backend.requests() if r.get("endpoint") == "upload"])
    assert after == before  # pre-checks: no request was made


def test_export_wait_jobs(cli, backend, tmp_path, isolated_dirs):
    empty = cli("export")
    assert_clean_error(empty, 1)
    assert cli("ask", ASK).returncode == 0
    out = tmp_path / "renders"
    proc = cli("export", "--wait", "--output", str(out), env={"NEMO_POLL_INTERVAL": "0.05"})
    assert proc.returncode == 0, proc.stderr
    path = Path(proc.stdout.strip())
    assert path.parent == out.resolve() and path.read_bytes()[4:8] == b"ftyp"

    started = json.loads(cli("export", "--json").stdout)
    assert set(started) == {"id", "status", "url", "path"} and started["path"] is None

    jobs = json.loads(cli("jobs", "--json").stdout)["jobs"]
    assert [j["id"] for j in jobs][-1] == started["id"] and len(jobs) == 2
    keys = {"id", "status", "progress", "url", "path", "api_url", "session_id", "created_at",
            "version", "batch", "item", "error"}
    assert all(set(j) == keys for j in jobs)
    assert jobs[0]["path"] == str(path) and jobs[0]["status"] == "completed"
    assert all(j["api_url"] == backend.url for j in jobs)
    table = cli("jobs").stdout
    assert started["id"] in table and str(path) in table

    not_dir = tmp_path / "notes.txt"  # a file that is no MP4 name: not a folder either
    not_dir.write_text("x")
    err = assert_clean_error(cli("export", "--output", str(not_dir)), 2)
    assert "not a directory" in err

    # the job started without --wait can be finished later
    later = tmp_path / "later"
    proc = cli("export", "--job", started["id"], "--output", str(later),
               env={"NEMO_POLL_INTERVAL": "0.05"})
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()).parent == later.resolve()
    assert_clean_error(cli("export", "--job", "render_unknown"), 2)

    # a finished render's URL (on loopback) can be uploaded back into the session
    proc = cli("upload", jobs[0]["url"])
    assert proc.returncode == 0 and proc.stdout.startswith("Uploaded "), proc.stderr
    assert_no_token_leak(cli.runs, isolated_dirs)


def test_env_token_is_used_and_never_stored(cli, backend, isolated_dirs):
    import httpx

    token = httpx.post(f"{backend.url}/_local/tokens", json={"credits": 500}).json()["data"]
    secret = token["token"]
    proc = cli("credits", "--json", env={"NEMO_TOKEN": secret})
    assert json.loads(proc.stdout)["available"] == 500
    assert cli("ask", ASK, env={"NEMO_TOKEN": secret}).returncode == 0
    assert not list((isolated_dirs / "state").rglob("tokens/*.json"))
    for p in (*cli.runs,):
        assert secret not in p.stdout + p.stderr
    for f in isolated_dirs.rglob("*"):
        if f.is_file():
            assert secret.encode() not in f.read_bytes(), f
    bad = cli("credits", env={"NEMO_TOKEN": "nmv_usr_not_valid_at_all"})
    err = assert_clean_error(bad, 1)
    assert "NEMO_TOKEN" in err and "nmv_usr_not_valid_at_all" not in err


def assert_no_token_leak(runs, isolated_dirs: Path) -> None:
    """The cached token appears in no output and in no file but the token cache."""
    token_files = list((isolated_dirs / "state" / "nemo-tui" / "tokens").glob("*.json"))
    assert len(token_files) == 1
    secret = json.loads(token_files[0].read_text())["token"]
    assert len(secret) >= 8
    for proc in runs:
        assert secret not in proc.stdout and secret not in proc.stderr
    for f in isolated_dirs.rglob("*"):
        if f.is_file() and f != token_files[0]:
            assert secret.encode() not in f.read_bytes(), f


def test_local_flag_end_to_end(isolated_dirs):
    proc = run("--local", "credits")
    assert proc.returncode == 0, proc.stderr
    # The studio backend gives a newcomer ten generations, not the real service's one.
    assert proc.stdout.startswith("Credits: 1000 available")
    assert (isolated_dirs / "data" / "nemo-tui" / "local-backend").is_dir()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_local_runs_again_with_the_same_token_session_and_jobs(isolated_dirs):
    """A second `--local` run finds the first one's token, session and jobs (same URL)."""
    env = {"NEMO_LOCAL_PORT": str(_free_port())}
    first = run("--local", "--json", "ask", "make a 3 second video about rain", env=env)
    assert first.returncode == 0, first.stderr
    again = run("--local", "--json", "state", env=env)
    assert again.returncode == 0, again.stderr  # no 429 for a second anonymous token
    assert json.loads(again.stdout)["duration_ms"] == 3000  # the same session's draft
    tokens = list((isolated_dirs / "state").rglob("tokens/*.json"))
    assert len(tokens) == 1
    import socket

    with socket.socket() as taken:  # versions and sessions need no backend: they read the
        taken.bind(("127.0.0.1", int(env["NEMO_LOCAL_PORT"])))  # --local port's records even
        taken.listen()  # while something else holds that port (a backend would move away)
        for command in ("versions", "sessions"):
            proc = run("--local", "--json", command, env=env)
            assert proc.returncode == 0, proc.stderr
            assert len(json.loads(proc.stdout)[command]) == 1, proc.stdout


def test_local_falls_back_to_a_free_port_when_its_port_is_taken(isolated_dirs):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {"NEMO_LOCAL_PORT": str(taken.getsockname()[1])}
        proc = run("--local", "credits", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Credits: ")


def interrupt_once(backend, endpoint: str, *args: str, env: dict[str, str] | None = None
                   ) -> tuple[int, str]:
    """Run `nemo-tui ARGS`, press Ctrl-C once the backend logged a request to ``endpoint``;
    (exit code, stderr)."""
    import signal
    import time

    proc = subprocess.Popen([sys.executable, "-m", "nemo_tui", *args], cwd=ROOT, text=True,
                            env={**os.environ, "NEMO_API_URL": backend.url, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    try:
        while not any(r.get("endpoint") == endpoint for r in backend.requests()):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, err


def test_ctrl_c_exits_130(backend):
    backend.add_faults([{"endpoint": "run_sse", "stream": "heartbeats_only", "seconds": 60}])
    code, err = interrupt_once(backend, "run_sse", "ask", ASK)  # once the turn is under way
    assert code == 130, err
    assert err.strip().endswith("nemo-tui: Interrupted. The agent may still apply the message: "
                                "`nemo-tui state` shows whether it did.") and "Traceback" not in err


def test_ctrl_c_during_export_wait_says_how_to_finish_the_render(cli, backend, tmp_path):
    """Ctrl-C stops the watching, not the render: the message names the command that finishes
    it, and that command does."""
    assert cli("ask", ASK).returncode == 0
    backend.add_faults([{"endpoint": "render_poll", "status": "processing", "progress": 40,
                         "times": -1}])
    code, err = interrupt_once(backend, "render_poll", "export", "--wait", "--output",
                               str(tmp_path), env={"NEMO_POLL_INTERVAL": "0.05"})
    (job,) = json.loads(cli("--json", "jobs").stdout)["jobs"]
    assert code == 130, err
    assert err.strip().splitlines()[-1] == (
        f"nemo-tui: Interrupted. The render goes on: `nemo-tui export --job {job['id']}` "
        "finishes it."), err
    backend.clear_faults()
    done = cli("export", "--job", job["id"], env={"NEMO_POLL_INTERVAL": "0.05"})
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).parent == tmp_path.resolve()
