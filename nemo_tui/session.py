"""One studio session, without Textual or httpx: the draft it shows, the turn that runs, what a
state reply means and the lines to say about it, and the transcript in the order shown.

The studio's handlers are thin: a worker message arrives, the handler asks this model, then
updates the widgets with what the model answers. Everything here is plain data in, plain data out
(unit-tested in tests/test_session.py without a screen).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from nemo_tui.draft import Draft

#: Why the state was fetched.
StateReason = Literal["open", "refresh", "turn", "no_text", "poll", "upload", "export", "intent"]
#: What a state reply means for the session on screen.
StateMeaning = Literal["first_draft", "changed", "unchanged", "silent_edit"]
#: Where a running turn stands.
TurnPhase = Literal["streaming", "cancelled", "dropped", "switched", "done"]
#: Transcript roles.
Role = Literal["user", "agent", "error", "system"]

#: Diff lines said after a turn; a huge edit is summarized after these.
MAX_DIFF_LINES = 20
#: The chat line kinds that are recorded, and as which role.
RECORDED: dict[str, Role] = {"user": "user", "agent": "agent", "error": "error",
                             "info": "system", "diff": "system", "offer": "system"}
#: How a transcript line of each role is shown when it kept no kind of its own.
ROLE_KINDS: dict[str, str] = {"user": "user", "agent": "agent", "error": "error", "system": "info"}
#: The name every session is created with (the draft's title says more).
DEFAULT_TASK_NAME = "project"

SWITCHED_AWAY = ("You switched session while the agent was answering, so the turn was stopped "
                 "here. The backend may still apply the edit: reopen this session (Ctrl+O) and "
                 "press Ctrl+R to see the timeline.")


@dataclass(frozen=True)
class Line:
    """A line for the chat log: its text and kind (info / diff / error / offer …)."""

    text: str
    kind: str = "info"


@dataclass
class StateNews:
    """What the model made of a state reply."""

    meaning: StateMeaning
    lines: list[Line]
    draft: Draft | None
    redraw: bool  # the timeline must show ``draft`` again
    title: str | None  # the session's title, when it has one
    changed: bool  # the raw draft differs from the one shown before
    diff_shown: bool = False  # the lines include the changes
    summary: Line | None = None  # the track summary, when asked for (said last)


@dataclass
class Turn:
    """One chat turn: the user's message and where it stands."""

    text: str
    phase: TurnPhase = "streaming"


class TranscriptSink(Protocol):
    """Where recorded lines go (the studio writes them off its event loop)."""

    def append(self, role: Role, text: str, kind: str | None = None) -> Any:
        """Save one line (``kind``: how it was shown, when its role does not say)."""


@dataclass
class Session:
    """The state of the session on screen."""

    session_id: str
    sink: TranscriptSink | None = None
    draft: Draft | None = None
    raw_draft: Any = None
    turn: Turn | None = None
    retry_text: str | None = None
    #: The agent's words asked to show the tracks: the next state reply says them.
    tracks_wanted: bool = False
    #: Called with (session id, raw draft, user message, decoded draft) whenever a new draft
    #: is applied (the studio keeps it as a draft version).
    on_draft: Callable[[str, Any, str | None, Any], None] | None = None
    _held: list[tuple[Role, str, str | None]] = field(default_factory=list)

    # ---- the transcript, in the order shown -----------------------------------------------
    def record(self, role: Role, text: str, *, streaming: bool = False,
               kind: str | None = None) -> None:
        """Save a line shown as ``kind`` (kept only when its role would not say it, so a
        reopened session shows it alike). While a reply streams (``streaming``: its live text
        is on screen), lines said meanwhile show *after* it; they are held and saved after
        the reply's text."""
        if kind == ROLE_KINDS.get(role):
            kind = None
        if streaming and role != "agent":
            self._held.append((role, text, kind))
            return
        if self.sink is not None:
            self.sink.append(role, text, kind)

    def record_line(self, line: Line, *, streaming: bool = False) -> None:
        """Save a chat line if its kind is one the transcript keeps."""
        role = RECORDED.get(line.kind)
        if role is not None:
            self.record(role, line.text, streaming=streaming, kind=line.kind)

    def stream_closed(self, rest: str | None) -> None:
        """The live reply ended (``rest``: its text that never got a final event): save it,
        then the lines held back while it streamed."""
        if rest:
            self.record("agent", rest)
        held, self._held = self._held, []
        for role, text, kind in held:
            self.record(role, text, kind=kind)

    # ---- the turn ---------------------------------------------------------------------------
    def start_turn(self, text: str) -> None:
        """A message goes to the agent."""
        self.turn = Turn(text)
        self.retry_text = None

    def end_turn(self, phase: TurnPhase = "done") -> None:
        """The turn ended (``phase`` says how)."""
        if self.turn is not None:
            self.turn.phase = phase
        self.turn = None

    def drop(self, message: str, text: str, check_in: float) -> Line:
        """The stream broke: never re-sent; Ctrl+Y offered; the timeline checked later.
        ``message`` (the client's words) already says the message was not re-sent."""
        self.end_turn("dropped")
        self.retry_text = text
        return Line(f"{message} The timeline will be checked in {check_in:g} s; press Ctrl+Y "
                    "to send it again.", "error")

    def leave(self, *, turn_running: bool) -> list[Line]:
        """The user switches to another session: the turn that runs here stops here (said in
        this session), and Ctrl+Y must not send this session's message elsewhere."""
        self.retry_text = None
        if not turn_running:
            return []
        self.end_turn("switched")
        return [Line(SWITCHED_AWAY, "info")]

    def owns(self, session_id: str | None) -> bool:
        """Whether news about ``session_id`` belongs to this session (None: untagged; before
        any session is open everything does)."""
        return session_id is None or not self.session_id or session_id == self.session_id

    def replaced(self, new_id: str, text: str | None) -> None:
        """The backend replaced the session (1002) and the message went to the new one."""
        self.session_id = new_id
        if text:
            self.record("user", text)

    # ---- state replies ------------------------------------------------------------------------
    def apply_state(self, raw: Any, reason: StateReason, task_name: str | None = None,
                    message: str | None = None) -> StateNews:
        """Take a state reply: the new draft, what it means and the lines to say about it.
        ``message``: the user's message whose turn led to it (kept with a new version)."""
        from nemo_tui.diff import diff_head
        from nemo_tui.draft import decode_draft, summarize

        new = decode_draft(raw)
        old = self.draft
        changed = raw != self.raw_draft
        first = self.raw_draft is None and raw is not None
        lines: list[Line] = []
        diff, more = (diff_head(old, new, MAX_DIFF_LINES) if changed and reason != "open"
                      else ([], 0))
        if reason in ("turn", "no_text", "poll", "upload") and diff:
            head = {"no_text": "The agent changed the timeline:",
                    "poll": "The timeline changed after the connection was lost:"}.get(
                        reason, "Timeline changes:")
            lines.append(Line(head, "info"))
            lines += [Line(d, "diff") for d in diff]
            if more:
                lines.append(Line(f"… and {more} more change{'' if more == 1 else 's'} (see "
                                  "the timeline).", "diff"))
        elif reason == "no_text":
            lines.append(Line("The agent finished without a reply, and the timeline did not "
                              "change.", "info"))
        elif reason == "poll":
            lines.append(Line("No change on the timeline yet.", "info"))
        summary = None
        if self.tracks_wanted or reason == "intent":
            self.tracks_wanted = False
            summary = Line(summarize(new), "info")
        if changed and self.on_draft is not None:
            self.on_draft(self.session_id, raw, message, new)
        self.raw_draft, self.draft = raw, new
        meaning: StateMeaning = ("first_draft" if first else
                                 "silent_edit" if changed and reason == "no_text" else
                                 "changed" if changed else "unchanged")
        title = (new.title if new is not None and new.title else None) or (
            task_name if task_name and task_name != DEFAULT_TASK_NAME else None)
        return StateNews(meaning, lines, new, changed or reason in ("refresh", "open"), title,
                         changed, diff_shown=bool(diff), summary=summary)
