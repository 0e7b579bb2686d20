"""The timeline's tree of tracks → segments, with segment nodes created on expansion.

Its own module so that the first screen does not import Tree: the timeline pane mounts it after
the first frame.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from nemo_tui.textsafe import safe_line
from nemo_tui.ui.widgets.timeline import fmt_s

#: Segments added to the tree per expansion; the rest sit behind a "… more" node.
CHUNK = 200


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


class DraftTree(Tree[Any]):
    """Tracks → segments; segment nodes are created only when a track is expanded."""

    def __init__(self, **kw) -> None:
        super().__init__(Text("draft"), **kw)
        self.show_root = False
        self.guide_depth = 2

    def set_draft(self, draft: Any) -> None:
        """Rebuild the top level (one node per track); segments load lazily (also works before
        the tree is mounted: the nodes are plain data until then)."""
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
