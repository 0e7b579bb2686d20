"""The Preview screen: a large frame at the cursor, a strip of 8 thumbnails, scrubbing, playing.

Decoding runs in thread workers (cancelled when superseded or when the screen closes); pictures
reach the widgets through ``call_from_thread``. Every file problem becomes a notice and a
sentence in the frame area, never a traceback.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from nemo_tui.preview.errors import PreviewError
from nemo_tui.textsafe import safe_line
from nemo_tui.ui.widgets.picture import HalfcellPicture

STRIP_COUNT = 8
STRIP_ROWS = 4  # picture rows of each thumbnail (a label line goes under it)
DEFAULT_BYTES_PER_SECOND = 1_000_000


def fmt_time(seconds: float) -> str:
    """``75.25`` → ``1:15.25``."""
    minutes, secs = divmod(max(0.0, seconds), 60)
    return f"{int(minutes)}:{secs:05.2f}"


def open_preview(app: Any, path: Path | str, title: str | None = None) -> None:
    """Open ``path`` in a worker; push the Preview screen when it opens, else say why."""
    if getattr(app.settings, "preview", "auto") == "off":
        app.notify('Previews are off (preview = "off" in config.toml).', markup=False)
        return

    def opening() -> None:
        from nemo_tui.preview.frames import FrameSource

        try:
            frames, thumbs = FrameSource(path), FrameSource(path, thumbnails=True)
        except PreviewError as exc:
            app.call_from_thread(app.notify, str(exc), title="Preview", severity="warning",
                                 markup=False)
            return
        app.call_from_thread(app.push_screen, PreviewScreen(frames, thumbs, title))

    app.run_worker(opening, thread=True, group="preview", exit_on_error=False,
                   description="open a preview")


class Thumb(Vertical):
    """One thumbnail of the strip with its time under it."""

    def __init__(self, index: int, at: float, **kw: Any) -> None:
        super().__init__(classes="thumb", **kw)
        self.index = index
        self.at = at

    def compose(self) -> ComposeResult:
        """The picture and its time."""
        yield HalfcellPicture(classes="thumb-picture")
        yield Static(Text(fmt_time(self.at)), classes="thumb-time", markup=False)


class PreviewScreen(Screen[None]):
    """A video (or picture) seen in the terminal: frames, strip, scrubbing, playback."""

    CSS_PATH = "../styles/preview.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="preview_close"),
        Binding("left", "scrub(-1)", "-1 s", id="preview_back"),
        Binding("right", "scrub(1)", "+1 s", id="preview_forward"),
        Binding("shift+left", "scrub(-0.1)", "-0.1 s", show=False, id="preview_back_fine"),
        Binding("shift+right", "scrub(0.1)", "+0.1 s", show=False, id="preview_forward_fine"),
        Binding("home", "jump(0)", "Start", show=False, id="preview_start"),
        Binding("end", "jump(-1)", "End", show=False, id="preview_end"),
        Binding("space", "play", "Play", id="preview_play"),
    ]

    def __init__(self, frames: Any, thumbs: Any, title: str | None = None) -> None:
        super().__init__()
        self.frames = frames
        self.thumbs = thumbs
        self.info = frames.info
        self.title_text = title or self.info.path.name
        self.at = 0.0
        self.playing = False
        #: Frames per second of the last playback (what the link's byte budget allows).
        self.play_fps = 0.0
        self._stop_play = threading.Event()
        self.times: list[float] = []
        #: What the screen told the user last (for tests and screenshots).
        self.problem: str | None = None

    # ---- composition ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        """Facts, the large frame, the time line, the strip, the footer."""
        from nemo_tui.preview.frames import strip_times

        self.times = strip_times(self.info.duration, STRIP_COUNT) if self.is_video else [0.0]
        yield Static(self._facts(), id="preview-facts", markup=False)
        graphics = getattr(self.app, "graphics", None)
        if graphics is not None and graphics.kind in ("kitty", "sixel"):
            from nemo_tui.ui.widgets.graphics import GraphicsPicture

            # the terminal draws the still frame itself; playback uses half cells
            yield GraphicsPicture(graphics.kind, graphics.cell_size, id="preview-graphics")
        yield HalfcellPicture(id="preview-frame")
        yield Static(id="preview-time", markup=False)
        with Horizontal(id="preview-strip"):
            for i, t in enumerate(self.times):
                yield Thumb(i, t)
        yield Footer()

    @property
    def is_video(self) -> bool:
        """True for a video (a picture has no time to scrub)."""
        return self.info.kind == "video"

    @property
    def end_time(self) -> float:
        """The time of the last frame."""
        duration = self.info.duration or 0.0
        step = 1 / self.info.fps if self.info.fps else 0.0
        return max(0.0, math.floor((duration - step) * 1000) / 1000)

    def _facts(self) -> Text:
        """``name — 1920x1080 · h264 · 10.0 s · 30 fps · 1.2 MB``."""
        return Text(f"{safe_line(self.title_text, max_len=80)} — {self.info.facts()}")

    def on_mount(self) -> None:
        """Draw once the layout gives the frame its size."""
        self._use_graphics(not self.playing)
        self._update_time()
        self.call_after_refresh(self._first_paint)

    def _first_paint(self) -> None:
        """The frame at the cursor and the strip (keyframes first, exact frames after)."""
        self.request_frame()
        self.load_strip()

    def on_resize(self, event: events.Resize) -> None:
        """A new size needs pictures of the new size."""
        if self.is_mounted:
            self.call_after_refresh(self._first_paint)

    def on_unmount(self) -> None:
        """Stop playback; release the decoders off the event loop (a decode may hold one)."""
        self._stop_play.set()
        frames, thumbs = self.frames, self.thumbs
        threading.Thread(target=lambda: (frames.close(), thumbs.close()), daemon=True).start()

    # ---- pictures ---------------------------------------------------------------------------
    def _frame_size(self, widget: HalfcellPicture) -> tuple[int, int]:
        """Pixels of the largest picture of the video's shape that fits ``widget``."""
        from nemo_tui.preview.halfcell import fit_cells, pixel_size

        width, height = widget.size
        return pixel_size(*fit_cells(self.info.width, self.info.height, width, height))

    @property
    def graphics_view(self) -> Any | None:
        """The Kitty/Sixel frame widget, when the terminal draws pictures itself."""
        found = self.query("#preview-graphics")
        return found.first() if found else None

    def _use_graphics(self, still: bool) -> None:
        """Show the graphics frame for stills, the half-cell frame while playing (or always
        when the terminal has no graphics)."""
        graphics = self.graphics_view
        if graphics is not None:
            graphics.display = still
            self.query_one("#preview-frame").display = not still

    def _big_frame(self) -> Any:
        """The widget that shows the frame at the cursor now."""
        graphics = self.graphics_view
        return graphics if graphics is not None and not self.playing else self.query_one(
            "#preview-frame", HalfcellPicture)

    def request_frame(self) -> None:
        """Decode the frame at the cursor (a newer request cancels an older one)."""
        widget = self._big_frame()
        if not (widget.size.width and widget.size.height):
            return
        if isinstance(widget, HalfcellPicture):
            self._decode_frame(self.at, self._frame_size(widget))
        else:
            self._decode_frame(self.at, widget.picture_size(self.info.width, self.info.height))

    @work(thread=True, exclusive=True, group="preview-frame", exit_on_error=False,
          description="decode the frame at the cursor")
    def _decode_frame(self, at: float, size: tuple[int, int]) -> None:
        """Decode (or fetch from the cache) and show the exact frame at ``at``."""
        worker = get_current_worker()
        try:
            picture = self.frames.frame(at, size, cancelled=lambda: worker.is_cancelled)
        except PreviewError as exc:
            self.app.call_from_thread(self.report, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - cancelled or damaged: never a traceback
            if not worker.is_cancelled:
                self.app.call_from_thread(self.report, f"This frame could not be decoded "
                                                       f"({type(exc).__name__}).")
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show_frame, at, picture)

    def _show_frame(self, at: float, picture: Any) -> None:
        """Show a decoded frame if it is still the one at the cursor."""
        if abs(at - self.at) < 1e-6 and not self.playing:
            self._big_frame().show(picture)

    @work(thread=True, exclusive=True, group="preview-strip", exit_on_error=False,
          description="decode the strip of thumbnails")
    def load_strip(self) -> None:
        """Fill the strip: nearest keyframes first, then the exact frames."""
        worker = get_current_worker()
        pictures = list(self.query(".thumb-picture").results(HalfcellPicture))
        if not pictures or not pictures[0].size.width:
            return
        from nemo_tui.preview.halfcell import fit_cells, pixel_size

        first = pictures[0].size
        size = pixel_size(*fit_cells(self.info.width, self.info.height, first.width,
                                     first.height))
        try:
            self.thumbs.strip(self.times, size,
                              lambda i, pic, _exact: self.app.call_from_thread(pictures[i].show,
                                                                               pic),
                              cancelled=lambda: worker.is_cancelled)
        except PreviewError as exc:
            self.app.call_from_thread(self.report, str(exc))
        except Exception:  # noqa: BLE001 - cancelled mid-decode, or a damaged file
            return

    def report(self, message: str) -> None:
        """Say what went wrong: in the frame area and as a notice."""
        self.problem = message
        self._big_frame().show_message(message)
        self.notify(message, title="Preview", severity="warning", markup=False)

    # ---- time ---------------------------------------------------------------------------------
    def _update_time(self) -> None:
        """The time line: cursor / duration and which thumbnail is nearest."""
        if not self.is_video:
            self.query_one("#preview-time", Static).update(Text("picture"))
            return
        duration = self.info.duration or 0.0
        state = "  ▶ playing (any key stops)" if self.playing else ""
        self.query_one("#preview-time", Static).update(
            Text(f"{fmt_time(self.at)} / {fmt_time(duration)}{state}"))
        nearest = min(range(len(self.times)), key=lambda i: abs(self.times[i] - self.at))
        for thumb in self.query(Thumb):
            thumb.set_class(thumb.index == nearest, "-current")

    def move_to(self, at: float) -> None:
        """Put the cursor at ``at`` (clamped) and show that frame."""
        if not self.is_video:
            return
        self.at = round(min(max(0.0, at), self.end_time), 3)
        self._update_time()
        self.request_frame()

    def action_scrub(self, seconds: float) -> None:
        """Move the cursor by ``seconds``."""
        self.move_to(self.at + seconds)

    def action_jump(self, where: float) -> None:
        """Home (0) or End (-1: the last frame)."""
        self.move_to(self.end_time if where < 0 else where)

    def action_close(self) -> None:
        """Back to the studio."""
        self.dismiss(None)

    # ---- playback -----------------------------------------------------------------------------
    def action_play(self) -> None:
        """Play from the cursor at a frame rate the link carries; any key stops."""
        if not self.is_video or self.playing:
            return
        from nemo_tui.preview.frames import playback_fps
        from nemo_tui.preview.halfcell import fit_cells, pixel_size

        area = self._big_frame().size  # half cells at the size of the pane, whatever shows now
        budget = getattr(self.app.settings, "preview_bytes_per_second", DEFAULT_BYTES_PER_SECOND)
        cols, rows = fit_cells(self.info.width, self.info.height, *area)
        self.play_fps = playback_fps(self.info.fps, cols, rows, budget)
        start = 0.0 if self.at >= self.end_time else self.at
        self.playing = True
        self._use_graphics(False)
        self._stop_play.clear()
        self._update_time()
        self._play(start, pixel_size(cols, rows), self.play_fps)

    @work(thread=True, exclusive=True, group="preview-play", exit_on_error=False,
          description="play the video")
    def _play(self, start: float, size: tuple[int, int], fps: float) -> None:
        """Decode forward and show frames in real time until the end or a key."""
        worker = get_current_worker()

        def stopped() -> bool:
            return worker.is_cancelled or self._stop_play.is_set()

        last = start
        try:
            last = self.frames.play(start, size, fps, self._played_frame_from_thread, stopped)
        except Exception as exc:  # noqa: BLE001 - a damaged file ends the playback
            self.log.warning(f"playback stopped: {exc!r}")
        if not worker.is_cancelled:
            self.app.call_from_thread(self._play_ended, last)

    def _played_frame_from_thread(self, t: float, picture: Any) -> None:
        """Hand one played frame to the event loop (waits for it: natural back-pressure)."""
        self.app.call_from_thread(self._show_played, t, picture)

    def _show_played(self, t: float, picture: Any) -> None:
        """Show a played frame and move the cursor with it."""
        if not self.playing:
            return
        self.at = round(t, 3)
        self.query_one("#preview-frame", HalfcellPicture).show(picture)
        self._update_time()

    def _play_ended(self, last: float) -> None:
        """Playback stopped: the cursor stays where it got to; draw that frame exactly."""
        self.playing = False
        self._use_graphics(True)
        self.at = round(min(last, self.end_time), 3)
        self._update_time()
        self.request_frame()

    def stop_playing(self) -> None:
        """Stop the playback (the worker notices before its next frame)."""
        self._stop_play.set()

    def on_key(self, event: events.Key) -> None:
        """While playing, any key only stops the playback."""
        if self.playing:
            event.stop()
            event.prevent_default()
            self.stop_playing()
