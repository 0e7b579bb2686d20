"""Tests for nemo_tui.store: atomic private files, token cache, sessions, transcripts."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta

import pytest

from nemo_tui.api.models import SessionInfo, Token
from nemo_tui.config import AppPaths
from nemo_tui.store import (
    SessionStore,
    TokenStore,
    TranscriptStore,
    atomic_write,
    normalize_api_url,
    url_key,
)

A = "https://mega-api-prod.nemovideo.ai"
B = "http://127.0.0.1:8765"


def mode(path) -> int:
    """Permission bits of a path."""
    return stat.S_IMODE(os.stat(path).st_mode)


def iso(delta: timedelta) -> str:
    """Now plus `delta`, ISO 8601 with Z."""
    return (datetime.now(UTC) + delta).isoformat().replace("+00:00", "Z")


@pytest.fixture
def paths() -> AppPaths:
    """App paths inside the test's private XDG dirs."""
    return AppPaths.default()


def test_atomic_write_modes_and_replace(tmp_path):
    target = tmp_path / "deep" / "dir" / "f.json"
    atomic_write(target, b"one")
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert mode(target) == 0o600
    assert mode(target.parent) == 0o700
    assert os.listdir(target.parent) == ["f.json"]  # no temp files left behind


def test_atomic_write_failure_keeps_old_content(tmp_path, monkeypatch):
    target = tmp_path / "x" / "f"
    atomic_write(target, b"old")

    def boom(*a):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(target.parent) == ["f"]


def test_url_key_normalizes():
    assert normalize_api_url("HTTPS://Mega-API-prod.nemovideo.ai:443/") == A
    assert url_key(A + "/") == url_key("https://MEGA-api-prod.nemovideo.ai")
    assert url_key(A) != url_key(B)
    assert url_key("http://127.0.0.1:8765") != url_key("http://127.0.0.1:8766")


def test_token_store_round_trip_and_modes(paths):
    store = TokenStore(paths, A)
    assert store.load() is None
    token = Token("nmv_usr_SECRET", user_id="anon_1", credits=100, expires_at=iso(timedelta(days=7)))
    store.save(token)
    assert store.load() == token
    assert mode(store.path) == 0o600
    assert mode(store.path.parent) == 0o700
    assert mode(paths.state_dir) == 0o700
    assert "SECRET" not in repr(store) and "SECRET" not in repr(store.load())
    store.clear()
    assert store.load() is None
    store.clear()  # idempotent


def test_token_store_expiry(paths):
    store = TokenStore(paths, A)
    store.save(Token("t1", expires_at=iso(timedelta(hours=-1))))
    assert store.load() is None
    store.save(Token("t2", expires_at=iso(timedelta(seconds=10))))  # inside the safety margin
    assert store.load() is None
    store.save(Token("t3", expires_at=None))  # older servers: no expiry
    assert store.load().token == "t3"


def test_token_store_corrupt_file(paths):
    store = TokenStore(paths, A)
    store.path.parent.mkdir(parents=True)
    store.path.write_text("{not json")
    assert store.load() is None
    store.path.write_text(json.dumps({"token": 5}))
    assert store.load() is None


def test_tokens_are_per_api_url(paths):
    TokenStore(paths, A).save(Token("token-a"))
    assert TokenStore(paths, B).load() is None
    TokenStore(paths, B).save(Token("token-b"))
    assert TokenStore(paths, A + "/").load().token == "token-a"
    assert TokenStore(paths, B).load().token == "token-b"
    # a file copied under another URL's name is refused
    TokenStore(paths, B).path.write_bytes(TokenStore(paths, A).path.read_bytes())
    assert TokenStore(paths, B).load() is None


def test_session_store_per_url(paths):
    store = SessionStore(paths)
    assert store.current(A) is None
    store.set_current(A, SessionInfo("s1", task_id="task_1", user_id="anon_1"))
    store.set_current(B, SessionInfo("s2"))
    assert store.current(A) == SessionInfo("s1", "task_1", "anon_1")
    assert store.current(B) == SessionInfo("s2")
    assert mode(store.path) == 0o600
    store.clear_current(A)
    assert store.current(A) is None
    assert store.current(B) == SessionInfo("s2")
    assert [r.session_id for r in store.recent(A)] == ["s1"]


def test_session_store_recent(paths):
    store = SessionStore(paths)
    store.touch(A, "s1", title="Sea", last_message="make a video")
    store.touch(A, "s2", title="City")
    store.touch(A, "s1", last_message="add music")
    recent = store.recent(A)
    assert {r.session_id for r in recent} == {"s1", "s2"}
    s1 = next(r for r in recent if r.session_id == "s1")
    assert (s1.title, s1.last_message) == ("Sea", "add music")
    assert store.recent(B) == []
    store.forget(A, "s1")
    assert [r.session_id for r in store.recent(A)] == ["s2"]
    for i in range(30):
        store.touch(A, f"x{i}")
    assert len(store.recent(A)) == 20


def test_session_store_tolerates_garbage(paths):
    store = SessionStore(paths)
    store.path.parent.mkdir(parents=True)
    store.path.write_text("[1, 2")
    assert store.current(A) is None and store.recent(A) == []
    store.set_current(A, SessionInfo("s9"))
    assert store.current(A).session_id == "s9"


def test_transcript_append_load_and_mode(paths):
    t = TranscriptStore(paths, A, "5529798706024415232")
    t.append("user", "make a video about the sea")
    t.append("agent", "Sure — 🌊 done\nline two")
    t.append("error", "\x1b[31mred")
    entries = t.load()
    assert [(e.role, e.text) for e in entries] == [
        ("user", "make a video about the sea"),
        ("agent", "Sure — 🌊 done\nline two"),
        ("error", "\x1b[31mred"),
    ]
    assert mode(t.path) == 0o600
    with pytest.raises(ValueError):
        t.append("robot", "x")  # type: ignore[arg-type]


def test_transcript_torn_last_line(paths):
    t = TranscriptStore(paths, A, "s1")
    t.append("user", "first")
    with open(t.path, "ab") as fh:
        fh.write(b'{"ts": "x", "role": "agent", "te')  # crash mid-write
    assert [e.text for e in TranscriptStore(paths, A, "s1").load()] == ["first"]
    again = TranscriptStore(paths, A, "s1")
    again.append("user", "second")
    assert [e.text for e in again.load()] == ["first", "second"]


def test_transcripts_separate_per_url_and_session(paths):
    TranscriptStore(paths, A, "s1").append("user", "a")
    assert TranscriptStore(paths, B, "s1").load() == []
    assert TranscriptStore(paths, A, "s2").load() == []
    odd = TranscriptStore(paths, A, "../../etc/passwd")
    odd.append("user", "x")
    assert odd.path.parent == TranscriptStore(paths, A, "s1").path.parent
