"""Make untrusted text (server replies, file names, draft labels) safe to show in a terminal.

Everything that could act on a terminal, or hide or reorder text, becomes a visible escape such
as ``\\x1b`` or ``\\u202e``; the rest of the text is left alone. Pure: no I/O, no textual/rich.
"""

from __future__ import annotations

import re

__all__ = ["UNSAFE_CHARS", "markup_escape", "safe_line", "safe_text"]


def _unsafe_ranges() -> list[tuple[int, int]]:
    """Code point ranges (inclusive) that are never shown raw."""
    return [
        (0x00, 0x08),  # C0 controls (NUL, BEL, BS …) — \t (0x09) and \n (0x0A) are kept
        (0x0B, 0x1F),  # VT, FF, CR (overwrites the line), ESC (starts CSI/OSC sequences) …
        (0x7F, 0x9F),  # DEL and the C1 controls (U+009B is a one-byte CSI on some terminals)
        (0x061C, 0x061C),  # Arabic letter mark (bidi)
        (0x115F, 0x1160),  # Hangul fillers: render as nothing
        (0x180E, 0x180E),  # Mongolian vowel separator (invisible format char)
        (0x200B, 0x200B),  # zero-width space: hides where a word really breaks
        (0x200E, 0x200F),  # LRM / RLM (bidi)
        (0x2028, 0x2029),  # line / paragraph separators: act as newlines in some terminals
        (0x202A, 0x202E),  # bidi embeddings and overrides ("Trojan Source")
        (0x2060, 0x2064),  # word joiner and invisible operators
        (0x2066, 0x2069),  # bidi isolates
        (0x206A, 0x206F),  # deprecated format chars (shaping / digit controls)
        (0x3164, 0x3164),  # Hangul filler
        (0xD800, 0xDFFF),  # lone surrogates: cannot even be encoded as UTF-8
        (0xFEFF, 0xFEFF),  # BOM / zero-width no-break space
        (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
        (0xFFF9, 0xFFFB),  # interlinear annotation controls
        (0x1D173, 0x1D17A),  # musical format controls (invisible)
        (0xE0000, 0xE007F),  # tag characters: invisible "ASCII smuggling" of hidden text
    ]


def _escape_of(cp: int) -> str:
    """The visible escape for one code point, in Python's own spelling."""
    if cp < 0x100:
        return f"\\x{cp:02x}"
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def _build() -> tuple[re.Pattern[str], dict[int, str], str]:
    """Compile the search pattern and the translate table from the ranges."""
    table: dict[int, str] = {}
    parts: list[str] = []
    for lo, hi in _unsafe_ranges():
        for cp in range(lo, hi + 1):
            table[cp] = _escape_of(cp)
        # \x / \u / \U escapes inside the class are read by `re`, not by Python, so surrogate
        # code points can be named without producing an invalid str literal.
        parts.append(f"{_escape_of(lo)}-{_escape_of(hi)}" if hi > lo else _escape_of(lo))
    return re.compile("[" + "".join(parts) + "]"), table, "".join(parts)


_UNSAFE_RE, _TABLE, _CLASS = _build()
_UNSAFE_LINE_RE = re.compile("[\\n" + _CLASS + "]")
_LINE_TABLE = {**_TABLE, 0x0A: "\\n"}

#: Every code point ``safe_text`` escapes (for tests and callers that filter themselves).
UNSAFE_CHARS: frozenset[int] = frozenset(_TABLE)


_REPLACE_LIMIT = 16


def _truncate(s: str, max_len: int | None) -> tuple[str, str]:
    """Cut ``s`` to ``max_len`` characters; return the kept part and the suffix to append."""
    if max_len is None or len(s) <= max_len:
        return s, ""
    keep = max(0, max_len)
    return s[:keep], f"… ({len(s) - keep} more characters)"


def _clean(s: object, pattern: re.Pattern[str], table: dict[int, str], max_len: int | None) -> str:
    """Shared body of safe_text / safe_line."""
    if not isinstance(s, str):
        s = "" if s is None else str(s)
    s, suffix = _truncate(s, max_len)
    # The regex search is a fast C scan, so clean text costs one pass. Dirty text usually holds
    # few distinct bad characters (ESC, CR …): one str.replace each beats translate's per-char
    # dict lookup several times over; many distinct ones (e.g. random surrogates) use translate.
    if pattern.search(s) is not None:
        bad = [ch for ch in set(s) if ord(ch) in table]
        if len(bad) <= _REPLACE_LIMIT:
            for ch in bad:
                s = s.replace(ch, table[ord(ch)])
        else:
            s = s.translate(table)
    return s + suffix


def safe_text(s: str, *, max_len: int | None = None) -> str:
    """Return ``s`` with control, bidi and invisible format characters shown as visible escapes.

    ``\\n`` and ``\\t`` are kept. With ``max_len``, at most that many characters of the input are
    kept and ``"… (N more characters)"`` is appended.
    """
    return _clean(s, _UNSAFE_RE, _TABLE, max_len)


def safe_line(s: str, *, max_len: int | None = None) -> str:
    """Like :func:`safe_text`, but also escapes ``\\n`` so the result is one line."""
    return _clean(s, _UNSAFE_LINE_RE, _LINE_TABLE, max_len)


# Textual's markup (what the studio renders) treats far more than Rich's ``[a-z#/@]`` as a tag
# start (``[$accent]``, ``[B]``, ``[ x]``), and reads any "[" preceded by a backslash as a literal
# "[" without un-doubling backslashes. So every "[" gets one backslash, nothing else changes.
_WORD_BREAK = "\u200b"


def markup_escape(s: str) -> str:
    """Escape ``s`` for insertion into a Textual markup string (every ``[`` becomes ``\\[``).

    Prefer Text / Content objects; use this only where a markup string is unavoidable. It does not
    sanitize control characters: apply :func:`safe_text` first, then this.
    """
    out = s.replace("[", "\\[")
    # A trailing backslash would escape the caller's next tag (and unbalance its markup): a
    # zero-width space after it keeps the backslash literal.
    if out.endswith("\\"):
        out += _WORD_BREAK
    return out
