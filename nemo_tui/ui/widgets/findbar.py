"""The find bar under the chat log: type to search, Enter to go to the log (n / N), Esc closes."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Static

if TYPE_CHECKING:
    from nemo_tui.ui.widgets.chatview import ChatView


class FindInput(Input):
    """The query; Esc closes the bar."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", show=True, id="find_close"),
    ]

    def action_close(self) -> None:
        """Close the find bar (the search ends)."""
        bar = self.parent
        if isinstance(bar, FindBar):
            bar.close()


class FindBar(Horizontal):
    """One line: the query and ``3/17``; hidden until Ctrl+F or ``/``."""

    DEFAULT_CSS = """
    FindBar { height: 1; display: none; }
    FindBar.-open { display: block; }
    FindBar > FindInput, FindBar > FindInput:focus {
        border: none; height: 1; width: 1fr; padding: 0 1; background: $boost;
    }
    FindBar > #find-count { width: auto; min-width: 12; padding: 0 1; }
    """

    def __init__(self, log: ChatView, **kw) -> None:
        super().__init__(**kw)
        self.log_view = log

    def compose(self) -> ComposeResult:
        """The input and the count."""
        inp = FindInput(placeholder="Find in the transcript (Enter: go to it, Esc: close)",
                        id="find-input")
        inp.cursor_blink = False  # an idle studio writes nothing
        yield inp
        yield Static(Text(""), id="find-count", markup=False)

    @property
    def input(self) -> FindInput:
        """The query input."""
        return self.query_one(FindInput)

    def open(self) -> None:
        """Show the bar with the last query selected, focus it."""
        self.add_class("-open")
        self.log_view.texts()  # join the transcript now, not on the first keystroke
        inp = self.input
        inp.focus()
        if inp.value:
            inp.select_all()

    @property
    def is_open(self) -> bool:
        """Whether the bar shows."""
        return self.has_class("-open")

    def close(self) -> None:
        """Hide the bar, end the search, give the log the focus."""
        self.hide()
        self.log_view.focus()

    def hide(self) -> None:
        """Hide the bar and end the search, focus left where it is (a session switch)."""
        self.remove_class("-open")
        self.log_view.end_search()
        self.show_count("")

    def show_count(self, count: str) -> None:
        """``3/17`` (``no match`` for none)."""
        label = "no match" if count == "0/0" else count
        self.query_one("#find-count", Static).update(Text(label))

    def on_input_changed(self, event: Input.Changed) -> None:
        """Search as the user types."""
        event.stop()
        self.show_count(self.log_view.find(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter: to the log, where n / N go through the matches (the bar stays open)."""
        event.stop()
        self.log_view.focus()
