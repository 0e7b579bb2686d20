"""`t` on a text segment (the title) composes "Change the text … to "<old text>"." with the old
text selected: typing replaces it; Right / End keep it (Pilot on the demo scene, no backend)."""

from __future__ import annotations

import pytest
from test_ui_support import until

from nemo_tui.ui.demo import build_demo_app
from nemo_tui.ui.widgets.chat import ChatInput
from nemo_tui.ui.widgets.draft_tree import DraftTree

pytestmark = pytest.mark.usefixtures("fast_idle")

SIZES = [(120, 40), (80, 24)]
OLD = "Urban Dreams"
COMPOSED = ('Change the text of segment 1 of the Title track ("Urban Dreams", 0-3s) to '
            f'"{OLD}".')


def with_text(new: str) -> str:
    """The composed instruction with ``new`` as the new text (the label in it stays)."""
    return COMPOSED[:-len(f'"{OLD}".')] + f'"{new}".'


async def retext_title(pilot) -> ChatInput:
    """F3, down to the title's segment (tree line 6: short tracks start expanded), `t`."""
    app = pilot.app
    await until(pilot, lambda: app.query(DraftTree) and app.query_one(DraftTree).root.children,
                "the demo draft in the tree")
    await pilot.press("f3")
    tree = app.query_one(DraftTree)
    await until(pilot, lambda: app.focused is tree and tree.root.children[2].is_expanded,
                "the focused, expanded tree")
    await pilot.press(*["down"] * 6)
    await until(pilot, lambda: app.timeline.selection == (2, 0), "the title segment selected")
    await pilot.press("t")
    inp = app.query_one(ChatInput)
    await until(pilot, lambda: app.focused is inp and inp.text == COMPOSED, "the composed edit")
    return inp


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_t_selects_the_old_text_so_typing_replaces_it(tmp_path, size):
    """The old title is selected (and only it); typing a new one replaces it in the quotes."""
    app = build_demo_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        inp = await retext_title(pilot)
        assert inp.selected_text == OLD
        assert inp.cursor_location == (0, len(COMPOSED) - 2)  # at the old text's end
        await pilot.press(*"Night Shift")
        assert inp.text == with_text("Night Shift")


@pytest.mark.parametrize(("key", "typed", "expected"), [
    ("right", "!", with_text(f"{OLD}!")),
    ("left", "The ", with_text(f"The {OLD}")),
    ("end", "", COMPOSED)])
async def test_arrows_and_end_keep_the_old_text(tmp_path, key, typed, expected):
    """Right puts the cursor after the old text, Left before it, End at the line's end; the
    old text stays and what is typed goes where the cursor is."""
    app = build_demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        inp = await retext_title(pilot)
        await pilot.press(key)
        assert inp.selected_text == ""
        if typed:
            await pilot.press(*typed)
        assert inp.text == expected
        if key == "end":
            assert inp.cursor_location == (0, len(COMPOSED))
