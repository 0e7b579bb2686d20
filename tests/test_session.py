"""The studio's session model without a screen: state replies in, meanings and lines out; the
transcript in the order shown; turns, drops and switches."""

from __future__ import annotations

from typing import Any

from nemo_tui.session import SWITCHED_AWAY, Line, Session

ONE = {"d": 5000, "m": {"title": "Rain"},
       "t": [{"tt": 0, "sg": [{"s": 0, "d": 5000, "m": {"name": "clip"}}]}]}
TWO = {"d": 5000, "m": {"title": "Night Rain"},
       "t": [{"tt": 0, "sg": [{"s": 0, "d": 5000, "m": {"name": "clip"}}]}]}


class Sink:
    """Collects what the model records."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def append(self, role: str, text: str, kind: str | None = None) -> None:
        self.lines.append((role, text))


def texts(lines: list[Line]) -> list[str]:
    return [line.text for line in lines]


def test_state_sequence_meanings_and_lines():
    """open → first draft (nothing said); a turn that changed it → changed + diff lines; the
    same again → unchanged, nothing said; a no-text turn that edited → silent edit, said."""
    s = Session("s1")
    news = s.apply_state(ONE, "open", "project")
    assert news.meaning == "first_draft" and news.lines == [] and news.redraw
    assert news.title == "Rain" and s.draft is not None and s.raw_draft == ONE
    news = s.apply_state(TWO, "turn")
    assert news.meaning == "changed" and news.diff_shown
    assert news.lines[0] == Line("Timeline changes:", "info")
    assert any("Night Rain" in t for t in texts(news.lines[1:]))
    assert all(line.kind == "diff" for line in news.lines[1:])
    news = s.apply_state(TWO, "turn")
    assert news.meaning == "unchanged" and news.lines == [] and not news.redraw
    news = s.apply_state(ONE, "no_text")
    assert news.meaning == "silent_edit"
    assert texts(news.lines)[0] == "The agent changed the timeline:"
    news = s.apply_state(ONE, "no_text")
    said = "The agent finished without a reply, and the timeline did not change."
    assert texts(news.lines) == [said]


def test_poll_lines_summary_and_default_title():
    """A poll without change says so; a change after a drop says where it came from; the
    track summary comes once when asked; the default task name is no title."""
    s = Session("s1")
    s.apply_state(None, "open", "project")
    assert s.apply_state(None, "poll").lines == [Line("No change on the timeline yet.", "info")]
    news = s.apply_state(ONE, "poll", "project")
    assert texts(news.lines)[0] == "The timeline changed after the connection was lost:"
    s.tracks_wanted = True
    news = s.apply_state(ONE, "refresh", "project")
    assert news.summary is not None and news.summary.text.startswith("Timeline")
    assert s.apply_state(ONE, "refresh").summary is None  # once
    assert s.apply_state(ONE, "intent").summary is not None  # "status" asks every time
    assert Session("s2").apply_state(None, "open", "project").title is None
    assert Session("s3").apply_state(None, "open", "My film").title == "My film"


def test_a_new_draft_is_handed_to_the_version_hook_with_its_message():
    """Every applied draft that differs reaches ``on_draft`` (for draft versions), with the
    user's message of the turn that led to it and the decoded draft."""
    seen: list[tuple[str, Any, str | None, Any]] = []
    s = Session("s1", on_draft=lambda sid, raw, msg, d: seen.append((sid, raw, msg, d.title)))
    s.apply_state(ONE, "open")
    s.apply_state(TWO, "turn", message="make it night")
    s.apply_state(TWO, "refresh")
    assert seen == [("s1", ONE, None, "Rain"), ("s1", TWO, "make it night", "Night Rain")]


def test_lines_said_while_a_reply_streams_are_recorded_after_it():
    """The transcript keeps the order shown live: the reply's text first, then what was said
    while it streamed; outside a stream lines go straight through."""
    sink = Sink()
    s = Session("s1", sink=sink)
    s.record("user", "first")
    s.record("user", "second", streaming=True)
    s.record("error", "still working", streaming=True)
    assert sink.lines == [("user", "first")]
    s.record("agent", "the reply", streaming=True)  # the reply itself is never held
    s.stream_closed(None)
    assert sink.lines == [("user", "first"), ("agent", "the reply"), ("user", "second"),
                          ("error", "still working")]
    s.record("system", "later", streaming=True)
    s.stream_closed("a cut reply")
    assert sink.lines[-2:] == [("agent", "a cut reply"), ("system", "later")]
    s.record_line(Line("⚙ generating", "activity"))  # not a transcript kind
    assert sink.lines[-1] == ("system", "later")


def test_turns_drops_switches_and_replacement():
    """A drop sets the retry text and says "not re-sent" once (the client's words); a switch
    with a running turn stops it there and clears the retry; news is owned by session id."""
    s = Session("s1", sink=Sink())
    s.start_turn("hello")
    assert s.turn is not None and s.turn.phase == "streaming"
    line = s.drop("The connection was lost. The message was not re-sent.", "hello", 30)
    assert line.kind == "error" and s.retry_text == "hello" and s.turn is None
    assert line.text.count("re-sent") == 1 and "Ctrl+Y" in line.text and "30 s" in line.text
    s.start_turn("again")
    assert s.retry_text is None
    assert s.leave(turn_running=True) == [Line(SWITCHED_AWAY, "info")]
    assert s.turn is None and s.leave(turn_running=False) == []
    assert s.owns("s1") and s.owns(None) and not s.owns("s2")
    assert Session("").owns("anything")  # nothing open yet
    sink = Sink()
    r = Session("old", sink=sink)
    r.replaced("new", "the message")
    assert r.session_id == "new" and sink.lines == [("user", "the message")]


def test_the_model_imports_no_textual_rich_or_httpx():
    """The session model is pure: importing it loads no Textual, Rich or httpx."""
    import subprocess
    import sys

    code = ("import sys, nemo_tui.session; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich', 'httpx'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True).stdout.strip()
    assert out == "[]", out


def test_the_app_has_no_mixins_besides_textuals():
    """The App's bases are Textual's only: the handlers are functions named on the class, the
    job actions live on the jobs table, and the workers are an object the App owns."""
    from textual.app import App

    from nemo_tui.ui.app import NemoStudioApp

    assert NemoStudioApp.__bases__ == (App,)
    assert not [c for c in NemoStudioApp.__mro__[1:] if c.__module__.startswith("nemo_tui")]
    assert "on_state_fetched" in NemoStudioApp.__dict__
