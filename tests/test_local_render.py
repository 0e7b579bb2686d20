"""Rendering drafts with the bundled ffmpeg, checked with probe_media and sampled frames."""

from __future__ import annotations

import asyncio
import random
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("imageio_ffmpeg")

from nemo_tui.local.agent import TurnContext, run_turn
from nemo_tui.local.probe import ffmpeg_exe, parse_ffmpeg_info, probe_media
from nemo_tui.local.render import render_draft
from nemo_tui.local.renderplan import build_plan, resolve_media

SCALE = 0.2
FPS = 30


def ff(*args: str) -> subprocess.CompletedProcess[bytes]:
    """Run the bundled ffmpeg quietly."""
    return subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error", "-y", *args],
                          capture_output=True, check=True, timeout=60)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A media dir with a small clip (with sound), an image, an audio file and broken files."""
    d = tmp_path_factory.mktemp("media")
    ff("-f", "lavfi", "-i", "testsrc=s=320x240:r=25:d=1", "-f", "lavfi", "-i", "sine=f=440:d=1",
       "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
       "-movflags", "+faststart", str(d / "clip.mp4"))
    ff("-f", "lavfi", "-i", "testsrc=s=300x400", "-frames:v", "1", str(d / "photo.png"))
    ff("-f", "lavfi", "-i", "sine=f=330:d=2", str(d / "song.wav"))
    (d / "notes.mp4").write_text("this is not a video\n")
    data = (d / "clip.mp4").read_bytes()
    (d / "truncated.mp4").write_bytes(data[: len(data) // 2])
    ff("-f", "lavfi", "-i", "testsrc=s=320x240:r=25:d=1", "-c:v", "libx264", "-preset",
       "ultrafast", str(d / "moov_at_end.mp4"))
    tail = (d / "moov_at_end.mp4").read_bytes()
    (d / "cut_moov.mp4").write_bytes(tail[: len(tail) // 2])
    return d


def gray_frame(path: Path, t: float, size: tuple[int, int]) -> bytes:
    """One decoded frame at time t as 8-bit gray pixels."""
    out = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-v", "error", "-ss", f"{t:.3f}", "-i", str(path),
         "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True, check=True, timeout=60).stdout
    assert len(out) == size[0] * size[1]
    return out


def changed(a: bytes, b: bytes) -> float:
    """Fraction of pixels that differ clearly (by more than 40 of 255) between two frames."""
    return sum(abs(x - y) > 40 for x, y in zip(a, b, strict=True)) / len(a)


def max_volume(path: Path) -> float:
    """The peak audio level in dB (ffmpeg volumedetect)."""
    err = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", str(path), "-map", "0:a:0",
         "-af", "volumedetect", "-f", "null", "-"], capture_output=True, text=True,
        check=True, timeout=60).stderr
    line = next(ln for ln in err.splitlines() if "max_volume" in ln)
    return float(line.split("max_volume:")[1].split("dB")[0])


def draft(ms: int = 2000, *, title: str | None = "Hello", music: bool = True,
          width: int = 1920, height: int = 1080, scenes: list[dict] | None = None) -> dict:
    """A small draft in the seed's short-key format."""
    half = ms // 2
    tracks: list[dict] = [{"tt": 0, "sg": scenes or [
        {"s": 0, "d": half, "m": {"name": "city — opening"}},
        {"s": half, "d": ms - half, "m": {"name": "city — closing"}}]}]
    if music:
        tracks.append({"tt": 1, "sg": [{"s": 0, "d": ms, "m": {"name": "Upbeat pop",
                                                               "volume": 0.5}}]})
    if title is not None:
        tracks.append({"tt": 7, "sg": [{"s": 0, "d": 1000, "m": {"text": title}}]})
    return {"d": ms, "m": {"title": title, "width": width, "height": height, "style": "warm"},
            "t": tracks}


async def render(d: dict, out: Path, media_dir: Path, **kw: object) -> list[float]:
    """Render and return the progress values reported."""
    seen: list[float] = []
    await render_draft(d, out, media_dir=media_dir, progress=seen.append, scale=SCALE, **kw)
    return seen


@pytest.mark.slow
async def test_render_three_tracks_probe(tmp_path: Path, media: Path) -> None:
    out = tmp_path / "out.mp4"
    seen = await render(draft(2000), out, media)
    info = probe_media(out)
    assert info["video_codec"] == "h264"
    assert info["audio_codec"] == "aac"
    assert info["pix_fmt"] == "yuv420p"
    assert (info["width"], info["height"]) == (384, 216)
    assert abs(info["duration"] - 2.0) <= 1 / FPS
    assert info["has_audio"]
    assert max_volume(out) > -40  # the generated tune is audible
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert seen == sorted(seen)
    assert not list(tmp_path.glob(".*.part"))


@pytest.mark.slow
async def test_portrait_square_and_silence_without_bgm(tmp_path: Path, media: Path) -> None:
    out = tmp_path / "p.mp4"
    await render(draft(1500, music=False, width=1080, height=1920), out, media)
    info = probe_media(out)
    assert (info["width"], info["height"]) == (216, 384)
    assert abs(info["duration"] - 1.5) <= 1 / FPS
    assert max_volume(out) < -80  # a silent track only
    sq = tmp_path / "s.mp4"
    await render(draft(1000, title=None, width=500, height=500), sq, media)
    assert (probe_media(sq)["width"], probe_media(sq)["height"]) == (216, 216)


@pytest.mark.slow
async def test_title_visible_only_in_its_window(tmp_path: Path, media: Path) -> None:
    with_title, without = tmp_path / "t.mp4", tmp_path / "n.mp4"
    await render(draft(2000, title="BIG TITLE", music=False), with_title, media)
    await render(draft(2000, title=None, music=False), without, media)
    size = (384, 216)
    inside = changed(gray_frame(with_title, 0.5, size), gray_frame(without, 0.5, size))
    outside = changed(gray_frame(with_title, 1.6, size), gray_frame(without, 1.6, size))
    assert inside > 0.01  # the glyphs and their box cover a few percent of the frame
    assert outside < 0.002


@pytest.mark.slow
async def test_uploaded_clip_image_and_audio(tmp_path: Path, media: Path) -> None:
    scenes = [{"s": 0, "d": 1000, "m": {"name": "clip.mp4",
                                       "src": "http://127.0.0.1:9/files/s1/clip.mp4"}},
              {"s": 1000, "d": 1000, "m": {"name": "photo", "src": "photo.png"}}]
    d = draft(2000, title=None, music=False, scenes=scenes)
    d["t"].append({"tt": 1, "sg": [{"s": 0, "d": 2000, "m": {"name": "song",
                                                             "src": "/x/song.wav",
                                                             "volume": 0.8}}]})
    out = tmp_path / "u.mp4"
    await render(d, out, media)
    info = probe_media(out)
    assert (info["width"], info["height"]) == (384, 216)
    assert abs(info["duration"] - 2.0) <= 1 / FPS
    assert max_volume(out) > -30
    plan = build_plan(d, media, scale=SCALE)
    assert plan.n_inputs == 3  # clip, photo, song: uploads really used


async def test_cancel_stops_ffmpeg_and_leaves_nothing(tmp_path: Path, media: Path) -> None:
    cancel = asyncio.Event()
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / "c.mp4"

    def on_progress(value: float) -> None:
        if value > 0:
            cancel.set()

    with pytest.raises(asyncio.CancelledError):
        await render_draft(draft(120_000), out, media_dir=media, progress=on_progress,
                           scale=SCALE, cancel=cancel)
    assert list(outdir.iterdir()) == []  # neither the output nor its temp file


async def test_broken_upload_fails_with_ffmpeg_message(tmp_path: Path, media: Path) -> None:
    scenes = [{"s": 0, "d": 1000, "m": {"name": "bad", "src": "notes.mp4"}}]
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / "b.mp4"
    with pytest.raises(RuntimeError, match=r"(?s)ffmpeg failed.*notes\.mp4"):
        await render(draft(1000, scenes=scenes), out, media)
    assert list(outdir.iterdir()) == []
    with pytest.raises(RuntimeError) as info:
        await render(draft(1000, scenes=scenes), out, media)
    assert str(media) not in str(info.value)  # no server paths in the error text


async def test_empty_draft_is_a_clear_error(tmp_path: Path, media: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        await render({"t": []}, tmp_path / "e.mp4", media)
    with pytest.raises(ValueError):
        await render("nope", tmp_path / "e.mp4", media)  # type: ignore[arg-type]


@pytest.mark.slow
async def test_hostile_text_and_cjk_render(tmp_path: Path, media: Path) -> None:
    title = "%{pts} it's a: test \\ [x] ;,\n\x1b[31m城市之光 🎬"
    out = tmp_path / "h.mp4"
    await render(draft(1000, title=title, music=False), out, media)
    assert probe_media(out)["video_codec"] == "h264"


def test_resolve_media_stays_inside_media_dir(tmp_path: Path) -> None:
    media_dir = tmp_path / "m"
    media_dir.mkdir()
    (media_dir / "ok.mp4").write_bytes(b"x")
    (tmp_path / "secret.mp4").write_bytes(b"x")
    (media_dir / "link.mp4").symlink_to(tmp_path / "secret.mp4")
    assert resolve_media("http://127.0.0.1:1/files/s/ok.mp4?x=1", media_dir) == \
        (media_dir / "ok.mp4").resolve()
    assert resolve_media("ok.mp4", media_dir) is not None
    for bad in ("../secret.mp4", "http://h/files/..%2Fsecret.mp4", "/etc/passwd", "link.mp4",
                "..", "", "ok.mp4\x00.png", "http://h/a/%2E%2E", "missing.mp4"):
        assert resolve_media(bad, media_dir) is None, bad


def test_plan_is_tolerant_of_odd_drafts(tmp_path: Path) -> None:
    odd = {"d": 1000, "m": {"width": "wide", "height": None},
           "t": [None, {"tt": 0, "sg": [None, {"d": "x"}, {"d": 500, "m": "x"}, {"d": -5}]},
                 {"tt": 99, "sg": [{"d": 100}]}, {"tt": 7, "sg": [{"s": 0, "d": 400}]}]}
    plan = build_plan(odd, tmp_path, scale=SCALE)
    assert (plan.width, plan.height) == (384, 216)
    assert plan.duration == 1.0
    assert "[vout]" in plan.graph and "[aout]" in plan.graph


def test_probe_rejects_broken_files(media: Path) -> None:
    for name in ("notes.mp4", "truncated.mp4", "cut_moov.mp4"):
        with pytest.raises(ValueError, match="notes.mp4|truncated|cut_moov"):
            probe_media(media / name)
    empty = media / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        probe_media(empty)
    with pytest.raises(ValueError):
        probe_media(media / "does-not-exist.mp4")


def test_probe_good_files(media: Path) -> None:
    clip = probe_media(media / "clip.mp4")
    assert clip["has_video"] and clip["has_audio"]
    assert (clip["width"], clip["height"], clip["fps"]) == (320, 240, 25.0)
    assert abs(clip["duration"] - 1.0) < 0.1
    assert clip["video_codec"] == "h264" and clip["audio_codec"] == "aac"
    photo = probe_media(media / "photo.png")
    assert photo["has_video"] and not photo["has_audio"] and photo["duration"] == 0.0
    assert (photo["width"], photo["height"]) == (300, 400)
    song = probe_media(media / "song.wav")
    assert song["has_audio"] and not song["has_video"] and abs(song["duration"] - 2.0) < 0.05


def test_parse_ffmpeg_info_recorded() -> None:
    stderr = (
        "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'a.mov':\n"
        "  Duration: 00:01:02.50, start: 0.000000, bitrate: 5000 kb/s\n"
        "  Stream #0:0[0x1](und): Video: hevc (Main 10) (hvc1 / 0x31637668), "
        "yuv420p10le(tv, bt2020nc/bt2020/smpte2084), 3840x2160, 4000 kb/s, 29.97 fps, "
        "29.97 tbr, 600 tbn (default)\n"
        "  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, stereo\n"
        "  Stream #0:2: Video: mjpeg (Baseline), yuvj420p, 320x240 (attached pic)\n")
    info = parse_ffmpeg_info(stderr)
    assert info["duration"] == 62.5
    assert (info["width"], info["height"], info["fps"]) == (3840, 2160, 29.97)
    assert info["video_codec"] == "hevc" and info["pix_fmt"] == "yuv420p10le"
    assert info["audio_codec"] == "aac"


@pytest.mark.slow
async def test_agent_generation_renders(tmp_path: Path, media: Path) -> None:
    ctx = TurnContext(draft=None, rng=random.Random(7))
    async for _ in run_turn(ctx, "make a 3-second vertical video about red pandas with BGM"):
        pass
    assert ctx.draft is not None and ctx.draft["d"] == 3000
    out = tmp_path / "g.mp4"
    await render(ctx.draft, out, media)
    info = probe_media(out)
    assert (info["width"], info["height"]) == (216, 384)
    assert abs(info["duration"] - 3.0) <= 1 / FPS
    assert info["has_audio"] and max_volume(out) > -40
