"""Persistence: atomic private files, the token cache, sessions and chat transcripts.

Everything lives in the user state dir (0700 dirs, 0600 files). Each API URL gets its own token
file, current session and recent-sessions list, so two backends never share a token or session.
No Textual, no Rich.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from nemo_tui.api.errors import NemoError
from nemo_tui.api.models import SessionInfo, Token

if TYPE_CHECKING:
    from nemo_tui.config import AppPaths

try:  # POSIX advisory locks keep a studio and a CLI run from losing each other's updates
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

# A token this close to its expiry is treated as expired, so a request does not start with a
# token that dies in flight.
EXPIRY_MARGIN = timedelta(seconds=60)
#: Code points JSON leaves raw that a terminal may act on (DEL, C1, bidi controls): our files
#: must stay safe to `cat`, so they are written as \uXXXX escapes.
_TERMINAL_ACTIVE = re.compile("[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
MAX_RECENT_SESSIONS = 20


def ensure_private_dir(path: Path) -> Path:
    """Create `path` and any missing parents as 0700 dirs; make the leaf 0700."""
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process may race us
            directory.mkdir(mode=0o700)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o700)
    return path


class StateDirError(NemoError):
    """The state folder cannot be written: tokens, sessions, jobs and transcripts cannot be kept.

    Restarting does not help, so the message says which folder and what to change.
    """


def state_dir_error(state_dir: Path, exc: OSError) -> StateDirError:
    """The error for a failed write in (or creation of) `state_dir`."""
    reason = exc.strerror or type(exc).__name__
    return StateDirError(
        f"nemo-tui cannot write its state folder {state_dir} ({reason}), where it keeps its "
        "token, sessions, jobs and chats. Make that folder writable for you (or free the disk), "
        "or set XDG_STATE_HOME to a folder you can write; restarting alone does not help.")


def check_state_dir(state_dir: Path) -> None:
    """Raise StateDirError unless a file can be created in `state_dir` (created if missing)."""
    try:
        ensure_private_dir(state_dir)
        fd, probe = tempfile.mkstemp(dir=state_dir, prefix=".probe.")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise state_dir_error(state_dir, exc) from None


def explain_state_error(exc: BaseException, state_dir: Path) -> BaseException:
    """`exc` as a StateDirError when it is an OSError on `state_dir` or a file in it."""
    name = getattr(exc, "filename", None) if isinstance(exc, OSError) else None
    if isinstance(name, (str, os.PathLike)) and Path(name).is_relative_to(state_dir):
        return state_dir_error(state_dir, exc)  # type: ignore[arg-type]
    return exc


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write `data` to `path` atomically: temp file in the same dir, fsync, os.replace."""
    path = Path(path)
    ensure_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    # fsync the directory so the rename itself survives a crash (best effort)
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on `<path>.lock` for a read-modify-write."""
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    ensure_private_dir(path.parent)
    fd = os.open(str(path) + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def read_json(path: Path) -> Any:
    """Parse a JSON file; None when it is missing."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    return json.loads(raw.decode("utf-8"))


def write_json(path: Path, obj: Any) -> None:
    """Write `obj` as JSON atomically with mode 0600."""
    # No indent: an indented dump uses Python's slow pure-Python encoder, and the job store is
    # rewritten on every poll change of every watched render.
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    # server text (job errors, titles) must not drive a terminal that shows the file
    text = _TERMINAL_ACTIVE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    atomic_write(path, text.encode("utf-8", "replace"))


def normalize_api_url(api_url: str) -> str:
    """Canonical form of an API URL (lower-case scheme/host, no default port, no trailing /)."""
    parts = urlsplit(api_url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    return f"{scheme}://{host}{parts.path.rstrip('/')}"


def url_key(api_url: str) -> str:
    """A file-name-safe key for an API URL (hash of the normalized URL)."""
    return hashlib.sha256(normalize_api_url(api_url).encode("utf-8")).hexdigest()[:20]


def session_key(session_id: str) -> str:
    """A file-name-safe key for a session id: the id itself when harmless, else its hash."""
    if (session_id.replace("-", "").replace("_", "").isalnum() and session_id.isascii()
            and len(session_id) <= 100):
        return session_id
    return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()[:32]


def now_iso() -> str:
    """Current UTC time, ISO 8601 with a Z."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_time(text: Any) -> datetime | None:
    """Parse an ISO 8601 time (a trailing Z allowed); None when absent or unparsable."""
    if not isinstance(text, str) or not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class TokenStore:
    """The cached anonymous token of one API URL (implements the client's TokenCache)."""

    def __init__(self, paths: AppPaths, api_url: str) -> None:
        """Bind the store to `api_url`; nothing is read until `load()`."""
        self.api_url = api_url
        self.path = paths.state_dir / "tokens" / f"{url_key(api_url)}.json"

    def __repr__(self) -> str:
        return f"TokenStore({self.api_url!r})"

    def load(self) -> Token | None:
        """The cached token, or None when missing, unreadable or expired."""
        try:
            data = read_json(self.path)
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("token"), str):
            return None
        if data.get("api_url") not in (None, normalize_api_url(self.api_url)):
            return None  # a hash collision or a copied file: never use another URL's token
        expires = parse_time(data.get("expires_at"))
        if expires is not None and expires - EXPIRY_MARGIN <= datetime.now(UTC):
            return None
        credits = data.get("credits")
        return Token(
            token=data["token"],
            user_id=data.get("user_id") if isinstance(data.get("user_id"), str) else None,
            credits=credits if isinstance(credits, int) else None,
            expires_at=data.get("expires_at") if isinstance(data.get("expires_at"), str) else None,
            anonymous=bool(data.get("anonymous", True)),
        )

    def save(self, token: Token) -> None:
        """Store the token (file 0600 in a 0700 dir)."""
        write_json(self.path, {
            "api_url": normalize_api_url(self.api_url),
            "token": token.token,
            "user_id": token.user_id,
            "credits": token.credits,
            "expires_at": token.expires_at,
            "anonymous": token.anonymous,
            "saved_at": now_iso(),
        })

    def clear(self) -> None:
        """Forget the cached token."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


@dataclass
class RecentSession:
    """A session shown in the studio's "reopen" list."""

    session_id: str
    task_id: str | None = None
    title: str | None = None
    last_message: str | None = None
    updated_at: str = ""

    @classmethod
    def from_dict(cls, data: Any) -> RecentSession | None:
        """Tolerant decoding; None when there is no usable session id."""
        if not isinstance(data, dict) or not isinstance(data.get("session_id"), str):
            return None

        def text(key: str) -> str | None:
            return data[key] if isinstance(data.get(key), str) else None

        return cls(data["session_id"], text("task_id"), text("title"), text("last_message"),
                   text("updated_at") or "")


class SessionStore:
    """Current session and recent sessions, per API URL, in one JSON file."""

    def __init__(self, paths: AppPaths) -> None:
        """Bind to `<state>/sessions.json`; nothing is read until asked."""
        self.path = paths.state_dir / "sessions.json"

    def _read(self) -> dict[str, Any]:
        """The whole file, {} when missing or corrupt (sessions are a convenience, not data)."""
        try:
            data = read_json(self.path)
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _entry(self, data: dict[str, Any], api_url: str) -> dict[str, Any]:
        """The (mutable) entry of one API URL inside `data`."""
        entry = data.setdefault(url_key(api_url), {})
        if not isinstance(entry, dict):
            entry = data[url_key(api_url)] = {}
        entry["api_url"] = normalize_api_url(api_url)
        return entry

    def current(self, api_url: str) -> SessionInfo | None:
        """The session to reuse for `api_url`, if any."""
        cur = self._read().get(url_key(api_url), {})
        cur = cur.get("current") if isinstance(cur, dict) else None
        if not isinstance(cur, dict) or not isinstance(cur.get("session_id"), str):
            return None
        opt = {k: cur[k] if isinstance(cur.get(k), str) else None for k in ("task_id", "user_id")}
        return SessionInfo(cur["session_id"], **opt)

    def set_current(self, api_url: str, session: SessionInfo) -> None:
        """Make `session` the current one for `api_url` and list it among the recent ones."""
        with file_lock(self.path):
            data = self._read()
            entry = self._entry(data, api_url)
            entry["current"] = asdict(session)
            self._touch(entry, session.session_id, task_id=session.task_id)
            write_json(self.path, data)

    def clear_current(self, api_url: str) -> None:
        """Forget the current session of `api_url` (the next run creates a new one)."""
        with file_lock(self.path):
            data = self._read()
            self._entry(data, api_url).pop("current", None)
            write_json(self.path, data)

    def recent(self, api_url: str) -> list[RecentSession]:
        """Recent sessions of `api_url`, newest first."""
        entry = self._read().get(url_key(api_url), {})
        items = entry.get("recent", []) if isinstance(entry, dict) else []
        found = [s for s in map(RecentSession.from_dict, items if isinstance(items, list) else [])
                 if s is not None]
        return sorted(found, key=lambda s: s.updated_at, reverse=True)

    def title(self, api_url: str, session_id: str) -> str | None:
        """The title recorded for ``session_id`` of ``api_url``, if one is known."""
        return next((r.title for r in self.recent(api_url) if r.session_id == session_id), None)

    def touch(self, api_url: str, session_id: str, *, task_id: str | None = None,
              title: str | None = None, last_message: str | None = None) -> None:
        """Record activity in a session (title / last message when given)."""
        with file_lock(self.path):
            data = self._read()
            self._touch(self._entry(data, api_url), session_id, task_id=task_id, title=title,
                        last_message=last_message)
            write_json(self.path, data)

    def forget(self, api_url: str, session_id: str) -> None:
        """Drop a session from the recent list (and as current)."""
        with file_lock(self.path):
            data = self._read()
            entry = self._entry(data, api_url)
            entry["recent"] = [r for r in entry.get("recent", [])
                               if isinstance(r, dict) and r.get("session_id") != session_id]
            cur = entry.get("current")
            if isinstance(cur, dict) and cur.get("session_id") == session_id:
                entry.pop("current")
            write_json(self.path, data)

    @staticmethod
    def _touch(entry: dict[str, Any], session_id: str, **fields: str | None) -> None:
        """Update or insert a recent-session record, keeping the list bounded."""
        recent = [r for r in map(RecentSession.from_dict, entry.get("recent") or [])
                  if r is not None] if isinstance(entry.get("recent"), list) else []
        rec = next((r for r in recent if r.session_id == session_id), None)
        if rec is None:
            rec = RecentSession(session_id)
            recent.append(rec)
        for key, value in fields.items():
            if value is not None:
                setattr(rec, key, value)
        rec.updated_at = now_iso()
        recent.sort(key=lambda r: r.updated_at, reverse=True)
        entry["recent"] = [asdict(r) for r in recent[:MAX_RECENT_SESSIONS]]


Role = Literal["user", "agent", "system", "error"]
ROLES: tuple[str, ...] = ("user", "agent", "system", "error")


@dataclass(frozen=True)
class TranscriptEntry:
    """One line of a chat transcript."""

    ts: str
    role: Role
    text: str
    #: How the studio showed it (a timeline change is "diff", an offer "offer"); None in
    #: lines written before kinds were kept, and in lines the CLI writes.
    kind: str | None = None


class TranscriptStore:
    """Append-only JSONL chat transcript of one session of one API URL."""

    def __init__(self, paths: AppPaths, api_url: str, session_id: str) -> None:
        """Bind to `<state>/transcripts/<url key>/<session>.jsonl`."""
        self.path = (paths.state_dir / "transcripts" / url_key(api_url)
                     / f"{session_key(session_id)}.jsonl")
        self._checked_tail = False

    def append(self, role: Role, text: str, *, ts: str | None = None,
               kind: str | None = None) -> TranscriptEntry:
        """Append one message (``kind``: how the chat showed it); flushed and fsynced."""
        if role not in ROLES:
            raise ValueError(f"unknown transcript role {role!r}")
        entry = TranscriptEntry(ts or now_iso(), role, text, kind)
        record = asdict(entry)
        if kind is None:
            del record["kind"]  # the line reads as it always did
        line = _TERMINAL_ACTIVE.sub(lambda m: f"\\u{ord(m.group()):04x}",
                                    json.dumps(record, ensure_ascii=False)) + "\n"
        data = line.encode("utf-8", "replace")
        ensure_private_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if not self._checked_tail:
                # a crash may have left a torn last line: start ours on a fresh line
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    data = b"\n" + data
                self._checked_tail = True
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        return entry

    def load(self) -> list[TranscriptEntry]:
        """All readable entries in order; torn or corrupt lines are skipped."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        entries: list[TranscriptEntry] = []
        for line in raw.split(b"\n"):
            if not line.strip():
                continue
            try:
                obj = json.loads(line.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                continue
            if (isinstance(obj, dict) and obj.get("role") in ROLES
                    and isinstance(obj.get("text"), str)):
                kind = obj.get("kind") if isinstance(obj.get("kind"), str) else None
                entries.append(TranscriptEntry(str(obj.get("ts", "")), obj["role"], obj["text"],
                                               kind))
        return entries
