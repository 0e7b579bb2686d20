"""Stills: the upload picker shows videos and pictures before they are uploaded; the timeline's
segment still comes from the render of this version (or an earlier one, marked)."""

from __future__ import annotations

from pathlib import Path

import pytest
from preview_support import block_colour, close, frame_picture, make_single_keyframe_video
from test_ui_support import studio_settings, wait_until
from textual.app import App, ComposeResult

from nemo_tui.draft import Segment
from nemo_tui.jobs import RenderJob
from nemo_tui.preview.stills import segment_still
from nemo_tui.ui.app import NemoStudioApp
from nemo_tui.ui.screens.upload import MediaTree, UploadScreen
from nemo_tui.ui.widgets.still import MediaStill, SegmentStill

pytestmark = pytest.mark.usefixtures("fast_idle")


def centre_colour(still: MediaStill) -> tuple[int, int, int]:
    """The colour of the still's upper-left block, sampled inside it."""
    picture = still.picture.picture
    return picture.getpixel((picture.width // 8, picture.height // 4))


async def test_upload_picker_shows_a_still_of_pictures_and_videos(tmp_path, monkeypatch):
    """Highlighting a picture or a video in the picker shows its still and facts; a sound or a
    folder shows none."""
    media = tmp_path / "media"
    media.mkdir()
    frame_picture(7).save(media / "picture.png")
    make_single_keyframe_video(media / "clip.mp4")
    (media / "song.mp3").write_bytes(b"ID3" + b"\0" * 100)
    monkeypatch.chdir(media)
    app = NemoStudioApp(studio_settings("http://127.0.0.1:9", tmp_path), connect=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.run_action("upload")
        await wait_until(pilot, lambda: isinstance(app.screen, UploadScreen))
        tree = app.screen.query_one(MediaTree)
        await wait_until(pilot, lambda: len(tree.root.children) == 3)
        names = [n.label.plain for n in tree.root.children]
        still = app.screen.query_one("#upload-still", MediaStill)

        async def highlight(name: str) -> None:
            tree.move_cursor(tree.root.children[names.index(name)])
            await pilot.pause()

        await highlight("picture.png")
        await wait_until(pilot, lambda: "png" in still.caption)
        assert "320x180 · png" in still.caption
        assert centre_colour(still) == block_colour(7, 0, 0)
        await highlight("clip.mp4")
        await wait_until(pilot, lambda: "h264" in still.caption)
        assert still.caption.startswith("320x180 · h264 · 4.0 s")
        assert close(centre_colour(still), block_colour(10, 0, 0))  # the exact frame at 1 s
        await highlight("song.mp3")
        await wait_until(pilot, lambda: still.picture.picture is None)
        assert still.caption == "" and still.picture.picture is None


def test_segment_still_picks_this_version_else_the_newest_earlier_one():
    """The data: the current version's render; else the newest earlier one, marked older; a
    render of a later version or another session never."""
    seg = Segment(start_ms=1000, duration_ms=1000, label="x", text=None, volume=None, src=None,
                  raw={})

    def job(jid: str, version: int | None, session: str = "s", status: str = "completed",
            path: str | None = "/r.mp4") -> RenderJob:
        return RenderJob(id=jid, api_url="u", session_id=session, status=status, path=path,
                         version=version, created_at=f"2026-12-01T10:0{version or 0}:00+00:00")

    jobs = [job("r1", 1), job("r2", 2), job("r5", 5), job("other", 3, session="t"),
            job("failed", 3, status="failed"), job("nofile", 3, path=None)]
    got = segment_still(seg, jobs, session_id="s", current_version=3)
    assert (got.job_id, got.at, got.older) == ("r2", 1.5, True)
    assert got.label() == "v2 · 1.5 s · older version"
    got = segment_still(seg, [*jobs, job("r3", 3)], session_id="s", current_version=3)
    assert (got.job_id, got.older, got.label()) == ("r3", False, "v3 · 1.5 s")
    assert segment_still(seg, jobs[2:3], session_id="s", current_version=3) is None
    legacy = segment_still(seg, [job("r0", None)], session_id="s", current_version=None)
    assert legacy.label() == "render r0 · 1.5 s"


class StillHost(App):
    """A tiny app holding one SegmentStill."""

    def compose(self) -> ComposeResult:
        yield SegmentStill(id="still")


async def test_timeline_still_of_a_rendered_version(tmp_path):
    """A segment at 2-3 s of a draft rendered as version 2 while version 3 is current: the
    still is the render's exact frame at 2.5 s, labelled v2 and older version."""
    render = make_single_keyframe_video(tmp_path / "render_2.mp4")
    seg = Segment(start_ms=2000, duration_ms=1000, label="clip", text=None, volume=None,
                  src=None, raw={})
    jobs = [RenderJob(id="render_2", api_url="u", session_id="s", status="completed",
                      path=str(render), version=2)]
    app = StillHost()
    async with app.run_test(size=(60, 20)) as pilot:
        still = app.query_one(SegmentStill)
        assert still.show_segment(seg, jobs, session_id="s", current_version=3)
        await wait_until(pilot, lambda: still.picture.picture is not None)
        assert still.caption == "v2 · 2.5 s · older version"
        assert close(centre_colour(still), block_colour(25, 0, 0))
        assert not still.show_segment(seg, [], session_id="s", current_version=3)
        assert "export" in (still.picture.message or "")


async def test_still_of_a_broken_file_is_a_sentence(tmp_path):
    """A damaged file: a sentence instead of the picture, never a traceback."""
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\0" * 64)
    app = StillHost()
    async with app.run_test(size=(60, 20)) as pilot:
        still = app.query_one(SegmentStill)
        still.show_still(Path(bad))
        await wait_until(pilot, lambda: bool(still.picture.message))
        assert "broken.mp4" in (still.picture.message or "")


FOREST = "make a 6 second video of a forest with piano music"


async def test_timeline_still_follows_the_selection_and_the_version(backend, tmp_path):
    """Studio on the local backend: a render of version 1 downloaded, a segment selected → the
    still of its middle frame labelled v1; after an edit (version 2) the same still is marked
    older version; a track (no segment) hides it."""
    from test_ui_support import exported, make_studio, say, settle

    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        job = await exported(pilot, FOREST, limit=60)
        assert job.path and job.version is not None
        pane = app.timeline
        pane.select((0, 0))
        seg = pane._selected_segment()

        def caption() -> str:
            found = pane.query("#timeline-still")
            return found.first().caption if found else ""

        await wait_until(pilot, lambda: caption().startswith(f"v{job.version} "))
        middle = (seg.start_ms + seg.duration_ms / 2) / 1000
        assert caption() == f"v{job.version} · {middle:g} s"
        still = pane.query_one("#timeline-still", SegmentStill)
        assert still.display and still.picture.picture is not None
        await say(pilot, "make the music quieter")
        await settle(pilot)
        assert pane.version is not None and pane.version > job.version
        pane.select((0, 0))
        await wait_until(pilot, lambda: caption().endswith("older version"))
        assert caption() == f"v{job.version} · {middle:g} s · older version"
        pane.select((0, None))
        await wait_until(pilot, lambda: not still.display)
        assert not still.display


async def test_timeline_still_leaves_the_ruler_visible_at_80x24(backend, tmp_path):
    """At 80x24 the timeline pane is a few rows tall: the still would cover the ruler and the
    playhead, so it stays hidden there; at 120x40 it shows."""
    from test_ui_support import exported, make_studio

    from nemo_tui.ui.widgets.still import show_timeline_still

    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        assert (await exported(pilot, FOREST, limit=60)).path
        pane = app.timeline
        pane.select((0, 0))
        await show_timeline_still(pane)  # what the selection's rest runs
        found = pane.query("#timeline-still")
        assert not found or not found.first().display
        ruler = pane.ruler
        assert ruler.region.height and pane.region.contains_region(ruler.region)
        small = pane.size
        await pilot.resize_terminal(120, 40)
        await wait_until(pilot, lambda: pane.size.height > small.height)
        await show_timeline_still(pane)
        assert pane.query_one("#timeline-still", SegmentStill).display
