"""Pilot tests of the timeline as an editing surface, against the local backend: each edit key
composes its exact instruction, Enter sends it, the local agent applies it, the timeline
changes and the chat says "✓ applied"; an agent that does something else gives "✗ not applied"."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from test_ui_support import lines, make_studio, run_sse_count, say, settle, tiny_png

from nemo_tui.edit_check import APPLIED, NOT_APPLIED
from nemo_tui.ui.widgets.chat import ChatInput
from nemo_tui.ui.widgets.draft_tree import DraftTree
from nemo_tui.ui.widgets.ruler import Ruler

pytestmark = pytest.mark.usefixtures("fast_idle")

GENERATE = "generate a 15-second video about a city at night with background music"
SIZES = [(120, 40), (80, 24)]
# Tree lines of the generated draft (short tracks start expanded):
# 0 Video, 1 opening (0-7.5s), 2 closing (7.5-15s), 3 BGM, 4 Upbeat pop, 5 Title, 6 "City at Night"
OPENING, CLOSING, BGM, TITLE = ["down"], ["down"] * 2, ["down"] * 4, ["down"] * 6


@dataclass(frozen=True)
class Case:
    """One edit key: the keys pressed, the exact instruction, and what the timeline shows after."""

    name: str
    keys: tuple[str, ...]
    text: str
    after: object  # callable(app) -> bool


def video(app) -> list[tuple[str, int, int]]:
    """The studio's video track as (label, start, end)."""
    return [(s.label, s.start_ms, s.end_ms) for s in app.draft.tracks[0].segments]


CASES = [
    Case("delete", (*CLOSING, "delete"),
         'Delete segment 2 of the Video track ("city at night — closing", 7.5-15s).',
         lambda app: video(app) == [("city at night — opening", 0, 7500)]),
    Case("split", (*CLOSING, *["right"] * 9, "s"),
         'Split segment 2 of the Video track ("city at night — closing", 7.5-15s) at 9s.',
         lambda app: [v[1:] for v in video(app)] == [(0, 7500), (7500, 9000), (9000, 15000)]),
    Case("trim_start", (*CLOSING, *["right"] * 9, "left_square_bracket"),
         'Trim the start of segment 2 of the Video track ("city at night — closing", 7.5-15s) '
         "to 9s.",
         lambda app: video(app)[1] == ("city at night — closing", 7500, 13500)),
    Case("trim_end", (*OPENING, *["right"] * 5, *["shift+right"] * 5, "right_square_bracket"),
         'Trim the end of segment 1 of the Video track ("city at night — opening", 0-7.5s) '
         "to 5.5s.",
         lambda app: video(app)[0] == ("city at night — opening", 0, 5500)),
    Case("move_earlier", (*CLOSING, "less_than_sign"),
         'Move segment 2 of the Video track ("city at night — closing", 7.5-15s) one place '
         "earlier.",
         lambda app: [v[0] for v in video(app)] == ["city at night — closing",
                                                      "city at night — opening"]),
    Case("move_later", (*OPENING, "greater_than_sign"),
         'Move segment 1 of the Video track ("city at night — opening", 0-7.5s) one place later.',
         lambda app: [v[0] for v in video(app)] == ["city at night — closing",
                                                      "city at night — opening"]),
    Case("volume_up", (*BGM, "u"),
         'Raise the volume of segment 1 of the BGM track ("Upbeat pop", 0-15s) from 35% to 45%.',
         lambda app: app.draft.tracks[1].segments[0].volume == 0.45),
    Case("volume_down", (*BGM, "j"),
         'Lower the volume of segment 1 of the BGM track ("Upbeat pop", 0-15s) from 35% to 25%.',
         lambda app: app.draft.tracks[1].segments[0].volume == 0.25),
    Case("retext", (*TITLE, "t"),
         'Change the text of segment 1 of the Title track ("City at Night", 0-3s) to '
         '"City at Night".',
         lambda app: app.draft.tracks[2].segments[0].text == "City at Night!"),
]


async def generated(pilot, backend) -> None:
    """Wait for the studio to connect, generate the test video, focus the timeline."""
    await settle(pilot)
    await say(pilot, GENERATE)
    await settle(pilot)
    assert [v[0] for v in video(pilot.app)] == ["city at night — opening",
                                                  "city at night — closing"]
    await pilot.press("f3")


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_edit_key_composes_sends_applies_and_confirms(backend, tmp_path, case, size):
    """The key puts the exact instruction in the focused chat input; Enter sends it; the local
    agent applies it; the timeline (draft, ruler, tree) changes; the chat says ✓ applied."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=size) as pilot:
        await generated(pilot, backend)
        await pilot.press(*case.keys)
        inp = app.query_one(ChatInput)
        assert inp.value == case.text
        assert app.focused is inp
        if case.name == "retext":  # the old text is selected; Right keeps it, "!" appends
            assert inp.selected_text == "City at Night"
            assert inp.cursor_location == (0, len(case.text) - 2)
            await pilot.press("right", "exclamation_mark")
        turns, said = run_sse_count(backend), len(lines(app))
        await pilot.press("enter")
        await settle(pilot)
        assert run_sse_count(backend) == turns + 1
        assert case.after(app), video(app)
        new_lines = lines(app)[said:]  # (a reply may speak GUI: a summary can follow)
        assert APPLIED in new_lines and NOT_APPLIED not in new_lines
        if case.name.startswith("move"):  # the moved segment stays selected
            sel = app.timeline.selection
            assert app.draft.tracks[sel[0]].segments[sel[1]].label == case.text.split('"')[1]
        ruler = app.timeline.query_one(Ruler)
        assert ruler.draft is app.draft  # the ruler and the tree show the new draft
        assert app.timeline.query_one(DraftTree).draft is app.draft


async def insert_highlighted(pilot, sentence: str) -> None:
    """Enter on the media bin's highlighted item composes ``sentence``; Enter sends it and the
    chat says it was applied."""
    await pilot.press("enter")
    assert pilot.app.query_one(ChatInput).value == sentence
    await pilot.press("enter")
    await settle(pilot)
    assert APPLIED in lines(pilot.app)


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
async def test_media_bin_enter_inserts_an_upload_at_the_playhead(backend, tmp_path, size):
    """m shows the uploads (then what was generated); Enter composes the insert at the
    playhead; it is applied."""
    png = tiny_png(tmp_path / "still.png")
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=size) as pilot:
        await generated(pilot, backend)
        await say(pilot, f"upload {png}")
        await settle(pilot)
        await pilot.press("f3", "right", "right", "right", "m")
        media = app.timeline.media_bin
        assert media.display and app.focused is media
        assert [(i.name, i.generated) for i in media.items] == [
            ("still.png", False), ("City at Night.mp4", True), ("Upbeat pop.m4a", True)]
        assert media.get_option_at_index(0).prompt.plain.startswith("still.png · image")
        await insert_highlighted(pilot, 'Insert my uploaded "still.png" at 3s on the Video track.')
        assert ("still.png", 3000, 6000) in video(app)
        await pilot.press("f3", "m")
        assert not media.display and app.focused is app.timeline.tree


async def test_media_bin_offers_what_the_local_agent_generated(backend, tmp_path):
    """The local backend lists its generated clip and tune (no upload needed); Enter on the
    clip composes its insert at the playhead, and the local agent applies it."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await generated(pilot, backend)
        await pilot.press("right", "right", "right", "m")
        media = app.timeline.media_bin
        assert [(i.name, i.kind, i.generated) for i in media.items] == [
            ("City at Night.mp4", "video", True), ("Upbeat pop.m4a", "audio", True)]
        assert media.get_option_at_index(0).prompt.plain.startswith(
            "City at Night.mp4 · video (generated) · 15 s · 1920×1080")
        await insert_highlighted(
            pilot, 'Insert the generated "City at Night.mp4" at 3s on the Video track.')
        assert ("City at Night.mp4", 3000, 13000) in video(app)


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
async def test_agent_doing_something_else_is_reported_not_applied(backend, tmp_path, size):
    """The agent answers with an error instead of editing: ✗ not applied, with what was
    expected; the timeline is unchanged."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=size) as pilot:
        await generated(pilot, backend)
        backend.add_faults([{"endpoint": "run_sse", "stream": "in_stream_error",
                             "text": "I'd rather not.", "message": "tool refused"}])
        await pilot.press(*CLOSING, "delete", "enter")
        await settle(pilot)
        said = lines(app)
        assert NOT_APPLIED in said and APPLIED not in said
        at = said.index(NOT_APPLIED)
        assert said[at + 1:at + 3] == ["expected: segment 1.2 of the Video track removed",
                                       "the timeline did not change at all"]
        assert len(video(app)) == 2


async def test_agent_making_another_change_is_not_applied_with_the_diff(backend, tmp_path):
    """The agent changes the title instead of deleting: ✗ not applied, after the diff of what
    did change; a message the user rewrote is not checked at all."""
    from nemo_tui.local.agent import run_turn

    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await generated(pilot, backend)
        await pilot.press(*CLOSING, "delete")
        app.query_one(ChatInput).value = "make it warmer"  # rewritten: no longer the edit
        await pilot.press("enter")
        await settle(pilot)
        assert APPLIED not in lines(app) and NOT_APPLIED not in lines(app)
        backend.backend.options["turn_fn"] = lambda ctx, _message: run_turn(
            ctx, "change the title to Something Else")
        assert app.timeline.selection == (0, 1)  # the selection survived the redraw
        await pilot.press("f3", "delete", "enter")
        await settle(pilot)
        said = lines(app)
        at = said.index(NOT_APPLIED)
        assert 'title changed to "Something Else"' in said[:at]
        assert said[at + 1] == "expected: segment 1.2 of the Video track removed"
        assert len(video(app)) == 2


async def test_escape_discards_and_returns_to_the_timeline(backend, tmp_path):
    """Esc on a composed instruction empties the input, sends nothing, refocuses the tree;
    refused keys say why and compose nothing."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await generated(pilot, backend)
        turns = run_sse_count(backend)
        await pilot.press(*CLOSING, "s")  # playhead at 0: not inside the segment
        inp = app.query_one(ChatInput)
        assert inp.value == "" and app.focused is app.timeline.tree
        await pilot.press("delete")
        assert inp.value.startswith("Delete segment 2") and app.focused is inp
        await pilot.press("escape")
        assert inp.value == "" and app.focused is app.timeline.tree
        assert run_sse_count(backend) == turns
        # what the user was typing is not lost: it comes back after Esc, and after sending
        inp.value = "half a thought"
        await pilot.press("f3", "delete")
        assert inp.value.startswith("Delete segment 2")
        await pilot.press("escape")
        assert inp.value == "half a thought"
        await pilot.press("f3", "delete", "enter")
        await settle(pilot)
        assert inp.value == "half a thought" and run_sse_count(backend) == turns + 1


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
async def test_playhead_zoom_and_selection_keys(backend, tmp_path, size):
    """Up/Down select (named in the selection line, highlighted in the ruler), Left/Right and
    Shift move the playhead, Home/End jump to the segment's ends, +/-/0 zoom and the view
    follows the playhead."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=size) as pilot:
        await generated(pilot, backend)
        pane = app.timeline
        ruler = pane.query_one(Ruler)
        await pilot.press(*CLOSING)
        selected = pane.query_one("#timeline-selected").text.plain
        assert selected == "selected: 1.2 city at night — closing (7.5-15s)"
        assert ruler.selected == (0, 1)
        await pilot.press("end")
        assert ruler.playhead_ms == 15000
        await pilot.press("home")
        assert ruler.playhead_ms == 7500
        await pilot.press("right", "shift+right", "shift+left", "shift+left", "left")
        assert ruler.playhead_ms == 7400
        assert ruler.plain_lines()[0].strip() == "▏ 7.4s"
        fit = ruler.ms_per_cell
        await pilot.press("plus", "plus", "plus")
        assert ruler.ms_per_cell == fit / 8
        await pilot.press(*["right"] * 7)
        span = ruler.ms_per_cell * ruler.bar_width
        assert ruler.view_ms <= ruler.playhead_ms < ruler.view_ms + span  # followed
        await pilot.press("minus")
        assert ruler.ms_per_cell == fit / 4
        await pilot.press("0")
        assert ruler.ms_per_cell == fit and ruler.view_ms == 0
        await pilot.press("up", "up")
        assert ruler.selected == (0, None)
        assert pane.query_one("#timeline-selected").text.plain == \
            "selected: 1 Video — 2 segments"


async def test_chinese_session_composes_chinese_and_the_agent_applies_it(backend, tmp_path):
    """With the session language zh-CN the instruction is Chinese, and it works end to end."""
    app = make_studio(backend.url, tmp_path, language="zh-CN")
    async with app.run_test(size=(120, 40)) as pilot:
        await generated(pilot, backend)
        await pilot.press(*BGM, "j")
        inp = app.query_one(ChatInput)
        assert inp.value == "将背景音乐轨道的第 1 个片段（“Upbeat pop”，0-15秒）的音量从 35% 调低到 25%。"
        await pilot.press("enter")
        await settle(pilot)
        assert app.draft.tracks[1].segments[0].volume == 0.25
        assert APPLIED in lines(app)


async def test_palette_offers_every_timeline_key_and_runs_it_on_the_pane(backend, tmp_path):
    """Every timeline action is a palette entry with its key; choosing one acts on the pane even
    when the focus is elsewhere."""
    from textual.command import CommandPalette

    from nemo_tui.ui.commands import ACTIONS
    from nemo_tui.ui.palette import StudioCommands

    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await generated(pilot, backend)
        entries = {title: text for title, text, _a in StudioCommands._entries(None)}
        for a in ACTIONS:
            if a.scope == "timeline":
                assert a.title in entries, a.title
        assert entries["Zoom in"].endswith("[+]") and entries["Trim start to playhead"].endswith(
            "[[]")
        ruler = app.timeline.query_one(Ruler)
        fit = ruler.ms_per_cell
        await pilot.press("f2", "ctrl+p")
        await settle(pilot)
        for ch in "Zoom in":
            await pilot.press(ch if ch != " " else "space")
        for _ in range(5):  # the palette gathers hits in a task of its own
            await pilot.pause(0.2)
            if not CommandPalette.is_open(app) or ruler.ms_per_cell != fit:
                break
            await pilot.press("enter")
        await settle(pilot)
        assert ruler.ms_per_cell == fit / 2


async def test_timeline_keys_follow_the_users_keymap(backend, tmp_path):
    """A [keymap] entry for a timeline action id moves that key (the Binding ids)."""
    app = make_studio(backend.url, tmp_path, keymap={"timeline_split": "x"})
    async with app.run_test(size=(120, 40)) as pilot:
        await generated(pilot, backend)
        await pilot.press(*CLOSING, *["right"] * 9, "x")
        assert app.query_one(ChatInput).value == (
            'Split segment 2 of the Video track ("city at night — closing", 7.5-15s) at 9s.')
