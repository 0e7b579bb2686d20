"""The timeline's tree of tracks → segments, with segment nodes created on expansion.

Its own module so that the first screen does not import Tree: the timeline pane mounts it after
the first frame. Node data is ``(kind, track position, number)``: "track" (number: unused),
"segment" (the segment's index) or "more" (the next chunk's offset).
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
#: Tracks with at most this many segments start expanded.
EXPAND_MAX = 12


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
        self.draft: Any = None

    def set_draft(self, draft: Any, select: tuple[int, int | None] | None = None) -> None:
        """Rebuild the top level (one node per track; short tracks expanded, long ones load
        lazily) and put the cursor on ``select`` (track position, segment index) if it exists.
        Works before the tree is mounted too: the nodes are plain data until then."""
        self.draft = draft
        self.clear()
        for pos, track in enumerate(getattr(draft, "tracks", None) or []):
            node = self.root.add(track_label(track), data=("track", pos, 0),
                                 allow_expand=bool(track.segments))
            if 0 < len(track.segments) <= EXPAND_MAX:
                self._add_chunk(node, pos, 0)
                node.expand()
        self._add_transitions(getattr(draft, "transitions", None) or [])
        self.cursor_line = -1
        if self.root.children:
            self.call_after_refresh(self.select_position, *(select or (0, None)))

    def _add_transitions(self, transitions: list[Any]) -> None:
        """A "Transitions" node after the tracks (V3 drafts), listing up to CHUNK of them.

        Its nodes carry no data: they are not tracks or segments, so they are never a selection.
        """
        if not transitions:
            return
        from nemo_tui.draft import transition_text

        n = len(transitions)
        node = self.root.add(Text(f"Transitions — {n}"), data=None, expand=n <= EXPAND_MAX)
        for tr in transitions[:CHUNK]:
            node.add_leaf(Text(transition_text(tr)), data=None)
        if n > CHUNK:
            node.add_leaf(Text(f"… {n - CHUNK} more transitions"), data=None)

    def node_at(self, track: int, segment: int | None) -> TreeNode[Any] | None:
        """The node of a track, or of one of its loaded segments."""
        tracks = self.root.children
        if not 0 <= track < len(tracks):
            return None
        node = tracks[track]
        if segment is None:
            return node
        kids = node.children if node.is_expanded else []
        if 0 <= segment < len(kids) and kids[segment].data[0] == "segment":
            return kids[segment]
        return node

    def select_position(self, track: int, segment: int | None) -> None:
        """Move the cursor to a track or segment (to its track when the segment is not loaded)."""
        node = self.node_at(track, segment)
        if node is not None:
            self._tree_lines  # noqa: B018 - builds the lines (and node.line) if not drawn yet
            self.move_cursor(node)

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
        _, pos, offset = node.data
        parent = node.parent
        node.remove()
        if parent is not None:
            self._add_chunk(parent, pos, offset)

    def _add_chunk(self, node: TreeNode[Any], pos: int, offset: int) -> None:
        """Add up to CHUNK segments of track ``pos`` starting at ``offset`` under ``node``."""
        track = self.draft.tracks[pos]
        segs = track.segments[offset:offset + CHUNK]
        kind = str(track.kind)
        for i, seg in enumerate(segs, offset):
            node.add_leaf(segment_label(seg, kind), data=("segment", pos, i))
        rest = len(track.segments) - offset - len(segs)
        if rest > 0:
            node.add(Text(f"… {rest} more segments (expand)"), data=("more", pos,
                                                                      offset + CHUNK))
