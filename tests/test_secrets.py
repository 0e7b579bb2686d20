"""Secrets: the token never reaches stdout/stderr, a file the app wrote, a log, or an error.

The CLI runs as a subprocess with every command and several failures; then every file under the
test's private XDG home, the output folder and the opt-in debug log is searched for the token
(the token cache itself excepted, which must be 0600 in a 0700 folder).
"""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from nemo_tui import debuglog
from nemo_tui.api import ClientConfig, NemoClient
from nemo_tui.api.models import Token
from nemo_tui.config import AppPaths, load_settings
from nemo_tui.store import TokenStore

ROOT = Path(__file__).resolve().parent.parent


async def _fake_render(draft, out_path, *, media_dir, progress, scale=1.0, cancel=None):
    """A render that costs nothing (ffmpeg is not what these tests are about)."""
    progress(1.0)
    out_path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4096)


@pytest.fixture
def backend(make_local_backend):
    """A fast backend with enough credits for several turns and no token rate limit."""
    return make_local_backend(server_options={"wait_scale": 0.01, "free_credits": 100_000,
                                              "enforce_token_rate_limit": False},
                              render_options={"render_fn": _fake_render})


def cli(*args: str, env: dict[str, str]) -> tuple[int, str]:
    """Run the CLI; returns its exit code and everything it printed (stdout + stderr)."""
    proc = subprocess.run([sys.executable, "-m", "nemo_tui", *args], cwd=ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=90, check=False, stdin=subprocess.DEVNULL)
    return proc.returncode, proc.stdout + proc.stderr


def session_of_commands(backend, env: dict[str, str], out: Path) -> str:
    """Every command, with successes and failures; returns everything printed."""
    printed = []
    steps: list[tuple[list[dict] | None, tuple[str, ...]]] = [
        (None, ("ask", "make a video about the sea")),
        ([{"endpoint": "run_sse", "stream": "in_stream_error"}], ("ask", "--json", "again")),
        (None, ("state", "--json")),
        (None, ("export", "--wait", "--output", str(out))),
        ([{"endpoint": "credits", "code": 1001}], ("credits",)),
        ([{"endpoint": "run_sse", "stream": "drop", "after_events": 1}], ("ask", "again")),
        (None, ("jobs", "--json")),
    ]
    for faults, args in steps:
        if faults:
            backend.add_faults(faults)
        code, text = cli(*args, env=env)
        assert "Traceback" not in text, text
        assert code == 0 or faults, (args, text)  # fault-free steps succeed
        printed.append(text)
        backend.clear_faults()
    return "\n".join(printed)


def grep_files(roots: list[Path], needle: str, *, skip: set[Path] = frozenset()) -> list[str]:
    """Files under `roots` (except `skip`) whose bytes contain `needle`."""
    found = []
    raw = needle.encode()
    for root in roots:
        for path in root.rglob("*"):
            if (path.is_file() and not path.is_symlink() and path not in skip
                    and raw in path.read_bytes()):
                found.append(str(path))
    return found


def test_env_token_never_printed_logged_or_written(backend, isolated_dirs, tmp_path):
    """NEMO_TOKEN set: after every command, no output and no file holds it (debug log on)."""
    token = httpx.post(f"{backend.url}/_local/tokens", json={}).json()["data"]["token"]
    log = tmp_path / "logs" / "debug.log"
    out = tmp_path / "videos"
    env = {"NEMO_API_URL": backend.url, "NEMO_TOKEN": token, "NEMO_POLL_INTERVAL": "0.05",
           "NEMO_DEBUG_LOG": str(log)}
    printed = session_of_commands(backend, env, out)
    assert "Timeline" in printed and "render_" in printed  # the commands really ran
    assert token not in printed
    assert list(out.glob("*.mp4"))
    assert log.stat().st_size > 0 and "HTTP Request" in log.read_text()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert grep_files([isolated_dirs, tmp_path], token) == []
    # a token given in the environment is never cached
    assert not TokenStore(AppPaths.default(), backend.url).path.exists()


def test_anonymous_token_only_in_its_0600_cache(backend, isolated_dirs, tmp_path):
    """The anonymous token lives in the token cache (0600, 0700 folder) and nowhere else."""
    log = tmp_path / "debug.log"
    out = tmp_path / "videos"
    env = {"NEMO_API_URL": backend.url, "NEMO_POLL_INTERVAL": "0.05",
           "NEMO_DEBUG_LOG": str(log)}
    printed = session_of_commands(backend, env, out)
    store = TokenStore(AppPaths.default(), backend.url)
    cached = store.load()
    assert cached is not None and cached.token.startswith("nmv_")
    assert cached.token not in printed
    assert grep_files([isolated_dirs, tmp_path], cached.token, skip={store.path}) == []
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    state = AppPaths.default().state_dir
    private = [p for p in state.rglob("*") if p.is_file() and not p.name.endswith(".lock")]
    assert any(p.name == "jobs.json" for p in private)
    assert any(p.suffix == ".jsonl" for p in private)  # transcripts
    for path in private:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700, path.parent


def test_debug_log_redacts_tokens_in_messages_args_and_exceptions(tmp_path, monkeypatch):
    """Whatever a module logs, the file never holds the token."""
    secret_env = "nmv_usr_ENVSECRET_" + uuid.uuid4().hex
    runtime = "opaque-" + uuid.uuid4().hex  # not token-shaped: must be registered
    log = tmp_path / "d" / "debug.log"
    monkeypatch.setattr(debuglog, "_handler", None)
    monkeypatch.setattr(debuglog, "_secrets", set())
    path = debuglog.enable_from_env({"NEMO_DEBUG_LOG": str(log), "NEMO_TOKEN": secret_env})
    handler = debuglog._handler
    try:
        debuglog.add_secret(runtime)
        lg = logging.getLogger("nemo_tui.test")
        lg.debug("headers %s", {"Authorization": f"Bearer {secret_env}"})
        lg.info("token=%s other", "nmv_usr_" + "x" * 30)
        lg.warning("runtime %s in text", runtime)
        try:
            raise RuntimeError(f"failed with {secret_env} and {runtime}")
        except RuntimeError:
            lg.exception("boom")
        logging.getLogger("httpx").debug('{"token": "abcdefghijklmnop1234"}')
    finally:
        for name in ("nemo_tui", "httpx", "httpcore"):
            logging.getLogger(name).removeHandler(handler)
        handler.close()
    text = path.read_text()
    assert path == log and stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    for leaked in (secret_env, runtime, "x" * 30, "abcdefghijklmnop1234"):
        assert leaked not in text
    assert "boom" in text and "RuntimeError" in text and text.count("***") >= 5


def test_token_not_in_any_repr_or_error(backend):
    """Reprs of the objects that hold the token, and errors after a refused token, hide it."""
    secret = "nmv_usr_REPR_" + uuid.uuid4().hex
    settings = load_settings({}, env={"NEMO_TOKEN": secret, "NEMO_API_URL": backend.url})
    cfg = ClientConfig(api_url=backend.url, client_id=str(uuid.uuid4()), env_token=secret)
    client = NemoClient(cfg)
    client.token = Token(token=secret, anonymous=False)
    for obj in (settings, cfg, client, client.token):
        assert secret not in repr(obj) and secret not in str(obj)


async def test_refused_env_token_error_text_hides_it(backend):
    """NEMO_TOKEN refused (1001): the error says so without quoting the token."""
    from nemo_tui.api.errors import AuthError

    secret = "nmv_usr_BAD_" + uuid.uuid4().hex
    cfg = ClientConfig(api_url=backend.url, client_id=str(uuid.uuid4()), env_token=secret)
    async with NemoClient(cfg) as client:
        with pytest.raises(AuthError) as info:
            await client.credits()
    assert "NEMO_TOKEN" in str(info.value)
    assert secret not in str(info.value) and secret not in repr(info.value)
    assert info.value.__cause__ is None or secret not in repr(info.value.__cause__)


async def test_tokens_learnt_at_run_time_are_registered_with_the_redactor(backend, monkeypatch):
    """A fetched anonymous token is masked in the debug log even if it were not token-shaped."""
    monkeypatch.setattr(debuglog, "_secrets", set())
    client = NemoClient(ClientConfig(api_url=backend.url, client_id=str(uuid.uuid4())))
    try:
        token = await client.ensure_token()
    finally:
        await client.aclose()
    assert token.token in debuglog._secrets
    assert token.token not in debuglog.redact(f"sent {token.token} to the server")
