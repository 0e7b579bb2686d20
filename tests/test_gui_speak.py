"""gui_speak: PROTOCOL.md §5 GUI wording → studio actions, English and Chinese, with negatives."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nemo_tui.gui_speak import MAX_PHRASE, GuiAction, translate

# (text, expected [(kind, phrase)], in order)
CASES: list[tuple[str, list[tuple[str, str]]]] = [
    # The seed's own final message (PROTOCOL.md §5 example).
    ("Done! Your 30-second video is ready. Click the Export button to download it.",
     [("export", "Click the Export button")]),
    ("click the export button", [("export", "click the export button")]),
    ("Click Export when you are happy.", [("export", "Click Export")]),
    ("Hit the Download button at the top right.", [("export", "Hit the Download button")]),
    ("The Export button is at the top.", [("export", "Export button")]),
    ("click here to download it", [("export", "click here")]),
    ("点击导出", [("export", "点击导出")]),
    ("视频已完成，请点击右上角的导出按钮。", [("export", "点击右上角的导出按钮")]),
    ("视频已生成，可以导出了", [("export", "导出")]),
    ("Open the panel to check it.", [("refresh_state", "Open the panel")]),
    ("Open the Media panel to see your uploads.", [("refresh_state", "Open the Media panel")]),
    ("打开素材面板", [("refresh_state", "打开素材面板")]),
    ("Drag the title to 5s on the timeline.",
     [("send_edit", "Drag the title to 5s on the timeline")]),
    ("Just drag and drop the clip onto the video track!",
     [("send_edit", "drag and drop the clip onto the video track")]),
    ("Drop it onto the audio track", [("send_edit", "Drop it onto the audio track")]),
    ("把片段拖拽到第二轨。", [("send_edit", "拖拽到第二轨")]),
    ("You can preview it in the timeline.", [("show_tracks", "preview it in the timeline")]),
    ("你可以在时间线中预览。", [("show_tracks", "在时间线中预览")]),
    ("Click Preview to watch it.", [("show_tracks", "Click Preview")]),
    ("Click the Add Music button to pick a song.", [("offer", "Click the Add Music button")]),
    ('Click "Generate" again.', [("offer", 'Click "Generate"')]),
    ("点击【生成】按钮", [("offer", "点击【生成】按钮")]),
    # Several in one reply, in text order, Chinese and English mixed.
    ("Preview it in the timeline, then click the Export button. 或者点击导出。",
     [("show_tracks", "Preview it in the timeline"), ("export", "click the Export button"),
      ("export", "点击导出")]),
]

NOTHING = [
    "add a click track to the intro",
    "the beat drops at 0:30",
    "an open road at dusk",
    "Drop shadow added to the title",
    "Your video is being generated, this takes about two minutes.",
    "I added background music and a title.",
    "press release style",
    "download speed is not a concern",
    "下载素材后我会继续",
    "我已经添加了背景音乐和标题。",
    "",
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_table(text: str, expected: list[tuple[str, str]]) -> None:
    """Each §5 phrase maps to its action, and the phrase found is returned."""
    got = translate(text)
    assert [(a.kind, a.phrase) for a in got] == expected


@pytest.mark.parametrize("text", NOTHING)
def test_prose_is_not_gui_speak(text: str) -> None:
    """Prose that merely contains "click", "drop", "open", "download" asks for nothing."""
    assert translate(text) == []


def test_targets() -> None:
    """``target`` names the button or panel."""
    assert translate("Click the Add Music button")[0].target == "Add Music"
    assert translate("点击【生成】按钮")[0].target == "生成"
    assert translate("Open the Media panel")[0].target == "Media panel"
    assert translate("Click the Export button")[0] == GuiAction(
        "export", "Click the Export button", "Export")


def test_same_phrase_once() -> None:
    """A repeated instruction yields one action; overlapping rules count once."""
    got = translate("Click the Export button. Then click the Export button again.")
    assert [a.kind for a in got] == ["export"]
    # "点击导出按钮" matches both the click rule and the bare 导出 rule: still one action.
    assert len(translate("点击导出按钮")) == 1


def test_hostile_text_in_phrase_escaped() -> None:
    """Control characters inside a matched phrase come back as visible escapes."""
    got = translate('Click "Ex\x1b[2Jport" now')
    assert got and got[0].kind == "offer"
    assert "\x1b" not in got[0].phrase and "\\x1b" in got[0].phrase
    assert "\x1b" not in got[0].target


def test_non_text_and_huge_text() -> None:
    """Non-strings give []; a huge reply is scanned without trouble and phrases stay short."""
    assert translate(None) == []  # type: ignore[arg-type]
    assert translate(42) == []  # type: ignore[arg-type]
    huge = ("drag " + "x" * 500 + " click " + "A " * 200) * 200
    got = translate(huge)
    assert got and all(len(a.phrase) <= MAX_PHRASE + 40 for a in got)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200) | st.lists(st.sampled_from(
    ["click", "Click", "the", "Export", "button", "drag", "drop", "onto", "open", "panel",
     "preview", "in", "timeline", "点击", "导出", "打开", "拖拽", "预览", '"', "【", "】", "\x1b",
     " ", ".", "\n"]), max_size=30).map("".join))
def test_property_never_raises(text: str) -> None:
    """Any text gives a list of well-formed actions whose phrases hold no control characters."""
    for act in translate(text):
        assert act.kind in ("export", "refresh_state", "send_edit", "show_tracks", "offer")
        assert act.phrase
        for ch in act.phrase + act.target:
            assert unicodedata.category(ch) not in ("Cc", "Cs") and ch != "\u202e"


def test_domain_modules_import_no_textual_or_rich() -> None:
    """textsafe, draft, diff, intent and gui_speak stay pure (checked in a fresh interpreter)."""
    import subprocess
    import sys

    code = ("import sys, nemo_tui.textsafe, nemo_tui.draft, nemo_tui.diff, nemo_tui.intent, "
            "nemo_tui.gui_speak; bad = [m for m in ('textual', 'rich', 'httpx') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
