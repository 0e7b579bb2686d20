"""One prompt of a batch item: send it, wait for the turn, check a silent turn via the state.

A failure is either *definite* (the server refused or reported an error: the prompt may be
sent again when the item is retried) or *unsure* (the connection died mid-turn: the prompt may
have been applied, so it is never sent again; a rerun checks the state instead). No Textual.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nemo_tui.api.errors import NetworkError

if TYPE_CHECKING:
    from nemo_tui.api.client import NemoClient
    from nemo_tui.api.models import SessionInfo


class ItemFailed(Exception):
    """The item cannot go on; `unsure` when the last prompt may have reached the agent."""

    def __init__(self, message: str, *, unsure: bool = False) -> None:
        super().__init__(message)
        self.unsure = unsure


@dataclass
class TurnOutcome:
    """What a finished turn left behind."""

    had_text: bool
    summary: str
    changes: list[str]
    draft: Any


_UNSURE = ("The connection was lost while the agent worked on {what}; it is not sent again. "
           "Run the batch again: it checks the timeline instead.")


async def run_prompt(client: NemoClient, prompt: str, what: str, *,
                     on_tool: Callable[[str], None] | None = None,
                     on_session: Callable[[SessionInfo], None] | None = None) -> TurnOutcome:
    """Send `prompt` once and wait for the turn; raises ItemFailed (definite or unsure)."""
    from nemo_tui.api import models as m
    from nemo_tui.api.errors import StreamDroppedError

    before = (await client.state()).draft
    had_text = False
    try:
        async for event in client.stream_turn(prompt):
            if isinstance(event, (m.TextChunk, m.TextFinal)) and event.text.strip():
                had_text = True
            elif isinstance(event, m.ToolCall) and on_tool is not None:
                on_tool(event.name)
            elif isinstance(event, m.StreamError):
                raise ItemFailed(f"The agent reported an error on {what}: {event.message}")
            elif isinstance(event, m.SessionReplaced) and on_session is not None:
                on_session(event.new_session)
            elif isinstance(event, m.TurnEnd):
                had_text = had_text or event.had_text
                if event.reason == "timeout":
                    raise ItemFailed(_UNSURE.format(what=what), unsure=True)
                if event.reason == "error":
                    raise ItemFailed(f"The turn of {what} ended with an error.")
    except StreamDroppedError:
        raise ItemFailed(_UNSURE.format(what=what), unsure=True) from None
    except NetworkError as exc:
        # the POST may have arrived before the connection failed: never send it again
        raise ItemFailed(f"{exc} {_UNSURE.format(what=what)}", unsure=True) from None
    return await check_state(client, before, had_text)


async def check_state(client: NemoClient, before: Any, had_text: bool) -> TurnOutcome:
    """The timeline after a turn (how `ask` checks a turn that answered without text)."""
    from nemo_tui.diff import diff_drafts
    from nemo_tui.draft import decode_draft, summarize

    state = await client.state()
    draft = decode_draft(state.draft)
    changes = diff_drafts(decode_draft(before), draft) if before is not None else []
    return TurnOutcome(had_text, summarize(draft), changes, state.draft)
