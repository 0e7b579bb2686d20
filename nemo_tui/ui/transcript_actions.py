"""Studio side of the transcript export: save the Markdown in a thread, say where it went."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nemo_tui.ui.messages import ChatNotice

if TYPE_CHECKING:
    from nemo_tui.ui.app import NemoStudioApp


def save_transcript(app: NemoStudioApp) -> None:
    """Write the current session's transcript as Markdown into the download folder."""
    session = app.client.session if app._client is not None else None
    if session is None:
        app.say("There is no session yet to save.", "error", record=False)
        return
    settings = app.settings

    def work() -> None:
        from nemo_tui.transcript_save import gather, save_markdown

        try:
            record = gather(settings.paths, settings.api_url, session.session_id)
            path = save_markdown(record, settings.download_dir)
        except OSError as exc:
            app.post_message(ChatNotice(f"Could not save the transcript: {exc.strerror or exc}. "
                                        "Check the download folder (download_dir).", "error"))
            return
        app.post_message(ChatNotice(f"Transcript saved: {path}", "info"))

    app.run_worker(work, thread=True, group="transcript", exit_on_error=False,
                   description="saving the transcript")
