"""The Preview screen in the studio (Pilot, half-cell forced), opened from a finished local
render with `p` on the jobs table; bad files and a missing `preview` extra become notices."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from preview_support import keyframe_times, make_single_keyframe_video
from test_ui_support import make_studio, say, settle, wait_until

from nemo_tui.preview.errors import INSTALL_HINT
from nemo_tui.ui.screens.preview import PreviewScreen, open_preview
from nemo_tui.ui.widgets.picture import HalfcellPicture

pytestmark = pytest.mark.usefixtures("fast_idle")

GENERATE = "make a 6 second video of a forest with piano music"


def frame_widget(app) -> HalfcellPicture:
    """The Preview screen's large frame."""
    return app.screen.query_one("#preview-frame", HalfcellPicture)


def frame_bytes(app) -> bytes | None:
    """The pixels the large frame shows now (None while it shows none, or not composed yet)."""
    found = app.screen.query("#preview-frame")
    picture = found.first().picture if found else None
    return picture.tobytes() if picture is not None else None


def notices(app) -> list[str]:
    """The notification texts shown so far."""
    return [n.message for n in app._notifications]


async def finished_render(pilot) -> object:
    """Generate, export and wait until the job is downloaded; returns the job."""
    app = pilot.app
    await settle(pilot)
    await say(pilot, GENERATE)
    await settle(pilot)
    await pilot.press("ctrl+s")
    await settle(pilot, limit=60)
    job = next(iter(app.jobs_table.jobs.values()))
    assert job.status == "completed" and job.path and Path(job.path).exists()
    return job


async def test_p_opens_the_preview_of_a_render_and_scrubbing_changes_the_frame(backend,
                                                                                tmp_path):
    """`p` on a downloaded job: the Preview screen with its facts, a frame, a strip of 8;
    Right/End move the cursor and the frame shown changes; Esc goes back."""
    app = make_studio(backend.url, tmp_path, preview="halfcell")
    async with app.run_test(size=(100, 34)) as pilot:
        job = await finished_render(pilot)
        # the local backend's renders have a keyframe at least every 2 s
        times = keyframe_times(Path(job.path))
        assert max(b - a for a, b in zip(times, [*times[1:], 6.0], strict=False)) <= 2.0 + 1e-3
        await pilot.press("f4", "p")
        await wait_until(pilot, lambda: isinstance(app.screen, PreviewScreen))
        screen = app.screen
        assert isinstance(screen, PreviewScreen)
        await wait_until(pilot, lambda: frame_bytes(app) is not None)
        facts = str(screen.query_one("#preview-facts").render())
        assert "h264" in facts and "x" in facts and " s · " in facts
        first = frame_bytes(app)
        assert first is not None
        thumbs = list(screen.query(".thumb-picture").results(HalfcellPicture))
        assert len(thumbs) == 8
        await wait_until(pilot, lambda: all(t.picture is not None for t in thumbs))
        assert all(t.picture is not None for t in thumbs)
        await pilot.press("end")
        assert screen.at == pytest.approx(screen.end_time)
        await wait_until(pilot, lambda: frame_bytes(app) not in (None, first))
        assert frame_bytes(app) != first
        await pilot.press("home", "right", "shift+right")
        assert screen.at == pytest.approx(1.1)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, PreviewScreen))
        assert not isinstance(app.screen, PreviewScreen)


async def test_space_plays_and_any_key_stops(tmp_path):
    """Space plays (the cursor moves on by itself at a rate the byte budget allows); a key
    stops it and the cursor stays where playback got to."""
    from test_ui_support import studio_settings

    from nemo_tui.ui.app import NemoStudioApp

    video = make_single_keyframe_video(tmp_path / "clip.mp4")
    settings = studio_settings("http://127.0.0.1:9", tmp_path, preview="halfcell",
                               preview_bytes_per_second=400_000)
    app = NemoStudioApp(settings, connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        open_preview(app, video)
        await wait_until(pilot, lambda: isinstance(app.screen, PreviewScreen))
        screen = app.screen
        await wait_until(pilot, lambda: frame_bytes(app) is not None)
        await pilot.press("space")
        assert screen.playing and 1 <= screen.play_fps <= 10
        await wait_until(pilot, lambda: screen.at > 0.5)
        assert screen.at > 0.5
        await pilot.press("x")
        await wait_until(pilot, lambda: not screen.playing)
        assert not screen.playing
        stopped_at = screen.at
        await pilot.pause(0.2)
        assert screen.at == stopped_at and isinstance(app.screen, PreviewScreen)


@pytest.mark.parametrize("kind", ["empty", "text", "missing", "bomb"])
async def test_bad_file_is_a_notice(tmp_path, kind):
    """A file that cannot be previewed (empty, not media, gone, a 16k x 16k PNG): a notice
    that names it and says why; no screen, no traceback, the studio keeps running."""
    from test_preview_decode import _png_bomb
    from test_ui_support import studio_settings

    from nemo_tui.ui.app import NemoStudioApp

    bad = tmp_path / ("render.png" if kind == "bomb" else "render.mp4")
    if kind == "bomb":
        _png_bomb(bad)
    elif kind != "missing":
        bad.write_bytes(b"" if kind == "empty" else b"not a video at all\n" * 20)
    app = NemoStudioApp(studio_settings("http://127.0.0.1:9", tmp_path), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        open_preview(app, bad)
        await wait_until(pilot, lambda: bool(notices(app)))
        assert any(bad.name in n for n in notices(app)), notices(app)
        if kind == "bomb":
            assert any("too large" in n for n in notices(app))
        assert not isinstance(app.screen, PreviewScreen)
        await pilot.press("f1")  # still answering keys
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        assert type(app.screen).__name__ == "HelpScreen"


async def test_truncated_render_past_its_data_is_a_notice_in_the_screen(tmp_path):
    """A render cut short keeps its index (moov first): the screen opens, and a frame past the
    data becomes a sentence in the frame area and a notice."""
    from test_preview_decode import _faststart_copy, _truncated
    from test_ui_support import studio_settings

    from nemo_tui.ui.app import NemoStudioApp

    video = make_single_keyframe_video(tmp_path / "clip.mp4")
    cut = _truncated(_faststart_copy(video, tmp_path / "fast.mp4"), tmp_path / "cut.mp4", 0.3)
    app = NemoStudioApp(studio_settings("http://127.0.0.1:9", tmp_path), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        open_preview(app, cut)
        await wait_until(pilot, lambda: isinstance(app.screen, PreviewScreen))
        screen = app.screen
        await pilot.press("end")
        await wait_until(pilot, lambda: screen.problem is not None)
        assert "truncated" in (screen.problem or "")
        # the notice is posted by the decode worker's callback: wait for it, then check
        await wait_until(pilot, lambda: any("truncated" in n for n in notices(app)))
        assert frame_widget(app).message and any("truncated" in n for n in notices(app))


async def test_without_the_extra_p_says_how_to_install_it(tmp_path, monkeypatch):
    """The preview libraries missing (import fails): the studio runs; `p` says what to install."""
    from test_ui_support import studio_settings

    from nemo_tui.ui.app import NemoStudioApp

    video = make_single_keyframe_video(tmp_path / "clip.mp4")
    monkeypatch.setitem(sys.modules, "av", None)  # `import av` now raises ImportError
    monkeypatch.delitem(sys.modules, "nemo_tui.preview.media", raising=False)
    app = NemoStudioApp(studio_settings("http://127.0.0.1:9", tmp_path), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        open_preview(app, video)
        await wait_until(pilot, lambda: bool(notices(app)))
        assert any(INSTALL_HINT in n for n in notices(app)), notices(app)
        assert not isinstance(app.screen, PreviewScreen)


async def test_preview_off_says_so(tmp_path):
    """preview = "off": nothing is decoded; a notice says how it was turned off."""
    from test_ui_support import studio_settings

    from nemo_tui.ui.app import NemoStudioApp

    app = NemoStudioApp(studio_settings("http://127.0.0.1:9", tmp_path, preview="off"),
                        connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        open_preview(app, tmp_path / "whatever.mp4")
        await pilot.pause()
        assert any('preview = "off"' in n for n in notices(app))


@pytest.mark.parametrize("kind", ["sixel", "kitty"])
async def test_graphics_terminal_gets_a_textual_image_frame(tmp_path, kind):
    """Where the terminal draws graphics, the still frame is a textual-image picture decoded
    at the pane's size in pixels; playing switches to half cells and back."""
    from test_ui_support import studio_settings

    from nemo_tui.preview.terminal import Graphics
    from nemo_tui.ui.app import NemoStudioApp
    from nemo_tui.ui.widgets.graphics import GraphicsPicture

    video = make_single_keyframe_video(tmp_path / "clip.mp4")
    app = NemoStudioApp(studio_settings("http://127.0.0.1:9", tmp_path), connect=False)
    app.graphics = Graphics(kind, "test", (10, 20))
    async with app.run_test(size=(80, 24)) as pilot:
        open_preview(app, video)
        await wait_until(pilot, lambda: isinstance(app.screen, PreviewScreen)
                         and bool(app.screen.query("#preview-graphics")))
        view = app.screen.query_one("#preview-graphics", GraphicsPicture)
        await wait_until(pilot, lambda: view.picture is not None)
        width, height = view.picture.size
        assert width <= view.size.width * 10 and height <= view.size.height * 20
        assert max(width / (view.size.width * 10), height / (view.size.height * 20)) > 0.95
        assert not frame_widget(app).display
        await pilot.press("space")
        assert frame_widget(app).display and not view.display
        await pilot.press("x")
        await wait_until(pilot, lambda: not app.screen.playing)
        assert view.display and not frame_widget(app).display
