"""Shared fixtures. Every test gets private XDG dirs so nothing touches the real home."""

from __future__ import annotations

import signal

import pytest

# the studio tests' fixtures (fast_idle, backend) and helpers live in test_ui_support.py
pytest_plugins = ("test_ui_support",)


def pytest_configure(config):
    """Ctrl+C means "stop" in the children the tests interrupt, however the suite was started.

    A suite started in the background by a non-interactive shell (`pytest &`, nohup) runs with
    SIGINT ignored, and children inherit an ignored signal: they would never see the tests'
    SIGINT (seen in the stress loops). A Python handler is not inherited; children start with
    the default meaning again.
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        try:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        except ValueError:  # not the main thread: nothing to restore from here
            pass


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path, monkeypatch):
    """Point platformdirs (XDG) at a temporary home and clear NEMO_* variables."""
    home = tmp_path / "home"
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
    ):
        (home / sub).mkdir(parents=True)
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("HOME", str(home))
    for var in ("NEMO_API_URL", "NEMO_TOKEN", "NEMO_CLIENT_ID", "NEMO_WEB_URL",
                "NEMO_POLL_INTERVAL", "NEMO_LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    return home


# -- the local backend (nemo_tui.local) ------------------------------------------------------
#: Settings that keep tests fast: heartbeats every 0.2 s, tiny renders, one render at a time.
# reject_broken_media off: protocol tests upload arbitrary bytes; tests/test_local_upload_media.py
# covers the real media check.
FAST_SERVER_OPTIONS = {"heartbeat_interval": 0.2, "reject_broken_media": False}
FAST_RENDER_OPTIONS = {"scale": 0.1, "max_concurrent": 1}


@pytest.fixture
def make_local_backend(tmp_path):
    """Factory for extra / customised local backends; each is stopped after the test.

    ``make_local_backend(data_dir=None, faults=None, server_options=None,
    render_options=None, agent_options=None) -> LocalBackend`` (already started; options are
    merged over the fast defaults). Reuse a ``data_dir`` to test a backend restart.
    """
    from nemo_tui.local.runner import LocalBackend

    started = []

    def make(*, data_dir=None, faults=None, server_options=None, render_options=None,
             agent_options=None):
        backend = LocalBackend(
            data_dir or tmp_path / f"backend{len(started)}",
            faults=faults, agent_options=agent_options,
            server_options={**FAST_SERVER_OPTIONS, **(server_options or {})},
            render_options={**FAST_RENDER_OPTIONS, **(render_options or {})},
        )
        backend.start()
        started.append(backend)
        return backend

    yield make
    for backend in started:
        backend.stop()


@pytest.fixture
def local_backend(make_local_backend):
    """A started local backend (fresh data dir, fast settings) for one test.

    API: ``.url`` base URL ("http://127.0.0.1:<port>"); ``.add_faults([rule, ...])`` /
    ``.clear_faults()`` (rules as in docs/ARCHITECTURE.md and nemo_tui/local/faults.py);
    ``.requests()`` log of received requests (method, path, query, header_names, headers = the
    X-* values, has_authorization, endpoint, json body); ``.data_dir``; ``.backend`` (server
    internals: ``.store``, ``.faults``, ``.options``); ``.stop()``. Control endpoints on
    ``.url``: POST/GET/DELETE /_local/faults, GET/DELETE /_local/requests, POST /_local/tokens
    ({"scopes", "credits", "expires_in", "client_id"} -> a token), POST /_local/credits.
    Heartbeats every 0.2 s, renders at 0.1 scale, 100 free credits per anonymous user.
    """
    return make_local_backend()


@pytest.fixture
def unwritable_dir(tmp_path):
    """A folder in which nothing can be created: mode 0500, or, when running as root (whom
    modes do not stop), a sysfs folder, which refuses new files to everyone."""
    from pathlib import Path

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    candidates = [locked, Path("/sys/kernel")]
    try:
        for folder in candidates:
            try:
                (folder / "probe").touch()
            except OSError:
                yield folder
                return
            (folder / "probe").unlink()
        pytest.skip("no folder refuses writes here")
    finally:
        locked.chmod(0o700)
