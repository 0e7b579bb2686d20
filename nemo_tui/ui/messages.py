"""Messages that workers and widgets post up to the studio app (data flows one way)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:  # annotations only: the UI's first screen does not need the API package
    from nemo_tui.api.models import Credits, SessionInfo, SessionState, TurnEvent, UploadedFile
    from nemo_tui.jobs import RenderJob
    from nemo_tui.session import StateReason


@dataclass
class Connected(Message):
    """The client has a token and a session; the status bar can say "ready"."""

    session: SessionInfo
    token_expiry: str | None
    user_id: str | None
    new: bool = False


@dataclass
class CreditsUpdated(Message):
    """A fresh credit balance arrived (``to_chat``: the user asked; say it in the chat too)."""

    credits: Credits
    to_chat: bool = False


@dataclass
class StateFetched(Message):
    """The session state was fetched; ``reason`` says why ("turn", "refresh", "poll", "open")."""

    state: SessionState
    reason: StateReason = "refresh"
    session_id: str | None = None
    """The session the state was asked for (a reply for another session is not shown)."""
    text: str | None = None
    """The user message whose turn led to this state, if any (kept with a new draft version)."""


@dataclass
class TurnEventArrived(Message):
    """One event of the running chat turn."""

    event: TurnEvent
    text: str = ""
    """The user's message of this turn (recorded again if the session is replaced)."""
    session_id: str | None = None
    """The session the turn was sent in (events of a turn left behind are not shown)."""


@dataclass
class TurnDropped(Message):
    """The chat stream broke after it started; the message is never re-sent automatically."""

    message: str
    text: str
    session_id: str | None = None
    before: Any = None
    """The raw draft before the turn (the timeline check reports a change from it)."""


@dataclass
class JobChanged(Message):
    """A render job changed (status, progress, path); ``job`` is a jobs.RenderJob."""

    job: RenderJob
    downloading: float | None = None  # 0..1 while the file downloads, else None

    def can_replace(self, message: Message) -> bool:
        """A newer snapshot of the same job supersedes a queued older one (download floods)."""
        return isinstance(message, JobChanged) and message.job.id == self.job.id


@dataclass
class UploadProgress(Message):
    """Bytes of an upload sent so far (total None when unknown)."""

    name: str
    done: int
    total: int | None

    def can_replace(self, message: Message) -> bool:
        """Only the latest progress of a file matters."""
        return isinstance(message, UploadProgress) and message.name == self.name


@dataclass
class UploadFinished(Message):
    """An upload finished; ``files`` are api.models.UploadedFile."""

    files: list[UploadedFile] = field(default_factory=list)
    follow_up: str | None = None  # words that came with the path/URL: sent to the agent after


@dataclass
class Activity(Message):
    """What is running now (None: nothing); shown in the status bar."""

    key: str
    text: str | None


@dataclass
class ChatNotice(Message):
    """A line for the chat log from the app itself (not from the agent)."""

    text: str
    kind: str = "info"  # info / error / diff / offer / activity
    session_id: str | None = None  # news about one session (None: about whatever is open)


@dataclass
class ChatSubmitted(Message):
    """The user pressed Enter in the chat input."""

    text: str
    edit: Any = None
    """The timeline edit (edit_compose.EditAction) this message asks for, when a timeline key
    composed it; checked after the turn."""


@dataclass
class SessionOpened(Message):
    """A session was started or reopened; the panes reset to it."""

    session: SessionInfo
    new: bool
    title: str | None = None  # a reopened session's recorded title (it is named by it)
