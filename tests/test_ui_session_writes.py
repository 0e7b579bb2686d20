"""The studio's session-store writes leave the event loop (issue 11 §1)."""

from __future__ import annotations

import threading

from test_ui_support import make_studio, wait_until

from nemo_tui.store import SessionStore


async def test_current_session_is_written_off_the_event_loop(local_backend, tmp_path,
                                                             monkeypatch):
    """Connecting creates a session: the client's "current session" write runs in a thread,
    and the stored current session is the one the studio shows."""
    loop_thread = threading.get_ident()
    writes: list[tuple[str, int]] = []
    original = SessionStore.set_current

    def recording_set_current(self, api_url, info):
        original(self, api_url, info)
        writes.append((info.session_id, threading.get_ident()))  # once it is on disk

    monkeypatch.setattr(SessionStore, "set_current", recording_set_current)
    app = make_studio(local_backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.session.session_id and writes
                         and writes[-1][0] == app.session.session_id)
        assert writes and all(thread != loop_thread for _sid, thread in writes)
        stored = SessionStore(app.settings.paths).current(app.settings.api_url)
        assert stored is not None and stored.session_id == app.session.session_id
