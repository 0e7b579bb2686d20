"""The "reopen a session" list: recent sessions of this API URL with title, last message, age."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from nemo_tui.textsafe import safe_line
from nemo_tui.ui.commands import scope_bindings, studio_key_bindings
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
    """One list entry: title, id, age and the last message (as `nemo-tui sessions`), literal."""
    title = rec.title or "untitled session"
    ts = to_epoch(rec.updated_at)
    age = fmt_age(now - ts if ts is not None else None)
    label = Text()
    if rec.session_id == current:
        label.append("● ", style="bold")
    label.append(safe_line(title, max_len=50), style="bold")
    label.append(f"  {safe_line(rec.session_id, max_len=40)}", style="dim")
    if rec.session_id == current:
        label.append("  (open)", style="italic")
    label.append(f"  {age}", style="dim")
    if rec.last_message:
        label.append("\n  " + safe_line(rec.last_message, max_len=70), style="dim")
    return Option(label, id=rec.session_id)


def matches(rec: Any, query: str) -> bool:
    """Whether every word typed appears in the title, the id or the last message."""
    haystack = " ".join(filter(None, (rec.title, rec.session_id, rec.last_message))).casefold()
    return all(word in haystack for word in query.casefold().split())


class SessionsScreen(ModalScreen[str | None]):
    """Pick a recent session (type to filter); returns its id, "new", or None."""

    # n reaches the screen from the list only (typed into the filter, it filters)
    BINDINGS: ClassVar[list[BindingType]] = [*scope_bindings("sessions", namespace=""),
                                             *studio_key_bindings()]

    def __init__(self, recent: Sequence[Any], *, clock: Callable[[], float],
                 current: str | None = None) -> None:
        super().__init__()
        self.recent = list(recent)
        self.clock = clock
        self.current = current
        self.shown: list[Any] = list(self.recent)

    def compose(self) -> ComposeResult:
        """Build the filter and the list."""
        with Vertical(id="sessions-box"):
            yield Static(Text("Reopen a session (Enter) · type to filter · n (in the list): new "
                              "session · Esc: close"), markup=False, id="sessions-title")
            yield Input(placeholder="filter by title, id or last message", id="sessions-filter")
            now = self.clock()
            options = [session_option(r, now, self.current) for r in self.recent]
            if not options:
                yield Static(Text("No recent sessions for this API URL yet."), markup=False)
            yield OptionList(*options, id="sessions-list")
        yield Footer()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Show only the sessions matching what is typed."""
        event.stop()
        self.shown = [r for r in self.recent if matches(r, event.value)]
        now = self.clock()
        option_list = self.query_one("#sessions-list", OptionList)
        option_list.clear_options()
        option_list.add_options([session_option(r, now, self.current) for r in self.shown])
        if self.shown:
            option_list.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter while typing opens the highlighted match."""
        event.stop()
        option_list = self.query_one("#sessions-list", OptionList)
        index = option_list.highlighted
        if index is not None and 0 <= index < option_list.option_count:
            self.dismiss(option_list.get_option_at_index(index).id)

    def action_move(self, step: int) -> None:
        """Up / Down move through the list while the filter has focus."""
        option_list = self.query_one("#sessions-list", OptionList)
        if option_list.option_count:
            index = option_list.highlighted or 0
            option_list.highlighted = max(0, min(option_list.option_count - 1, index + step))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Reopen the chosen session."""
        self.dismiss(event.option.id)

    def action_new(self) -> None:
        """Start a new session instead."""
        self.dismiss("new")

    def action_cancel(self) -> None:
        """Close without changing anything."""
        self.dismiss(None)
