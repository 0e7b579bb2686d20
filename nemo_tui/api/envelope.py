"""Reply envelopes (PROTOCOL.md §2): unwrap a reply or describe why it failed (pure, no I/O).

`unwrap` turns status + body bytes into the result or raises `ApiFailure`, a neutral description
of the failure that the client first tries to recover from (token, session, client id, rate limit)
and only then turns into a typed, user-facing error with `to_error`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from nemo_tui.api.errors import (
    SUPPORTED_FORMATS_TEXT,
    AuthError,
    DuplicateRenderIdError,
    ExportBlockedError,
    FileTooLargeError,
    ForbiddenError,
    MissingClientIdError,
    NemoError,
    NoCreditsError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    SessionNotFoundError,
    UnsupportedFileError,
)

_DUPLICATE_RE = re.compile(r"duplicate|already (exists|used|taken|in use)", re.IGNORECASE)
_MAX_SERVER_TEXT = 200


@dataclass
class ApiFailure(Exception):
    """A refused request, before the client decided whether to recover from it."""

    code: int | None  # the envelope's code, else the HTTP status
    http_status: int
    server_message: str | None = None
    retry_after: float | None = None

    def __str__(self) -> str:
        return f"request failed (code {self.code}, HTTP {self.http_status})"

    @property
    def kind(self) -> str:
        """One of auth, session, client_id, rate_limit, server, duplicate, other."""
        if self.code == 1001 or self.http_status == 401:
            return "auth"
        if self.code == 1002:
            return "session"
        if self.code == 400 and (
            not self.server_message or "client" in self.server_message.lower()
        ):
            return "client_id"  # a 400 that explains something else is not about the id
        if self.code == 429 or self.http_status == 429:
            return "rate_limit"
        if self.http_status == 409 or (
            self.server_message and _DUPLICATE_RE.search(self.server_message)
        ):
            return "duplicate"
        if self.http_status >= 500 or (self.code is not None and 500 <= self.code < 600):
            return "server"
        return "other"


def _short(text: Any) -> str | None:
    """A server-provided message, cut short; it is shown through textsafe by the UI."""
    if not isinstance(text, str) or not text.strip():
        return None
    text = " ".join(text.split())
    return text if len(text) <= _MAX_SERVER_TEXT else text[:_MAX_SERVER_TEXT] + "…"


def _int_code(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _describe_non_json(raw: bytes, content_type: str) -> str:
    head = raw[:200].lstrip().lower()
    if head.startswith((b"<!doctype", b"<html", b"<")) or "html" in content_type:
        return "an HTML page"
    if not raw.strip():
        return "an empty reply"
    return f"text that is not valid JSON ({len(raw)} bytes)"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds only; HTTP dates are ignored)."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def unwrap(status: int, raw: bytes, content_type: str = "", retry_after: str | None = None) -> Any:
    """Return the result of a reply, or raise `ApiFailure` / `ProtocolError`."""
    body: Any = None
    valid_json = False
    if raw.strip():
        try:
            body = json.loads(raw.decode("utf-8", errors="replace"))
            valid_json = True
        except (ValueError, RecursionError):
            valid_json = False
    if not 200 <= status < 300:
        code = status
        message = None
        if isinstance(body, dict):
            code = _int_code(body.get("code")) or status
            message = _short(body.get("message") or body.get("error") or body.get("detail"))
        raise ApiFailure(code, status, message, parse_retry_after(retry_after))
    if not valid_json:
        what = _describe_non_json(raw, content_type)
        raise ProtocolError(
            f"The server sent {what} instead of a JSON reply. Check the API URL, or try again later.",
            http_status=status,
        )
    if isinstance(body, list):
        raise ProtocolError(
            "The server sent a JSON list where an object was expected. Check the API URL.",
            http_status=status,
        )
    if not isinstance(body, dict):
        raise ProtocolError(
            "The server sent a JSON value that is not an object. Check the API URL.",
            http_status=status,
        )
    if "code" in body:
        code = _int_code(body.get("code"))
        if code != 0:
            raise ApiFailure(code, status, _short(body.get("message") or body.get("error")))
        return body.get("data")
    if "success" in body:
        if body.get("success") is not True:
            raise ApiFailure(_int_code(body.get("code")), status,
                             _short(body.get("error") or body.get("message")))
        return body.get("data", body)
    return body


SCOPE_ACTIONS = {
    "read": "read the session or credits",
    "write": "chat with the agent or create sessions",
    "upload": "upload files",
    "render": "export videos",
}


def to_error(f: ApiFailure, *, scope: str, web_url: str, anon_user_id: str | None,
             anonymous: bool, env_token: bool) -> NemoError:
    """The typed, user-facing error for a failure the client could not recover from."""
    kw = {"code": f.code, "http_status": f.http_status}
    kind = f.kind
    if kind == "auth":
        if env_token:
            return AuthError("NEMO_TOKEN is invalid or expired. Set a valid token, or unset "
                             "NEMO_TOKEN to use a free anonymous one.", **kw)
        return AuthError("The server refused a fresh anonymous token. Try again later.", **kw)
    if kind == "session":
        return SessionNotFoundError("The session no longer exists on the server. Start a new "
                                    "one with --new-session.", **kw)
    if f.code == 2001:
        if anonymous:
            url = f"{web_url}/register"
            if anon_user_id:
                url += f"?bind={anon_user_id}"
            return NoCreditsError(f"You're out of credits. Register to get more: {url}",
                                  register_url=url, **kw)
        return NoCreditsError("You're out of credits. Top up credits in your account at "
                              f"{web_url}.", **kw)
    if f.code == 4001:
        # The server's reason names the file and what is wrong with it (e.g. a broken video).
        reason = f" The server said: {f.server_message.rstrip('.')}." if f.server_message else ""
        return UnsupportedFileError("The server does not support this file." + reason +
                                    f" Supported formats: {SUPPORTED_FORMATS_TEXT}.", **kw)
    if f.code == 4002:
        return FileTooLargeError("The file is larger than the 200 MB limit. Compress or trim it "
                                 "and try again.", **kw)
    if kind == "client_id":
        return MissingClientIdError("The server refused this client's id (X-Client-Id), even a "
                                    "new one. Try again later.", **kw)
    if f.code == 402 or f.http_status == 402:
        return ExportBlockedError("Register or upgrade your plan to unlock export.", **kw)
    if f.code == 403 or f.http_status == 403:
        action = SCOPE_ACTIONS.get(scope, scope)
        return ForbiddenError(f"This token may not {action} (it lacks the '{scope}' scope). Use "
                              "a token with that permission.", scope=scope, **kw)
    if kind == "rate_limit":
        unit = "second" if f.retry_after == 1 else "seconds"
        wait = f" in {f.retry_after:g} {unit}" if f.retry_after else " later"
        return RateLimitedError(f"The server is rate-limiting this client. Try again{wait}.",
                                retry_after=f.retry_after, **kw)
    if kind == "duplicate":
        return DuplicateRenderIdError("The server says this render id was already used.", **kw)
    if kind == "server":
        return ServerError(f"The server had a problem (HTTP {f.http_status}). Try again in a "
                           "minute.", **kw)
    said = f": {f.server_message}" if f.server_message else ""
    label = f"code {f.code}" if f.code is not None and f.code != f.http_status else (
        f"HTTP {f.http_status}")
    return NemoError(f"The server refused the request ({label}){said}.", **kw)
