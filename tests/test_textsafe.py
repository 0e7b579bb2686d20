"""textsafe: hostile strings come out with no control, bidi or invisible format char left."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from nemo_tui.textsafe import UNSAFE_CHARS, markup_escape, safe_line, safe_text

HOSTILE = {
    "csi": "red \x1b[31mALERT\x1b[0m",
    "osc8": "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\",
    "osc52": "\x1b]52;c;ZWNobyBwd25lZA==\x07",
    "c1_csi": "\x9b31mred\x9c",
    "bidi": "user\u202etxt.exe\u202c and \u2066iso\u2069 \u200e\u200f\u061c",
    "nul": "a\x00b\x7fc",
    "surrogate": "lone \ud800 and \udfff",
    "cr_overwrite": "safe text\rEVIL",
    "title": "\x1b]0;pwned\x07",
    "tags": "hi\U000e0041\U000e0042",
    "zw": "pay\u200bpal\ufeff\u2028",
}


def _no_unsafe(s: str, *, allow_newline: bool = True) -> None:
    """Assert that nothing terminal-active survives in ``s``."""
    for ch in s:
        cp = ord(ch)
        assert cp not in UNSAFE_CHARS, repr(ch)
        cat = unicodedata.category(ch)
        if ch == "\n":
            assert allow_newline
        elif ch != "\t":
            assert cat not in ("Cc", "Cs"), repr(ch)
    s.encode("utf-8")  # no lone surrogate can remain


def test_hostile_strings_escaped() -> None:
    """Each known attack becomes visible text."""
    for name, s in HOSTILE.items():
        out = safe_text(s)
        _no_unsafe(out)
        assert out != s, name
    assert safe_text(HOSTILE["csi"]) == "red \\x1b[31mALERT\\x1b[0m"
    assert safe_text("x\u202ey") == "x\\u202ey"
    assert safe_text("a\x00b") == "a\\x00b"
    assert safe_text("\x9b") == "\\x9b"
    assert safe_text("\ud800") == "\\ud800"
    assert safe_text("\U000e0041") == "\\U000e0041"


def test_plain_text_untouched() -> None:
    """Ordinary text, CJK, emoji (with ZWJ), tabs and newlines pass unchanged."""
    s = "Hello\tworld\n你好，世界 👨\u200d👩\u200d👧 café [bold]x[/bold] \\x1b"
    assert safe_text(s) == s
    assert safe_line("a\nb\tc") == "a\\nb\tc"
    assert safe_line("x\x1by") == "x\\x1by"


def test_max_len_truncates() -> None:
    """max_len keeps that many input characters and says how many were cut."""
    assert safe_text("abcdef", max_len=3) == "abc… (3 more characters)"
    assert safe_text("abc", max_len=3) == "abc"
    assert safe_text("\x1b" * 5, max_len=2) == "\\x1b\\x1b… (3 more characters)"
    assert safe_line("a\nb\nc", max_len=2) == "a\\n… (3 more characters)"
    assert safe_text("abc", max_len=0) == "… (3 more characters)"


def test_non_str_tolerated() -> None:
    """None and other types do not crash."""
    assert safe_text(None) == ""  # type: ignore[arg-type]
    assert safe_text(42) == "42"  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF)))
def test_property_no_control_survives(s: str) -> None:
    """Arbitrary text (including surrogates) never keeps a control character."""
    _no_unsafe(safe_text(s))
    _no_unsafe(safe_line(s), allow_newline=False)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab\x1b\n\t\u202e\x9b[]\\"))))
def test_property_escape_is_injective_on_safe_chars(s: str) -> None:
    """Safe characters are kept in order: removing the escapes gives back the safe part."""
    out = safe_text(s)
    stripped = "".join(c for c in s if ord(c) not in UNSAFE_CHARS)
    rebuilt = out.replace("\\x1b", "").replace("\\x9b", "").replace("\\u202e", "")
    assert rebuilt == stripped


def test_one_megabyte_line() -> None:
    """A 1 MB line, clean or hostile, is processed in one call (speed sanity, no timing)."""
    clean = "a" * 1_000_000
    hostile = "\x1b[31m" * 200_000
    assert safe_text(clean) == clean
    out = safe_line(hostile)
    assert out == "\\x1b[31m" * 200_000
    _no_unsafe(out, allow_newline=False)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab[]\\/$@# =bold"))))
def test_markup_escape_round_trips_through_textual(s: str) -> None:
    """Escaped text renders as itself in Textual markup, also inside the caller's tags."""
    from textual.content import Content

    esc = markup_escape(s)
    expected = s + ("\u200b" if s.endswith("\\") else "")
    assert Content.from_markup(esc).plain == expected
    assert Content.from_markup("[b]" + esc + "[/b]").plain == expected


def test_markup_escape_examples() -> None:
    """Tags of every kind are neutralized."""
    assert markup_escape("[bold red]x[/]") == "\\[bold red]x\\[/]"
    assert markup_escape("[$accent]") == "\\[$accent]"
    assert markup_escape("[@click=app.quit]") == "\\[@click=app.quit]"
    assert markup_escape("no tags") == "no tags"


# The brief's list, written out independently of textsafe's own table.
SPEC_UNSAFE = [
    *range(0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0),  # C0 (not \t \n), DEL, C1
    *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C,  # bidi
    0xD800, 0xDBFF, 0xDC00, 0xDFFF,  # lone surrogates
]


def test_every_listed_code_point_escaped() -> None:
    """Each control, bidi and surrogate code point named in the spec becomes its visible escape."""
    for cp in SPEC_UNSAFE:
        out = safe_text(f"a{chr(cp)}b")
        assert chr(cp) not in out, hex(cp)
        assert out == "a" + (f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}") + "b", hex(cp)
    assert safe_text("a\tb\nc") == "a\tb\nc"
