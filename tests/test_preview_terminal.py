"""Which pictures the terminal gets (nemo_tui.preview.terminal), against a pty that answers
like kitty, like xterm -ti vt340, like WezTerm, or not at all; and what is written when."""

from __future__ import annotations

import os
import select
import threading
import time

import pytest

from nemo_tui.preview.terminal import QUERY, TIMEOUT, choose_graphics

KITTY = "\x1b_Gi=31;OK\x1b\\\x1b[6;20;10t\x1b[?62;c"
VT340 = "\x1b[6;20;10t\x1b[?63;1;2;4;6;9;15;22c"
WEZTERM = "\x1b_Gi=31;OK\x1b\\\x1b[6;18;9t\x1b[?65;4;6;18;22c"
PLAIN_XTERM = "\x1b[?64;1;2;6;9;15;18;21;22c"


def read_all(fd: int, quiet: float = 0.15) -> bytes:
    """Everything written to the terminal until it has been quiet for ``quiet`` seconds."""
    data = b""
    while select.select([fd], [], [], quiet)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data


def probe(env: dict[str, str], answer: str | None, setting: str = "auto"):
    """Run choose_graphics on a pty whose "terminal" (the master side) answers the query with
    ``answer`` (None: never answers); returns (Graphics, bytes the program wrote, seconds)."""
    master, slave = os.openpty()
    result: list = []
    began = time.monotonic()

    def run() -> None:
        result.append(choose_graphics(setting, env, stdin_fd=slave, stdout_fd=slave))
        result.append(time.monotonic() - began)

    thread = threading.Thread(target=run)
    thread.start()
    written = b""
    if answer is not None:
        while not written.endswith(b"\x1b[c"):
            if not select.select([master], [], [], 2.0)[0]:
                break
            written += os.read(master, 4096)
        os.write(master, answer.encode("ascii"))
    thread.join(5)
    written += read_all(master)
    os.close(master)
    os.close(slave)
    return result[0], written, result[1]


def test_kitty_answers_the_graphics_query():
    """kitty: Kitty graphics, with the cell size it reported; one query written, nothing else."""
    graphics, written, _ = probe({"TERM": "xterm-kitty"}, KITTY)
    assert (graphics.kind, graphics.cell_size) == ("kitty", (10, 20))
    assert written == QUERY.encode()


@pytest.mark.parametrize(("env", "answer"), [
    ({"TERM": "xterm", "XTERM_VERSION": "XTerm(390)"}, VT340),
    ({"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"}, WEZTERM),
    ({"TERM": "foot"}, "\x1b[?62;4;22c"),
], ids=["xterm -ti vt340", "wezterm", "foot"])
def test_sixel_terminals(env, answer):
    """Terminals whose DA1 lists Sixel (4) get Sixel (WezTerm too: it answers the Kitty query,
    but not the placeholders textual-image draws with)."""
    graphics, written, _ = probe(env, answer)
    assert graphics.kind == "sixel" and written == QUERY.encode()


def test_plain_xterm_gets_half_cells():
    """An xterm without Sixel: half cells."""
    graphics, _, _ = probe({"TERM": "xterm", "XTERM_VERSION": "XTerm(390)"}, PLAIN_XTERM)
    assert graphics.kind == "halfcell"


def test_silent_terminal_times_out_and_gets_nothing_more():
    """A terminal that never answers: half cells after the timeout; only the query was written."""
    graphics, written, seconds = probe({"TERM": "xterm-kitty"}, None)
    assert graphics.kind == "halfcell" and "did not answer" in graphics.reason
    assert written == QUERY.encode()
    assert TIMEOUT <= seconds < TIMEOUT + 2.0


@pytest.mark.parametrize(("env", "setting"), [
    ({"TERM": "xterm-kitty"}, "halfcell"),
    ({"TERM": "xterm-kitty"}, "off"),
    ({"TERM": "tmux-256color", "TMUX": "/tmp/tmux-0/default,1,0"}, "auto"),
    ({"TERM": "xterm-256color"}, "auto"),
    ({"TERM": "linux"}, "auto"),
], ids=["halfcell setting", "off", "tmux", "no hint (plain ssh)", "linux console"])
def test_no_query_is_written(env, setting):
    """Forced half cells, previews off, tmux, or a terminal the environment does not name as
    graphics-capable: not one byte is written."""
    graphics, written, _ = probe(env, answer=None, setting=setting)
    assert written == b""
    assert graphics.kind == ("off" if setting == "off" else "halfcell")


def test_not_a_terminal_writes_nothing(tmp_path):
    """textual-serve and pipes: half cells, nothing asked."""
    with open(tmp_path / "out", "wb") as out, open(os.devnull, "rb") as inp:
        graphics = choose_graphics("auto", {"TERM": "xterm-kitty"}, stdin_fd=inp.fileno(),
                                   stdout_fd=out.fileno())
    assert graphics.kind == "halfcell" and (tmp_path / "out").read_bytes() == b""


def test_preview_libraries_stay_off_the_start_up_path():
    """The studio's start-up imports (the App, the terminal probe) load no av, PIL or
    textual-image: they come with the first preview."""
    import subprocess
    import sys

    code = ("import sys, nemo_tui.ui.app, nemo_tui.preview.terminal, nemo_tui.ui.widgets.jobs; "
            "print([m for m in ('av', 'PIL', 'textual_image') if m in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr
