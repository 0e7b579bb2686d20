"""Decode unwrapped replies into the dataclasses of models.py, tolerantly (pure, no I/O).

Unknown fields are kept in ``raw``; wrong types become None. A reply missing what the protocol
cannot do without (a token, a session id) raises `ProtocolError` with a clear message.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from nemo_tui.api.errors import ProtocolError
from nemo_tui.api.models import (
    Credits,
    RenderStatus,
    SessionInfo,
    SessionState,
    Token,
    UploadedFile,
)

# A token this close to expiry is renewed first, so it does not die in flight.
EXPIRY_MARGIN = timedelta(seconds=60)


def _obj(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ProtocolError(f"The server's {what} reply has an unexpected shape. Check the API URL.")
    return data


def _str(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # ids sometimes arrive as numbers
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return round(value)
    if isinstance(value, str):
        try:
            f = float(value)
        except ValueError:
            return None
        return round(f) if math.isfinite(f) else None
    return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    if isinstance(value, str):
        try:
            f = float(value)
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time (``Z`` allowed) as an aware datetime, or None."""
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value)  # 3.11 accepts "Z"
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def token_expired(token: Token) -> bool:
    """True when the token's expiry (if any) is past or within the safety margin."""
    expires = parse_time(token.expires_at)
    return expires is not None and expires - EXPIRY_MARGIN <= datetime.now(UTC)


def token(data: Any) -> Token:
    """The anonymous-token reply (§3)."""
    d = _obj(data, "anonymous token")
    secret = d.get("token")
    if not isinstance(secret, str) or not secret:
        raise ProtocolError("The server's anonymous token reply has no token. Try again later.")
    return Token(token=secret, user_id=_str(d.get("user_id")), credits=_int(d.get("credits")),
                 expires_at=d.get("expires_at") if isinstance(d.get("expires_at"), str) else None,
                 anonymous=True)


def session_info(data: Any) -> SessionInfo:
    """The create-session reply (§4)."""
    d = _obj(data, "new session")
    sid = _str(d.get("session_id"))
    if sid is None:
        raise ProtocolError("The server's new session reply has no session id. Try again later.")
    return SessionInfo(session_id=sid, task_id=_str(d.get("task_id")),
                       user_id=_str(d.get("user_id")))


def credits(data: Any) -> Credits:
    """The credit balance (§7); ``total`` defaults to available + frozen."""
    d = _obj(data, "credits")
    available = _int(d.get("available")) or 0
    frozen = _int(d.get("frozen")) or 0
    total = _int(d.get("total"))
    return Credits(available=available, frozen=frozen,
                   total=total if total is not None else available + frozen)


def session_state(data: Any, session: SessionInfo) -> SessionState:
    """The state reply (§8); ``draft`` is a dict, V3 template text, or None.

    A JSON string draft is decoded; any other string (a Draft Protocol V3 template) is kept
    exactly as received, so that an export sends it back unchanged.
    """
    d = _obj(data, "session state")
    state = d.get("state") if isinstance(d.get("state"), dict) else {}
    draft = state.get("draft")
    if isinstance(draft, str) and not draft.lstrip().startswith("<"):
        try:
            draft = json.loads(draft)
        except (ValueError, RecursionError):
            draft = None
    infos = state.get("video_infos")
    media = state.get("generated_media")
    return SessionState(
        session_id=_str(d.get("session_id")) or session.session_id,
        task_id=_str(d.get("task_id")) or session.task_id,
        task_name=d.get("task_name") if isinstance(d.get("task_name"), str) else None,
        draft=draft if isinstance(draft, (dict, str)) else None,
        video_infos=infos if isinstance(infos, list) else [],
        generated_media=media if isinstance(media, list) else [],
        raw=d,
    )


def uploaded_file(item: Any) -> UploadedFile | None:
    """One upload result, or None when it is not an object."""
    if not isinstance(item, dict):
        return None
    return UploadedFile(
        filename=_str(item.get("filename")) or _str(item.get("name")) or "",
        file_type=_str(item.get("file_type")),
        cdn_url=_str(item.get("cdn_url")),
        duration=_float(item.get("duration")),
        width=_int(item.get("width")),
        height=_int(item.get("height")),
        fps=_float(item.get("fps")),
        hash=_str(item.get("hash")),
        raw=item,
    )


def uploaded_files(data: Any) -> list[UploadedFile]:
    """The upload reply (§6): ``{"files": […]}`` or a bare list."""
    items = data.get("files") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ProtocolError("The server's upload reply lists no files. Try again.")
    return [f for f in (uploaded_file(i) for i in items) if f is not None]


def render_status(data: Any, fallback_id: str) -> RenderStatus:
    """Any of the three documented render reply shapes (§9), already unwrapped."""
    d = _obj(data, "render")
    if isinstance(d.get("data"), dict) and "status" not in d:
        d = d["data"]  # a nested envelope the generic unwrap did not recognise
    output = d.get("output") if isinstance(d.get("output"), dict) else {}
    url = (_str(d.get("outputUrl")) or _str(d.get("output_url")) or _str(output.get("url"))
           or _str(d.get("url")) or _str(d.get("downloadUrl")))
    status = _str(d.get("status"))
    status = status.lower() if status else "unknown"
    progress = _int(d.get("progress"))
    if progress is not None:
        progress = max(0, min(100, progress))
    error = d.get("error") or d.get("errorMessage") or d.get("message")
    if isinstance(error, dict):
        error = error.get("message")
    return RenderStatus(
        id=_str(d.get("id")) or _str(d.get("taskId")) or _str(d.get("render_id")) or fallback_id,
        status=status,
        progress=progress,
        url=url,
        error=error if isinstance(error, str) and status == "failed" else None,
        duration=_float(output.get("duration", d.get("duration"))),
        size=_int(output.get("size", d.get("size"))),
        raw=d,
    )


def human_seconds(seconds: float) -> str:
    """"about 3 days", "about 2 hours", "45 seconds"."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size * 1.5 or (unit == "minute" and seconds >= 90):
            n = round(seconds / size)
            return f"about {n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds:g} seconds"
