"""The help screen: every key of the studio, from the same table as the bindings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from rich.console import Group
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
    studio_keys_on,
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


#: Columns of the help's key column (fits all but "Ctrl+J / Shift+Enter", which wraps).
KEY_WIDTH = 15


def help_tables(rows: list[tuple[str, str, str]]) -> Group:
    """The key rows grouped by where they work: a heading, then two columns (key, action).

    Two columns rather than three leave the action most of an 80-column terminal (a third
    column squeezed it to ~27 characters); the key column has one width in every group, so
    the groups line up, and long text wraps (a rare long key too, at its " / "): nothing
    needs sideways scrolling.
    """
    key_width = min(KEY_WIDTH, max(len(key) for key, _, _ in rows))
    groups: dict[str, list[tuple[str, str]]] = {}
    for key, what, place in rows:
        groups.setdefault(place, []).append((key, what))
    parts: list[Any] = [Text("nemo-tui keys", style="bold", justify="center")]
    for place, entries in groups.items():
        table = Table(title=Text(place[:1].upper() + place[1:], style="bold"),
                      title_justify="left", show_header=False, show_edge=False,
                      pad_edge=False, expand=True, box=None)
        table.add_column("Key", style="bold", width=key_width)
        table.add_column("Action", ratio=1)
        for key, what in entries:
            table.add_row(Text(key), Text(what))
        parts += [Text(""), table]
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    """A modal listing every key; Esc, F1 or q closes it."""

    #: the studio keys that work here (F1 closes this screen rather than opening another)
    STUDIO_KEYS: ClassVar[tuple[str, ...]] = studio_keys_on("help")
    BINDINGS: ClassVar[list[BindingType]] = [*scope_bindings("help", namespace=""),
                                             *studio_key_bindings(STUDIO_KEYS)]

    def compose(self) -> ComposeResult:
        """Build the key tables, one per place the keys work."""
        with VerticalScroll(id="help-body"):
            yield Static(help_tables(key_rows(getattr(self.app, "key_table", None))),
                         id="help-table")
            yield Static(Text("Esc closes this screen. The mouse works too, but nothing needs it.",
                              style="dim"), markup=False)
        yield Footer()

    def action_dismiss(self) -> None:  # type: ignore[override]
        """Close the help screen."""
        self.dismiss(None)
