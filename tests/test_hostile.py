"""Hostile input: server text, file names and drafts never act on the terminal, never crash.

Rich markup, ANSI CSI, OSC 8 / OSC 52, C0/C1 controls, bidi overrides, NUL and 1 MB lines go
through the CLI (human and --json output, error lines) and the transcript, and must come out
shown literally or escaped. Drafts that are deep, huge, of the wrong types or cyclic decode
without a crash or a freeze.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nemo_tui.config import AppPaths
from nemo_tui.diff import diff_drafts
from nemo_tui.draft import decode_draft, draft_json, is_exportable, summarize
from nemo_tui.local.agent import Say
from nemo_tui.local.faults import HOSTILE_TEXT
from nemo_tui.store import SessionStore, TranscriptStore

ROOT = Path(__file__).resolve().parent.parent
#: Bytes that would make a terminal act: ESC, BEL, NUL, other C0 (not \t \n \r), DEL.
RAW_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: Code points a terminal may act on when they arrive UTF-8 encoded: C1 controls, bidi controls.
RAW_UNICODE = re.compile("[\u0080-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
HOSTILE_NAME = "ev\x1b]52;c;ZXZpbA==\x07il\u202e4pm.[@click=app.quit]x.mp4"


def assert_inert(data: bytes, where: str) -> None:
    """No byte or code point in `data` can act on a terminal."""
    assert not RAW_CONTROL.search(data), (where, RAW_CONTROL.search(data))
    assert not RAW_UNICODE.search(data.decode("utf-8", "replace")), where


@pytest.fixture
def hostile_backend(make_local_backend):
    """A backend whose agent says hostile things and builds a draft full of them."""

    async def turn(ctx: Any, message: str):
        ctx.draft = {"d": 4000, "m": {"title": HOSTILE_TEXT[:120], "width": 160, "height": 90},
                     "t": [{"tt": 0, "sg": [{"s": 0, "d": 4000, "m": {"name": HOSTILE_TEXT}}]},
                           {"tt": 7, "sg": [{"d": 1000, "m": {"text": "\x1b[2J[@click=app.quit]"
                                                              "q[/]\x00"}}]}]}
        if message == "big":
            yield Say("\x1b[31m" + "y" * (1024 * 1024) + "\x1b]8;;https://x\x07")
        else:
            yield Say(HOSTILE_TEXT)

    return make_local_backend(server_options={"turn_fn": turn, "free_credits": 100_000,
                                              "wait_scale": 0.01})


def cli(*args: str, url: str) -> subprocess.CompletedProcess[bytes]:
    """Run the CLI and keep its raw output bytes."""
    return subprocess.run([sys.executable, "-m", "nemo_tui", *args], cwd=ROOT,
                          env={**os.environ, "NEMO_API_URL": url}, capture_output=True,
                          timeout=90, check=False, stdin=subprocess.DEVNULL)


CLI_ROWS = [
    ("ask-human", [], ("ask", "hello"), 0, [b"[bold red]not markup[/bold red]", b"\\x1b]52"]),
    ("ask-json", [], ("ask", "--json", "hello"), 0, [b'"type": "text"']),
    ("ask-1mb-line", [], ("ask", "big"), 0, [b"y" * 1000, b"\\x1b[31m"]),
    ("state-human", [], ("state",), 0, [b"\\x1b", b"[@click=app.quit]"]),
    ("state-json", [], ("state", "--json"), 0, [b'"draft"']),
    ("in-stream-error", [{"endpoint": "run_sse", "stream": "in_stream_error",
                          "message": HOSTILE_TEXT}], ("ask", "hello"), 1,
     [b"reported an error", b"\\x9b31m"]),
    ("in-stream-error-json", [{"endpoint": "run_sse", "stream": "in_stream_error",
                               "error_form": "system", "message": HOSTILE_TEXT}],
     ("ask", "--json", "hello"), 1, [b'"type": "error"']),
]


@pytest.mark.parametrize("case, faults, args, code, shown", CLI_ROWS,
                         ids=[r[0] for r in CLI_ROWS])
def test_cli_output_is_inert(hostile_backend, case, faults, args, code, shown):
    """Whatever the server says, the CLI's stdout and stderr cannot drive the terminal."""
    if args[0] == "state":
        assert cli("ask", "hello", url=hostile_backend.url).returncode == 0
    hostile_backend.add_faults(faults)
    proc = cli(*args, url=hostile_backend.url)
    assert proc.returncode == code, proc.stderr[-500:]
    assert_inert(proc.stdout, "stdout")
    assert_inert(proc.stderr, "stderr")
    both = proc.stdout + proc.stderr
    for piece in shown:
        assert piece in both
    assert b"Traceback" not in both
    if "--json" in args:
        for line in proc.stdout.splitlines():
            json.loads(line)  # still valid JSON, one object per line


def test_transcript_keeps_text_exactly_but_inert_on_disk(hostile_backend):
    """The transcript round-trips the hostile text and its bytes are safe to `cat`."""
    assert cli("ask", "hello", url=hostile_backend.url).returncode == 0
    paths = AppPaths.default()
    sid = SessionStore(paths).current(hostile_backend.url).session_id
    store = TranscriptStore(paths, hostile_backend.url, sid)
    entries = store.load()
    assert [e.text for e in entries if e.role == "agent"] == [HOSTILE_TEXT]
    assert_inert(store.path.read_bytes(), "transcript")


def test_upload_with_a_hostile_file_name(hostile_backend, tmp_path):
    """A local file named with escapes and bidi: the reply line shows the name escaped."""
    from imageio_ffmpeg import get_ffmpeg_exe

    plain = tmp_path / "plain.mp4"
    subprocess.run([get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "color=c=red:s=64x36:d=0.2", "-pix_fmt", "yuv420p", "-y", str(plain)],
                   check=True, timeout=60)
    clip = plain.rename(tmp_path / HOSTILE_NAME)
    proc = cli("upload", str(clip), url=hostile_backend.url)
    assert proc.returncode == 0, proc.stderr
    assert_inert(proc.stdout + proc.stderr, "upload output")
    assert proc.stdout.startswith(b"Uploaded ev")  # the name as the server kept it, inert
    sent = [r for r in hostile_backend.requests() if r.get("endpoint") == "upload"]
    assert sent and str(tmp_path) not in json.dumps(sent)  # only the base name went out


# -- drafts -----------------------------------------------------------------------------------

def _deep(levels: int) -> dict:
    node: dict = {"leaf": True}
    for _ in range(levels):
        node = {"m": node}
    return node


def _cyclic() -> dict:
    meta: dict = {"name": "loop"}
    meta["self"] = meta
    seg = {"s": 0, "d": 1000, "m": meta}
    track = {"tt": 0, "sg": [seg, seg]}
    draft = {"d": 1000, "m": meta, "t": [track, track]}
    meta["draft"] = draft
    return draft


DRAFT_ROWS = [
    ("deep-metadata", {"d": 1000, "m": _deep(5000),
                       "t": [{"tt": 0, "sg": [{"d": 1000, "m": _deep(5000)}]}]}),
    ("deep-tracks", {"t": _deep(5000)}),
    ("huge", {"d": 10**12, "t": [{"tt": i % 9, "sg": [{"s": j, "d": 10**15, "m": {
        "name": "n" * 1000}} for j in range(200)]} for i in range(100)]}),
    ("wrong-types", {"d": "long", "m": ["title"], "t": {"tt": 0},
                     "x": [None, 1.5, float("nan")]}),
    ("wrong-types-inside", {"d": -5, "m": {"title": 7, "width": "wide", "height": None},
                            "t": [None, 3, "track", {"tt": "video", "sg": {"d": 1}},
                                  {"tt": 0, "sg": [None, [], {"d": float("inf"),
                                                              "s": float("-inf"),
                                                              "m": {"volume": "loud"}}]}]}),
    ("cyclic-references", _cyclic()),
    ("hostile-text", {"m": {"title": HOSTILE_TEXT}, "t": [{"tt": 7, "sg": [
        {"m": {"text": HOSTILE_TEXT, "name": "\x00" * 1000}}]}]}),
]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("case, raw", DRAFT_ROWS, ids=[r[0] for r in DRAFT_ROWS])
def test_hostile_drafts_decode_without_crash_or_freeze(case, raw):
    """decode / summarize / draft_json / diff / is_exportable all return, with inert text."""
    draft = decode_draft(raw)
    summary = summarize(draft)
    assert isinstance(summary, str) and len(summary) < 200_000
    assert_inert(summary.encode("utf-8", "replace"), "summary")
    assert isinstance(is_exportable(raw), bool)
    if draft is not None:
        shape = draft_json(draft)
        assert isinstance(shape, dict)
    for line in diff_drafts(None, draft) + diff_drafts(draft, decode_draft({})):
        assert_inert(line.encode("utf-8", "replace"), "diff")


def test_deeply_nested_reply_is_a_clear_protocol_error():
    """A reply nested deeper than JSON decoding allows is refused in words, not a crash."""
    from nemo_tui.api.envelope import unwrap
    from nemo_tui.api.errors import ProtocolError

    body = b'{"code": 0, "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(ProtocolError, match="not valid JSON"):
        unwrap(200, body, "application/json")


def test_state_files_stay_inert_and_survive_lone_surrogates():
    """Job errors and session titles from the server: saved without a crash, safe to `cat`."""
    from nemo_tui.api.models import SessionInfo
    from nemo_tui.jobs import JobStore, RenderJob

    paths = AppPaths.default()
    nasty = HOSTILE_TEXT + " lone:\ud800 end"
    jobs = JobStore(paths)
    jobs.upsert(RenderJob("render_1", "http://127.0.0.1:9", "s1", status="failed", error=nasty))
    sessions = SessionStore(paths)
    sessions.set_current("http://127.0.0.1:9", SessionInfo("s1", "t1"))
    sessions.touch("http://127.0.0.1:9", "s1", title=nasty, last_message=nasty)
    assert_inert(jobs.path.read_bytes(), "jobs.json")
    back = jobs.get("render_1")
    assert back.error.startswith(HOSTILE_TEXT) and back.status == "failed"
    for path in paths.state_dir.rglob("*.json"):
        assert_inert(path.read_bytes(), path.name)


async def test_studio_panes_show_hostile_draft_and_job_text_inert(hostile_backend, tmp_path,
                                                                  monkeypatch):
    """Timeline, jobs pane, chat and status show hostile server text as plain visible text."""
    import textual.app
    import textual.pilot
    from test_ui_support import make_studio, say, settle, shown

    async def no_wait(*_a: Any, **_kw: Any) -> None:
        return None

    monkeypatch.setattr(textual.app, "wait_for_idle", no_wait)
    monkeypatch.setattr(textual.pilot, "wait_for_idle", no_wait)
    app = make_studio(hostile_backend.url, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await say(pilot, "hello")
        await settle(pilot)
        hostile_backend.add_faults([{"endpoint": "render_poll", "status": "failed",
                                     "times": -1, "error": HOSTILE_TEXT}])
        app.action_export()
        await settle(pilot)
        assert app.job_updates and app.job_updates[-1].status == "failed"
        screen = app.export_screenshot()
        plain = html.unescape(screen).replace("\xa0", " ")  # the SVG's text, as shown
        assert "[bold red]not markup" in shown(app)
        assert "Styled [bold red]" in plain  # the draft title, literally, in the timeline
        for bad in ("\x1b", "\x07", "\x9b", "\u202e", "\x00", "\x7f"):
            assert bad not in plain and bad not in shown(app)
        assert app.is_running  # [@click=app.quit] did nothing
