"""The timeline pane: a to-scale ruler of the tracks and a lazy tree of tracks → segments."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from nemo_tui.textsafe import safe_line

#: Segments added to the tree per expansion; the rest sit behind a "… more" node.
CHUNK = 200
#: Tracks drawn on the ruler; more are summarized in one line.
RULER_TRACKS = 6
_FILL = ("█", "▓")  # alternate so adjacent segments stay distinguishable


def fmt_s(ms: float) -> str:
    """Milliseconds as seconds: ``10000`` → ``10``, ``2500`` → ``2.5``."""
    ms = int(ms or 0)
    return str(ms // 1000) if ms % 1000 == 0 else f"{ms / 1000:.1f}"


def segment_label(seg: Any, kind: str) -> Text:
    """A one-line, literal description of a segment."""
    start = int(getattr(seg, "start_ms", 0) or 0)
    end = start + int(getattr(seg, "duration_ms", 0) or 0)
    parts = [safe_line(getattr(seg, "label", "") or "(untitled)", max_len=60), kind,
             f"{fmt_s(start)}-{fmt_s(end)}s"]
    volume = getattr(seg, "volume", None)
    if isinstance(volume, (int, float)):
        parts.append(f"vol {round(volume * 100)}%")
    text = getattr(seg, "text", None)
    if text:
        parts.append(f"“{safe_line(text, max_len=60)}”")
    return Text(" · ".join(parts))


def track_label(track: Any) -> Text:
    """A one-line description of a track."""
    n = len(getattr(track, "segments", []) or [])
    role = safe_line(str(getattr(track, "role", "Track")))
    return Text(f"{getattr(track, 'index', 0) + 1}. {role} — {n} segment{'s' if n != 1 else ''}")


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


class DraftTree(Tree[Any]):
    """Tracks → segments; segment nodes are created only when a track is expanded."""

    def __init__(self, **kw) -> None:
        super().__init__(Text("draft"), **kw)
        self.show_root = False
        self.guide_depth = 2

    def set_draft(self, draft: Any) -> None:
        """Rebuild the top level (one node per track); segments load lazily."""
        self.clear()
        for track in getattr(draft, "tracks", None) or []:
            has = bool(track.segments)
            self.root.add(track_label(track), data=("track", track, 0), allow_expand=has)
        self.cursor_line = 0

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Any]) -> None:
        """Load the segments of a track (or the next chunk) on first expansion."""
        node = event.node
        data = node.data
        if not data or node.children:
            if data and data[0] == "more":
                self._load_more(node)
            return
        if data[0] == "track":
            self._add_chunk(node, data[1], 0)
        elif data[0] == "more":
            self._load_more(node)

    def _load_more(self, node: TreeNode[Any]) -> None:
        """Replace a "… more" node with the next chunk of segments."""
        _, track, offset = node.data
        parent = node.parent
        node.remove()
        if parent is not None:
            self._add_chunk(parent, track, offset)

    def _add_chunk(self, node: TreeNode[Any], track: Any, offset: int) -> None:
        """Add up to CHUNK segments starting at ``offset`` under ``node``."""
        segs = track.segments[offset:offset + CHUNK]
        for seg in segs:
            node.add_leaf(segment_label(seg, str(track.kind)), data=("segment", seg, 0))
        rest = len(track.segments) - offset - len(segs)
        if rest > 0:
            node.add(Text(f"… {rest} more segments (expand)"), data=("more", track,
                                                                      offset + CHUNK))


class TimelinePane(Vertical):
    """Header line (title, size, duration), the ruler and the tree."""

    def compose(self) -> ComposeResult:
        """Build the pane."""
        yield Static(Text("Timeline is empty."), id="timeline-title", markup=False)
        yield Ruler(id="ruler")
        yield DraftTree(id="draft-tree")

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
        self.query_one(DraftTree).set_draft(draft)


#: The name the benchmarks and other tools look the timeline widget up by.
TimelineView = TimelinePane
