"""intent: PROTOCOL.md §10 routing, English and Chinese, with negatives."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nemo_tui.intent import Intent, route

ROUTED = {
    "export": ["export", "Export", "EXPORT!", "export 1080p MP4", "please export",
               "export the video", "can you export it now?", "download", "download it",
               "send me the video", "render", "export in 4k", "导出", "请导出视频", "导出吧",
               "下载视频", "帮我导出一下", "把视频发给我"],
    "credits": ["credits", "Credits?", "balance", "my balance", "how many credits do I have left",
                "check credits", "积分", "余额", "我的积分", "查看积分", "还有多少积分", "积分余额"],
    "state": ["status", "Status.", "state", "show tracks", "show the timeline",
              "what's the status", "状态", "查看状态", "时间线", "显示轨道"],
    "upload": ["upload", "Upload a video", "upload files", "上传", "上传视频", "上传素材"],
}

CHAT = [
    "generate a 30-second video from my product description with background music",
    "export the intro as a separate scene",
    "don't export yet",
    "download the best music for a sad scene",
    "add a title track",
    "make the status bar red in the video",
    "how many credits does a 30 second clip cost",
    "把开头导出为单独的场景",
    "生成一个关于城市夜景的视频",
    "给视频加背景音乐",
    "exporter",
    "uploaded",
    "",
    "   ",
    "what",
    "make clip.mp4 brighter",
]


@pytest.mark.parametrize(("kind", "text"), [(k, t) for k, ts in ROUTED.items() for t in ts])
def test_routed(kind: str, text: str) -> None:
    """Short commands route to their action, with no targets."""
    assert route(text) == Intent(kind)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", CHAT)
def test_chat(text: str) -> None:
    """Edits and longer sentences that merely contain a key word go to the agent."""
    assert route(text).kind == "chat"


def test_upload_targets_expand_home() -> None:
    """Several paths; ~ expanded; file:// and http(s) URLs kept as targets."""
    home = os.path.expanduser("~")
    assert route("upload ~/a.mp4 ~/b.png") == Intent(
        "upload", [f"{home}/a.mp4", f"{home}/b.png"])
    assert route("上传 ~/a.mp4").targets == [f"{home}/a.mp4"]
    assert route("file:///tmp/My%20Clip.mov") == Intent("upload", ["/tmp/My Clip.mov"])
    assert route("https://cdn.example/x.mp4").targets == ["https://cdn.example/x.mp4"]
    assert route("upload clip.mp4") == Intent("upload", ["clip.mp4"])


def test_pasted_paths_and_rest() -> None:
    """Quoted or escaped paths (as terminals paste them); other words kept in ``rest``."""
    assert route("'/tmp/My Clips/a b.MP4'") == Intent("upload", ["/tmp/My Clips/a b.MP4"])
    assert route(r"/tmp/My\ Clips/c.wav") == Intent("upload", ["/tmp/My Clips/c.wav"])
    got = route("use /tmp/song.mp3 as background music")
    assert got.kind == "upload" and got.targets == ["/tmp/song.mp3"]
    assert got.rest == "use as background music"
    assert route("make a video like https://example.com/ref.mp4, please").targets == [
        "https://example.com/ref.mp4"]
    assert route("upload these files: ./a.jpg, ./b.gif").rest == ""


def test_path_exists_hook() -> None:
    """Path-shaped tokens without a media extension count only when the hook says they exist."""
    assert route("/tmp/footage").kind == "chat"
    assert route("/tmp/footage", path_exists=lambda p: p == "/tmp/footage") == Intent(
        "upload", ["/tmp/footage"])
    assert route("and/or export", path_exists=lambda p: False).kind == "chat"


def test_not_a_target() -> None:
    """Slashes and dots in prose are not paths."""
    assert route("make it 16/9 and add a .mp4 intro").kind == "chat"
    assert route("mp4").kind == "chat"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_property_never_raises(text: str) -> None:
    """Any text routes somewhere; targets only with upload."""
    got = route(text)
    assert got.kind in ("export", "credits", "state", "upload", "chat")
    if got.kind != "upload":
        assert got.targets == []


def test_existing_local_path(tmp_path) -> None:
    """A real path (no media extension) routes to upload when the caller checks existence."""
    folder = tmp_path / "footage"
    folder.mkdir()
    assert route(str(folder), path_exists=os.path.exists) == Intent("upload", [str(folder)])
    assert route(str(tmp_path / "missing"), path_exists=os.path.exists).kind == "chat"
