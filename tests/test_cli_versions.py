"""`nemo-tui versions` and `export --version N`, run as subprocesses against the local backend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli import assert_clean_error, run

from nemo_tui.local.probe import probe_media

GENERATE = "make a 10 second video about the sea with background music"
EDITS = ("make it 15 seconds", "make the music quieter")
FAST_POLLS = {"NEMO_POLL_INTERVAL": "0.05"}


@pytest.fixture
def cli(make_local_backend):
    """Run the CLI against a fresh local backend with plenty of credits and no waits."""
    backend = make_local_backend(server_options={"free_credits": 100_000, "wait_scale": 0.0})

    def call(*args: str, env: dict[str, str] | None = None):
        return run(*args, env={"NEMO_API_URL": backend.url, **(env or {})})

    call.backend = backend
    return call


def versions_json(cli) -> list[dict]:
    proc = cli("versions", "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["versions"]


def test_generate_edit_twice_then_export_version_1(cli, tmp_path):
    """Three versions, listed by `versions`; version 1 renders the first (10-second) draft."""
    first_draft = None
    for message in (GENERATE, *EDITS):
        assert cli("ask", message).returncode == 0
        if first_draft is None:  # what the backend said the draft was after the first turn
            first_draft = json.loads(cli("state", "--json").stdout)["draft"]
    versions = versions_json(cli)
    assert [v["number"] for v in versions] == [1, 2, 3]
    assert [v["message"] for v in versions] == [GENERATE, *EDITS]
    assert all(set(v) == {"number", "created_at", "message", "summary", "diff"} for v in versions)
    assert versions[0]["diff"][0].startswith("new timeline")
    assert "duration 10s → 15s" in versions[1]["diff"]
    assert any("volume" in line for line in versions[2]["diff"])
    assert "(0-15s" in versions[2]["summary"]

    human = cli("versions").stdout.splitlines()
    assert [line.split()[0] for line in human] == ["v1", "v2", "v3"]
    assert "make it 15 seconds" in human[1] and "duration 10s → 15s" in human[1]

    # `state` sees the same draft: no new version
    assert cli("state").returncode == 0 and len(versions_json(cli)) == 3

    proc = cli("export", "--version", "1", "--wait", "--output", str(tmp_path / "v1"),
               env=FAST_POLLS)
    assert proc.returncode == 0, proc.stderr
    first = probe_media(Path(proc.stdout.strip()))["duration"]
    [body] = [r["json"] for r in cli.backend.requests() if r.get("endpoint") == "render_start"]
    assert json.dumps(body["draft"]) == json.dumps(first_draft)  # exactly as received then
    proc = cli("export", "--wait", "--output", str(tmp_path / "now"), env=FAST_POLLS)
    assert proc.returncode == 0, proc.stderr
    current = probe_media(Path(proc.stdout.strip()))["duration"]
    assert abs(first - 10) < 0.5 and abs(current - 15) < 0.5, (first, current)

    jobs = json.loads(cli("jobs", "--json").stdout)["jobs"]
    assert [j["version"] for j in jobs] == [1, 3]  # the current draft is version 3
    table = cli("jobs").stdout.splitlines()
    assert table[0].split()[:2] == ["ID", "VERSION"]
    assert [line.split()[1] for line in table[1:]] == ["v1", "v3"]


@pytest.mark.parametrize("value", ["0", "99", "-1"])
def test_bad_version_exit_2_naming_the_versions_that_exist(cli, value):
    assert cli("ask", GENERATE).returncode == 0
    assert cli("ask", EDITS[0]).returncode == 0
    err = assert_clean_error(cli("export", "--version", value), 2)
    assert f"no version {value}; versions 1-2 exist" in err


def test_version_without_any_versions_and_non_numbers(cli):
    assert "no draft versions yet" in assert_clean_error(cli("export", "--version", "1"), 2)
    assert_clean_error(cli("export", "--version", "two"), 2)
    assert "not allowed with" in assert_clean_error(
        cli("export", "--version", "1", "--job", "render_1"), 2)
    proc = cli("versions")
    assert proc.returncode == 0 and proc.stdout.startswith("No draft versions yet")
    assert versions_json(cli) == []


def test_corrupt_versions_file_is_set_aside_with_one_line(cli, isolated_dirs):
    assert cli("ask", GENERATE).returncode == 0
    [index] = (isolated_dirs / "state").rglob("versions.json")
    index.write_text("{half a file")
    proc = cli("versions")
    assert proc.returncode == 0
    warnings = [line for line in proc.stderr.splitlines() if "damaged" in line]
    assert len(warnings) == 1 and "versions.json.corrupt" in warnings[0], proc.stderr
    assert (index.parent / "versions.json.corrupt").read_text() == "{half a file"
    assert "No draft versions yet" in proc.stdout
    # the next state read starts the new list with the draft it sees
    assert cli("state").returncode == 0
    assert [v["number"] for v in versions_json(cli)] == [1]


def test_versions_says_when_older_versions_were_dropped(monkeypatch, capsys):
    """Only the last MAX_VERSIONS are kept; `versions` lists those and says the rest went."""
    import nemo_tui.versions as versions_mod
    from nemo_tui.api.models import SessionInfo
    from nemo_tui.cli import main
    from nemo_tui.config import AppPaths
    from nemo_tui.store import SessionStore
    from nemo_tui.version_store import VersionStore

    url = "http://127.0.0.1:9"
    monkeypatch.setattr(versions_mod, "MAX_VERSIONS", 2)
    monkeypatch.setenv("NEMO_API_URL", url)
    SessionStore(AppPaths.default()).set_current(url, SessionInfo("s1"))
    store = VersionStore(AppPaths.default(), url, "s1")
    for seconds in (1, 2, 3):
        store.record({"d": seconds * 1000, "t": [{"tt": 0, "sg": [{"s": 0, "d": seconds * 1000}]}]})
    assert main(["versions"]) == 0
    out, err = capsys.readouterr()
    assert [line.split()[0] for line in out.splitlines()] == ["v2", "v3"]
    assert "Version 1 was dropped: only the last 2 versions are kept." in err
