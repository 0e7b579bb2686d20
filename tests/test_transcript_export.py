"""The transcript export: Markdown content (pure), the studio's F7, and `nemo-tui transcript`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_ui_support import lines, make_studio, say, settle

from nemo_tui.api.models import SessionInfo
from nemo_tui.config import AppPaths, load_settings
from nemo_tui.jobs import JobStore, RenderJob
from nemo_tui.store import SessionStore, TranscriptEntry, TranscriptStore
from nemo_tui.transcript_export import export_filename, transcript_markdown

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "ok \x1b]52;c;ZXZpbA==\x07 <script>alert(1)</script> \u202eevil \x9b2J"


def test_markdown_holds_messages_changes_and_renders_inertly():
    entries = [TranscriptEntry("t1", "user", "make a video"),
               TranscriptEntry("t2", "agent", "Done.\n\n" + HOSTILE),
               TranscriptEntry("t3", "system", "Timeline changes:"),
               TranscriptEntry("t4", "system", "  + video: scene 1 0.0–5.0 s"),
               TranscriptEntry("t5", "error", "Job r1 failed: boom")]
    jobs = [RenderJob("r1|x", "http://h", "s1", status="completed", path="/tmp/a|b.mp4")]
    md = transcript_markdown(title="Sea \x1b[31m", session_id="s1", api_url="http://h",
                             entries=entries, jobs=jobs, exported_at="now")
    assert md.startswith("# Sea \\x1b[31m\n")
    assert "**You** · t1\n\nmake a video\n" in md
    assert "**Agent** · t2\n\nDone.\n\nok \\x1b]52;c;ZXZpbA==\\x07 &lt;script>" in md
    assert "> · Timeline changes:\n> ·   + video: scene 1 0.0–5.0 s\n> ✗ Job r1 failed" in md
    assert "| r1\\|x | completed | " in md and "/tmp/a\\|b.mp4 |" in md
    assert "\\u202eevil" in md and "\\x9b2J" in md
    assert not any(ord(c) < 32 and c != "\n" or 0x7f <= ord(c) <= 0x9f for c in md)
    assert "\u202e" not in md and "<script" not in md


@pytest.mark.parametrize(("title", "want"), [
    ("Night Lights", "Night Lights.md"), ("a/b\\c: d?", "a b c d.md"), (None, "transcript-s1.md"),
    ("..", "transcript-s1.md"), ("  ", "transcript-s1.md"), ("x" * 300, "x" * 80 + ".md"),
])
def test_export_filename(title, want):
    assert export_filename(title, "s1") == want


async def test_studio_saves_the_transcript_as_markdown(backend, tmp_path):
    """F7 writes <title>.md into the download folder with the reply, the timeline changes and
    the finished render's path."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, "make a 5 second video of a forest with piano music")
        await settle(pilot)
        await say(pilot, "export")
        await settle(pilot)
        job = next(iter(app.jobs_table.jobs.values()))
        assert job.status == "completed" and job.path
        await pilot.press(app.key_table["save_transcript"])
        await settle(pilot)
        saved = [t for t in lines(app, "info") if t.startswith("Transcript saved: ")]
        assert len(saved) == 1
        path = Path(saved[0].removeprefix("Transcript saved: "))
        title = next(r.title for r in app.session_store.recent(app.settings.api_url)
                     if r.session_id == app.client.session.session_id)
        assert title and path == tmp_path / "out" / f"{title}.md"
        md = path.read_text()
        reply = lines(app, "agent")[0]
        assert "make a 5 second video of a forest with piano music" in md
        assert reply.split("\n")[0] in md
        assert "> · Timeline changes:" in md
        assert f"| {job.id} | completed |" in md and job.path in md
        await pilot.press(app.key_table["save_transcript"])  # again: a second file
        await settle(pilot)
        assert (tmp_path / "out" / f"{title} (2).md").exists()


def _seed(paths: AppPaths, api_url: str) -> None:
    """A current session with a hostile transcript line and one render job."""
    SessionStore(paths).set_current(api_url, SessionInfo("sess-1", "task-1"))
    SessionStore(paths).touch(api_url, "sess-1", title="Beach \x1b[2J day")
    store = TranscriptStore(paths, api_url, "sess-1")
    store.append("user", "hello")
    store.append("agent", HOSTILE)
    JobStore(paths).upsert(RenderJob("job-1", api_url, "sess-1", status="completed",
                                     path="/videos/beach.mp4"))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nemo_tui", "--api-url", "http://127.0.0.1:9",
                           *args], capture_output=True, text=True, cwd=ROOT, timeout=60,
                          check=False, env={**os.environ})


def test_transcript_command_md_json_and_unknown_session():
    settings = load_settings({"api_url": "http://127.0.0.1:9"})
    _seed(settings.paths, settings.api_url)
    md = _cli("transcript")
    assert md.returncode == 0, md.stderr
    assert md.stdout.startswith("# Beach \\x1b[2J day\n")
    assert "hello" in md.stdout and "&lt;script>" in md.stdout and "| job-1 |" in md.stdout
    assert "\x1b" not in md.stdout
    data = json.loads(_cli("transcript", "--format", "json").stdout)
    assert data["session_id"] == "sess-1" and data["title"] == "Beach \x1b[2J day"
    assert [m["text"] for m in data["messages"]] == ["hello", HOSTILE]
    assert data["renders"][0]["path"] == "/videos/beach.mp4"
    assert json.loads(_cli("--json", "transcript", "--session", "sess-1").stdout) == data
    bad = _cli("transcript", "--session", "nope")
    assert bad.returncode == 2 and "No transcript of session 'nope'" in bad.stderr
