"""Which pictures the terminal can show: Kitty graphics, Sixel, or half cells (the default).

Asked once, before the studio takes the terminal (a running Textual app reads every answer as
keys). Nothing is written unless the setting is "auto", both ends are a terminal, tmux is not
in between, and the environment names a terminal that may draw graphics; then one query goes
out (Kitty graphics query, cell size, primary device attributes) and the answer is read with a
timeout. A terminal that does not answer gets nothing more, and any partial answer is flushed.
No Textual.
"""

from __future__ import annotations

import os
import re
import select
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

GraphicsKind = Literal["kitty", "sixel", "halfcell", "off"]

#: The query: a 1x1 Kitty graphics "query" (a=q: nothing is stored or shown), the cell size in
#: pixels (CSI 16 t), then primary device attributes (DA1), which every VT-style terminal
#: answers: its answer marks the end of the others, so no timeout is needed where it works.
QUERY = "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\\x1b[16t\x1b[c"
TIMEOUT = 0.3

_DA1 = re.compile(r"\x1b\[\?([\d;]*)c")
_KITTY_OK = re.compile(r"\x1b_Gi=31;OK\x1b\\")
_CELL = re.compile(r"\x1b\[6;(\d+);(\d+)t")


@dataclass(frozen=True)
class Graphics:
    """How the studio draws pictures in this terminal, and why."""

    kind: GraphicsKind
    reason: str
    cell_size: tuple[int, int] | None = None
    """Pixels per cell (width, height) when the terminal said so."""


def graphics_hint(env: Mapping[str, str]) -> str | None:
    """The terminal the environment names when it may draw Kitty or Sixel graphics."""
    term = env.get("TERM", "")
    program = env.get("TERM_PROGRAM", "")
    if term == "xterm-kitty" or env.get("KITTY_WINDOW_ID"):
        return "kitty"
    if term == "xterm-ghostty" or program == "ghostty":
        return "ghostty"
    if program == "WezTerm" or env.get("WEZTERM_EXECUTABLE"):
        return "WezTerm"
    if program == "iTerm.app" or env.get("LC_TERMINAL") == "iTerm2":
        return "iTerm2"
    if term.startswith("foot"):
        return "foot"
    if env.get("XTERM_VERSION"):
        return "xterm"
    if env.get("KONSOLE_VERSION"):
        return "Konsole"
    if term in ("mlterm", "contour", "yaft-256color"):
        return term
    return None


def choose_graphics(setting: str, env: Mapping[str, str] | None = None, *,
                    stdin_fd: int = 0, stdout_fd: int = 1,
                    ask: Callable[[int, int, float], str] | None = None) -> Graphics:
    """Decide how to draw pictures; queries the terminal only when it may answer."""
    env = os.environ if env is None else env
    if setting == "off":
        return Graphics("off", 'preview = "off"')
    if setting == "halfcell":
        return Graphics("halfcell", 'preview = "halfcell"')
    if not (os.isatty(stdin_fd) and os.isatty(stdout_fd)):
        return Graphics("halfcell", "not a terminal (e.g. textual-serve)")
    if env.get("TMUX") or env.get("TERM", "").startswith(("tmux", "screen")):
        return Graphics("halfcell", "inside tmux/screen (no graphics passthrough)")
    hint = graphics_hint(env)
    if hint is None:
        return Graphics("halfcell", "the environment names no graphics terminal")
    answer = (ask or ask_terminal)(stdin_fd, stdout_fd, TIMEOUT)
    return parse_answer(answer, hint)


def parse_answer(answer: str, hint: str) -> Graphics:
    """Graphics from the terminal's answer to QUERY (``hint``: the terminal's name)."""
    cell = _CELL.search(answer)
    cell_size = (int(cell.group(2)), int(cell.group(1))) if cell else None
    da1 = _DA1.search(answer)
    if da1 is None:
        return Graphics("halfcell", f"{hint} did not answer the query in time")
    # textual-image draws Kitty pictures with Unicode placeholders, which only kitty and
    # ghostty implement; every other terminal that can, gets Sixel.
    if _KITTY_OK.search(answer) and hint in ("kitty", "ghostty"):
        return Graphics("kitty", f"{hint} answered the Kitty graphics query", cell_size)
    if "4" in da1.group(1).split(";"):
        return Graphics("sixel", f"{hint} reports Sixel graphics", cell_size)
    return Graphics("halfcell", f"{hint} reports no Kitty or Sixel graphics", cell_size)


def ask_terminal(stdin_fd: int, stdout_fd: int, timeout: float) -> str:
    """Write QUERY and read the answer up to the DA1 reply (or ``timeout``), in cbreak mode;
    unread input of a late or partial answer is discarded."""
    import termios
    import tty

    saved = termios.tcgetattr(stdin_fd)
    answer = b""
    try:
        tty.setcbreak(stdin_fd, termios.TCSANOW)
        os.write(stdout_fd, QUERY.encode("ascii"))
        deadline = time.monotonic() + timeout
        while not _DA1.search(answer.decode("latin-1")):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([stdin_fd], [], [], left)[0]:
                termios.tcflush(stdin_fd, termios.TCIFLUSH)
                break
            answer += os.read(stdin_fd, 1024)
    finally:
        termios.tcsetattr(stdin_fd, termios.TCSANOW, saved)
    return answer.decode("latin-1")
