"""Synthetic media for the preview tests: a video with ONE keyframe whose picture changes on
every frame (so only exact seeking finds the right picture), and pictures of known colours."""

from __future__ import annotations

import re
from pathlib import Path

FPS = 10
SECONDS = 4
WIDTH, HEIGHT = 320, 180
#: The picture is a grid of BLOCKS_X x BLOCKS_Y blocks of flat colour.
BLOCKS_X, BLOCKS_Y = 4, 2


def block_colour(n: int, bx: int, by: int) -> tuple[int, int, int]:
    """Colour of block (bx, by) in frame n: every frame differs from the one before by >= 40."""
    return ((40 + n * 53 + bx * 90 + by * 45) % 216 + 20,
            (n * 97 + bx * 30 + by * 128) % 216 + 20,
            (200 - n * 29 - bx * 60 + by * 70) % 216 + 20)


def frame_picture(n: int, size: tuple[int, int] = (WIDTH, HEIGHT)):
    """Frame n as a PIL image."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    bw, bh = size[0] // BLOCKS_X, size[1] // BLOCKS_Y
    for by in range(BLOCKS_Y):
        for bx in range(BLOCKS_X):
            draw.rectangle([bx * bw, by * bh, (bx + 1) * bw - 1, (by + 1) * bh - 1],
                           fill=block_colour(n, bx, by))
    return image


def make_single_keyframe_video(path: Path, *, fps: int = FPS, seconds: int = SECONDS) -> Path:
    """An H.264 MP4 (lossless, qp 0) with one keyframe at 0 s and a new picture every frame."""
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"qp": "0", "preset": "ultrafast", "threads": "1",
                          "x264-params": "keyint=100000:min-keyint=100000:scenecut=0"}
        for n in range(fps * seconds):
            frame = av.VideoFrame.from_image(frame_picture(n)).reformat(format="yuv420p")
            frame.pts = n
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def keyframe_times(path: Path) -> list[float]:
    """The times of the video's keyframes (from the packets, no decoding)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [float(p.pts * stream.time_base) for p in container.demux(stream)
                if p.is_keyframe and p.pts is not None]


_CELL = re.compile(r"\x1b\[38;2;(\d+);(\d+);(\d+)m\x1b\[48;2;(\d+);(\d+);(\d+)m▀")


def parse_halfcell(text: str) -> list[list[tuple[tuple[int, ...], tuple[int, ...]]]]:
    """Rows of (upper, lower) colours from CLI.md's half-cell bytes; checks the row format."""
    rows = []
    assert text.endswith("\x1b[0m\n"), "every row ends with a reset and a newline"
    for line in text.split("\n")[:-1]:
        assert line.endswith("\x1b[0m"), "every row ends with a reset"
        body = line[:-len("\x1b[0m")]
        cells = [(tuple(map(int, m.groups()[:3])), tuple(map(int, m.groups()[3:])))
                 for m in _CELL.finditer(body)]
        assert "".join(m.group(0) for m in _CELL.finditer(body)) == body, "only cells in a row"
        rows.append(cells)
    return rows


def expected_cells(n: int, cols: int, rows: int) -> list[list[tuple[tuple, tuple]]]:
    """The (upper, lower) block colours each cell of frame n must show at cols x rows."""
    def colour(x: int, y: int) -> tuple[int, int, int]:
        return block_colour(n, x * BLOCKS_X // cols, y * BLOCKS_Y // (rows * 2))

    return [[(colour(x, 2 * r), colour(x, 2 * r + 1)) for x in range(cols)] for r in range(rows)]


def close(a: tuple, b: tuple, tolerance: int = 8) -> bool:
    """Two colours equal within the YUV round trip's error."""
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))
