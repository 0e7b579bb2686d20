"""`--local` while a studio already serves the built-in backend on its port: use that one.

A second backend on another port shares the backend's state (one anonymous token per client),
so a CLI run next to an open studio used to fail with "try again in about 7 days", and its
renders never showed in the studio's Jobs pane (another API URL).
"""

from __future__ import annotations

from test_cli import _free_port, run

from nemo_tui.config import load_settings
from nemo_tui.local_launch import start_local_backend


def test_cli_local_next_to_an_open_studio_uses_the_studio_backend(isolated_dirs, monkeypatch):
    port = _free_port()
    monkeypatch.setenv("NEMO_LOCAL_PORT", str(port))
    studio_settings, studio_backend = start_local_backend(load_settings({"local": True}))
    try:
        assert studio_settings.api_url == f"http://127.0.0.1:{port}"
        for _ in range(2):  # each run alone, as from another shell
            proc = run("--local", "credits")
            assert proc.returncode == 0, proc.stderr
            assert proc.stdout.startswith("Credits: ")
        # both runs kept one token: the one for the studio's URL (a second backend means a
        # second URL, so a second token the backend refuses)
        assert len(list((isolated_dirs / "state").rglob("tokens/*.json"))) == 1
    finally:
        studio_backend.stop()


def test_stopping_a_borrowed_backend_leaves_the_studio_serving(isolated_dirs, monkeypatch):
    import httpx

    port = _free_port()
    monkeypatch.setenv("NEMO_LOCAL_PORT", str(port))
    _, studio_backend = start_local_backend(load_settings({"local": True}))
    try:
        settings, borrowed = start_local_backend(load_settings({"local": True}))
        assert settings.api_url == f"http://127.0.0.1:{port}"
        borrowed.stop()
        assert httpx.get(f"{settings.api_url}/_local/health").status_code == 200
    finally:
        studio_backend.stop()
