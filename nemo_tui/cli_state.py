"""`nemo-tui state` and `nemo-tui credits`: the session's timeline and the credit balance.

Split from cli.py (parser and dispatch only). No Textual, no Rich.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from nemo_tui.cli_output import EXIT_OK
from nemo_tui.textsafe import safe_text

if TYPE_CHECKING:
    from nemo_tui.api.client import NemoClient
    from nemo_tui.cli_output import Output
    from nemo_tui.config import Settings


async def run_state(client: NemoClient, settings: Settings, output: Output) -> int:
    """Print the session's timeline summary (or its JSON form); its draft is kept as a version."""
    from nemo_tui.cli_sessions import remember_title
    from nemo_tui.cli_versions import record_version
    from nemo_tui.draft import decode_draft, draft_json, summarize

    state = await client.state()
    session_id = state.session_id or client.session.session_id
    await record_version(settings, output, session_id, state.draft)
    await asyncio.to_thread(remember_title, settings, session_id, state.draft, state.task_name)
    draft = decode_draft(state.draft)
    if output.json_mode:
        output.json({**draft_json(draft), "draft": state.draft})
    else:
        output.out(safe_text(summarize(draft)))
    return EXIT_OK


async def run_credits(client: NemoClient, output: Output) -> int:
    """Print the credit balance."""
    credits = await client.credits()
    if output.json_mode:
        output.json({"available": credits.available, "frozen": credits.frozen,
                     "total": credits.total})
    else:
        output.out(f"Credits: {credits.available} available, {credits.frozen} frozen, "
                   f"{credits.total} total")
    return EXIT_OK
