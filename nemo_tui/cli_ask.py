"""`nemo-tui ask`: one chat turn streamed to stdout (text once, tools hidden) or as JSON lines.

Split from cli.py to keep modules small. No Textual, no Rich.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from nemo_tui.api.errors import NemoError
from nemo_tui.cli_output import EXIT_FAIL, EXIT_OK
from nemo_tui.textsafe import safe_text

if TYPE_CHECKING:
    from nemo_tui.api.client import NemoClient
    from nemo_tui.cli_output import Output
    from nemo_tui.config import Settings

_UNKNOWN = object()  # marks "the state before the turn could not be fetched"
DROPPED_STREAM = ("The connection was lost while the agent was answering; the message was not "
                  "sent again. Run `nemo-tui state` to see whether the edit was applied.")


_ACTIVITY = {"generate_video": "generating video", "generate_music": "generating music",
             "edit_multitrack": "editing the timeline", "ask_question": "asking a question"}


def checked_message(words: list[str]) -> str:
    """The message to send; an empty or blank one is bad usage (exit 2), refused before any
    request: an empty turn would cost a round trip and leave a blank line in the transcript."""
    from nemo_tui.cli_output import UsageError

    message = " ".join(words)
    if not message.strip():
        raise UsageError("Nothing to ask: the message is empty. Say what the agent should do, "
                         'for example: nemo-tui ask "make a 10 second video about the sea"')
    return message


#: What the agent's GUI wording (PROTOCOL.md §5) means on the command line, by action kind.
_GUI_HINTS = {
    "export": "No button here: `nemo-tui export --wait` renders the video and downloads it.",
    "refresh_state": "`nemo-tui state` shows the timeline.",
    "show_tracks": "`nemo-tui state` shows the timeline.",
    "send_edit": "No dragging needed: describe the change with `nemo-tui ask \"…\"`.",
}


def gui_hints(texts: list[str]) -> list[str]:
    """The command-line equivalents of what the agent's replies ask a GUI to do, each once."""
    from nemo_tui.gui_speak import translate

    hints: list[str] = []
    for text in texts:
        for action in translate(text):
            hint = _GUI_HINTS.get(action.kind)
            if hint and hint not in hints:
                hints.append(hint)
    return hints


def _activity(name: str) -> str:
    """A short human description of a tool call."""
    for prefix, text in _ACTIVITY.items():
        if name.startswith(prefix):
            return f"… {text}"
    return f"… working ({name})"


async def run_ask(client: NemoClient, settings: Settings, output: Output, message: str) -> int:
    """One chat turn: visible text streamed to stdout, each piece printed once."""
    from nemo_tui.api import models as m
    from nemo_tui.api.errors import StreamDroppedError
    from nemo_tui.cli_versions import record_after_turn, record_version
    from nemo_tui.store import SessionStore, TranscriptStore

    session = await client.ensure_session()
    # the timeline before the turn, to say what changed if the agent answers without text
    try:
        before: Any = (await client.state()).draft
    except NemoError:
        before = _UNKNOWN
    await record_version(settings, output, session.session_id, None if before is _UNKNOWN
                         else before)
    after: Any = None  # the draft after the turn, when fetched for the no-text summary
    transcript = TranscriptStore(settings.paths, settings.api_url, session.session_id)
    await asyncio.to_thread(transcript.append, "user", message)
    shown = ""  # safe text of the current message already on stdout
    raw_chunks = ""  # the same, as received (for the transcript / JSON)
    texts: list[str] = []
    exit_code = EXIT_OK

    def finish_message(text: str) -> None:
        nonlocal shown, raw_chunks
        texts.append(text)
        transcript.append("agent", text)
        if output.json_mode:
            output.json({"type": "text", "text": text})
        else:
            safe = safe_text(text)
            # the final text replaces the chunks: print only what the chunks did not show
            rest = safe[len(shown):] if safe.startswith(shown) else ("\n" if shown else "") + safe
            output.out(rest)
        shown = raw_chunks = ""

    # Ctrl-C stops listening, not necessarily the agent (the message is already on its way)
    output.interrupt_hint = ("The agent may still apply the message: `nemo-tui state` shows "
                             "whether it did.")
    try:
        async for event in client.stream_turn(message):
            if isinstance(event, m.TextChunk):
                raw_chunks += event.text
                if not output.json_mode:
                    piece = safe_text(event.text)
                    shown += piece
                    output.out(piece, end="")
            elif isinstance(event, m.TextFinal):
                finish_message(event.text)
            elif isinstance(event, m.ToolCall):
                if output.json_mode:
                    output.json({"type": "tool", "name": event.name})
                output.note(_activity(event.name))
            elif isinstance(event, m.StillWorking):
                output.note("⏳ Still working...")
            elif isinstance(event, m.StreamError):
                transcript.append("error", event.message)
                if output.json_mode:
                    output.json({"type": "error", "message": event.message})
                output.err(f"The agent reported an error: {event.message}")
                exit_code = EXIT_FAIL
            elif isinstance(event, m.SessionReplaced):
                transcript = TranscriptStore(settings.paths, settings.api_url,
                                             event.new_session.session_id)
                output.note("The previous session was not found; a new session was started.")
            elif isinstance(event, m.TurnEnd):
                if raw_chunks:  # chunks without a final message: they are the message
                    finish_message(raw_chunks)
                if event.reason == "timeout":
                    output.err("The agent sent nothing but heartbeats for too long; the turn "
                               "was ended. Run `nemo-tui state` to see what changed.")
                    exit_code = EXIT_FAIL
                elif event.reason == "error":
                    exit_code = EXIT_FAIL
                elif not event.had_text and not texts:
                    after = await _no_text_summary(client, output, transcript, before)
    except StreamDroppedError:
        if shown:
            output.out("")
        if output.json_mode:
            output.json({"type": "error", "message": DROPPED_STREAM})
        output.err(DROPPED_STREAM)
        return EXIT_FAIL
    finally:
        with contextlib.suppress(OSError, NemoError):
            sid = client.session.session_id if client.session else session.session_id
            SessionStore(settings.paths).touch(settings.api_url, sid, last_message=message[:200])
    from nemo_tui.cli_sessions import remember_title

    output.interrupt_hint = ""
    for hint in gui_hints(texts):  # stderr, and only for people (output.note)
        output.note(hint)
    after = await record_after_turn(client, settings, output, message, after)
    if after is not None and client.session is not None:
        await asyncio.to_thread(remember_title, settings, client.session.session_id, after)
    return exit_code


async def _no_text_summary(client: NemoClient, output: Output, transcript: Any,
                           before: Any) -> Any:
    """After a turn without text: fetch the state, say what changed and what the timeline is;
    returns the draft."""
    from nemo_tui.diff import diff_drafts
    from nemo_tui.draft import decode_draft, summarize

    state = await client.state()
    draft = decode_draft(state.draft)
    summary = summarize(draft)
    changes = [] if before is _UNKNOWN else diff_drafts(decode_draft(before), draft)
    transcript.append("system", "\n".join([*changes, summary]))
    if output.json_mode:
        output.json({"type": "summary", "text": summary, "changes": changes})
        return state.draft
    if changes:
        output.out("Done. Changes:")
        for line in changes:
            output.out(f"  {safe_text(line)}")
        output.out(safe_text(summary))
    else:
        output.out(f"Done. {safe_text(summary)}")
    return state.draft
