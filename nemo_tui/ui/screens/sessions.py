"""The "reopen a session" list: recent sessions of this API URL with title, last message, age."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from nemo_tui.textsafe import safe_line
from nemo_tui.ui.widgets.jobs import to_epoch


def fmt_age(seconds: float | None) -> str:
    """A short age: ``45 s``, ``5 min``, ``3 h``, ``2 d``."""
    if seconds is None:
        return "?"
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def session_option(rec: Any, now: float, current: str | None) -> Option:
    """One list entry: title (or id), age, and the last message, all literal."""
    title = rec.title or f"session {rec.session_id}"
    ts = to_epoch(rec.updated_at)
    age = fmt_age(now - ts if ts is not None else None)
    label = Text()
    label.append(safe_line(title, max_len=50), style="bold")
    if rec.session_id == current:
        label.append("  (open)", style="italic")
    label.append(f"  {age}", style="dim")
    if rec.last_message:
        label.append("\n  " + safe_line(rec.last_message, max_len=70), style="dim")
    return Option(label, id=rec.session_id)


class SessionsScreen(ModalScreen[str | None]):
    """Pick a recent session; returns its id, "new" for a new session, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Close"), Binding("n", "new", "New session")]

    def __init__(self, recent: Sequence[Any], *, clock: Callable[[], float],
                 current: str | None = None) -> None:
        super().__init__()
        self.recent = list(recent)
        self.clock = clock
        self.current = current

    def compose(self) -> ComposeResult:
        """Build the list."""
        with Vertical(id="sessions-box"):
            yield Static(Text("Reopen a session (Enter) · n: new session · Esc: close"),
                         markup=False, id="sessions-title")
            now = self.clock()
            options = [session_option(r, now, self.current) for r in self.recent]
            if not options:
                yield Static(Text("No recent sessions for this API URL yet."), markup=False)
            yield OptionList(*options, id="sessions-list")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Reopen the chosen session."""
        self.dismiss(event.option.id)

    def action_new(self) -> None:
        """Start a new session instead."""
        self.dismiss("new")

    def action_cancel(self) -> None:
        """Close without changing anything."""
        self.dismiss(None)
