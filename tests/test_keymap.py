"""Keymaps: the [keymap] table checked (pure), `nemo-tui keys`, and the studio using it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from test_ui_support import lines, make_studio, settle

from nemo_tui.keymap import normalize_key, resolve
from nemo_tui.ui.commands import ACTIONS
from nemo_tui.ui.palette import StudioCommands
from nemo_tui.ui.screens.help import HelpScreen, key_rows

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("key", "want"), [
    ("ctrl+e", "ctrl+e"), ("Ctrl+E", "ctrl+e"), ("?", "question_mark"), ("f5", "f5"),
    ("question_mark", "question_mark"), ("/", "slash"), ("ctrl++", "ctrl+plus"),
    ("shift+f3", "shift+f3"), ("d", "d"), ("ctrl+?x", None), ("hyperdrive+e", None),
    ("", None), ("\x1b", None), ("ctrl+ctrl+e", None), ("nosuchkey", None),
])
def test_normalize_key(key, want):
    assert normalize_key(key) == want


def test_resolve_reports_every_problem_in_one_line_and_keeps_defaults():
    result = resolve(ACTIONS, {"export": "ctrl+e", "nope": "f5", "credits": "ctrl+n",
                               "upload": "e", "help": "ctrl+?x", "open_web": "ctrl+s",
                               "refresh_state": 5})
    # export moves off ctrl+s, so open_web may take it; the rest keep their defaults
    assert result.overrides == {"export": "ctrl+e", "open_web": "ctrl+s"}
    assert result.keys["credits"] == "ctrl+b" and result.keys["upload"] == "ctrl+l"
    message = result.message
    assert message is not None and "\n" not in message
    for part in ("unknown id 'nope'", "upload = 'e' refused", "'ctrl+?x' is not a key",
                 "credits and new_session both on 'ctrl+n'", "refresh_state = 5 is not a key"):
        assert part in message


def test_resolve_swaps_and_scopes():
    """Two actions may swap keys; a jobs-table key may reuse a letter, never an app key."""
    ok = resolve(ACTIONS, {"export": "ctrl+b", "credits": "ctrl+s", "job_cancel": "k"})
    assert ok.message is None and ok.keys["export"] == "ctrl+b" and ok.keys["job_cancel"] == "k"
    bad = resolve(ACTIONS, {"job_cancel": "ctrl+s", "job_copy": "d"})
    assert bad.overrides == {} and "job_cancel and export" in bad.message
    assert "job_copy and job_download both on 'd'" in bad.message


def test_a_dialog_key_may_not_take_a_studio_key_that_works_over_dialogs():
    """F1, Ctrl+T and Ctrl+Q work over the dialogs (priority keys of the App): a dialog key
    moved onto one of them would never run, so it is refused; other studio keys (Ctrl+N) do
    not run over a dialog, so a dialog may reuse them."""
    from nemo_tui.ui.commands import resolve_user_keymap

    bad = resolve_user_keymap({"help_close": "ctrl+t", "version_mark": "ctrl+q"})
    assert bad.overrides == {}
    assert "help_close and switch_theme both on 'ctrl+t'" in bad.message
    assert "version_mark and quit both on 'ctrl+q'" in bad.message
    ok = resolve_user_keymap({"sessions_new": "ctrl+n", "version_export": "ctrl+s"})
    assert ok.message is None and ok.overrides == {"sessions_new": "ctrl+n",
                                                   "version_export": "ctrl+s"}


def test_every_binding_has_an_id_from_the_table():
    """Keymap-independent: the bindings of the app, the jobs table, the chat log, help and the
    upload picker all have ids, and every id is an action of the table ([keymap] can name it)."""
    from nemo_tui.ui.app import NemoStudioApp
    from nemo_tui.ui.screens.help import HelpScreen
    from nemo_tui.ui.screens.sessions import SessionsScreen
    from nemo_tui.ui.screens.upload import UploadScreen
    from nemo_tui.ui.widgets.chatview import ChatView
    from nemo_tui.ui.widgets.jobs import JobsTable

    owners = (NemoStudioApp, JobsTable, ChatView, HelpScreen, UploadScreen, SessionsScreen)
    ids = [b.id for cls in owners for b in cls.BINDINGS]
    assert None not in ids
    table = {a.action for a in ACTIONS}
    assert set(ids) <= table
    scopes = {"app", "jobs", "chat-log", "help", "upload", "sessions"}
    assert {a.action for a in ACTIONS if a.scope in scopes} <= set(ids)


def _write_config(home: Path, text: str) -> None:
    cfg = Path(os.environ["XDG_CONFIG_HOME"]) / "nemo-tui"
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "config.toml").write_text(text)


def test_keys_command_prints_the_table_in_effect(isolated_dirs):
    _write_config(isolated_dirs, '[keymap]\nexport = "ctrl+e"\nbogus = "f9"\n')
    run = [sys.executable, "-m", "nemo_tui", "keys"]
    proc = subprocess.run([*run, "--json"], capture_output=True, text=True, cwd=ROOT,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    rows = {r["id"]: r for r in data["keys"]}
    assert rows["export"] == {"id": "export", "key": "ctrl+e", "default": "ctrl+s",
                              "title": "Export", "where": "anywhere"}
    assert rows["job_cancel"]["where"] == "jobs table"
    assert len(data["problems"]) == 1 and "unknown id 'bogus'" in data["problems"][0]
    assert proc.stderr.count("\n") == 1  # the problem, in one line
    proc = subprocess.run(run, capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    line = next(x for x in proc.stdout.splitlines() if " export " in x)
    assert line.startswith("Ctrl+E (default Ctrl+S)")


async def test_keymap_remaps_export_in_the_studio(backend, tmp_path):
    """ctrl+e exports (ctrl+s no longer does); footer, palette and F1 show ctrl+e; a bad entry
    is reported once at start and the studio keeps that action's default."""
    app = make_studio(backend.url, tmp_path, keymap={"export": "ctrl+e", "credits": "ctrl+n"})
    nothing = "Nothing to export yet"
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        toasts = [n.message for n in app._notifications]
        assert len(toasts) == 1 and "credits and new_session both on 'ctrl+n'" in toasts[0]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not any(t.startswith(nothing) for t in lines(app, "error"))
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert any(t.startswith(nothing) for t in lines(app, "error"))
        footer_keys = {b.binding.action: k for k, b in app.active_bindings.items()}
        assert footer_keys["export"] == "ctrl+e" and footer_keys["credits"] == "ctrl+b"
        help_text = {what.split(" — ")[0]: key for key, what, _ in key_rows(app.key_table)}
        assert help_text["Export"] == "Ctrl+E"
        entries = {t: h for t, h, _a in StudioCommands._entries(SimpleNamespace(app=app))}
        assert entries["Export"].endswith("[Ctrl+E]") and entries["Credits"].endswith("[Ctrl+B]")
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        shot = app.export_screenshot()
        assert "Ctrl+E" in shot and "Ctrl+S" not in shot


def test_keys_and_transcript_modules_need_no_textual():
    """`nemo-tui keys` and `nemo-tui transcript` read plain data: no Textual or Rich imported."""
    probe = ("import sys, nemo_tui.cli_keys, nemo_tui.cli_transcript, nemo_tui.keymap, "
             "nemo_tui.ui.commands, nemo_tui.transcript_save\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, timeout=60, check=True)
    assert proc.stdout.strip() == "[]"


def test_default_keys_never_clash():
    """Keymap-independent: no two actions that can see the same key press share a default key
    (an app key is seen everywhere but on modal screens; Escape is the exception: the App's is
    not a priority key, so a focused widget's Escape comes first and falls through)."""
    from nemo_tui.keymap import normalize_keys
    from nemo_tui.ui.commands import MODAL_SCOPES, studio_keys_on

    keys = {a.action: set(normalize_keys(a.key) or [a.key]) for a in ACTIONS}
    clashes = []
    for i, a in enumerate(ACTIONS):
        for b in ACTIONS[i + 1:]:
            scopes = {a.scope, b.scope}
            app_on_dialog = any(x.scope == "app" and y.scope in MODAL_SCOPES
                                and x.action in studio_keys_on(y.scope)
                                for x, y in ((a, b), (b, a)))
            if (a.scope == b.scope or ("app" in scopes and not scopes & MODAL_SCOPES)
                    or app_on_dialog):
                common = (keys[a.action] & keys[b.action]) - {"escape"}
                if common:
                    clashes.append((a.action, b.action, sorted(common)))
    assert clashes == []
    assert resolve(ACTIONS, {}, MODAL_SCOPES).message is None
