"""A small still of a media file with a caption: the upload picker's look before uploading,
and the timeline's frame of the selected segment from a render.

Decoded in a thread worker (a newer request cancels an older one); a file that cannot be
shown, or a missing `preview` extra, becomes a sentence in the picture's place.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual.worker import get_current_worker

from nemo_tui.preview.errors import PreviewError
from nemo_tui.textsafe import safe_line
from nemo_tui.ui.widgets.picture import HalfcellPicture

#: Where a video's still is taken when no time is given: a little way in (a first frame is
#: often black), but never past the middle of a short clip.
DEFAULT_STILL_AT = 1.0


def default_still_time(duration: float | None) -> float:
    """The time of a video's still when none is asked for."""
    if not duration:
        return 0.0
    return round(min(DEFAULT_STILL_AT, duration / 2), 3)


class MediaStill(Vertical):
    """A half-cell still and one caption line under it."""

    DEFAULT_CSS = """
    MediaStill { height: auto; }
    MediaStill > .still-picture { height: 8; }
    MediaStill > .still-caption { height: auto; color: $text-muted; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        #: (path, seconds) of the still asked for last.
        self.wanted: tuple[str, float | None] | None = None

    def compose(self) -> ComposeResult:
        """The picture and the caption."""
        yield HalfcellPicture(classes="still-picture")
        yield Static(classes="still-caption", markup=False)

    @property
    def picture(self) -> HalfcellPicture:
        """The picture widget."""
        return self.query_one(".still-picture", HalfcellPicture)

    @property
    def caption(self) -> str:
        """The caption shown now (plain text)."""
        return str(self.query_one(".still-caption", Static).render())

    def show_still(self, path: Path | str, at: float | None = None,
                   label: str | None = None) -> None:
        """Show the frame at ``at`` seconds (a picture: itself) with ``label`` or the file's
        facts as the caption."""
        self.wanted = (str(path), at)
        self.call_after_refresh(self._start, str(path), at, label)

    def clear(self, text: str = "") -> None:
        """No still (a folder, a sound, nothing selected)."""
        self.wanted = None
        self.workers.cancel_group(self, "still")
        self.picture.show_message(text)
        self._set_caption("")

    def _set_caption(self, text: str) -> None:
        """Set the caption (literal text)."""
        self.query_one(".still-caption", Static).update(Text(safe_line(text, max_len=200)))

    def _start(self, path: str, at: float | None, label: str | None) -> None:
        """Decode at the picture's size once it has one."""
        if self.wanted != (path, at):
            return
        from nemo_tui.preview.halfcell import pixel_size

        width, height = self.picture.size
        if not width or not height:
            return
        self._decode(path, at, label, pixel_size(width, height))

    @work(thread=True, exclusive=True, group="still", exit_on_error=False,
          description="decode a still")
    def _decode(self, path: str, at: float | None, label: str | None,
                area: tuple[int, int]) -> None:
        """Open, decode and hand the still to the event loop (or say why not)."""
        from nemo_tui.preview.frames import FrameSource
        from nemo_tui.preview.halfcell import fit_cells, pixel_size

        worker = get_current_worker()
        try:
            source = FrameSource(path)
            try:
                info = source.info
                when = at if at is not None else default_still_time(info.duration)
                if info.duration is not None:
                    when = min(when, max(0.0, info.duration - 1 / (info.fps or 30)))
                cols, rows = fit_cells(info.width, info.height, area[0], area[1] // 2)
                picture = source.frame(when, pixel_size(cols, rows),
                                       cancelled=lambda: worker.is_cancelled)
            finally:
                source.close()
        except PreviewError as exc:
            self._hand_over(path, at, None, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - cancelled, or a damaged file: a sentence
            self._hand_over(path, at, None, f"No still ({type(exc).__name__}).")
            return
        if not worker.is_cancelled:
            self._hand_over(path, at, picture, label or info.facts())

    def _hand_over(self, path: str, at: float | None, picture: Any, text: str) -> None:
        """From the worker thread: show the result if it is still wanted."""
        def show() -> None:
            if self.wanted != (path, at):
                return
            if picture is None:
                self.picture.show_message(text)
                self._set_caption("")
            else:
                self.picture.show(picture)
                self._set_caption(text)

        self.app.call_from_thread(show)


class SegmentStill(MediaStill):
    """The timeline's still of the selected segment, labelled with the version it came from."""

    DEFAULT_CSS = """
    SegmentStill > .still-picture { height: 5; }
    """

    def show_segment(self, segment: Any, jobs: Any, *, session_id: str | None,
                     current_version: int | None) -> bool:
        """Show ``segment``'s middle frame from the best render; False when none fits."""
        from nemo_tui.preview.stills import segment_still

        source = segment_still(segment, jobs, session_id=session_id,
                               current_version=current_version)
        if source is None:
            self.clear("No render of this version yet: export to see this segment.")
            return False
        self.show_still(source.path, source.at, source.label())
        return True


#: Seconds the timeline's selection must rest before its still is decoded: arrow keys held
#: down pass many segments, and each would otherwise start a decode.
SELECTION_REST = 0.2


def follow_timeline_selection(pane: Any) -> None:
    """(Re)schedule the still of the timeline's selected segment (TimelinePane calls this when
    the selection or the draft version changes)."""
    timer = getattr(pane, "_still_timer", None)
    if timer is not None:
        timer.stop()
    pane._still_timer = pane.set_timer(SELECTION_REST, lambda: show_timeline_still(pane))


#: Rows the timeline keeps for its own lines besides the ruler when a still shows: the title,
#: the selection line and a few rows of the tree.
_PANE_OWN_ROWS = 5
#: The still's rows: the picture (MediaStill's CSS) and its caption.
_STILL_ROWS = 9


def room_for_still(pane: Any) -> bool:
    """Whether the pane is tall enough for the still without hiding the ruler (80x24: no)."""
    ruler = pane.query("#ruler")
    ruler_rows = ruler.first().outer_size.height if ruler else 0
    return pane.content_size.height >= _STILL_ROWS + ruler_rows + _PANE_OWN_ROWS


async def show_timeline_still(pane: Any) -> None:
    """Show the selected segment's middle frame from the best downloaded render under the
    selection line (mounted on first use); hidden without a segment or a render."""
    app = pane.app
    if getattr(getattr(app, "settings", None), "preview", "auto") == "off":
        return
    segment = pane._selected_segment()
    table = getattr(app, "_jobs_table", None)  # never build the table for this
    # renders still on disk (a stat each: a deleted file is no still rather than an error box)
    jobs = [j for j in (table.jobs.values() if table is not None else ())
            if j.path and os.path.isfile(j.path)]
    found = pane.query("#timeline-still")
    still = found.first() if found else None
    if segment is None or not jobs or not room_for_still(pane):
        if still is not None:
            still.display = False
        return
    if still is None:
        still = SegmentStill(id="timeline-still")
        await pane.mount(still, after="#timeline-selected")
    session = getattr(getattr(getattr(app, "_client", None), "session", None), "session_id",
                      None)
    still.display = still.show_segment(segment, jobs, session_id=session,
                                       current_version=getattr(pane, "version", None))
