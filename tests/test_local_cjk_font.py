"""The local renderer draws Chinese titles with real glyphs on a machine without CJK fonts."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("imageio_ffmpeg")

from test_local_render import changed, draft, gray_frame, render

from nemo_tui.local import renderplan

#: Two titles of the same length with no character in common: real glyphs draw them
#: differently; a font without CJK glyphs draws both as the same row of boxes.
TITLES = ("夜景城市之光", "山水风光画卷")
SIZE = (384, 216)  # 1920x1080 at the test scale 0.2


async def title_frames(tmp_path: Path, media: Path, tag: str) -> list[bytes]:
    """A frame inside the title's window of a render of each title, and of no title."""
    frames = []
    for i, title in enumerate((*TITLES, None)):
        out = tmp_path / f"{tag}{i}.mp4"
        await render(draft(1000, title=title, music=False), out, media)
        frames.append(gray_frame(out, 0.5, SIZE))
    return frames


@pytest.fixture
def no_system_cjk_font(monkeypatch):
    """A machine without any CJK font of its own (as most servers and many laptops are)."""
    monkeypatch.setattr(renderplan, "CJK_FONTS", ())


@pytest.mark.slow
async def test_chinese_title_draws_real_glyphs_without_a_system_cjk_font(
        tmp_path, no_system_cjk_font, monkeypatch):
    """With only the bundled fonts, two different Chinese titles draw differently (real
    glyphs), while the Latin font alone draws both as identical boxes."""
    media = tmp_path / "media"
    media.mkdir()
    first, second, untitled = await title_frames(tmp_path, media, "cjk")
    assert changed(first, untitled) > 0.005  # something was drawn
    assert changed(first, second) > 0.003  # and it depends on which characters

    # the control: without a CJK font the Latin one is used, which has no such glyphs, so
    # both titles come out as the same boxes (what --local drew before it shipped a font)
    monkeypatch.setattr(renderplan, "find_cjk_font", lambda: None)
    tofu_first, tofu_second, _ = await title_frames(tmp_path, media, "tofu")
    assert changed(tofu_first, tofu_second) < 0.0005
    assert changed(first, second) > 5 * max(changed(tofu_first, tofu_second), 0.0001)


def test_the_bundled_cjk_font_is_packaged_with_its_licence():
    """The font ships in the package data next to its OFL licence."""
    assert renderplan.BUNDLED_CJK_FONT.stat().st_size < 4_000_000
    licence = renderplan.ASSETS / "NotoSansCJK-LICENSE.txt"
    assert "SIL Open Font License" in licence.read_text()
