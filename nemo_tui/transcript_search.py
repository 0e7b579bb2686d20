"""Find text in the transcript: case-insensitive, literal, with a current match and a count.

Pure (no Textual): it sees the messages as the plain strings the chat log shows. The messages
are joined once (and folded to lower case) until one changes; a keystroke then costs a few C
string scans (``count``, ``find``, ``rfind``) however many messages or matches there are. Match
positions are never listed: the log asks for the spans of the few messages it paints.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

#: Joins the messages in the scanned copy; shown text never holds a raw NUL (textsafe escapes it).
SEPARATOR = "\x00"


def fold(text: str) -> str:
    """Lower case with every character keeping its place (offsets stay valid): the few
    characters whose lower case is longer ("İ") are left as they are."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


@dataclass(frozen=True)
class Match:
    """One occurrence: the message's index and the span in its shown text."""

    index: int
    start: int
    end: int


class TranscriptSearch:
    """The query, how many matches, and which one is current."""

    def __init__(self) -> None:
        self.query = ""
        self.total = 0
        self.number = 0  # 1-based number of the current match; 0: none
        self._needle = ""
        self._pos = -1  # where the current match starts in the joined copy
        self._hay = ""  # the messages folded and joined by SEPARATOR
        self._starts: list[int] = []  # where each message starts in _hay

    def sync(self, texts: Sequence[str], first: int = 0) -> None:
        """Take the messages; only those from index ``first`` on are new or changed (a stream
        changes the last one, new lines come at the end), so only they are folded again."""
        first = max(0, min(first, len(self._starts)))
        if first < len(self._starts):
            head = self._hay[:self._starts[first]]
        else:
            head = self._hay + SEPARATOR if self._starts else ""
        del self._starts[first:]
        pos = len(head)
        for t in texts[first:]:
            self._starts.append(pos)
            pos += len(t) + 1
        tail = fold(SEPARATOR.join(texts[first:]))
        self._hay = head + tail if len(texts) > first else head[:-1]

    def search(self, query: str, texts: Sequence[str] | None = None, *,
               near: Match | None = None) -> None:
        """Find ``query`` (in ``texts``, else in what :meth:`sync` gave); the current match is
        the newest one, or with ``near`` the last one at or before that place."""
        if texts is not None:
            self.sync(texts)
        self.query = query.replace(SEPARATOR, "")
        self._needle = needle = fold(self.query)
        self.total = self.number = 0
        self._pos = -1
        if not needle:
            return
        hay = self._hay
        self.total = hay.count(needle)
        if not self.total:
            return
        if near is None or near.index >= len(self._starts):
            self._pos, self.number = hay.rfind(needle), self.total  # the newest
            return
        pos = hay.rfind(needle, 0, self._starts[near.index] + near.start + len(needle))
        self._pos = pos if pos >= 0 else hay.find(needle)
        self.number = hay.count(needle, 0, self._pos) + 1

    def step(self, delta: int) -> Match | None:
        """Move to the next (1) or previous (-1) match, wrapping around."""
        if not self.total:
            return None
        hay, needle = self._hay, self._needle
        if delta > 0:
            pos = hay.find(needle, self._pos + len(needle))
            self._pos, self.number = (pos, self.number + 1) if pos >= 0 else (hay.find(needle), 1)
        else:
            pos = hay.rfind(needle, 0, self._pos)
            self._pos, self.number = ((pos, self.number - 1) if pos >= 0
                                      else (hay.rfind(needle), self.total))
        return self.match

    @property
    def match(self) -> Match | None:
        """The current match."""
        if self._pos < 0:
            return None
        i = bisect_right(self._starts, self._pos) - 1
        start = self._pos - self._starts[i]
        return Match(i, start, start + len(self._needle))

    def spans_in(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of every match of the query in one message's shown text."""
        needle = self._needle
        if not needle:
            return []
        low, out, pos = fold(text), [], 0
        while (pos := low.find(needle, pos)) >= 0:
            out.append((pos, pos + len(needle)))
            pos += len(needle)
        return out

    def count(self) -> str:
        """``3/17``, ``0/0`` with no match, or "" without a query."""
        if not self.query:
            return ""
        return f"{self.number}/{self.total}" if self.total else "0/0"

    def clear(self) -> None:
        """No query, no matches."""
        self.query = self._needle = ""
        self.total = self.number = 0
        self._pos = -1
