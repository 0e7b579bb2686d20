"""Pastes are text: a terminal input parser that never turns pasted bytes into key presses.

Textual 8.2.8's ``XTermParser`` (textual/_xterm_parser.py) appends to its paste buffer only the
characters it reads at the top of its loop. An ESC inside a bracketed paste starts its
escape-sequence loop, whose characters are never added to the paste; that loop is not guarded by
the paste state, so the sequence is "reissued" as key presses (ESC + Ctrl+S ran an export,
ESC + Ctrl+Q quit, OSC ... BEL pressed Ctrl+G) and those keys reach the app *before* the Paste
event holding the rest: pasted ANSI colour codes come out of order. The upstream report is in
docs/RELIABILITY.md ("Hostile pastes").

The workaround: :class:`PasteSafeParser` cuts bracketed pastes out of the byte stream before the
upstream parser sees them and emits each as one ``events.Paste`` with every byte in order; all
other input goes to the upstream parser unchanged. :func:`guard_driver` makes a driver class's
module build this parser.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from textual import events
from textual._xterm_parser import BRACKETED_PASTE_END, BRACKETED_PASTE_START, XTermParser

from nemo_tui.textsafe import safe_text


def _partial_suffix(data: str, marker: str, shortest: int) -> int:
    """Length of the longest end of ``data`` that begins ``marker`` (at least ``shortest``)."""
    for size in range(min(len(marker) - 1, len(data)), shortest - 1, -1):
        if data.endswith(marker[:size]):
            return size
    return 0


class PasteSafeParser(XTermParser):
    """XTermParser with bracketed pastes taken out whole (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pasted: list[str] | None = None  # None: not inside a paste
        self._held = ""  # the start of a paste marker split across two reads

    def feed(self, data: str) -> Iterable[Any]:
        """Parse ``data``: pastes become Paste events here, the rest goes upstream."""
        if not data:  # end of input
            held, self._held = self._held, ""
            out = self._upstream(held) if self._pasted is None else []
            return out + list(super().feed(data))
        data, self._held = self._held + data, ""
        out: list[Any] = []
        while data:
            if self._pasted is not None:
                end = data.find(BRACKETED_PASTE_END)
                if end < 0:
                    keep = _partial_suffix(data, BRACKETED_PASTE_END, 1)
                    self._pasted.append(data[:len(data) - keep])
                    self._held = data[len(data) - keep:]
                    break
                self._pasted.append(data[:end])
                text = "".join(self._pasted).replace("\x00", "")
                self._pasted = None
                out.append(events.Paste(text))
                data = data[end + len(BRACKETED_PASTE_END):]
                continue
            start = data.find(BRACKETED_PASTE_START)
            if start < 0:
                # A lone ESC goes on (it may be the Escape key); "\x1b[2" may start a paste.
                keep = _partial_suffix(data, BRACKETED_PASTE_START, 2)
                out.extend(self._upstream(data[:len(data) - keep]))
                self._held = data[len(data) - keep:]
                break
            out.extend(self._upstream(data[:start]))
            self._pasted = []
            data = data[start + len(BRACKETED_PASTE_START):]
        return out

    def tick(self) -> Iterable[Any]:
        """Timeouts upstream; a held marker start that no paste followed is input after all."""
        out = list(super().tick())
        if self._held and self._pasted is None:
            held, self._held = self._held, ""
            out.extend(self._upstream(held))
        return out

    def _upstream(self, data: str) -> list[Any]:
        """Events of ``data`` parsed upstream (empty data is not fed: upstream reads it as the
        end of input)."""
        return list(super().feed(data)) if data else []


def guard_driver(driver_class: type) -> type:
    """Make ``driver_class`` (Linux or web driver) parse input with :class:`PasteSafeParser`.

    The drivers build their parser from their module's ``XTermParser`` name; that name is
    pointed at the safe parser (once; other drivers are left alone).
    """
    module = sys.modules.get(driver_class.__module__)
    if module is not None and getattr(module, "XTermParser", None) is XTermParser:
        module.XTermParser = PasteSafeParser  # type: ignore[attr-defined]
    return driver_class


def pasted_text(text: str) -> str:
    """A paste as the chat input holds it: line ends as ``\\n``, every other control or
    invisible character shown as a visible escape (it is sent as shown)."""
    return safe_text(text.replace("\r\n", "\n").replace("\r", "\n"))
