"""Decoding and half-cell drawing (nemo_tui.preview) and `nemo-tui preview` as a subprocess.

The video has ONE keyframe (at 0 s) and a different picture on every frame, so a frame that is
right at 2.35 s proves exact seeking (decoding forward from the keyframe), not keyframe seeking.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from preview_support import (
    FPS,
    WIDTH,
    block_colour,
    close,
    expected_cells,
    frame_picture,
    keyframe_times,
    make_single_keyframe_video,
    parse_halfcell,
)
from test_cli import assert_clean_error, run

from nemo_tui.config import load_settings
from nemo_tui.jobs import JobStore, RenderJob
from nemo_tui.preview.cache import ThumbnailCache, frame_key
from nemo_tui.preview.errors import PreviewError
from nemo_tui.preview.frames import FrameSource, strip_times
from nemo_tui.preview.halfcell import ansi_lines, fit_cells, rows_for


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    """The single-keyframe synthetic video (4 s, 10 fps, 320x180)."""
    return make_single_keyframe_video(tmp_path_factory.mktemp("media") / "one-keyframe.mp4")


def mismatches(rows, n: int) -> list[str]:
    """Cells whose colours differ from frame n's known picture."""
    cols, height = len(rows[0]), len(rows)
    want = expected_cells(n, cols, height)
    bad = []
    for y, (got_row, want_row) in enumerate(zip(rows, want, strict=True)):
        for x, (got, exp) in enumerate(zip(got_row, want_row, strict=True)):
            # cells on a block edge mix two blocks (4:2:0 chroma): only whole cells are known
            edge_x = (x * 4) % cols == 0 and x > 0 or ((x + 1) * 4) % cols == 0
            if edge_x:
                continue
            if not (close(got[0], exp[0]) and close(got[1], exp[1])):
                bad.append(f"({x},{y}) {got} != {exp}")
    return bad


def test_the_synthetic_video_has_a_single_keyframe(video):
    """Guard of the test's premise: only frame 0 is a keyframe."""
    assert keyframe_times(video) == [0.0]


@pytest.mark.parametrize("at", [0.0, 1.0, 2.35, 3.95])
def test_cli_frame_is_the_exact_frame_cell_by_cell(video, at):
    """`preview --at` draws the frame shown at that time, not the keyframe before it."""
    proc = run("preview", str(video), "--at", str(at), "--width", "16")
    assert proc.returncode == 0, proc.stderr
    rows = parse_halfcell(proc.stdout)
    assert len(rows) == rows_for(16, 320, 180) == 5 and all(len(r) == 16 for r in rows)
    n = int(at * FPS + 1e-6)
    assert mismatches(rows, n) == []
    if n:  # and it is not the keyframe's picture
        assert mismatches(rows, 0)


def test_cli_width_defaults_to_80_off_a_terminal(video):
    """Not a terminal: 80 columns, ceil(80 * 180 / 320 / 2) = 23 rows."""
    proc = run("preview", str(video), "--at", "1")
    rows = parse_halfcell(proc.stdout)
    assert len(rows) == 23 and {len(r) for r in rows} == {80}


def test_cli_json_is_metadata_only(video):
    """--json: the CLI.md keys, no picture bytes."""
    proc = run("preview", str(video), "--at", "2.5", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"path": str(video), "at": 2.5, "duration": 4.0,
                                       "width": 320, "height": 180, "codec": "h264"}


def test_cli_image_cell_by_cell(tmp_path):
    """A PNG is drawn like a frame (the same known picture, exact colours: no YUV here)."""
    path = tmp_path / "picture.png"
    frame_picture(7).save(path)
    proc = run("preview", str(path), "--width", "8")
    assert proc.returncode == 0, proc.stderr
    rows = parse_halfcell(proc.stdout)
    assert len(rows) == rows_for(8, WIDTH, 180) == 3
    for y, row in enumerate(rows):
        for x, (upper, lower) in enumerate(row):
            assert upper == block_colour(7, x // 2, (2 * y) * 2 // 6), (x, y)
            assert lower == block_colour(7, x // 2, (2 * y + 1) * 2 // 6), (x, y)


def test_cli_job_id_is_a_downloaded_job(video, isolated_dirs):
    """JOB_ID: the file of a render job this client downloaded; not downloaded yet: exit 2."""
    store = JobStore(load_settings().paths)
    store.upsert(RenderJob(id="render_1", api_url="http://127.0.0.1:1", session_id="s",
                           status="completed", path=str(video)))
    store.upsert(RenderJob(id="render_2", api_url="http://127.0.0.1:1", session_id="s",
                           status="processing"))
    proc = run("preview", "render_1", "--width", "8", "--at", "1")
    assert proc.returncode == 0 and len(parse_halfcell(proc.stdout)) == 3
    assert "no downloaded file" in assert_clean_error(run("preview", "render_2"), 2)
    assert "no file or render job" in assert_clean_error(run("preview", "render_9"), 2)


def _png_bomb(path: Path, side: int = 16384) -> Path:
    """A valid 16k x 16k greyscale PNG of a few hundred KB (zeros compress ~1000:1)."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    packer = zlib.compressobj(9)
    row = b"\x00" * (side + 1)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n"
                     + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path


def _truncated(src: Path, dest: Path, fraction: float) -> Path:
    """The first ``fraction`` of ``src`` (a render interrupted while writing)."""
    data = src.read_bytes()
    dest.write_bytes(data[: int(len(data) * fraction)])
    return dest


def _faststart_copy(src: Path, dest: Path) -> Path:
    """``src`` remuxed with the index (moov) first, as the local backend writes its renders."""
    import av

    with av.open(str(src)) as inp, av.open(str(dest), "w", options={"movflags": "faststart"}
                                           ) as out:
        stream = out.add_stream_from_template(inp.streams.video[0])
        for packet in inp.demux(inp.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                out.mux(packet)
    return dest


def bad_inputs(tmp_path: Path, video: Path) -> dict[str, tuple[list[str], str]]:
    """name -> (preview arguments, a word the one-sentence message must contain)."""
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "notes.mp4").write_text("these are notes, not a video\n" * 50)
    (tmp_path / "fake.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 40)
    fast = _faststart_copy(video, tmp_path / "fast.mp4")
    return {
        "missing": ([str(tmp_path / "nope.mp4")], "no file"),
        "empty": ([str(tmp_path / "empty.mp4")], "empty"),
        "not media": ([str(tmp_path / "notes.mp4")], "not a video"),
        "not a picture": ([str(tmp_path / "fake.png")], "not a picture"),
        "truncated, index at the end": (
            [str(_truncated(video, tmp_path / "cut.mp4", 0.5))], "not a video"),
        "truncated, index first": (
            [str(_truncated(fast, tmp_path / "cut-fast.mp4", 0.3)), "--at", "3.5"],
            "truncated"),
        "past the end": ([str(video), "--at", "4.5"], "4.00 s long"),
        "negative time": ([str(video), "--at", "-1"], "--at"),
        "bomb": ([str(_png_bomb(tmp_path / "bomb.png"))], "too large"),
        "a folder": ([str(tmp_path)], "not a file"),
    }


def test_cli_bad_inputs_are_one_sentence_exit_2(tmp_path, video):
    """Every bad input: exit 2, one sentence on stderr, nothing on stdout, no traceback."""
    for name, (args, word) in bad_inputs(tmp_path, video).items():
        proc = run("preview", *args, "--width", "20")
        assert proc.returncode == 2, name
        message = assert_clean_error(proc, 2)
        assert word in message, (name, message)
        assert proc.stdout == "", name


def test_decompression_bomb_is_refused_with_bounded_memory(tmp_path):
    """The 16k x 16k PNG is refused from its header: the process stays far below the 768 MiB
    its pixels would need."""
    bomb = _png_bomb(tmp_path / "bomb.png")
    code = ("import resource, subprocess, sys; "
            "p = subprocess.run([sys.executable, '-m', 'nemo_tui', 'preview', sys.argv[1]], "
            "capture_output=True); "
            "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    proc = subprocess.run([sys.executable, "-c", code, str(bomb)], capture_output=True,
                          text=True, timeout=60, check=True)
    returncode, max_rss_kib = map(int, proc.stdout.split())
    assert returncode == 2
    assert max_rss_kib < 200 * 1024, max_rss_kib


def test_frame_source_strip_fills_fast_then_exact(video):
    """A strip: every slot first gets its nearest keyframe (here: frame 0), then the exact frame."""
    source = FrameSource(video, cache=ThumbnailCache())
    times = strip_times(source.info.duration, 8)
    assert times == [0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75]
    seen: list[tuple[int, bool, tuple]] = []
    source.strip(times, (16, 10), lambda i, pic, exact: seen.append((i, exact,
                                                                     pic.getpixel((2, 2)))))
    source.close()
    assert [(i, e) for i, e, _ in seen] == [(i, False) for i in range(8)] + [
        (i, True) for i in range(8)]
    for i, exact, colour in seen:
        n = int(times[i] * FPS) if exact else 0
        assert close(colour, block_colour(n, 0, 0)), (i, exact, colour)


def test_frame_source_cache_is_bounded_and_reused(video):
    """A second request is served from the cache; the cache never holds more than its budget."""
    cache = ThumbnailCache(max_bytes=3 * 16 * 10 * 3)  # three 16x10 pictures
    source = FrameSource(video, cache=cache)
    first = source.frame(1.0, (16, 10))
    assert source.frame(1.0, (16, 10)) is first
    for t in (0.5, 1.5, 2.5, 3.5):
        source.frame(t, (16, 10))
    assert len(cache) == 3 and cache.bytes <= cache.max_bytes
    assert cache.get(frame_key(video, 1.0, (16, 10), True)) is None  # the oldest went first
    source.close()


def test_cancelled_decode_stops(video):
    """A decode whose caller cancelled raises DecodeCancelled (nothing is cached)."""
    from nemo_tui.preview.media import DecodeCancelled

    cache = ThumbnailCache()
    source = FrameSource(video, cache=cache)
    with pytest.raises(DecodeCancelled):
        source.frame(3.0, (16, 10), cancelled=lambda: True)
    assert len(cache) == 0
    source.close()


def test_fit_cells_keeps_the_shape():
    """The largest picture that fits keeps the frame's aspect (2 pixels per cell, stacked)."""
    assert fit_cells(1920, 1080, 80, 24) == (80, 23)
    assert fit_cells(1920, 1080, 200, 10) == (35, 10)
    assert fit_cells(1080, 1920, 80, 24) == (27, 24)


def test_ansi_lines_format():
    """The exact bytes of CLI.md for a 1x2 picture."""
    from PIL import Image

    picture = Image.new("RGB", (1, 2))
    picture.putpixel((0, 0), (1, 2, 3))
    picture.putpixel((0, 1), (4, 5, 6))
    assert ansi_lines(picture) == "\x1b[38;2;1;2;3m\x1b[48;2;4;5;6m▀\x1b[0m\n"


def test_preview_error_is_local_input():
    """Bad media is a usage-level error (exit 2) in the CLI."""
    assert PreviewError("x").exit_code == 2


def test_preview_settings_from_config_toml(isolated_dirs):
    """`preview` and `preview_bytes_per_second` come from config.toml; bad values exit 2."""
    from nemo_tui.config import ConfigError

    cfg = isolated_dirs / "config" / "nemo-tui" / "config.toml"
    cfg.parent.mkdir(parents=True)
    assert load_settings().preview == "auto"
    cfg.write_text('preview = "halfcell"\npreview_bytes_per_second = 250000\n')
    settings = load_settings()
    assert (settings.preview, settings.preview_bytes_per_second) == ("halfcell", 250000)
    cfg.write_text('preview = "sixel please"\n')
    with pytest.raises(ConfigError, match="preview must be one of auto, halfcell, off"):
        load_settings()
