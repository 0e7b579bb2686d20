"""Persistent state of the local backend: users, tokens, sessions, render jobs (JSON files on disk).

Layout of the data dir::

    accounts.json        users (credits), client id -> user, token hashes (never raw tokens)
    sessions/<sid>.json  one file per session (task, draft, video_infos, ...)
    renders.json         render jobs by id
    media/<sid>/         uploaded files
    renders/<id>.mp4     finished renders

All methods are called from the server's event loop (one thread); files are small and written
atomically (temp file + rename), so a crash never leaves half a file behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

TOKEN_TTL = 7 * 24 * 3600
FREE_CREDITS = 100
ALL_SCOPES = ("read", "write", "upload", "render")


def _hash(token: str) -> str:
    """Key under which a token is stored: its SHA-256, so the data dir holds no usable secret."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _write_json(path: Path, obj: Any) -> None:
    """Write JSON atomically (temp file in the same dir, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _read_json(path: Path, default: Any) -> Any:
    """Read a JSON file, or return ``default`` when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def iso_utc(ts: float) -> str:
    """Format a Unix time as ``2026-12-02T12:00:00Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class Store:
    """The backend's accounts, sessions and render jobs, persisted under ``data_dir``."""

    def __init__(self, data_dir: Path, *, free_credits: int = FREE_CREDITS) -> None:
        self.data_dir = Path(data_dir)
        self.free_credits = free_credits
        self.media_dir = self.data_dir / "media"
        self.renders_dir = self.data_dir / "renders"
        self.sessions_dir = self.data_dir / "sessions"
        for d in (self.data_dir, self.media_dir, self.renders_dir, self.sessions_dir):
            d.mkdir(parents=True, exist_ok=True)
        self._accounts_path = self.data_dir / "accounts.json"
        self._renders_path = self.data_dir / "renders.json"
        acc = _read_json(self._accounts_path, {})
        self.users: dict[str, dict[str, Any]] = acc.get("users", {})
        self.clients: dict[str, str] = acc.get("clients", {})
        self.tokens: dict[str, dict[str, Any]] = acc.get("tokens", {})
        self.renders: dict[str, dict[str, Any]] = _read_json(self._renders_path, {})

    # -- accounts ---------------------------------------------------------------------------
    def _save_accounts(self) -> None:
        _write_json(self._accounts_path,
                    {"users": self.users, "clients": self.clients, "tokens": self.tokens})

    def token_retry_after(self, client_id: str, now: float | None = None) -> int | None:
        """Seconds until ``client_id`` may get another token, or None if it may now.

        One token per client id per 7 days; a token that expired or was revoked (the server
        answered 1001 for it) frees the slot, so a client can always recover from a 1001.
        """
        now = time.time() if now is None else now
        waits = [
            int(rec["expires_at"] - now) + 1
            for rec in self.tokens.values()
            if rec.get("client_id") == client_id and not rec.get("revoked")
            and rec["expires_at"] > now and rec.get("anonymous", True)
        ]
        return max(waits) if waits else None

    def issue_token(self, client_id: str | None, *, scopes: list[str] | None = None,
                    credits: int | None = None, ttl: float = TOKEN_TTL,
                    anonymous: bool = True) -> tuple[str, dict[str, Any]]:
        """Create a token (and the client's user on first use); returns (token, record)."""
        now = time.time()
        user_id = self.clients.get(client_id) if client_id else None
        if user_id is None or user_id not in self.users:
            user_id = "anon_" + secrets.token_hex(8)
            self.users[user_id] = {"available": self.free_credits, "frozen": 0, "created_at": now}
            if client_id:
                self.clients[client_id] = user_id
        if credits is not None:
            self.users[user_id]["available"] = int(credits)
            self.users[user_id]["frozen"] = 0
        token = "nmv_usr_" + secrets.token_urlsafe(24)
        rec = {"user_id": user_id, "client_id": client_id, "issued_at": now,
               "expires_at": now + ttl, "scopes": list(scopes or ALL_SCOPES),
               "revoked": False, "anonymous": anonymous}
        self.tokens[_hash(token)] = rec
        self._save_accounts()
        return token, rec

    def lookup_token(self, token: str) -> dict[str, Any] | None:
        """The record of a valid (known, unexpired, unrevoked) token, else None."""
        rec = self.tokens.get(_hash(token))
        if rec is None or rec.get("revoked") or rec["expires_at"] <= time.time():
            return None
        return rec

    def revoke_token(self, token: str) -> None:
        """Make a token invalid from now on (used when a fault answers 1001 for it)."""
        rec = self.tokens.get(_hash(token))
        if rec is not None:
            rec["revoked"] = True
            self._save_accounts()

    def credits(self, user_id: str) -> dict[str, int]:
        """The user's balance as §7 describes it."""
        u = self.users.get(user_id, {"available": 0, "frozen": 0})
        return {"available": u["available"], "frozen": u["frozen"],
                "total": u["available"] + u["frozen"]}

    def charge(self, user_id: str, n: int) -> None:
        """Spend ``n`` credits (never below zero)."""
        u = self.users[user_id]
        u["available"] = max(0, u["available"] - int(n))
        self._save_accounts()

    def freeze(self, user_id: str, n: int) -> None:
        """Reserve ``n`` credits for a running operation."""
        u = self.users[user_id]
        n = min(int(n), u["available"])
        u["available"] -= n
        u["frozen"] += n
        self._save_accounts()

    def unfreeze(self, user_id: str, n: int) -> None:
        """Release ``n`` reserved credits back to available."""
        u = self.users[user_id]
        n = min(int(n), u["frozen"])
        u["frozen"] -= n
        u["available"] += n
        self._save_accounts()

    # -- sessions ---------------------------------------------------------------------------
    def create_session(self, user_id: str, task_name: str, language: str) -> dict[str, Any]:
        """Create and persist an empty session for ``user_id``."""
        sid = str(secrets.randbelow(9 * 10**18) + 10**18)
        session = {
            "session_id": sid, "task_id": "task_" + secrets.token_hex(8), "user_id": user_id,
            "task_name": task_name, "language": language, "created_at": time.time(),
            "state": {"draft": None, "video_infos": [], "generated_media": [],
                      "canvas_config": {}, "video_analyses": {}},
        }
        self.save_session(session)
        return session

    def _session_path(self, sid: str) -> Path | None:
        # Session ids are digits only; anything else cannot name a file here.
        return self.sessions_dir / f"{sid}.json" if sid.isdigit() and len(sid) < 40 else None

    def get_session(self, sid: str, user_id: str | None = None) -> dict[str, Any] | None:
        """The session, if it exists and (when given) belongs to ``user_id``."""
        path = self._session_path(str(sid))
        session = _read_json(path, None) if path else None
        if session is None or (user_id is not None and session.get("user_id") != user_id):
            return None
        return session

    def save_session(self, session: dict[str, Any]) -> None:
        """Persist a session."""
        path = self._session_path(session["session_id"])
        assert path is not None
        _write_json(path, session)

    def session_media_dir(self, sid: str) -> Path:
        """Where a session's uploads live (created on demand)."""
        d = self.media_dir / sid
        d.mkdir(parents=True, exist_ok=True)
        return d

    # -- render jobs ------------------------------------------------------------------------
    def save_renders(self) -> None:
        """Persist every render job."""
        _write_json(self._renders_path, self.renders)

    def recover_renders(self) -> None:
        """After a restart no render is running: finished files stay completed, others fail."""
        changed = False
        for job in self.renders.values():
            out = self.renders_dir / f"{job['id']}.mp4"
            if job["status"] == "completed" and not out.exists():
                job.update(status="failed", error="the output file is missing")
                changed = True
            elif job["status"] in ("pending", "processing"):
                if out.exists():
                    job.update(status="completed", progress=100)
                else:
                    job.update(status="failed", error="interrupted by a backend restart")
                changed = True
        if changed:
            self.save_renders()
