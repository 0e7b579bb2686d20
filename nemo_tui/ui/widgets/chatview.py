"""The chat log with its keys: find in the transcript, select messages, copy (OSC 52).

ChatLog draws; this subclass keeps the search and the selection and tells ChatLog which rows
are selected and which spans match. Copies are what the log shows (server text with every
control character already made a visible escape), so nothing active reaches the clipboard.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import BindingType

from nemo_tui.textsafe import safe_text
from nemo_tui.transcript_search import TranscriptSearch
from nemo_tui.ui.commands import scope_bindings
from nemo_tui.ui.widgets.chatlog import ChatEntry, ChatLog

TMUX_HINT = "In tmux this needs `set -g set-clipboard on`."


class ChatView(ChatLog):
    """The conversation, searchable and selectable; keys from ACTIONS (scope "chat-log")."""

    BINDINGS: ClassVar[list[BindingType]] = scope_bindings("chat-log", namespace="")
    COMPONENT_CLASSES: ClassVar[set[str]] = ChatLog.COMPONENT_CLASSES | {
        "chat-log--selected", "chat-log--match", "chat-log--match-current"}
    DEFAULT_CSS = """
    ChatView > .chat-log--selected { background: $accent 35%; }
    ChatView > .chat-log--match { background: $warning 45%; }
    ChatView > .chat-log--match-current { background: $warning; color: $background;
                                          text-style: bold; }
    """

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.search = TranscriptSearch()
        self.selecting = False
        self.cursor = 0
        self.anchor: int | None = None
        self.transcript_path: Path | None = None  # set by the app: named in copy notices
        self._plain: list[str] = []  # the entries' shown text, for the search
        self._dirty: int | None = 0  # the first entry changed since the search last saw them
        self._selected: set[int] = set()  # ids of the selected entries
        self._spans: dict[int, list[tuple[int, int]]] = {}  # id(entry) -> its match spans
        self._current: tuple[ChatEntry, int] | None = None  # the current match's entry, start
        self._match_styles: tuple[Style, Style] | None = None  # (a match, the current one)
        # the turn's tool activity lines: (entry, its phrase, when it appeared), for the clock
        self.tool_lines: list[tuple[ChatEntry, str, float]] = []

    def add_line(self, text: str, kind: str = "info") -> ChatEntry:
        """Append a line; a tool activity line is remembered with the time it appeared."""
        entry = super().add_line(text, kind)
        clock = getattr(self.app, "clock", None)
        if kind == "activity" and clock is not None:
            self.tool_lines.append((entry, text, clock()))
        return entry

    def set_entry_text(self, entry: ChatEntry, text: str) -> None:
        """Rewrite a finished line in place (only its rows repaint)."""
        try:
            self._set(entry, text, live=False)
        except ValueError:
            pass  # the log was cleared (a session switch)

    # ---- what ChatLog asks -------------------------------------------------------------------
    def row_marks(self, entry: ChatEntry) -> tuple[bool, list[tuple[int, int, bool]]]:
        """Selected? and the match spans of ``entry``."""
        spans: list[tuple[int, int, bool]] = []
        if self.search.total:
            found = self._spans.get(id(entry))
            if found is None:  # only painted entries are searched for their spans
                found = self._spans[id(entry)] = self.search.spans_in(entry.content.plain)
            cur = self._current
            spans = [(s, e, cur is not None and cur[0] is entry and cur[1] == s)
                     for s, e in found]
        return id(entry) in self._selected, spans

    def _changed_from(self, index: int) -> None:
        """Entries from ``index`` on were added, changed or removed."""
        self._dirty = index if self._dirty is None else min(self._dirty, index)

    def _relayout_from(self, index: int, old_rows: int, **kw) -> None:
        self._changed_from(index)
        if self._spans and index < len(self._entries):
            self._spans.pop(id(self._entries[index]), None)
        super()._relayout_from(index, old_rows, **kw)

    def _remove(self, entries: list[ChatEntry]) -> None:
        if entries:
            self._changed_from(min(self._index(e) for e in entries))
        super()._remove(entries)

    def _rebuild(self) -> None:
        self._changed_from(0)
        super()._rebuild()

    def clear_log(self) -> None:
        """A session switch: no search, no selection."""
        self.search.clear()
        self._spans = {}
        self._current = None
        self.tool_lines = []
        self._leave()
        for bar in self._bars():  # its query and count were about the other session's log
            bar.hide()
        super().clear_log()

    def texts(self) -> list[str]:
        """The shown text of every entry; the search is given what changed since last time."""
        first = self._dirty
        if first is not None:
            self._plain[first:] = [e.content.plain for e in self._entries[first:]]
            self.search.sync(self._plain, first)
            self._dirty = None
        return self._plain

    # ---- positions ---------------------------------------------------------------------------
    def line_starts(self, entry: ChatEntry) -> list[int]:
        """Where each wrapped line of ``entry`` starts in its content (wrapping drops the
        newlines and the spaces a line ends in, so the lines are found in order)."""
        if entry.starts is None:
            plain = entry.content.plain
            pos = 0
            starts = []
            for line in entry.wrapped:
                found = plain.find(line.plain, pos)
                pos = found if found >= 0 else pos
                starts.append(pos)
                pos += len(line.plain)
            entry.starts = starts
        return entry.starts

    def _marked(self, entry: ChatEntry, line: Text,
                spans: list[tuple[int, int, bool]]) -> Text:
        """``line`` with the spans that fall on it highlighted."""
        k = next((i for i, w in enumerate(entry.wrapped) if w is line), None)
        if k is None:
            return line
        first = self.line_starts(entry)[k]
        last = first + len(line.plain)
        marked = None
        styles = self._match_styles
        if styles is None:
            styles = self._match_styles = (self.get_component_rich_style("chat-log--match"),
                                           self.get_component_rich_style("chat-log--match-current"))
        for start, end, current in spans:
            if end <= first or start >= last:
                continue
            marked = marked or line.copy()
            marked.stylize(styles[current], max(0, start - first), min(last, end) - first)
        return marked or line

    def row_of(self, index: int, offset: int = 0) -> int:
        """The transcript row showing character ``offset`` of entry ``index``."""
        entry = self._entries[index]
        gap = self._count(entry) - len(entry.wrapped)
        starts = self.line_starts(entry)
        k = max(0, sum(1 for s in starts if s <= offset) - 1)
        return self._starts[index] + gap + k

    def show_row(self, row: int) -> None:
        """Scroll so that transcript row ``row`` is in view (centred when it was not)."""
        top = self.scroll_offset.y
        height = self.scrollable_content_region.height
        if not top <= row < top + height:
            self.scroll_to(y=max(0, row - height // 2), animate=False, immediate=True)

    def repaint_marks(self) -> None:
        """Selection or matches changed: drop the painted rows and repaint what is in view."""
        self._strips.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        """Theme changed: the match styles are looked up again."""
        super().notify_style_update()
        self._match_styles = None

    # ---- search ------------------------------------------------------------------------------
    def find(self, query: str) -> str:
        """Search for ``query`` (incremental, case-insensitive); returns the count ``3/17``."""
        self.texts()
        self.search.search(query)
        self._mark_matches()
        return self.search.count()

    def find_step(self, delta: int) -> str:
        """Go to the next (1) or previous (-1) match; returns the count."""
        if self._dirty is not None and self.search.query:  # lines came in: search them too
            near = self.search.match
            self.texts()
            self.search.search(self.search.query, near=near)
        self.search.step(delta)
        self._mark_matches()
        return self.search.count()

    def _mark_matches(self) -> None:
        """Scroll the current match into view and repaint (spans are found as rows paint)."""
        self._spans = {}
        match = self.search.match
        self._current = None
        if match is not None and match.index < len(self._entries):
            self._current = (self._entries[match.index], match.start)
            self.show_row(self.row_of(match.index, match.start))
        self.repaint_marks()

    def end_search(self) -> None:
        """Forget the search and its highlights."""
        self.search.clear()
        self._spans = {}
        self._current = None
        self.repaint_marks()

    def _bars(self) -> list:
        """The find bar(s) searching this log."""
        from nemo_tui.ui.widgets.findbar import FindBar

        return [bar for bar in self.screen.query(FindBar) if bar.log_view is self]

    def action_log_find(self) -> None:
        """Open the find bar."""
        for bar in self._bars():
            bar.open()

    def action_find_next(self) -> None:
        """The next match."""
        self.post_count(self.find_step(1))

    def action_find_prev(self) -> None:
        """The previous match."""
        self.post_count(self.find_step(-1))

    def post_count(self, count: str) -> None:
        """Show the count in the find bar, if there is one."""
        for bar in self._bars():
            bar.show_count(count)

    # ---- selection ---------------------------------------------------------------------------
    def start_selection(self) -> None:
        """Selection mode: the cursor on the newest message."""
        if not self._entries:
            self.notify("Nothing to select yet.", markup=False)
            return
        self.selecting = True
        self.anchor = None
        self.cursor = len(self._entries) - 1
        self.focus()
        self._select_changed()
        self.notify("Selection: ↑/↓ or j/k move, Shift+↑/↓ or J/K take in more, y copies, "
                    "Esc leaves.", markup=False)

    def _range(self) -> tuple[int, int]:
        """First and last selected entry."""
        other = self.cursor if self.anchor is None else self.anchor
        return min(self.cursor, other), max(self.cursor, other)

    def _select_changed(self) -> None:
        lo, hi = self._range()
        self._selected = {id(e) for e in self._entries[lo:hi + 1]}
        self.show_row(self.row_of(self.cursor))
        self.repaint_marks()

    def _move(self, delta: int, extend: bool) -> None:
        if extend and self.anchor is None:
            self.anchor = self.cursor
        elif not extend:
            self.anchor = None
        self.cursor = max(0, min(len(self._entries) - 1, self.cursor + delta))
        self._select_changed()

    def _leave(self) -> None:
        self.selecting = False
        self.anchor = None
        self._selected = set()

    def action_log_select(self) -> None:
        """Enter selection mode (or leave it)."""
        if self.selecting:
            self.action_leave_selection()
        else:
            self.start_selection()

    def action_select_up(self) -> None:
        """The message above, or scroll when not selecting."""
        if self.selecting:
            self._move(-1, False)
        else:
            self.scroll_up(animate=False)

    def action_select_down(self) -> None:
        """The message below, or scroll when not selecting."""
        if self.selecting:
            self._move(1, False)
        else:
            self.scroll_down(animate=False)

    def action_extend_up(self) -> None:
        """Take in the message above."""
        self._move(-1, True)

    def action_extend_down(self) -> None:
        """Take in the message below."""
        self._move(1, True)

    def action_leave_selection(self) -> None:
        """Leave selection mode; else close the find bar left open by Enter."""
        if not self.selecting:
            for bar in self._bars():
                bar.close()
            return
        self._leave()
        self.repaint_marks()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Selection keys only while selecting (Esc also while the find bar is open; otherwise
        it cancels the turn); n/N only while there are matches."""
        if action == "leave_selection":
            return self.selecting or any(bar.is_open for bar in self._bars())
        if action in ("extend_up", "extend_down"):
            return self.selecting
        if action in ("find_next", "find_prev"):
            return bool(self.search.total)
        return True

    # ---- copy --------------------------------------------------------------------------------
    def last_reply(self) -> ChatEntry | None:
        """The newest finished agent message."""
        for entry in reversed(self._entries):
            if entry.kind == "agent" and not entry.live and entry.raw_text.strip():
                return entry
        return None

    def action_copy(self) -> None:
        """Copy the selection, or the last reply when not selecting."""
        if not self.selecting:
            self.copy_last_reply()
            return
        lo, hi = self._range()
        picked = self._entries[lo:hi + 1]
        if len(picked) == 1:
            text = safe_text(picked[0].raw_text)
            what = "1 message"
        else:
            text = "\n\n".join(e.content.plain for e in picked)
            what = f"{len(picked)} messages"
        self._copy(text, what)

    def copy_last_reply(self) -> None:
        """Copy the agent's last reply."""
        entry = self.last_reply()
        if entry is None:
            self.notify("There is no agent reply to copy yet.", markup=False)
            return
        self._copy(safe_text(entry.raw_text), "the last reply")

    def _copy(self, text: str, what: str) -> None:
        """Put ``text`` on the terminal's clipboard (OSC 52) and say what was copied."""
        self.app.copy_to_clipboard(text)
        where = (f" Anything else is in the transcript file {self.transcript_path}."
                 if self.transcript_path else "")
        self.notify(f"Copied {what} ({len(text)} characters) to the clipboard. {TMUX_HINT}"
                    f"{where}", markup=False, timeout=8)
