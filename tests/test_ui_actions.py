"""Pilot tests of uploads, the command palette, sessions, keys and themes (local backend)."""

from __future__ import annotations

import pytest
from test_ui_support import lines, make_studio, run_sse_count, say, settle, tiny_png
from textual.command import CommandPalette

from nemo_tui.config import read_config_file
from nemo_tui.ui.commands import ACTIONS
from nemo_tui.ui.screens.help import HelpScreen
from nemo_tui.ui.screens.sessions import SessionsScreen
from nemo_tui.ui.screens.upload import MediaTree, UploadScreen

pytestmark = pytest.mark.usefixtures("fast_idle")


def uploads(backend) -> list[dict]:
    """Upload requests the backend received."""
    return [r for r in backend.requests() if r.get("endpoint") == "upload"]


async def test_upload_via_picker_shows_only_media(backend, tmp_path, monkeypatch):
    """Ctrl+F opens a tree of supported files only; Enter on one uploads it."""
    media = tmp_path / "media"
    media.mkdir()
    tiny_png(media / "still.png")
    tiny_png(media / "[b]odd[red].png")
    (media / "notes.txt").write_text("not media")
    monkeypatch.chdir(media)
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press(app.key_table["upload"])
        await settle(pilot)
        assert isinstance(app.screen, UploadScreen)
        tree = app.screen.query_one(MediaTree)
        for _ in range(200):
            await pilot.pause(0.01)
            if tree.root.children:
                break
        names = [n.label.plain for n in tree.root.children]
        assert sorted(names) == ["[b]odd[red].png", "still.png"]  # no .txt; names literal
        still = names.index("still.png")
        await pilot.press(*["down"] * (still + 1), "enter")
        await settle(pilot)
        assert not isinstance(app.screen, UploadScreen)
        assert len(uploads(backend)) == 1
        assert any(t.startswith("Uploaded still.png") for t in lines(app, "info"))


async def test_upload_typed_path_in_chat_and_picker(backend, tmp_path):
    """A path typed in the chat uploads (no agent call); the picker's input takes one too;
    a bad format is refused before any request."""
    png = tiny_png(tmp_path / "frame.png")
    bad = tmp_path / "doc.pdf"
    bad.write_bytes(b"%PDF-1.4")
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, f"upload {png}")
        await settle(pilot)
        assert len(uploads(backend)) == 1 and run_sse_count(backend) == 0
        await pilot.press(app.key_table["upload"])
        await settle(pilot)
        inp = app.screen.query_one("#upload-input")
        inp.focus()
        inp.value = str(bad)
        await pilot.press("enter")
        await settle(pilot)
        assert len(uploads(backend)) == 1  # refused locally
        assert any("mp4" in e and "png" in e for e in lines(app, "error"))
        await pilot.press(app.key_table["upload"])
        await settle(pilot)
        inp = app.screen.query_one("#upload-input")
        inp.focus()
        inp.value = str(png)
        await pilot.press("enter")
        await settle(pilot)
        assert len(uploads(backend)) == 2


async def test_palette_lists_every_action_and_runs_them(backend, tmp_path):
    """The palette offers every studio action; choosing "Credits" fetches the balance."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        for ch in "Credits":
            await pilot.press(ch)
        await settle(pilot)
        for _ in range(5):  # Enter picks the hit, the next Enter runs it
            await pilot.pause(0.2)  # the palette gathers hits in a task of its own
            if not CommandPalette.is_open(app):
                break
            await pilot.press("enter")
        await settle(pilot)
        assert any(t.startswith("Credits: ") for t in lines(app, "info"))
    from nemo_tui.ui.commands import StudioCommands

    titles = [t for t, _h, _a in StudioCommands._entries(None)]  # type: ignore[arg-type]
    for needed in ("New session", "Export", "Credits", "Refresh state", "Upload",
                   "Open in web editor", "Switch theme", "Quit"):
        assert needed in titles
    from textual.dom import DOMNode

    def ours(cls):  # the studio's widgets and screens: a scope's keys call their own actions
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("nemo_tui"):
                yield sub
            yield from ours(sub)

    from nemo_tui.ui.screens.versions import VersionsScreen

    nodes = [app, VersionsScreen, *ours(DOMNode)]
    for a in ACTIONS:
        name = (a.call or a.action).split("(")[0]
        assert any(callable(getattr(n, f"action_{name}", None)) for n in nodes), a.action


async def test_new_session_and_reopen_a_recent_one(backend, tmp_path):
    """Ctrl+N starts a session (empty chat); Ctrl+O lists recent ones and reopens the first
    with its transcript."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        first = app.client.session.session_id
        await say(pilot, "hello from the first session")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.client.session.session_id != first
        assert "hello from the first session" not in lines(app, "user")
        await pilot.press("ctrl+o")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionsScreen)
        ids = [r.session_id for r in screen.recent]
        assert first in ids
        option_list = screen.query_one("#sessions-list")
        option_list.highlighted = ids.index(first)
        await pilot.press("enter")
        await settle(pilot)
        assert app.client.session.session_id == first
        assert "hello from the first session" in lines(app, "user")


async def test_keys_focus_help_web_and_theme(backend, tmp_path):
    """F2-F4 and Tab move focus; F1 shows every key; Ctrl+G gives the claim URL (no token);
    a theme change is remembered in config.toml."""
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        assert app.focused.id == "draft-tree"
        await pilot.press("f4")
        assert app.focused.id == "jobs-table"
        await pilot.press("f2")
        assert app.focused.id == "chat-input"
        seen = set()
        for _ in range(6):
            await pilot.press("tab")
            seen.add(app.focused.id)
        assert {"draft-tree", "jobs-table", "chat-input"} <= seen
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("ctrl+g")
        url = app.clipboard
        assert "/workspace/claim?task=" in url and app.client.session.session_id in url
        assert app.client.token.token not in url
        app.theme = "nord"
        await settle(pilot)
        for _ in range(100):
            await pilot.pause(0.01)
            if read_config_file(app.settings.paths.config_file).get("theme") == "nord":
                break
        assert read_config_file(app.settings.paths.config_file).get("theme") == "nord"
