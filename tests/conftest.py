"""Shared fixtures. Every test gets private XDG dirs so nothing touches the real home."""

from __future__ import annotations

import pytest


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
