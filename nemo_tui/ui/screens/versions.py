"""The Versions screen (F5): the session's draft versions, newest first; compare and export them.

Enter shows what changed from the highlighted version to the current draft; ``m`` marks versions
and ``d`` compares the two marked ones; ``e`` exports the highlighted version. Versions recorded
meanwhile (by this studio, or a CLI run on the same session) appear without reopening.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from nemo_tui.textsafe import safe_line
from nemo_tui.ui.commands import scope_bindings, studio_key_bindings

if TYPE_CHECKING:
    from nemo_tui.ui.draft_versions import StudioVersions
    from nemo_tui.versions import Version, VersionHistory

#: Seconds between checks whether another process recorded a version.
RELOAD_EVERY = 1.0
HELP = "Enter: changes to the current draft · m: mark · d: compare two marked · e: export · Esc"


def clipped(text: str, limit: int) -> str:
    """``text`` made literal on one line, cut at ``limit`` characters with a plain "…"."""
    line = safe_line(text)
    return line if len(line) <= limit else line[:limit - 1] + "…"


def version_label(version: Version, *, marked: bool, current: bool) -> Text:
    """One list row: mark, number, time, message and the one-line diff, all literal."""
    from nemo_tui.versions import one_line_diff

    row = Text(no_wrap=True, overflow="ellipsis")  # one line each: the diff below has the rest
    row.append("● " if marked else "  ", style="bold")
    row.append(f"v{version.number}", style="bold")
    when = version.created_at.replace("T", " ").rstrip("Z")[5:16]  # MM-DD HH:MM
    row.append(f"  {safe_line(when, max_len=11)}", style="dim")
    if version.message:
        row.append(f"  {clipped(version.message, 60)}")
    row.append(f"  {clipped(one_line_diff(version), 90)}", style="dim")
    if current:
        row.append("  (shown)", style="italic")
    return row


class VersionsScreen(ModalScreen[None]):
    """The draft versions of the current session; Esc closes."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", id="close"),
                                             *scope_bindings("versions", namespace=""),
                                             *studio_key_bindings()]

    def __init__(self, versions: StudioVersions, *,
                 on_export: Callable[[int], Any]) -> None:
        """``versions``: the studio's versions; ``on_export(number)`` starts a render."""
        super().__init__()
        self.versions = versions
        self.on_export = on_export
        self.history: VersionHistory | None = None
        self.marked: list[int] = []
        self._stamp: int | None = None

    def compose(self) -> ComposeResult:
        """The title line, the list and the diff area."""
        with Vertical(id="versions-box"):
            yield Static(Text(HELP), markup=False, id="versions-title")
            yield Static(Text("Loading versions…"), markup=False, id="versions-note")
            yield OptionList(id="versions-list")
            with VerticalScroll(id="versions-diff"):
                yield Static(Text(""), markup=False, id="versions-diff-text")
        yield Footer()

    def on_mount(self) -> None:
        """Load the list, and keep it current while the screen is open."""
        self.versions.listeners.append(self.reload)
        self.reload()
        self.set_interval(RELOAD_EVERY, self._check_changed)

    def on_unmount(self) -> None:
        """Stop listening for new versions."""
        if self.reload in self.versions.listeners:
            self.versions.listeners.remove(self.reload)

    # ---- the list ----------------------------------------------------------------------------
    @work(exclusive=True, group="versions-list", exit_on_error=False, description="versions")
    async def reload(self) -> None:
        """Read the versions (in the versions thread) and show them, newest first."""
        _, self._stamp = await self.versions.changed_since(None)
        history = await self.versions.load()
        self.history = history
        self.marked = [n for n in self.marked if history.get(n) is not None]
        self._fill()

    async def _check_changed(self) -> None:
        """Reload when the versions file changed (a CLI run recorded one)."""
        changed, _ = await self.versions.changed_since(self._stamp)
        if changed:
            self.reload()

    def _fill(self) -> None:
        """(Re)build the rows, keeping the highlighted version highlighted."""
        history = self.history
        listing = self.query_one(OptionList)
        keep = self.highlighted()
        shown = self.versions.current.number if self.versions.current else None
        listing.clear_options()
        if history is None:
            return
        listing.add_options([
            Option(version_label(v, marked=v.number in self.marked, current=v.number == shown),
                   id=str(v.number)) for v in reversed(history.versions)])
        note = (history.dropped_note() or "") if history.versions else (
            "No versions yet: each new draft of this session becomes one.")
        shown_note = self.query_one("#versions-note", Static)
        shown_note.update(Text(note))
        shown_note.display = bool(note)
        if history.versions:
            listing.highlighted = 0 if keep is None or history.get(keep) is None else (
                history.versions[-1].number - keep)

    def highlighted(self) -> int | None:
        """The number of the highlighted version, if any."""
        listing = self.query_one(OptionList)
        if listing.highlighted is None or listing.option_count == 0:
            return None
        return int(listing.get_option_at_index(listing.highlighted).id or 0) or None

    # ---- actions -----------------------------------------------------------------------------
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter: what changed from this version to the current draft."""
        number = int(event.option.id or 0)
        self.show_diff(number, None)

    def action_version_mark(self) -> None:
        """Mark or unmark the highlighted version (the last two marks are kept)."""
        number = self.highlighted()
        if number is None:
            return
        if number in self.marked:
            self.marked.remove(number)
        else:
            self.marked = [*self.marked, number][-2:]
        self._fill()

    def action_version_diff(self) -> None:
        """Compare the two marked versions (older → newer)."""
        if len(self.marked) != 2:
            self.notify("Mark two versions with m, then press d.", markup=False)
            return
        old, new = sorted(self.marked)
        self.show_diff(old, new)

    def action_version_export(self) -> None:
        """Render the highlighted version (the job row says which version)."""
        number = self.highlighted()
        if number is None:
            return
        self.on_export(number)
        self.notify(f"Exporting version {number}: see the Jobs pane.", markup=False)

    def action_close(self) -> None:
        """Close the screen."""
        self.dismiss(None)

    @work(exclusive=True, group="versions-diff", exit_on_error=False, description="comparing")
    async def show_diff(self, old: int, new: int | None) -> None:
        """Show the changes from version ``old`` to ``new`` (None: the current draft)."""
        from nemo_tui.version_store import VersionError

        target = "the current draft" if new is None else f"v{new}"
        out = self.query_one("#versions-diff-text", Static)
        out.update(Text(f"Comparing v{old} with {target}…", style="dim"))
        try:
            lines = await self.versions.diff(old, new)
        except VersionError as exc:
            out.update(Text(str(exc)))
            return
        text = Text(f"v{old} → {target}:", style="bold")
        for line in lines or ["no changes"]:
            text.append("\n  " + safe_line(line))
        out.update(text)
