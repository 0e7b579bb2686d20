"""The chat pane: a live log of the conversation and an input with history."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Input, Static

from nemo_tui.textsafe import safe_line, safe_text
from nemo_tui.ui.messages import ChatSubmitted

#: How each kind of line starts and which CSS class it gets.
_PREFIX = {
    "user": "› ",
    "agent": "",
    "info": "· ",
    "error": "✗ ",
    "diff": "  ",
    "offer": "→ ",
    "activity": "⚙ ",
    "working": "",
}

_TOOL_PHRASES = {
    "generate_video": "generating video…",
    "generate_video_with_seedance": "generating video…",
    "generate_music": "generating music…",
    "edit_multitrack": "editing the timeline…",
    "ask_question": "the agent has a question…",
}


def tool_phrase(name: str) -> str:
    """A short activity line for a tool call (never its JSON)."""
    if name in _TOOL_PHRASES:
        return _TOOL_PHRASES[name]
    if name.startswith("generate_video"):
        return "generating video…"
    return f"running {safe_line(name, max_len=40)}…"


class ChatLine(Static):
    """One line (or paragraph) of the chat log; content is always a Text object."""

    DEFAULT_CSS = """
    ChatLine { width: 1fr; height: auto; }
    """

    def __init__(self, text: str, kind: str) -> None:
        self.kind = kind
        self.raw_text = text
        super().__init__(self._visual(text), classes=f"-{kind}", markup=False)

    def _visual(self, text: str) -> Text:
        """The literal Text for untrusted ``text`` (escapes controls; never parses markup)."""
        return Text(_PREFIX.get(self.kind, "") + safe_text(text))

    def set_text(self, text: str) -> None:
        """Replace the shown text."""
        self.raw_text = text
        self.update(self._visual(text))


class ChatLog(VerticalScroll, can_focus=True):
    """Scrolling conversation. A streamed message is painted about ten times a second; its
    finished paragraphs are frozen into lines of their own so that each paint re-wraps only the
    last paragraph (a long reply stays cheap), and the final text replaces them all."""

    #: Seconds between paints of a streaming message (a one-shot timer: idle costs nothing).
    FLUSH_EVERY = 0.1

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self._parts: list[ChatLine] = []  # lines of the streaming message; the last is live
        self._chunks: list[str] = []
        self._frozen = 0  # characters of the streamed text already frozen into finished lines
        self._timer: Timer | None = None

    def on_mount(self) -> None:
        """Follow new lines until the user scrolls away."""
        self.anchor()

    def add_line(self, text: str, kind: str = "info") -> ChatLine:
        """Append a finished line of ``kind``."""
        line = ChatLine(text, kind)
        self.mount(line)
        return line

    def lines(self, kind: str | None = None) -> list[str]:
        """The raw texts shown, optionally of one kind (for tests and the transcript)."""
        return [w.raw_text for w in self.query(ChatLine) if kind is None or w.kind == kind]

    # ---- streaming --------------------------------------------------------------------------
    def add_chunk(self, text: str) -> None:
        """Add a partial chunk; it shows at the next paint (at most FLUSH_EVERY from now)."""
        self._chunks.append(text)
        if not self._parts:
            self._new_live()
        if self._timer is None:
            self._timer = self.set_timer(self.FLUSH_EVERY, self._flush, name="chat flush")

    def _new_live(self) -> ChatLine:
        """Start the live (still growing) line of the streaming message."""
        live = self.add_line("", "agent")
        live.add_class("-live")
        self._parts.append(live)
        return live

    def _flush(self) -> None:
        """Paint the chunks gathered so far; the assembled text is escaped (never one chunk
        alone, so sequences split across chunks are caught)."""
        self._timer = None
        if not self._parts:
            return
        text = "".join(self._chunks)
        self._chunks = [text]
        tail = text[self._frozen:]
        cut = tail.rfind("\n\n")
        if cut > 0:
            done = self._parts[-1]
            done.set_text(tail[:cut])
            done.remove_class("-live")
            self._frozen += cut + 2
            self._new_live()
            tail = text[self._frozen:]
        self._parts[-1].set_text(tail)

    def _replace_parts(self, text: str) -> None:
        """Swap the streaming message's lines for one line holding ``text``."""
        parts = self._parts
        self.clear_stream()
        if not parts:
            self.add_line(text, "agent")
            return
        parts[0].remove_class("-live")
        parts[0].set_text(text)
        for line in parts[1:]:
            line.remove()

    def finish_message(self, text: str) -> None:
        """The whole message arrived: it replaces the live chunks (never shown twice)."""
        self._replace_parts(text)

    def end_turn(self) -> str | None:
        """Close a message that never got its final text; returns that text (or None)."""
        if not self._parts:
            return None
        text = "".join(self._chunks)
        if not text.strip():
            parts = self._parts
            self.clear_stream()
            for line in parts:
                line.remove()
            return None
        self._replace_parts(text)
        return text

    def clear_stream(self) -> None:
        """Forget the streaming message's state (its lines stay)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._parts = []
        self._chunks = []
        self._frozen = 0

    def clear_log(self) -> None:
        """Remove every line (a session switch)."""
        self.clear_stream()
        self.remove_children()


class ChatInput(Input):
    """The message input; Up/Down walk through the messages sent before."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "history(-1)", "Previous message", show=False),
        Binding("down", "history(1)", "Next message", show=False),
    ]

    def __init__(self, **kw) -> None:
        super().__init__(placeholder="Describe your video, or: export · credits · status · upload",
                         **kw)
        # A blinking cursor repaints twice a second: an idle studio should write nothing.
        self.cursor_blink = False
        self.history: list[str] = []
        self._pos = 0
        self._draft = ""

    def action_history(self, step: int) -> None:
        """Move through the history; past the newest entry comes back to what was being typed."""
        if not self.history:
            return
        if self._pos == len(self.history):
            self._draft = self.value
        self._pos = max(0, min(len(self.history), self._pos + step))
        self.value = self._draft if self._pos == len(self.history) else self.history[self._pos]
        self.cursor_position = len(self.value)

    def remember(self, text: str) -> None:
        """Add a sent message to the history."""
        if text and (not self.history or self.history[-1] != text):
            self.history.append(text)
        self._pos = len(self.history)
        self._draft = ""


class ChatPane(Vertical):
    """The chat pane: log above, input below; posts :class:`ChatSubmitted`."""

    def compose(self) -> ComposeResult:
        """Build the log and the input."""
        yield ChatLog(id="chat-log")
        yield ChatInput(id="chat-input")

    @property
    def log_view(self) -> ChatLog:
        """The conversation log."""
        return self.query_one(ChatLog)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Send what was typed up to the app."""
        event.stop()
        text = event.value.strip()
        if not text:
            return
        inp = self.query_one(ChatInput)
        inp.remember(text)
        inp.value = ""
        self.post_message(ChatSubmitted(text))
