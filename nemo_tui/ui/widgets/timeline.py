"""The timeline pane: a to-scale ruler of the tracks and a lazy tree of tracks → segments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from nemo_tui.textsafe import safe_line

if TYPE_CHECKING:
    from nemo_tui.ui.widgets.draft_tree import DraftTree

#: Tracks drawn on the ruler; more are summarized in one line.
RULER_TRACKS = 6
_FILL = ("█", "▓")  # alternate so adjacent segments stay distinguishable


def fmt_s(ms: float) -> str:
    """Milliseconds as seconds: ``10000`` → ``10``, ``2500`` → ``2.5``."""
    ms = int(ms or 0)
    return str(ms // 1000) if ms % 1000 == 0 else f"{ms / 1000:.1f}"


class Ruler(Widget):
    """Each track's segments drawn to scale in the pane's width (one line per track)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"ruler--video", "ruler--audio", "ruler--text", "ruler--other"}
    DEFAULT_CSS = """
    Ruler { height: auto; }
    Ruler > .ruler--video { color: $primary; }
    Ruler > .ruler--audio { color: $success; }
    Ruler > .ruler--text { color: $warning; }
    Ruler > .ruler--other { color: $secondary; }
    """

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.draft: Any = None
        self._cache: tuple[tuple[int, int, str], Text] | None = None

    def set_draft(self, draft: Any) -> None:
        """Show ``draft`` (a draft.Draft or None)."""
        self.draft = draft
        self._cache = None
        self.refresh(layout=True)

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        """One line per drawn track plus the scale line."""
        tracks = getattr(self.draft, "tracks", None) or []
        if not tracks:
            return 1
        more = 1 if len(tracks) > RULER_TRACKS else 0
        return min(len(tracks), RULER_TRACKS) + 1 + more

    def render(self) -> Text:
        """Draw (cached per draft and width: a 10,000-segment track costs one pass)."""
        width = self.size.width
        key = (id(self.draft), width, self.app.theme)
        if self._cache and self._cache[0] == key:
            return self._cache[1]
        text = self._draw(width)
        self._cache = (key, text)
        return text

    def _draw(self, width: int) -> Text:
        """Build the ruler text."""
        tracks = getattr(self.draft, "tracks", None) or []
        if not tracks:
            return Text("")  # the pane's title line already says "Timeline is empty."
        total = int(getattr(self.draft, "duration_ms", 0) or 0)
        for t in tracks:
            for s in t.segments:
                total = max(total, int(s.start_ms or 0) + int(s.duration_ms or 0))
        total = max(total, 1)
        name_w = 7
        bar_w = max(4, width - name_w)
        out = Text(no_wrap=True, overflow="crop")
        for t in tracks[:RULER_TRACKS]:
            cells = [" "] * bar_w
            for i, s in enumerate(t.segments):
                start = int(s.start_ms or 0)
                c0 = min(bar_w - 1, start * bar_w // total)
                c1 = max(c0 + 1, min(bar_w, -(-(start + int(s.duration_ms or 0)) * bar_w // total)))
                fill = _FILL[i % 2]
                for c in range(c0, c1):
                    cells[c] = fill
            out.append(f"{safe_line(str(t.role))[:name_w - 1]:<{name_w}}", style="bold")
            kind = t.kind if t.kind in ("video", "audio", "text") else "other"
            out.append("".join(cells), style=self.get_component_rich_style(f"ruler--{kind}"))
            out.append("\n")
        if len(tracks) > RULER_TRACKS:
            out.append(f"… {len(tracks) - RULER_TRACKS} more tracks\n", style="dim")
        end_label = f"{fmt_s(total)}s"
        scale = "0s".ljust(max(2, bar_w - len(end_label))) + end_label
        out.append(" " * name_w + scale, style="dim")
        return out


class TimelinePane(Vertical):
    """Header line (title, size, duration), the ruler and the tree (mounted after a frame)."""

    def __init__(self, *children: Widget, **kw: Any) -> None:
        super().__init__(*children, **kw)
        self.draft: Any = None
        self._tree: DraftTree | None = None

    def compose(self) -> ComposeResult:
        """Build the light part of the pane; the tree follows after the first frame."""
        yield Static(Text("Timeline is empty."), id="timeline-title", markup=False)
        yield Ruler(id="ruler")

    def on_mount(self) -> None:
        """Mount the tree once the first frame is on screen (start-up time)."""
        self.call_after_refresh(self.mount_tree)

    @property
    def tree(self) -> DraftTree:
        """The draft tree (created on first use; it shows its draft once mounted)."""
        if self._tree is None:
            from nemo_tui.ui.widgets.draft_tree import DraftTree

            self._tree = DraftTree(id="draft-tree")
        return self._tree

    def mount_tree(self) -> None:
        """Mount the draft tree now if it is not mounted yet."""
        tree = self.tree
        if tree.parent is None and self.is_attached:
            self.mount(tree)

    def set_draft(self, draft: Any, summary: str | None = None) -> None:
        """Show a decoded draft (draft.Draft or None)."""
        self.draft = draft
        title = self.query_one("#timeline-title", Static)
        if draft is None or not getattr(draft, "tracks", None):
            title.update(Text("Timeline is empty."))
        else:
            name = safe_line(draft.title or "Untitled", max_len=60)
            size = f" · {draft.width}x{draft.height}" if draft.width and draft.height else ""
            n = len(draft.tracks)
            title.update(Text(f"{name}{size} · {fmt_s(draft.duration_ms)}s · "
                              f"{n} track{'s' if n != 1 else ''}"))
        self.query_one(Ruler).set_draft(draft)
        self.tree.set_draft(draft)


def __getattr__(name: str) -> Any:
    """The tree's names, imported on first use (PEP 562): Tree is not on the first screen."""
    if name in ("CHUNK", "DraftTree", "segment_label", "track_label"):
        from nemo_tui.ui.widgets import draft_tree

        return getattr(draft_tree, name)
    raise AttributeError(name)


#: The name the benchmarks and other tools look the timeline widget up by.
TimelineView = TimelinePane
