"""The timeline pane: a labelled ruler with a playhead, the selection line, and a lazy tree of
tracks → segments (or the media bin). Its keys move the playhead, zoom, and compose edit
instructions for the chat (see commands.TIMELINE_ACTIONS)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from nemo_tui.draft import format_seconds
from nemo_tui.textsafe import safe_line
from nemo_tui.ui.commands import timeline_bindings
from nemo_tui.ui.widgets.ruler import RULER_TRACKS, Ruler

if TYPE_CHECKING:
    from nemo_tui.edit_compose import EditAction
    from nemo_tui.media import MediaItem
    from nemo_tui.ui.widgets.draft_tree import DraftTree
    from nemo_tui.ui.widgets.media_bin import MediaBin

__all__ = ["RULER_TRACKS", "Ruler", "TimelinePane", "fmt_s", "selection_line"]

#: How far Left/Right (and with Shift) move the playhead, in ms.
STEP_MS, FINE_STEP_MS = 1000, 100
_HINT = "↑↓ select · ←→ playhead · +/- zoom · m media"


def fmt_s(ms: float) -> str:
    """Milliseconds as seconds: ``10000`` → ``10``, ``2500`` → ``2.5``."""
    ms = int(ms or 0)
    return str(ms // 1000) if ms % 1000 == 0 else f"{ms / 1000:.1f}"


def selection_line(draft: Any, track: int, segment: int | None) -> str:
    """``selected: 1.2 city at night — closing (7.5-15s)`` (or the track: ``selected: 1 Video
    — 2 segments``); made safe for one line."""
    t = draft.tracks[track]
    if segment is None or segment >= len(t.segments):
        n = len(t.segments)
        return f"selected: {track + 1} {safe_line(t.role)} — {n} segment{'s' if n != 1 else ''}"
    seg = t.segments[segment]
    return (f"selected: {track + 1}.{segment + 1} {safe_line(seg.label, max_len=60)} "
            f"({format_seconds(seg.start_ms)}-{format_seconds(seg.end_ms)}s)")


class SelectionLine(Widget):
    """One line naming the selection; repainting it never lays the screen out again (a Static's
    update does), which keeps a selection move within one frame on huge drafts."""

    DEFAULT_CSS = "SelectionLine { height: 1; }"

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.text = Text("")

    def show(self, text: Text) -> None:
        """Show ``text`` (a literal Text)."""
        if text != self.text:
            self.text = text
            self.refresh()

    def render(self) -> Text:
        """The line."""
        return self.text


class TimelinePane(Vertical):
    """Header line, selection line, the ruler, and the tree or the media bin."""

    BINDINGS: ClassVar[list[BindingType]] = timeline_bindings()

    @dataclass
    class EditComposed(Message):
        """An edit key composed an instruction for the chat input."""

        text: str
        action: EditAction
        #: columns of ``text`` to select (the old text of a retext: typing replaces it, End or
        #: an arrow keeps it); None: the cursor at the end
        select: tuple[int, int] | None = None

    def __init__(self, *children: Widget, **kw: Any) -> None:
        super().__init__(*children, **kw)
        self.draft: Any = None
        self.selection: tuple[int, int | None] | None = None
        #: The draft version shown (None: not known), for the selected segment's still.
        self.version: int | None = None
        self.media: list[MediaItem] = []
        self._tree: DraftTree | None = None
        self._bin: MediaBin | None = None

    def compose(self) -> ComposeResult:
        """Build the light part of the pane; the tree follows after the first frame."""
        yield Static(Text("Timeline is empty."), id="timeline-title", markup=False)
        yield SelectionLine(id="timeline-selected")
        yield Ruler(id="ruler")

    def on_mount(self) -> None:
        """Mount the tree once the first frame is on screen (start-up time)."""
        self.call_after_refresh(self.mount_tree)

    @property
    def ruler(self) -> Ruler:
        """The ruler."""
        return self.query_one(Ruler)

    @property
    def tree(self) -> DraftTree:
        """The draft tree (created on first use; it shows its draft once mounted)."""
        if self._tree is None:
            from nemo_tui.ui.widgets.draft_tree import DraftTree

            self._tree = DraftTree(id="draft-tree")
        return self._tree

    @property
    def media_bin(self) -> MediaBin:
        """The media bin (created on first use, hidden until ``m``)."""
        if self._bin is None:
            from nemo_tui.ui.widgets.media_bin import MediaBin

            self._bin = MediaBin(id="media-bin")
            self._bin.display = False
            self._bin.set_items(self.media)
        return self._bin

    def mount_tree(self) -> None:
        """Mount the draft tree now if it is not mounted yet."""
        tree = self.tree
        if tree.parent is None and self.is_attached:
            self.mount(tree)

    def set_version(self, number: int | None) -> None:
        """Say in the pane's title which draft version is shown (``Timeline · v3``)."""
        self.border_title = "Timeline" if number is None else f"Timeline · v{number}"
        self.version = number
        self._follow_still()

    def _follow_still(self) -> None:
        """The selected segment's still from a render follows the selection and the version."""
        if not self.is_attached:
            return
        from nemo_tui.ui.widgets.still import follow_timeline_selection

        follow_timeline_selection(self)

    @property
    def language(self) -> str:
        """The session language (the studio's settings), for composed instructions."""
        return str(getattr(getattr(self.app, "settings", None), "language", "en") or "en")

    # ---- what is shown ---------------------------------------------------------------------
    def set_draft(self, draft: Any, summary: str | None = None) -> None:
        """Show a decoded draft (draft.Draft or None); the selection stays where it was."""
        self.draft = draft
        title = self.query_one("#timeline-title", Static)
        tracks = getattr(draft, "tracks", None) or []
        if not tracks:
            title.update(Text("Timeline is empty."))
        else:
            name = safe_line(draft.title or "Untitled", max_len=60)
            size = f" · {draft.width}x{draft.height}" if draft.width and draft.height else ""
            n = len(tracks)
            line = f"{name}{size} · {fmt_s(draft.duration_ms)}s · {n} track{'s' if n != 1 else ''}"
            k = len(getattr(draft, "transitions", None) or [])
            if k:
                line += f" · {k} transition{'s' if k != 1 else ''}"
            if getattr(draft, "capped", None):
                line += f" · {draft.capped}"
            title.update(Text(line))
        sel = self.selection
        if sel is not None and sel[0] < len(tracks):
            count = len(tracks[sel[0]].segments)
            sel = (sel[0], None if sel[1] is None or count == 0 else min(sel[1], count - 1))
        else:
            sel = (0, None) if tracks else None
        self.ruler.set_draft(draft)
        self.tree.set_draft(draft, select=sel)
        self.select(sel)

    def set_media(self, video_infos: Any, generated_media: Any) -> None:
        """Show the session's uploads and generated media (from the state reply)."""
        from nemo_tui.media import media_items

        self.media = media_items(video_infos, generated_media)
        if self._bin is not None:
            self._bin.set_items(self.media)

    def select(self, selection: tuple[int, int | None] | None) -> None:
        """Select a track or segment: highlighted in the ruler, named in the selection line."""
        self.selection = selection
        self.ruler.select(*(selection or (None, None)))
        self._follow_still()
        line = self.query_one(SelectionLine)
        if selection is None or self.draft is None:
            line.show(Text(_HINT if self.draft and self.draft.tracks else "", style="dim"))
        else:
            line.show(Text(selection_line(self.draft, *selection), no_wrap=True,
                           overflow="ellipsis"))

    def follow_edit(self, action: EditAction | None) -> None:
        """An edit was applied: a moved segment stays selected at its new place (called before
        the new draft is shown, which restores the selection)."""
        step = {"move_earlier": -1, "move_later": 1}.get(action.kind if action else "")
        if action is not None and step and self.selection == (action.track, action.segment):
            self.selection = (action.track, action.segment + step)

    def on_tree_node_highlighted(self, event: Any) -> None:
        """The tree's cursor is the selection."""
        data = event.node.data
        if not data:
            return
        kind, track, number = data
        self.select((track, number if kind == "segment" else None))

    # ---- playhead and zoom (key actions) ---------------------------------------------------
    def action_timeline_playhead_back(self) -> None:
        """Playhead 1 s earlier."""
        self.ruler.set_playhead(self.ruler.playhead_ms - STEP_MS)

    def action_timeline_playhead_forward(self) -> None:
        """Playhead 1 s later."""
        self.ruler.set_playhead(self.ruler.playhead_ms + STEP_MS)

    def action_timeline_playhead_back_fine(self) -> None:
        """Playhead 0.1 s earlier."""
        self.ruler.set_playhead(self.ruler.playhead_ms - FINE_STEP_MS)

    def action_timeline_playhead_forward_fine(self) -> None:
        """Playhead 0.1 s later."""
        self.ruler.set_playhead(self.ruler.playhead_ms + FINE_STEP_MS)

    def _selected_segment(self) -> Any:
        """The selected segment, or None."""
        sel = self.selection
        if self.draft is None or sel is None or sel[1] is None:
            return None
        segments = self.draft.tracks[sel[0]].segments
        return segments[sel[1]] if sel[1] < len(segments) else None

    def action_timeline_playhead_start(self) -> None:
        """Playhead to the selected segment's start (the draft's start without one)."""
        seg = self._selected_segment()
        self.ruler.set_playhead(seg.start_ms if seg is not None else 0)

    def action_timeline_playhead_end(self) -> None:
        """Playhead to the selected segment's end (the draft's end without one)."""
        seg = self._selected_segment()
        self.ruler.set_playhead(seg.end_ms if seg is not None else self.ruler.total_ms)

    def action_timeline_zoom_in(self) -> None:
        """Zoom in twice as close."""
        self.ruler.zoom_by(0.5)

    def action_timeline_zoom_out(self) -> None:
        """Zoom out twice as far (up to the whole draft)."""
        self.ruler.zoom_by(2.0)

    def action_timeline_zoom_fit(self) -> None:
        """Fit the whole draft in the width."""
        self.ruler.zoom_fit()

    # ---- edit keys: compose an instruction ---------------------------------------------------
    def compose_edit(self, kind: str, media: MediaItem | None = None) -> None:
        """Compose the instruction for ``kind`` on the selection and post it (or say why not)."""
        from nemo_tui.edit_compose import EditAction, EditRefused, compose

        track, segment = self.selection if self.selection else (-1, None)
        action = EditAction(kind, track, -1 if segment is None else segment,
                            at_ms=self.ruler.playhead_ms,
                            media=media.name if media else None,
                            generated=bool(media and media.generated))
        try:
            text, action = compose(self.draft, action, self.language)
        except EditRefused as exc:
            self.app.notify(str(exc), severity="warning", markup=False)
            return
        select = None
        if kind == "retext":  # the old text, just inside the closing quote (both languages)
            end = len(text) - 2
            select = (end - len(safe_line(action.text or "")), end)
        self.post_message(self.EditComposed(text, action, select))

    def action_timeline_delete(self) -> None:
        """Compose: delete the selected segment."""
        self.compose_edit("delete")

    def action_timeline_split(self) -> None:
        """Compose: split the selected segment at the playhead."""
        self.compose_edit("split")

    def action_timeline_trim_start(self) -> None:
        """Compose: trim the selected segment's start to the playhead."""
        self.compose_edit("trim_start")

    def action_timeline_trim_end(self) -> None:
        """Compose: trim the selected segment's end to the playhead."""
        self.compose_edit("trim_end")

    def action_timeline_move_earlier(self) -> None:
        """Compose: move the selected segment one place earlier."""
        self.compose_edit("move_earlier")

    def action_timeline_move_later(self) -> None:
        """Compose: move the selected segment one place later."""
        self.compose_edit("move_later")

    def action_timeline_volume_up(self) -> None:
        """Compose: raise the selected audio segment's volume by 10 points."""
        self.compose_edit("volume_up")

    def action_timeline_volume_down(self) -> None:
        """Compose: lower the selected audio segment's volume by 10 points."""
        self.compose_edit("volume_down")

    def action_timeline_retext(self) -> None:
        """Compose: new text for the selected text segment (prefilled with the current one)."""
        self.compose_edit("retext")

    # ---- the media bin ---------------------------------------------------------------------
    def action_timeline_media(self) -> None:
        """Show the media bin instead of the tree, or back."""
        media = self.media_bin
        if media.parent is None:
            self.mount(media)
        showing = not media.display
        media.display = showing
        self.tree.display = not showing
        (media if showing else self.tree).focus()
        self.border_subtitle = "Media" if showing else ""

    def on_option_list_option_selected(self, event: Any) -> None:
        """Enter on a media item: compose inserting it at the playhead."""
        event.stop()
        item = self.media_bin.current()
        if item is not None:
            self.compose_edit("insert", item)


def __getattr__(name: str) -> Any:
    """The tree's names, imported on first use (PEP 562): Tree is not on the first screen."""
    if name in ("CHUNK", "DraftTree", "segment_label", "track_label"):
        from nemo_tui.ui.widgets import draft_tree

        return getattr(draft_tree, name)
    raise AttributeError(name)


#: The name the benchmarks and other tools look the timeline widget up by.
TimelineView = TimelinePane
