"""The help screen: every key of the studio, from the same table as the bindings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from nemo_tui.ui.commands import (
    ACTIONS,
    EXTRA_KEYS,
    key_display,
    keys_in_effect,
    scope_bindings,
    studio_key_bindings,
    where,
)


def key_rows(keys: Mapping[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(key, action, where) rows of the key table, with the keys in effect (``keys``: the
    user's keymap result; None: the defaults)."""
    effective = keys_in_effect(keys)
    rows = [(key_display(effective[a.action]), a.title + " — " + a.help, where(a.scope))
            for a in ACTIONS]
    rows += [(" / ".join(key_display(p) for p in k.split(" / ")), what, where)
             for k, what, where in EXTRA_KEYS]
    return rows


def keys_markdown() -> str:
    """The key table as Markdown (docs/KEYS.md is generated from this)."""
    lines = ["| Key | Action | Where |", "|---|---|---|"]
    lines += [f"| `{k}` | {what} | {place} |" for k, what, place in key_rows()]
    return "\n".join(lines) + "\n"


class HelpScreen(ModalScreen[None]):
    """A modal listing every key; Esc, F1 or q closes it."""

    #: the studio keys that work here (F1 closes this screen rather than opening another)
    STUDIO_KEYS: ClassVar[tuple[str, ...]] = ("switch_theme", "quit")
    BINDINGS: ClassVar[list[BindingType]] = [*scope_bindings("help", namespace=""),
                                             *studio_key_bindings(STUDIO_KEYS)]

    def compose(self) -> ComposeResult:
        """Build the key table."""
        table = Table(title="nemo-tui keys", expand=True, show_edge=False, pad_edge=False)
        table.add_column("Key", no_wrap=True, style="bold")
        table.add_column("Action", ratio=1)
        table.add_column("Where", no_wrap=True, style="dim")
        for key, what, place in key_rows(getattr(self.app, "key_table", None)):
            table.add_row(Text(key), Text(what), Text(place))
        with VerticalScroll(id="help-body"):
            yield Static(table, id="help-table")
            yield Static(Text("Esc closes this screen. The mouse works too, but nothing needs it.",
                              style="dim"), markup=False)
        yield Footer()

    def action_dismiss(self) -> None:  # type: ignore[override]
        """Close the help screen."""
        self.dismiss(None)
