"""Run a parsed batch with Settings: state file + lock, job store, runner. No Textual."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from nemo_tui.api.errors import NemoError
from nemo_tui.batch.runner import BatchResult, BatchRunner, ClientSource, ItemReport
from nemo_tui.batch.state import BatchBusyError, BatchState

if TYPE_CHECKING:
    from nemo_tui.api.models import SessionInfo
    from nemo_tui.batch.spec import BatchItem, BatchSpec
    from nemo_tui.config import Settings


class BatchBusy(NemoError):
    """The same batch file is being run by another process (exit 1)."""


async def run_batch(spec: BatchSpec, settings: Settings, clients: ClientSource, *,
                    output_dir: Path, parallel: int, one_session: bool,
                    on_update: Callable[[ItemReport], None] | None = None,
                    on_note: Callable[[str], None] | None = None) -> BatchResult:
    """Run (or resume) `spec`; one run per batch file at a time."""
    from nemo_tui.jobs import JobStore
    from nemo_tui.store import SessionStore

    state = BatchState(settings.paths, spec.path, settings.api_url)
    await asyncio.to_thread(state.load)
    if state.note and on_note is not None:
        on_note(state.note)
    try:
        state.acquire()
    except BatchBusyError as exc:
        raise BatchBusy(str(exc)) from None
    sessions = SessionStore(settings.paths)

    async def remember(item: BatchItem, session: SessionInfo) -> None:
        # listed by `nemo-tui sessions` / Ctrl+O under the item's name; never made current
        with contextlib.suppress(OSError):
            await asyncio.to_thread(sessions.touch, settings.api_url, session.session_id,
                                    task_id=session.task_id, title=item.name,
                                    last_message=item.prompts[-1][:200])

    try:
        runner = BatchRunner(spec, state, clients, JobStore(settings.paths),
                             api_url=settings.api_url, output_dir=output_dir,
                             parallel=parallel, one_session=one_session,
                             poll_interval=settings.poll_interval, on_update=on_update,
                             on_session=None if one_session else remember)
        return await runner.run()
    finally:
        state.release()
