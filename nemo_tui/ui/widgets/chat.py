"""The chat pane: a live log of the conversation and an input with history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import events
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import TextArea
from textual.widgets.text_area import Selection

from nemo_tui.textsafe import safe_line
from nemo_tui.ui.messages import ChatSubmitted
from nemo_tui.ui.paste_guard import pasted_text
from nemo_tui.ui.widgets.chatlog import ChatEntry, ChatLog
from nemo_tui.ui.widgets.chatview import ChatView
from nemo_tui.ui.widgets.findbar import FindBar

__all__ = ["ChatEntry", "ChatInput", "ChatLog", "ChatPane", "ChatView", "tool_phrase"]

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


class ChatInput(TextArea):
    """The message input. Enter sends; Ctrl+J (or Shift+Enter, where the terminal reports it)
    starts a new line; Up/Down on the first/last row walk through the messages sent before; a
    paste is inserted whole, as text (see :mod:`nemo_tui.ui.paste_guard`)."""

    @dataclass
    class Submitted(Message):
        """Enter was pressed; ``text`` is everything in the input."""

        text: str

    NEWLINE_KEYS: ClassVar[frozenset[str]] = frozenset({"ctrl+j", "newline", "shift+enter"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "discard_composed", "Discard edit", show=False),
    ]

    def __init__(self, **kw) -> None:
        super().__init__(placeholder="Describe your video, or: export · credits · status · upload",
                         soft_wrap=True, tab_behavior="focus", show_line_numbers=False,
                         highlight_cursor_line=False, **kw)
        # A blinking cursor repaints twice a second: an idle studio should write nothing.
        self.cursor_blink = False
        self.sent: list[str] = []  # messages sent, oldest first (TextArea's history is undo)
        self._sent_pos = 0
        self._typed = ""
        #: The instruction a timeline key composed and the edit it asks for, until sent.
        self.composed: tuple[str, Any] | None = None
        self._stash = ""  # what the user had typed when a key composed an instruction

    def compose_instruction(self, text: str, action: Any,
                            select: tuple[int, int] | None = None) -> None:
        """Put a composed edit instruction in the input and focus it (Enter sends, Esc
        discards); ``select``: the columns to select, the cursor at their end (None: the
        cursor at the end of the text)."""
        if self.composed is None:
            self._stash = self.value  # typed but not sent: comes back after the edit
        self.composed = (text, action)
        self.value = text
        if select is not None:
            self.selection = Selection((0, select[0]), (0, select[1]))
        self.focus()

    async def action_discard_composed(self) -> None:
        """Esc on a composed instruction: drop it and go back to the timeline."""
        if self.composed is None:
            raise SkipAction()  # Esc keeps its studio meaning (cancel the running turn)
        self.composed = None
        self.value = self.pop_stash()
        await self.run_action("app.focus_timeline")

    def pop_stash(self) -> str:
        """What the user had typed before a key composed an instruction (then forgotten)."""
        stash, self._stash = self._stash, ""
        return stash

    def take_composed(self, sent: str) -> Any:
        """The edit a sent message still asks for (None when it is not the composed one)."""
        from nemo_tui.edit_compose import retext_from

        if self.composed is None:
            return None
        text, action = self.composed
        self.composed = None
        return retext_from(sent, text, action)

    @property
    def value(self) -> str:
        """The text in the input (may hold newlines)."""
        return self.text

    @value.setter
    def value(self, text: str) -> None:
        self.load_text(text)
        self.move_cursor(self.document.end)

    async def _on_key(self, event: events.Key) -> None:
        """Enter sends, the newline keys insert one; every other key as TextArea does."""
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted(self.text))
        elif event.key in self.NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            self.replace("\n", *self.selection)

    async def _on_paste(self, event: events.Paste) -> None:
        """Insert the whole paste, in order, with control characters shown escaped."""
        event.stop()
        event.prevent_default()
        if result := self.replace(pasted_text(event.text), *self.selection):
            self.move_cursor(result.end_location)

    def _row(self) -> int:
        """The cursor's row among the wrapped rows."""
        return self.wrapped_document.location_to_offset(self.cursor_location).y

    def action_cursor_up(self, select: bool = False) -> None:
        """Up: the previous row, or on the first row the previous message sent."""
        if not select and self._row() == 0 and self.sent:
            self.action_history(-1)
        else:
            super().action_cursor_up(select)

    def action_cursor_down(self, select: bool = False) -> None:
        """Down: the next row, or on the last row the next message sent."""
        if not select and self._row() >= self.wrapped_document.height - 1 and self.sent:
            self.action_history(1)
        else:
            super().action_cursor_down(select)

    def action_history(self, step: int) -> None:
        """Move through the history; past the newest entry comes back to what was being typed."""
        if not self.sent:
            return
        if self._sent_pos == len(self.sent):
            self._typed = self.value
        self._sent_pos = max(0, min(len(self.sent), self._sent_pos + step))
        self.value = self._typed if self._sent_pos == len(self.sent) else self.sent[self._sent_pos]

    def remember(self, text: str) -> None:
        """Add a sent message to the history."""
        if text and (not self.sent or self.sent[-1] != text):
            self.sent.append(text)
        self._sent_pos = len(self.sent)
        self._typed = ""


class ChatPane(Vertical):
    """The chat pane: log above, input below; posts :class:`ChatSubmitted`."""

    def compose(self) -> ComposeResult:
        """Build the log, the find bar (hidden) and the input."""
        log = ChatView(id="chat-log")
        yield log
        yield FindBar(log, id="find-bar")
        yield ChatInput(id="chat-input")

    def open_find(self) -> None:
        """Show the find bar (Ctrl+F, or / in the log)."""
        self.query_one(FindBar).open()

    @property
    def log_view(self) -> ChatLog:
        """The conversation log."""
        return self.query_one(ChatLog)

    def on_chat_input_submitted(self, event: ChatInput.Submitted) -> None:
        """Send what was typed up to the app (several lines are one message)."""
        event.stop()
        text = event.text.strip()
        if not text:
            return
        inp = self.query_one(ChatInput)
        edit = inp.take_composed(text)
        inp.remember(text)
        inp.value = inp.pop_stash()
        self.post_message(ChatSubmitted(text, edit))
