"""Find text in the transcript: case-insensitive matches over every message, with a cursor.

Pure (no Textual): it sees the messages as the plain strings the chat log shows. All messages
are searched in one regex pass over a joined copy (kept until a message changes), so a
keystroke costs one scan however many messages there are.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

#: Joins the messages in the scanned copy; shown text never holds a raw NUL (textsafe escapes it).
SEPARATOR = "\x00"


@dataclass(frozen=True)
class Match:
    """One occurrence: the message's index and the span in its shown text."""

    index: int
    start: int
    end: int


class TranscriptSearch:
    """The query, its matches and which one is current."""

    def __init__(self) -> None:
        self.query = ""
        self.matches: list[Match] = []
        self.current = -1  # index into matches; -1: none
        self._hay = ""
        self._starts: list[int] = []
        self._texts: Sequence[str] | None = None

    def _haystack(self, texts: Sequence[str]) -> str:
        """The joined copy, rebuilt only when the messages changed."""
        if texts is not self._texts:
            self._texts = texts
            self._starts = []
            pos = 0
            for t in texts:
                self._starts.append(pos)
                pos += len(t) + 1
            self._hay = SEPARATOR.join(texts)
        return self._hay

    def forget_texts(self) -> None:
        """Messages were added or changed: the next search rebuilds the joined copy."""
        self._texts = None

    def search(self, query: str, texts: Sequence[str], *, near: int | None = None) -> None:
        """Find ``query`` (case-insensitive, literal); the current match is the last one at or
        before message ``near`` (default: the newest), else the first."""
        self.query = query = query.replace(SEPARATOR, "")
        self.matches = []
        self.current = -1
        if not query:
            return
        hay = self._haystack(texts)
        starts = self._starts
        for m in re.finditer(re.escape(query), hay, re.IGNORECASE):
            i = bisect_right(starts, m.start()) - 1
            self.matches.append(Match(i, m.start() - starts[i], m.end() - starts[i]))
        if not self.matches:
            return
        if near is None:
            self.current = len(self.matches) - 1
            return
        before = [k for k, m in enumerate(self.matches) if m.index <= near]
        self.current = before[-1] if before else 0

    def step(self, delta: int) -> Match | None:
        """Move to the next (1) or previous (-1) match, wrapping around."""
        if not self.matches:
            return None
        self.current = (self.current + delta) % len(self.matches)
        return self.matches[self.current]

    @property
    def match(self) -> Match | None:
        """The current match."""
        return self.matches[self.current] if self.matches and self.current >= 0 else None

    def count(self) -> str:
        """``3/17``, ``0/0`` with no match, or "" without a query."""
        if not self.query:
            return ""
        return f"{self.current + 1}/{len(self.matches)}" if self.matches else "0/0"

    def clear(self) -> None:
        """No query, no matches."""
        self.query = ""
        self.matches = []
        self.current = -1
