"""Plain data objects the client returns: protocol results and chat-turn events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Token:
    """An access token; ``repr`` never shows the secret."""

    token: str = field(repr=False)
    user_id: str | None = None
    credits: int | None = None
    expires_at: str | None = None  # ISO 8601 (UTC) or None when the server gave no expiry
    anonymous: bool = True  # False when the token came from NEMO_TOKEN


@dataclass(frozen=True)
class SessionInfo:
    """A backend session (one project)."""

    session_id: str
    task_id: str | None = None
    user_id: str | None = None


@dataclass(frozen=True)
class Credits:
    """Credit balance: ``total == available + frozen``."""

    available: int
    frozen: int
    total: int


@dataclass(frozen=True)
class SessionState:
    """The session state reply (§8); ``draft`` is the raw draft (dict, V3 text) or None."""

    session_id: str
    task_id: str | None
    task_name: str | None
    draft: dict[str, Any] | str | None
    video_infos: list[Any]
    generated_media: list[Any]
    raw: dict[str, Any]


@dataclass(frozen=True)
class UploadedFile:
    """One entry of an upload reply (§6); unknown fields stay in ``raw``."""

    filename: str
    file_type: str | None
    cdn_url: str | None
    duration: float | None
    width: int | None
    height: int | None
    fps: float | None
    hash: str | None
    raw: dict[str, Any]


RenderState = Literal["pending", "processing", "completed", "failed", "cancelled", "unknown"]


@dataclass(frozen=True)
class RenderStatus:
    """A render job as the server reports it (any of the three documented shapes)."""

    id: str
    status: str  # pending / processing / completed / failed, or whatever else the server says
    progress: int | None
    url: str | None  # outputUrl or output.url
    error: str | None
    duration: float | None
    size: int | None
    raw: dict[str, Any]

    @property
    def finished(self) -> bool:
        """True once the render is completed or failed (other values mean still running)."""
        return self.status in ("completed", "failed", "cancelled")


# ---- chat turn events (yielded by NemoClient.stream_turn) -----------------------------------


@dataclass(frozen=True)
class TextChunk:
    """A partial piece of the agent's text; show it live."""

    text: str


@dataclass(frozen=True)
class TextFinal:
    """The whole text of one message: replaces the chunks shown since the last TextFinal."""

    text: str


@dataclass(frozen=True)
class ToolCall:
    """The agent called a tool (shown as an activity line, never as JSON). Yielded once per id."""

    name: str
    call_id: str | None
    args: dict[str, Any]


@dataclass(frozen=True)
class ToolResult:
    """A tool finished."""

    name: str
    call_id: str | None
    result: Any


@dataclass(frozen=True)
class Heartbeat:
    """The server is alive but has nothing to show."""


@dataclass(frozen=True)
class StillWorking:
    """Nothing visible happened for ``seconds`` (2 minutes by default): show "⏳ Still working..."."""

    seconds: float


@dataclass(frozen=True)
class StreamError:
    """An in-stream error (any of the three forms); the session stays usable."""

    message: str
    code: str | None = None


@dataclass(frozen=True)
class SessionReplaced:
    """The session was missing (1002/404) and a new one was created before the message was sent."""

    old_session_id: str | None
    new_session: SessionInfo


TurnEndReason = Literal["complete", "no_text", "error", "timeout", "cancelled"]


@dataclass(frozen=True)
class TurnEnd:
    """The last event of every turn. ``had_text`` False means: fetch state and summarize."""

    reason: TurnEndReason
    had_text: bool


TurnEvent = (
    TextChunk
    | TextFinal
    | ToolCall
    | ToolResult
    | Heartbeat
    | StillWorking
    | StreamError
    | SessionReplaced
    | TurnEnd
)
