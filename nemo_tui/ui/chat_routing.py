"""The chat input's way out: direct actions for the intent words, everything else to the agent.

Plain functions taking the App (no mixin), named on the App class like the handlers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nemo_tui.ui.app import NemoStudioApp
    from nemo_tui.ui.messages import ChatSubmitted


def turn_running(app: NemoStudioApp) -> bool:
    """Whether a chat turn's worker is still running."""
    return any(w.group == "chat" and not w.is_finished for w in app.workers)


def on_chat_submitted(app: NemoStudioApp, msg: ChatSubmitted) -> None:
    """Route the words of the intent table to direct actions; the rest goes to the agent."""
    from nemo_tui.intent import route

    text = msg.text
    app.chat_log.add_line(text, "user")
    app.record("user", text)
    app.touch_session(last_message=text)
    if msg.edit is not None:  # a composed timeline edit: always the agent's, then checked
        app.send_to_agent(text, msg.edit)
        return
    intent = route(text)
    if intent.kind == "upload" and intent.targets:
        for i, target in enumerate(intent.targets):
            last = i == len(intent.targets) - 1
            app.io.upload(target, (intent.rest or None) if last else None)
    elif intent.kind == "export":
        app.action_export()
    elif intent.kind == "credits":
        app.action_credits()
    elif intent.kind == "state":
        app.io.fetch_state("intent")  # the reason says: show the tracks
    elif intent.kind == "upload":
        app.action_upload()
    else:
        app.send_to_agent(text)


def send_to_agent(app: NemoStudioApp, text: str, edit: Any = None) -> None:
    """Start a chat turn unless one is already running (``edit``: the timeline edit the
    message asks for, checked when the turn ends)."""
    if turn_running(app):
        app.say("The agent is still working on the last message. Wait, or press Esc to "
                "cancel it.", "error")
        return
    app.workers.cancel_group(app, "drop-check")  # the user acted: stop checking
    app.expect_edit(edit)
    app.last_activity = None
    app.retry_text = None
    app.io.run_turn(text)


def action_retry_turn(app: NemoStudioApp) -> None:
    """Send the last message again, after a dropped stream (only when the user asks)."""
    if not app.retry_text:
        app.notify("Nothing to retry.", markup=False)
        return
    text = app.retry_text
    app.chat_log.add_line(text, "user")
    app.record("user", text)
    app.send_to_agent(text)


def action_cancel_turn(app: NemoStudioApp) -> None:
    """Stop the running chat turn (Esc)."""
    if turn_running(app):
        app.cancel_requested = True
        app.workers.cancel_group(app, "chat")
