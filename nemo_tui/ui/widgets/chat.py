"""The chat pane: a live log of the conversation and an input with history."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input

from nemo_tui.textsafe import safe_line
from nemo_tui.ui.messages import ChatSubmitted
from nemo_tui.ui.widgets.chatlog import ChatEntry, ChatLog

__all__ = ["ChatEntry", "ChatInput", "ChatLog", "ChatPane", "tool_phrase"]

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
