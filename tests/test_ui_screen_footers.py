"""Screens pushed over the studio (dialogs, the Preview screen) show their own keys in their
footer, and only the studio keys that really work there; the other studio keys do nothing there
(Pilot, no backend needed)."""

from __future__ import annotations

import pytest
from preview_support import make_single_keyframe_video
from test_ui_support import studio_settings, until
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from nemo_tui.ui.app import NemoStudioApp
from nemo_tui.ui.palette import StudioCommands
from nemo_tui.ui.screens.help import HelpScreen
from nemo_tui.ui.screens.preview import PreviewScreen, open_preview
from nemo_tui.ui.screens.versions import VersionsScreen

pytestmark = pytest.mark.usefixtures("fast_idle")

SIZES = [(120, 40), (80, 24)]
#: Studio keys that act on the studio's panes: never offered over another screen.
STUDIO_ONLY = ("^n", "^o", "^s", "^b", "^l", "^g", "Media bin", "Split", "Delete segment")
EVERYWHERE = ("f1 Help", "^q Quit")
SCREENS = {
    "f5": ("VersionsScreen", ("esc Close", "m Mark", "d Compare", "e Export version",
                              *EVERYWHERE)),
    "f1": ("HelpScreen", ("esc Close", "^q Quit")),
    "ctrl+o": ("SessionsScreen", ("esc Close", *EVERYWHERE)),
    "ctrl+l": ("UploadScreen", ("esc Close", *EVERYWHERE)),
    "f9": ("BatchFileScreen", ("esc Close", *EVERYWHERE)),
}


def studio(tmp_path, **changes) -> NemoStudioApp:
    """A studio that does not connect (no backend is needed for its screens)."""
    return NemoStudioApp(studio_settings("http://127.0.0.1:9", tmp_path, **changes),
                         connect=False)


def bottom_line(app) -> str:
    """The last row of the terminal as painted."""
    strips = app.screen._compositor.render_strips()
    return "".join(seg.text for seg in strips[-1])


def footer_ready(app, name: str, wanted: tuple[str, ...] = ("esc Close",),
                 seen: list[str] | None = None) -> bool:
    """``name`` is the screen on top and its own footer is painted with every ``wanted`` key
    (a footer is recomposed when the screen's bindings change: wait for the finished one).
    The painted line that showed them is appended to ``seen``."""
    screen = app.screen
    if type(screen).__name__ != name:
        return False
    footers = screen.query(Footer)
    if not footers or not footers.first().query(FooterKey):
        return False
    line = bottom_line(app)
    if not all(label in line for label in wanted):
        return False
    if seen is not None:
        seen.append(line)
    return True


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("key", list(SCREENS))
async def test_a_dialog_footer_shows_its_own_keys(tmp_path, key, size):
    """F5, F1, Ctrl+O, Ctrl+L, F9: the bottom line lists the dialog's keys (on Versions `m`
    is Mark, not the timeline's Media bin) and no studio key that does nothing there."""
    app = studio(tmp_path)
    async with app.run_test(size=size) as pilot:
        await pilot.press("f3")  # the timeline has focus: its keys were in the studio footer
        await pilot.press(key)
        name, wanted = SCREENS[key]
        seen: list[str] = []
        await until(pilot, lambda: footer_ready(app, name, wanted, seen), f"{name}'s footer")
        line = seen[-1]
        for label in STUDIO_ONLY:
            assert label not in line, (label, line)
        if key == "f1":
            assert "f1 Help" not in line  # F1 closes help: it does not open another


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_preview_footer_shows_its_keys_and_studio_keys_do_nothing_there(tmp_path, size):
    """The Preview screen's footer: its own keys, Help and Quit; not ^n/^s/^o, and those keys
    do nothing while it is shown."""
    video = make_single_keyframe_video(tmp_path / "clip.mp4")
    app = studio(tmp_path, preview="halfcell")
    async with app.run_test(size=size) as pilot:
        open_preview(app, video)
        wanted = ("esc Close", "-1 s", "+1 s", "space Play", *EVERYWHERE)
        seen: list[str] = []
        await until(pilot, lambda: footer_ready(app, "PreviewScreen", wanted, seen),
                    "the preview's footer with its keys")
        line = seen[-1]
        for label in STUDIO_ONLY:
            assert label not in line, (label, line)
        for key in ("ctrl+o", "ctrl+l", "f5", "f9"):
            await pilot.press(key)
            assert [type(s) for s in app.screen_stack][1:] == [PreviewScreen], key


async def test_studio_keys_over_a_dialog_do_not_stack_screens_and_f1_toggles_help(tmp_path):
    """Over Versions, Ctrl+O / Ctrl+L / F9 / F5 do nothing; F1 opens help over it and F1 again
    closes that help (as its footer says); the palette over a dialog offers only what works."""
    app = studio(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await until(pilot, lambda: footer_ready(app, "VersionsScreen"), "the Versions screen")
        for key in ("ctrl+o", "ctrl+l", "f9", "f5", "ctrl+n"):
            await pilot.press(key)
            assert [type(s) for s in app.screen_stack][1:] == [VersionsScreen], key
        offered = {action for _t, _h, action in StudioCommands(app.screen)._entries()}
        assert offered == {"help", "switch_theme", "quit"}
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "help over Versions")
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, VersionsScreen), "help closed")
        assert [type(s) for s in app.screen_stack][1:] == [VersionsScreen]
