"""`nemo-tui batch` against the local backend over loopback: items, naming, failures, resume."""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from nemo_tui.cli import main

SEA = "make a 2-second video about the sea"


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """The default output folder is the cwd: keep it in the test's folder."""
    monkeypatch.chdir(tmp_path)


def sent(backend, endpoint: str) -> list[dict]:
    """Requests the backend received for one endpoint."""
    return [r for r in backend.requests() if r.get("endpoint") == endpoint]


def prompts_sent(backend) -> list[tuple[str, str]]:
    """(session id, text) of every /run_sse POST the backend received (None, None when a
    fault answered before the body was read)."""
    out = []
    for r in sent(backend, "run_sse"):
        body = r.get("json") or {}
        parts = (body.get("new_message") or {}).get("parts") or [{}]
        out.append((body.get("session_id"), parts[0].get("text")))
    return out


def run_batch(capsys, url: str, *args: str) -> tuple[int, list[dict], str]:
    """Run `nemo-tui --json batch …` in-process; returns (exit code, JSON lines, stderr)."""
    code = main(["--api-url", url, "--json", "batch", *args])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines() if line.strip()], err


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> Path:
    """A folder with a tiny PNG, a tiny MP4 and an unsupported text file."""
    import subprocess

    from imageio_ffmpeg import get_ffmpeg_exe
    from PIL import Image

    folder = tmp_path_factory.mktemp("media")
    Image.new("RGB", (64, 36), (200, 30, 30)).save(folder / "logo.png")
    subprocess.run([get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "color=c=blue:s=64x36:d=0.5", "-pix_fmt", "yuv420p", "-y",
                    str(folder / "beach.mp4")], check=True, timeout=60)
    (folder / "notes.txt").write_text("not a video")
    return folder


@pytest.fixture
def url_server(media):
    """A loopback HTTP server serving the media folder (the local backend fetches from it)."""
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(media))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def write_batch(folder: Path, url_base: str, media: Path) -> Path:
    """The 4-item batch of the issue: files, a URL, two prompts, an unsupported file."""
    path = folder / "videos.toml"
    path.write_text(f'''
output = "renders"

[[item]]
name = "beach-teaser"
media = ["{media / 'beach.mp4'}", "{media / 'logo.png'}"]
prompt = "make a 2-second video from my uploaded clip"

[[item]]
name = "from-url"
media = ["{url_base}/logo.png"]
prompt = "make a 2-second video about the city"

[[item]]
name = "Night Lights"
prompts = ["{SEA}", "change the title to Night Lights"]

[[item]]
name = "broken"
media = ["{media / 'notes.txt'}"]
prompt = "make a 2-second video about cats"
''')
    return path


def check_four_items(backend, lines: list[dict], folder: Path) -> None:
    """Three items done as <output>/<name>.mp4, the unsupported one failed, nothing sent for it."""
    by_name = {line["name"]: line for line in lines if "name" in line}
    assert lines[-1] == {"done": 3, "failed": 1, "skipped": 0}
    for name in ("beach-teaser", "from-url", "Night Lights"):
        item = by_name[name]
        assert item["status"] == "done", item
        assert item["path"] == str(folder / "renders" / f"{name}.mp4")
        assert Path(item["path"]).stat().st_size > 1000
    assert by_name["broken"]["status"] == "failed"
    assert "unsupported format" in by_name["broken"]["error"]
    assert by_name["broken"]["session_id"] is None
    texts = [text for _, text in prompts_sent(backend)]
    assert sorted(texts) == sorted(["make a 2-second video from my uploaded clip",
                                    "make a 2-second video about the city", SEA,
                                    "change the title to Night Lights"])
    assert len(sent(backend, "render_start")) == 3
    uploads = sent(backend, "upload")
    assert any((r.get("json") or {}).get("urls") for r in uploads)  # the URL went as a URL


@pytest.mark.timeout(120)
def test_four_items_in_parallel_then_rerun_does_nothing(make_local_backend, media, url_server,
                                                        tmp_path, capsys):
    backend = make_local_backend(render_options={"max_concurrent": 2},
                                 server_options={"reject_broken_media": True,
                                                 "free_credits": 10_000})
    batch = write_batch(tmp_path, url_server, media)
    code, lines, _ = run_batch(capsys, backend.url, str(batch), "--parallel", "3")
    assert code == 1
    check_four_items(backend, lines, tmp_path)
    by_name = {line["name"]: line for line in lines if "name" in line}
    sessions = {by_name[n]["session_id"] for n in ("beach-teaser", "from-url", "Night Lights")}
    assert len(sessions) == 3  # each item in its own session
    # the two prompts of one item went to its own session, in order
    night = [t for s, t in prompts_sent(backend) if s == by_name["Night Lights"]["session_id"]]
    assert night == [SEA, "change the title to Night Lights"]
    # the studio's job list knows which batch and item each render belongs to
    from nemo_tui.config import AppPaths
    from nemo_tui.jobs import JobStore

    jobs = {j.item: j for j in JobStore(AppPaths.default()).load()}
    assert set(jobs) == {"beach-teaser", "from-url", "Night Lights"}
    assert all(j.batch == str(batch) for j in jobs.values())

    before = len(backend.requests())
    code, again, _ = run_batch(capsys, backend.url, str(batch))
    assert code == 1 and again[-1] == {"done": 3, "failed": 1, "skipped": 0}
    assert len(backend.requests()) == before  # done items are kept; the bad one fails locally
    assert sorted(p.name for p in (tmp_path / "renders").iterdir()) == [
        "Night Lights.mp4", "beach-teaser.mp4", "from-url.mp4"]


@pytest.mark.timeout(120)
def test_four_items_in_one_session(make_local_backend, media, url_server, tmp_path, capsys):
    backend = make_local_backend(server_options={"free_credits": 10_000})
    batch = write_batch(tmp_path, url_server, media)
    code, lines, _ = run_batch(capsys, backend.url, str(batch), "--one-session")
    assert code == 1
    check_four_items(backend, lines, tmp_path)
    sessions = {s for s, _ in prompts_sent(backend)}
    assert len(sessions) == 1 and len(sent(backend, "create_session")) == 1
    from nemo_tui.config import AppPaths
    from nemo_tui.store import SessionStore

    current = SessionStore(AppPaths.default()).current(backend.url)
    assert current is not None and sessions == {current.session_id}
    # one after another: the prompts arrive in the file's order
    assert [t for _, t in prompts_sent(backend)][:2] == [
        "make a 2-second video from my uploaded clip", "make a 2-second video about the city"]


@pytest.mark.timeout(90)
def test_finished_batch_rerun_sends_nothing(local_backend, tmp_path, capsys):
    batch = tmp_path / "one.toml"
    batch.write_text(f'[[item]]\nname = "sea"\nprompt = "{SEA}"\n')
    code, lines, _ = run_batch(capsys, local_backend.url, str(batch), "--output",
                               str(tmp_path / "out"))
    assert code == 0 and lines[-1] == {"done": 1, "failed": 0, "skipped": 0}
    before = len(local_backend.requests())
    code, lines, _ = run_batch(capsys, local_backend.url, str(batch), "--output",
                               str(tmp_path / "out"))
    assert code == 0 and lines[0]["status"] == "done"
    assert len(local_backend.requests()) == before
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["sea.mp4"]


@pytest.mark.timeout(90)
def test_no_credits_midway_skips_the_rest(make_local_backend, tmp_path, capsys):
    """2001 on the second item: it fails, the two not started are skipped; a rerun finishes."""
    local_backend = make_local_backend(server_options={"free_credits": 10_000})
    batch = tmp_path / "four.toml"
    batch.write_text('output = "out"\n' + "".join(f'[[item]]\nname = "v{i}"\nprompt = "{SEA}"\n' for i in range(4)))
    local_backend.add_faults([{"endpoint": "run_sse", "code": 2001, "skip": 1, "times": -1}])
    code, lines, _err = run_batch(capsys, local_backend.url, str(batch), "--parallel", "1")
    assert code == 1
    assert [(line["name"], line["status"]) for line in lines[:4]] == [
        ("v0", "done"), ("v1", "failed"), ("v2", "skipped"), ("v3", "skipped")]
    assert lines[4] == {"done": 1, "failed": 1, "skipped": 2}
    assert "credits" in lines[1]["error"].lower()
    assert len(prompts_sent(local_backend)) == 2  # nothing was sent for the skipped items
    local_backend.clear_faults()  # credits topped up
    code, lines, _ = run_batch(capsys, local_backend.url, str(batch), "--parallel", "1")
    assert code == 0 and lines[-1] == {"done": 4, "failed": 0, "skipped": 0}
    texts = prompts_sent(local_backend)
    assert len(texts) == 2 + 3  # v0 not again; v1 (refused) retried; v2, v3 once each


@pytest.mark.timeout(90)
def test_a_prompt_sent_before_a_crash_is_checked_not_sent_again(local_backend, tmp_path,
                                                                 capsys):
    """State says prompt 1 was sent but its turn never finished: the rerun does not re-send."""
    from nemo_tui.batch.state import state_path
    from nemo_tui.config import AppPaths

    batch = tmp_path / "one.toml"
    batch.write_text(f'output = "out"\n[[item]]\nname = "sea"\nprompt = "{SEA}"\n')
    assert run_batch(capsys, local_backend.url, str(batch))[0] == 0
    path = state_path(AppPaths.default(), batch)
    state = json.loads(path.read_text())
    rec = state["items"]["sea"]
    rec.update(status="running", prompts_done=0, render_id=None, render_posted=False,
               path=None)  # as if killed after recording "prompt 1 sent"
    path.write_text(json.dumps(state))
    code, lines, _ = run_batch(capsys, local_backend.url, str(batch))
    assert code == 0 and lines[0]["status"] == "done"
    assert len(prompts_sent(local_backend)) == 1
    assert len(sent(local_backend, "render_start")) == 2  # the prompt checked, a new render
    assert Path(lines[0]["path"]).name == "sea (2).mp4"  # never over the first file


@pytest.mark.timeout(90)
def test_a_recorded_render_id_is_polled_before_any_post(local_backend, tmp_path, capsys):
    """Render id recorded, POST unconfirmed: known to the server → watched, not posted again;
    unknown (the POST never arrived) → posted once with that id."""
    from nemo_tui.batch.state import state_path
    from nemo_tui.config import AppPaths

    batch = tmp_path / "one.toml"
    batch.write_text(f'[[item]]\nname = "sea"\nprompt = "{SEA}"\n')
    assert run_batch(capsys, local_backend.url, str(batch), "--output", str(tmp_path))[0] == 0
    path = state_path(AppPaths.default(), batch)
    state = json.loads(path.read_text())
    first_render = state["items"]["sea"]["render_id"]
    state["items"]["sea"].update(status="running", render_posted=False, path=None)
    path.write_text(json.dumps(state))
    (tmp_path / "sea.mp4").unlink()
    code, lines, _ = run_batch(capsys, local_backend.url, str(batch), "--output", str(tmp_path))
    assert code == 0 and lines[0]["render_id"] == first_render
    assert len(sent(local_backend, "render_start")) == 1
    state = json.loads(path.read_text())
    state["items"]["sea"].update(status="running", render_id="render_1", render_posted=False,
                                 path=None)
    path.write_text(json.dumps(state))
    code, lines, _ = run_batch(capsys, local_backend.url, str(batch), "--output", str(tmp_path))
    assert code == 0 and lines[0]["render_id"] == "render_1"
    posts = sent(local_backend, "render_start")
    assert len(posts) == 2 and posts[-1]["json"]["id"] == "render_1"


# ---- bad input: exit 2 with a sentence naming the line, before any request ------------------

BAD_FILES = {
    "toml": ('[[item]]\nname = "a"\nprompt = "x\n', "line 3"),
    "duplicate": (('[[item]]\nname = "a"\nprompt = "x"\n\n[[item]]\nname = "a"\n'
                  'prompt = "y"\n'), "line 6"),
    "no_prompt": ('[[item]]\nname = "a"\nprompt = "x"\n[[item]]\nname = "b"\n', "line 4"),
    "missing_media": ('[[item]]\nname = "a"\nmedia = ["nowhere/clip.mp4"]\nprompt = "x"\n',
                      "line 3"),
    "media_is_a_folder": ('[[item]]\nname = "a"\nprompt = "x"\nmedia = ["."]\n', "line 4"),
    "parallel_0": ('parallel = 0\n[[item]]\nname = "a"\nprompt = "x"\n', "line 1"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_batch_file_exit_2_naming_the_line(case, local_backend, tmp_path, capsys):
    text, line = BAD_FILES[case]
    batch = tmp_path / "bad.toml"
    batch.write_text(text)
    code = main(["--api-url", local_backend.url, "batch", str(batch)])
    _out, err = capsys.readouterr()
    assert code == 2, err
    assert err.startswith("nemo-tui: ") and line in err and "Traceback" not in err, err
    assert local_backend.requests() == []


def test_parallel_flag_0_and_unreadable_media_exit_2(local_backend, tmp_path, capsys):
    batch = tmp_path / "b.toml"
    batch.write_text('[[item]]\nname = "a"\nprompt = "x"\n')
    assert main(["--api-url", local_backend.url, "batch", str(batch), "--parallel", "0"]) == 2
    assert "--parallel" in capsys.readouterr().err
    secret = tmp_path / "secret.mp4"
    secret.write_bytes(b"x")
    secret.chmod(0)
    batch.write_text('[[item]]\nname = "a"\nmedia = ["secret.mp4"]\nprompt = "x"\n')
    if os.access(secret, os.R_OK):
        pytest.skip("running as a user who reads any file (root)")
    assert main(["--api-url", local_backend.url, "batch", str(batch)]) == 2
    assert "line 3" in capsys.readouterr().err
    assert local_backend.requests() == []


def test_missing_batch_file_exit_2(tmp_path, capsys):
    assert main(["batch", str(tmp_path / "none.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err


# ---- kill -9 in the middle, then the same command again -------------------------------------

def _state_items(batch: Path) -> dict:
    from nemo_tui.batch.state import state_path
    from nemo_tui.config import AppPaths

    try:
        return json.loads(state_path(AppPaths.default(), batch).read_text())["items"]
    except (OSError, ValueError, KeyError):
        return {}


@pytest.mark.timeout(120)
def test_kill_9_mid_batch_then_rerun_sends_nothing_twice(make_local_backend, tmp_path, capsys):
    gate = threading.Event()

    async def held_render(*args, **kw):
        from nemo_tui.local.render import render_draft

        await asyncio.to_thread(gate.wait, 60)  # renders wait until the CLI is dead
        await render_draft(*args, **kw)

    backend = make_local_backend(render_options={"render_fn": held_render, "max_concurrent": 2},
                                 server_options={"free_credits": 10_000})
    batch = tmp_path / "three.toml"
    batch.write_text('output = "out"\n' + "".join(
        f'[[item]]\nname = "v{i}"\nprompts = ["{SEA}", "change the title to Take {i}"]\n'
        for i in range(3)))
    proc = subprocess.Popen(
        [sys.executable, "-m", "nemo_tui", "--api-url", backend.url, "--json", "batch",
         str(batch), "--parallel", "2"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env={**os.environ, "NEMO_POLL_INTERVAL": "0.2"})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # both running items have posted their render
            posted = [n for n, r in _state_items(batch).items() if r.get("render_posted")]
            if len(posted) == 2 or proc.poll() is not None:
                break
            time.sleep(0.05)
        assert len(posted) == 2, (proc.poll(), _state_items(batch))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    killed = _state_items(batch)
    assert proc.returncode == -signal.SIGKILL
    assert not killed.get("v2", {}).get("prompts_sent")  # parallel 2: the third never started
    gate.set()
    code, lines, _ = run_batch(capsys, backend.url, str(batch))
    assert code == 0 and lines[-1] == {"done": 3, "failed": 0, "skipped": 0}
    prompts = prompts_sent(backend)
    assert len(prompts) == 6 and len(set(prompts)) == 6  # every prompt exactly once
    renders = [r["json"]["id"] for r in sent(backend, "render_start")]
    assert len(renders) == 3 and len(set(renders)) == 3  # one render POST per item
    by_name = {line["name"]: line for line in lines[:3]}
    for name in posted:  # the renders started before the kill were watched, not re-posted
        assert by_name[name]["render_id"] == killed[name]["render_id"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["v0.mp4", "v1.mp4",
                                                                      "v2.mp4"]


# ---- the progress display ------------------------------------------------------------------

class FakeTty:
    """A stderr that says it is a terminal and keeps what is written."""

    def __init__(self, tty: bool) -> None:
        self.tty, self.text = tty, ""

    def isatty(self) -> bool:
        return self.tty

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def _report(name: str, status: str, phase: str = "", progress=None, final=False, **kw):
    from nemo_tui.batch.runner import ItemReport

    fields = {"session_id": None, "render_id": None, "path": None, "error": None, **kw}
    return ItemReport(name, status, phase, progress, final=final, **fields)


@pytest.mark.parametrize("tty", [True, False])
def test_progress_is_a_live_table_on_a_terminal_and_lines_otherwise(tty, monkeypatch, capsys):
    from nemo_tui.cli import Output
    from nemo_tui.cli_batch import Display

    fake = FakeTty(tty)
    monkeypatch.setattr(sys, "stderr", fake)
    display = Display(Output(json_mode=False), ["sea", "city\x1b[31m"])
    display.update(_report("sea", "running", "prompt 1/1"))
    display.update(_report("sea", "running", "rendering", 40))
    display.update(_report("sea", "running", "rendering", 60))
    display.update(_report("sea", "done", "done", 100, final=True, path="/out/sea.mp4"))
    display.close()
    assert "\x1b[31m" not in fake.text  # names from the file are shown inert
    if tty:
        assert "\x1b[2F" in fake.text and "\x1b[K" in fake.text  # redrawn in place
        assert "city\\x1b[31m" in fake.text and "waiting" in fake.text
    else:
        lines = fake.text.splitlines()
        assert lines == ["[sea] running   prompt 1/1", "[sea] running   rendering",
                         "[sea] done      /out/sea.mp4"]  # one line per step, not per percent
    assert capsys.readouterr().out == ""  # progress never goes to stdout


@pytest.mark.timeout(90)
def test_a_replaced_session_is_the_one_recorded(local_backend, tmp_path, capsys):
    """1002 mid-item: the client moves to a new session; the item's record follows it."""
    batch = tmp_path / "one.toml"
    batch.write_text(f'output = "out"\n[[item]]\nname = "sea"\nprompt = "{SEA}"\n')
    local_backend.add_faults([{"endpoint": "state", "code": 1002, "times": 1}])
    code, lines, _ = run_batch(capsys, local_backend.url, str(batch))
    assert code == 0, lines
    assert len(sent(local_backend, "create_session")) == 2
    [(session, _text)] = prompts_sent(local_backend)
    assert lines[0]["session_id"] == session
    assert _state_items(batch)["sea"]["session_id"] == session


def test_a_queued_batch_render_is_polled_at_most_two_intervals_apart():
    """A render waiting behind others changes nothing for a while; its watcher must not sleep
    through its end (the default idle growth reaches 10 s)."""
    from nemo_tui.batch.runner import BATCH_IDLE_MAX_FACTOR
    from nemo_tui.jobs import next_poll_delay

    delay = 1.0
    for _ in range(20):
        delay = next_poll_delay(delay, 1.0, False, idle_max=BATCH_IDLE_MAX_FACTOR * 1.0)
    assert delay == 2.0
