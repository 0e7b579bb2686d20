"""`sessions`, `open`, `--session ID` and export file names, in-process against the local backend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nemo_tui.api.files import title_filename
from nemo_tui.cli import main


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Downloads default to the cwd: keep them in the test's folder."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def local_backend(make_local_backend):
    """A backend with credits for several generations."""
    return make_local_backend(server_options={"free_credits": 10_000})


def cli(capsys, url: str, *args: str) -> tuple[int, str, str]:
    """Run `nemo-tui --api-url URL ARGS` in-process; (exit code, stdout, stderr)."""
    code = main(["--api-url", url, *args])
    out, err = capsys.readouterr()
    return code, out, err


def sessions_json(capsys, url: str, *args: str) -> list[dict]:
    code, out, err = cli(capsys, url, "--json", "sessions", *args)
    assert code == 0, err
    return json.loads(out)["sessions"]


@pytest.mark.timeout(60)
def test_sessions_open_and_session_by_id(local_backend, capsys):
    url = local_backend.url
    assert sessions_json(capsys, url) == []
    assert cli(capsys, url, "ask", "make a 2-second video about the sea")[0] == 0
    first = sessions_json(capsys, url)
    assert len(first) == 1 and first[0]["current"] is True
    assert first[0]["last_message"] == "make a 2-second video about the sea"
    assert set(first[0]) == {"id", "title", "last_message", "updated_at", "current"}
    assert cli(capsys, url, "--new-session", "ask", "make a 2-second video about cats")[0] == 0
    both = sessions_json(capsys, url)
    old = first[0]["id"]
    current = [s["id"] for s in both if s["current"]]
    assert len(both) == 2 and len(current) == 1 and current != [old]
    # --session ID: that session, made current; `state` reads it
    code, out, err = cli(capsys, url, "--json", "state", "--session", old)
    assert code == 0, err
    assert [s["id"] for s in sessions_json(capsys, url) if s["current"]] == [old]
    states = [r for r in local_backend.requests() if r.get("endpoint") == "state"]
    assert old in states[-1]["path"]
    # transcript --session ID: that session's record, and it is made current too (CLI.md)
    assert cli(capsys, url, "--new-session", "ask", "make a 2-second video about dogs")[0] == 0
    code, out, err = cli(capsys, url, "transcript", "--format", "json", "--session", old)
    assert code == 0 and json.loads(out)["session_id"] == old, err
    assert [s["id"] for s in sessions_json(capsys, url) if s["current"]] == [old]
    # human listing marks the current one
    code, out, _ = cli(capsys, url, "sessions")
    marked = [line for line in out.splitlines() if line.startswith("*")]
    assert len(marked) == 1 and old in marked[0]
    # open: the claim link of the current session, no token in it
    code, out, _ = cli(capsys, url, "--json", "open")
    link = json.loads(out)["url"]
    assert code == 0 and f"session={old}" in link and "/workspace/claim?" in link
    code, out, _ = cli(capsys, url, "open")
    assert out.strip() == link


@pytest.mark.timeout(60)
def test_sessions_and_transcript_know_the_title_of_a_cli_made_video(local_backend, capsys):
    """The studio records a session's title; the CLI does too (it read null before)."""
    url = local_backend.url
    assert cli(capsys, url, "ask", "make a 2-second video about the sea")[0] == 0
    (first,) = sessions_json(capsys, url)
    assert first["title"] == "Sea"
    code, out, err = cli(capsys, url, "transcript", "--format", "json")
    assert code == 0 and json.loads(out)["title"] == "Sea", err
    local_backend.add_faults([{"endpoint": "run_sse", "stream": "no_text"}])
    assert cli(capsys, url, "ask", "change the title to Night Lights")[0] == 0
    assert sessions_json(capsys, url)[0]["title"] == "Night Lights"
    (before,) = sessions_json(capsys, url)
    assert cli(capsys, url, "state")[0] == 0  # reading the state reorders nothing
    assert sessions_json(capsys, url) == [before]


def test_unknown_session_id_is_exit_2(local_backend, capsys):
    code, _, err = cli(capsys, local_backend.url, "--session", "nope", "state")
    assert code == 2 and "nemo-tui sessions" in err
    assert local_backend.requests() == []


@pytest.mark.timeout(60)
def test_export_names_from_the_title_never_overwriting(local_backend, tmp_path, capsys):
    url = local_backend.url
    assert cli(capsys, url, "ask", "make a 2-second video about the sea")[0] == 0
    assert cli(capsys, url, "ask", "change the title to Night Lights")[0] == 0
    paths = []
    for _ in range(2):
        code, out, err = cli(capsys, url, "export", "--wait", "--output", str(tmp_path / "out"))
        assert code == 0, err
        paths.append(Path(out.strip()))
    assert [p.name for p in paths] == ["Night Lights.mp4", "Night Lights (2).mp4"]
    code, out, err = cli(capsys, url, "export", "--wait", "--output", str(tmp_path / "my.mp4"))
    assert code == 0, err
    assert Path(out.strip()) == tmp_path / "my.mp4" and (tmp_path / "my.mp4").stat().st_size


@pytest.mark.parametrize(("title", "name"), [
    ("Night Lights", "Night Lights.mp4"),
    ("AC/DC: live\\now", "AC DC live now.mp4"),
    ("bell\x07\x1b[31m red\u202e", "bell [31m red.mp4"),
    ("..", ""),
    ("CON", ""),
    ("x" * 500, "x" * 80 + ".mp4"),
    ("  spaced   out  ", "spaced out.mp4"),
])
def test_title_file_names_are_safe(title, name):
    assert title_filename(title, "") == name
