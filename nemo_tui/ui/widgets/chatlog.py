"""The chat transcript as one line-API widget: wrapped lines, no child widget per message."""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.events import Resize
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from nemo_tui.textsafe import safe_text

#: How each kind of line starts (the CSS component class is ``chat-log--<kind>``).
PREFIX = {
    "user": "› ",
    "agent": "",
    "info": "· ",
    "error": "✗ ",
    "diff": "  ",
    "offer": "→ ",
    "activity": "⚙ ",
    "working": "",
}


class ChatEntry:
    """One message (or paragraph) of the transcript; its content is always a literal Text."""

    __slots__ = ("content", "kind", "live", "raw_text", "starts", "wrapped")

    def __init__(self, text: str, kind: str) -> None:
        self.kind = kind
        self.live = False
        self.wrapped: list[Text] = []  # the content wrapped to the log's current width
        self.starts: list[int] | None = None  # where each wrapped line starts in content
        self.set_text(text)

    def set_text(self, text: str) -> None:
        """Replace the text; ``content`` escapes controls and never parses markup."""
        self.raw_text = text
        self.content = Text(PREFIX.get(self.kind, "") + safe_text(text), overflow="fold")

    def __repr__(self) -> str:
        return f"ChatEntry({self.kind!r}, live={self.live})"


def _same(a: tuple[ChatEntry, Text | None], b: tuple[ChatEntry, Text | None]) -> bool:
    """Whether two rows draw the same text (blank rows are all alike)."""
    if a[1] is None or b[1] is None:
        return a[1] is b[1]
    return a[1].plain == b[1].plain


class ChatLog(ScrollView, can_focus=True):
    """Scrolling conversation drawn with the line API. A streamed message is painted about ten
    times a second; finished paragraphs are frozen into entries of their own so each paint
    re-wraps only the last paragraph, and a paint refreshes only the rows that changed (no
    relayout of the screen). The final text replaces the streamed entries."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"chat-log--{k}" for k in PREFIX} | {"chat-log--live"}

    DEFAULT_CSS = """
    ChatLog { overflow-x: hidden; overflow-y: auto; scrollbar-gutter: stable; }
    """

    #: Seconds between paints of a streaming message (a one-shot timer: idle costs nothing).
    FLUSH_EVERY = 0.1

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self._entries: list[ChatEntry] = []
        # One row per screen line: (entry, wrapped line), or (entry, None) for the blank row
        # that sets a user's message apart; _starts[i] is the first row of _entries[i].
        self._rows: list[tuple[ChatEntry, Text | None]] = []
        self._starts: list[int] = []
        self._width = 0
        self._strips: LRUCache[int, Strip] = LRUCache(1024)
        self._parts: list[ChatEntry] = []  # entries of the streaming message; the last is live
        self._chunks: list[str] = []
        self._frozen = 0  # characters of the streamed text already frozen into finished entries
        self._timer: Timer | None = None
        self._follow = True  # at the bottom: new lines scroll into sight

    # ---- reading ----------------------------------------------------------------------------
    @property
    def entries(self) -> list[ChatEntry]:
        """The entries shown, oldest first."""
        return list(self._entries)

    def lines(self, kind: str | None = None) -> list[str]:
        """The raw texts shown, optionally of one kind (for tests and the transcript)."""
        return [e.raw_text for e in self._entries if kind is None or e.kind == kind]

    def kinds(self) -> list[str]:
        """The kind of every entry, parallel to ``lines(None)``."""
        return [e.kind for e in self._entries]

    def shown_text(self) -> str:
        """The plain text of every entry, one per line (what the log shows, unwrapped)."""
        return "\n".join(e.content.plain for e in self._entries)

    # ---- layout -----------------------------------------------------------------------------
    def _wrap_width(self) -> int:
        """Columns for text: the content width less one column of padding each side."""
        return max(1, self.scrollable_content_region.width - 2)

    def _wrap(self, entry: ChatEntry) -> list[tuple[ChatEntry, Text | None]]:
        """The rows of ``entry`` at the current width (wrapping is style-free, so cached)."""
        if self._width <= 0:
            return []
        entry.wrapped = list(entry.content.wrap(self.app.console, self._width, overflow="fold"))
        entry.starts = None
        rows: list[tuple[ChatEntry, Text | None]] = []
        if entry.kind == "user" and entry is not self._entries[0]:
            rows.append((entry, None))
        rows.extend((entry, line) for line in entry.wrapped)
        return rows

    def _relayout_from(self, index: int, old_rows: int, *, force_from: int | None = None) -> None:
        """Re-wrap entry ``index`` into the rows and refresh only the rows that changed."""
        follow = self._following()
        start = self._starts[index] if index < len(self._starts) else len(self._rows)
        end = start + old_rows
        new = self._wrap(self._entries[index]) if index < len(self._entries) else []
        old = self._rows[start:end]
        self._rows[start:end] = new
        if len(new) != len(old):
            self._reindex(index)
        self._changed(start, new, old, follow, force_from)

    def _reindex(self, first: int = 0) -> None:
        """Recompute where each entry from ``first`` on starts."""
        del self._starts[first:]
        row = 0 if first == 0 else self._starts[first - 1] + self._entry_rows(first - 1)
        for entry in self._entries[first:]:
            self._starts.append(row)
            row += self._count(entry)

    def _count(self, entry: ChatEntry) -> int:
        """Rows of ``entry`` (its blank row included)."""
        gap = entry.kind == "user" and entry is not self._entries[0]
        return len(entry.wrapped) + gap if self._width > 0 else 0

    def _entry_rows(self, index: int) -> int:
        """Rows of the entry at ``index``."""
        return self._count(self._entries[index])

    def _rebuild(self) -> None:
        """Re-wrap everything (a new width or a cleared log) and repaint."""
        follow = self._following()
        self._width = self._wrap_width() if self.size.width else 0
        self._rows = []
        for entry in self._entries:
            self._rows.extend(self._wrap(entry))
        self._reindex()
        self._strips.clear()
        self._set_virtual(follow)
        self.refresh()

    def _changed(self, start: int, new: list, old: list, follow: bool,
                 force_from: int | None) -> None:
        """Refresh from the first row that differs (or ``force_from``): to the entry's end
        when its row count is the same, else to the end of the log (rows below moved)."""
        common = min(len(new), len(old))
        first = next((i for i in range(common) if not _same(new[i], old[i])), common)
        first = first if force_from is None else min(first, force_from)
        below = len(self._rows) - start - len(new)  # rows of later entries (they moved)
        end = len(new) if len(new) == len(old) else max(len(new), len(old)) + below
        for y in range(start + first, start + end):
            self._strips.discard(y)
        if len(new) != len(old):
            self._set_virtual(follow)
        if first < end:
            self._refresh_rows(start + first, end - first)

    def _set_virtual(self, follow: bool) -> None:
        """Grow (or shrink) the scrollable size; keep following the bottom if we were."""
        view = self.scrollable_content_region
        rows = len(self._rows)
        if not (follow and self._parts and rows > view.height):
            slack = 0
        elif rows > self.scroll_offset.y + view.height:
            # A stream ran past the bottom: scroll half a view ahead, leaving blank rows below
            # it to fill. Every scroll repaints the whole pane (Textual has no terminal scroll
            # regions), so scrolling in half-pages instead of every paint halves the bytes.
            slack = view.height // 2
        else:
            slack = self.scroll_offset.y + view.height - rows  # still filling the blank rows
        size = Size(view.width, rows + slack)
        if size != self.virtual_size:
            # Not `self.virtual_size = size`: that reactive asks for a layout of the whole
            # screen, and only this widget's scroll range changed (the gutter is stable, so
            # the scrollbar appearing changes no width; Textual lays out for that itself).
            self.set_reactive(ChatLog.virtual_size, size)
            self._scroll_update(size)
        if follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def _following(self) -> bool:
        """Whether new lines should stay in sight (the user has not scrolled up)."""
        return self._follow

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Remember whether the view is at the bottom: a resize or new lines keep it there."""
        super().watch_scroll_y(old_value, new_value)
        self._follow = round(new_value) >= self.max_scroll_y

    def _top_pad(self) -> int:
        """Blank rows above a short transcript: the newest line sits at the bottom."""
        return max(0, self.scrollable_content_region.height - len(self._rows))

    def _refresh_rows(self, first: int, count: int) -> None:
        """Repaint ``count`` rows from row ``first`` (all of them while the log is short)."""
        if self._top_pad():
            self.refresh()
            return
        y = first - self.scroll_offset.y
        self.refresh(Region(0, y, self.size.width, max(1, count)))

    def on_resize(self, event: Resize) -> None:
        """Re-wrap when the width changes (only then: wrapping is the costly part)."""
        if self._wrap_width() != self._width or not self._width:
            self._rebuild()
        else:
            self._set_virtual(self._following())

    def notify_style_update(self) -> None:
        """Theme or CSS changed: drop the painted rows (wrapping stays valid)."""
        super().notify_style_update()
        self._strips.clear()

    # ---- painting ---------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        """Row ``y`` of the view, from the cached strip of that transcript row."""
        width = self.size.width
        row = y + self.scroll_offset.y - self._top_pad()
        base = self.rich_style
        if not 0 <= row < len(self._rows):
            return Strip.blank(width, base)
        strip = self._strips.get(row)
        if strip is None:
            strip = self._render_row(row, base, width)
            self._strips[row] = strip
        return strip

    def _render_row(self, row: int, base: Style, width: int) -> Strip:
        """Draw one row: a space of padding each side, in the entry kind's style."""
        entry, line = self._rows[row]
        # only the growing last row of a streamed paragraph is muted: a finished row keeps
        # its look, so it is written to the terminal once
        growing = entry.live and line is not None and line is entry.wrapped[-1]
        names = ("chat-log--live",) if growing else (f"chat-log--{entry.kind}",)
        selected, spans = self.row_marks(entry)
        if selected:
            names = ("chat-log--selected",)
        style = self.get_component_rich_style(*names, default=base)
        if line is None:
            return Strip.blank(width, base)
        if spans:
            line = self._marked(entry, line, spans)
        segments = [Segment(" ", style)]
        segments.extend(Segment(s.text, style + s.style if s.style else style)
                        for s in line.render(self.app.console))
        strip = Strip(Segment.simplify(segments)).crop_extend(0, width, style)
        return strip.simplify()

    # ---- marks (selection and search: see chatview.py) ---------------------------------------
    def row_marks(self, entry: ChatEntry) -> tuple[bool, list[tuple[int, int, bool]]]:
        """Whether ``entry`` is selected, and the (start, end, current) spans to highlight in
        its content; the plain log has neither."""
        return False, []

    def _marked(self, entry: ChatEntry, line: Text,
                spans: list[tuple[int, int, bool]]) -> Text:
        """``line`` with its spans highlighted (the subclass that has spans draws them)."""
        return line

    # ---- writing ----------------------------------------------------------------------------
    def add_line(self, text: str, kind: str = "info") -> ChatEntry:
        """Append a finished line of ``kind``."""
        entry = ChatEntry(text, kind)
        self._entries.append(entry)
        self._starts.append(len(self._rows))
        self._relayout_from(len(self._entries) - 1, 0)
        return entry

    def _entry_rows_before(self, index: int) -> int:
        """Rows the entry at ``index`` holds now (before it is re-wrapped)."""
        nxt = self._starts[index + 1] if index + 1 < len(self._starts) else len(self._rows)
        return nxt - self._starts[index]

    def _index(self, entry: ChatEntry) -> int:
        """Where ``entry`` is, searching from the newest (a stream's entries are at the end)."""
        for i in range(len(self._entries) - 1, -1, -1):
            if self._entries[i] is entry:
                return i
        raise ValueError("not an entry of this log")

    def _remove(self, entries: list[ChatEntry]) -> None:
        """Drop entries (the stream's extra paragraphs) and repaint from the first one."""
        if not entries:
            return
        follow = self._following()
        first = min(self._index(e) for e in entries)
        start = self._starts[first]
        gone = {id(e) for e in entries}
        self._entries = [e for e in self._entries if id(e) not in gone]
        self._rows = [r for r in self._rows if id(r[0]) not in gone]
        self._reindex(first)
        self._strips.clear()
        self._set_virtual(follow)
        self._refresh_rows(start, len(self._rows) - start + len(entries))

    # ---- streaming --------------------------------------------------------------------------
    def add_chunk(self, text: str) -> None:
        """Add a partial chunk; it shows at the next paint (at most FLUSH_EVERY from now)."""
        self._chunks.append(text)
        if not self._parts:
            self._new_live()
        if self._timer is None:
            self._timer = self.set_timer(self.FLUSH_EVERY, self._flush, name="chat flush")

    def _new_live(self) -> ChatEntry:
        """Start the live (still growing) entry of the streaming message."""
        live = ChatEntry("", "agent")
        live.live = True
        self._entries.append(live)
        self._starts.append(len(self._rows))
        self._relayout_from(len(self._entries) - 1, 0)
        self._parts.append(live)
        return live

    def _set(self, entry: ChatEntry, text: str, *, live: bool) -> None:
        """Give ``entry`` new text and live state, repainting only what changed."""
        restyle = entry.live or live  # the muted last row moves on, or turns to normal text
        entry.live = live
        entry.set_text(text)
        index = self._index(entry)
        rows = self._entry_rows_before(index)
        self._relayout_from(index, rows, force_from=max(0, rows - 1) if restyle else None)

    def _flush(self) -> None:
        """Paint the chunks gathered so far; the assembled text is escaped (never one chunk
        alone, so sequences split across chunks are caught)."""
        self._timer = None
        if not self._parts:
            return
        text = "".join(self._chunks)
        self._chunks = [text]
        tail = text[self._frozen:]
        cut = tail.rfind("\n\n")
        if cut > 0:
            # keep one "\n" so the paragraph ends in the blank row the final text will show
            self._set(self._parts[-1], tail[:cut + 1], live=False)
            self._frozen += cut + 2
            self._new_live()
            tail = text[self._frozen:]
        self._set(self._parts[-1], tail, live=True)

    def _replace_parts(self, text: str) -> None:
        """Swap the streaming message's entries for one entry holding ``text``."""
        parts = self._parts
        self.clear_stream()
        if not parts:
            self.add_line(text, "agent")
            return
        first = self._index(parts[0])
        if self._entries[first:first + len(parts)] == parts:
            # The usual case: the streamed entries are adjacent, so swap them for one in a
            # single step: rows that read the same (the text as streamed) are not repainted.
            last = first + len(parts) - 1
            rows = self._entry_rows_before(last) + self._starts[last] - self._starts[first]
            live_from = max(0, rows - 1)  # the muted row turns to normal text
            del self._entries[first + 1:first + len(parts)]
            del self._starts[first + 1:first + len(parts)]
            parts[0].live = False
            parts[0].set_text(text)
            self._relayout_from(first, rows, force_from=live_from)
            return
        self._set(parts[0], text, live=False)
        self._remove(parts[1:])

    def finish_message(self, text: str) -> None:
        """The whole message arrived: it replaces the live chunks (never shown twice)."""
        self._replace_parts(text)

    @property
    def streaming(self) -> bool:
        """Whether a reply is being streamed (its live entries are on screen)."""
        return bool(self._parts)

    def end_turn(self) -> str | None:
        """Close a message that never got its final text; returns that text (or None)."""
        if not self._parts:
            return None
        text = "".join(self._chunks)
        if not text.strip():
            parts = self._parts
            self.clear_stream()
            self._remove(parts)
            return None
        self._replace_parts(text)
        return text

    def clear_stream(self) -> None:
        """Forget the streaming message's state (its entries stay)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._parts = []
        self._chunks = []
        self._frozen = 0
        if self.virtual_size.height > len(self._rows):
            self._set_virtual(self._follow)  # drop the blank rows a stream scrolled ahead

    def clear_log(self) -> None:
        """Remove every entry (a session switch)."""
        self.clear_stream()
        self._entries = []
        self._rebuild()
