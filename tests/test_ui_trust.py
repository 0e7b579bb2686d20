"""Pilot tests of issue 10's studio items: a turn stays in its session, a dropped stream never
locks the chat, the transcript keeps the order shown live, the jobs keys work in both cases,
and the chat input stays on screen at 40x10 (local backend over loopback)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from test_ui_support import lines, make_studio, run_sse_count, say, settle, shown, until

from nemo_tui.local import agent as agent_mod
from nemo_tui.local.agent import Say
from nemo_tui.store import TranscriptStore
from nemo_tui.ui.screens.sessions import SessionsScreen
from nemo_tui.ui.widgets.chat import ChatInput

pytestmark = pytest.mark.usefixtures("fast_idle")

FIRST, SECOND = "first half of the reply", "second half of the reply"
EDITED = {"d": 4000, "m": {"title": "Edited while away"},
          "t": [{"tt": 0, "sg": [{"s": 0, "d": 4000, "m": {"name": "clip"}}]}]}


class Gate:
    """A turn that speaks (or silently edits) and then waits for the test to open the gate.

    While it waits, the first message's chunks are on the wire but not its final text, so the
    studio shows a live (still growing) reply.
    """

    def __init__(self, *, silent: bool = False) -> None:
        self.open = threading.Event()
        self.silent = silent

    async def turn(self, ctx: Any, message: str) -> Any:
        if not message.startswith("gated"):
            async for step in agent_mod.run_turn(ctx, message):
                yield step
            return
        if not self.silent:
            yield Say(FIRST)
        while not self.open.is_set():
            await asyncio.sleep(0.01)
        if self.silent:
            ctx.draft = EDITED
        else:
            yield Say(SECOND)


@pytest.fixture
def gate() -> Any:
    """A gate that is opened when the test ends, whatever happened."""
    g = Gate()
    yield g
    g.open.set()


def gated_backend(make_local_backend: Any, gate: Gate) -> Any:
    """A local backend whose "gated …" messages wait for ``gate``."""
    return make_local_backend(server_options={"turn_fn": gate.turn, "free_credits": 10_000})


def turn_running(app: Any) -> bool:
    """Whether a chat turn worker runs."""
    return any(w.group == "chat" and not w.is_finished for w in app.workers)


def transcript(app: Any, session_id: str) -> list[tuple[str, str]]:
    """(role, text) of a session's saved transcript."""
    store = TranscriptStore(app.settings.paths, app.settings.api_url, session_id)
    return [(e.role, e.text) for e in store.load()]


def recorded_view(app: Any) -> list[tuple[str, str]]:
    """What the chat log shows that belongs in the transcript, as (role, text), in order."""
    roles = {"user": "user", "agent": "agent", "error": "error", "info": "system",
             "diff": "system", "offer": "system"}
    out = []
    for kind, text in zip(app.chat_log.kinds(), app.chat_log.lines(None), strict=True):
        if kind in roles and not text.startswith(("New session started.", "Session ")):
            out.append((roles[kind], text))
    return out


async def start_gated_turn(pilot: Any, app: Any, gate: Gate) -> None:
    """Send a gated message and wait until the reply is live (or, silent, the turn runs)."""
    await say(pilot, "gated please")
    if gate.silent:
        await until(pilot, lambda: run_sse_count_of(app) and turn_running(app), "turn running")
    else:
        await until(pilot, lambda: FIRST in shown(app), "first half shown")
    assert turn_running(app)


async def new_session_mid_turn(pilot: Any, app: Any, gate: Gate) -> str:
    """Start a gated turn, press Ctrl+N while it runs; the old session's id once the new
    session is on screen."""
    old = app.client.session.session_id
    await start_gated_turn(pilot, app, gate)
    await pilot.press("ctrl+n")
    await until(pilot, lambda: app.client.session.session_id != old
                and "New session started." in lines(app, "info"), "new session shown")
    return old


def run_sse_count_of(app: Any) -> bool:
    """Whether the app's status shows the agent working (the request is out)."""
    return "chat" in app.status.info.activities


# ---- 1. a turn belongs to its session ---------------------------------------------------
async def test_ctrl_n_mid_reply_keeps_the_reply_out_of_the_new_session(make_local_backend,
                                                                        tmp_path, gate):
    """Ctrl+N while a reply streams: the turn is stopped and said so in the old session's
    transcript; nothing of it reaches the new session's chat or transcript."""
    backend = gated_backend(make_local_backend, gate)
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        old = await new_session_mid_turn(pilot, app, gate)
        new = app.client.session.session_id
        gate.open.set()
        await settle(pilot)
        assert FIRST not in shown(app) and SECOND not in shown(app)
        assert not lines(app, "error") and not lines(app, "agent")
        assert transcript(app, new) == []
        before = transcript(app, old)
        assert before[0] == ("user", "gated please")
        assert any(FIRST in t for _r, t in before)
        assert not any(SECOND in t for _r, t in before)
        assert "switched" in before[-1][1] and before[-1][0] == "system"
        await say(pilot, "hello")  # the new session works
        await settle(pilot)
        assert lines(app, "agent") and transcript(app, new)[0] == ("user", "hello")


async def test_ctrl_o_mid_reply_keeps_the_reply_out_of_the_reopened_session(
        make_local_backend, tmp_path, gate):
    """Ctrl+O to another session while a reply streams: the reopened session shows its own
    transcript only; the reply stays with (and is stopped in) the session it was sent in."""
    backend = gated_backend(make_local_backend, gate)
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        first = app.client.session.session_id
        await say(pilot, "hello")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await until(pilot, lambda: app.client.session.session_id != first, "second session")
        await settle(pilot)
        second = app.client.session.session_id
        await start_gated_turn(pilot, app, gate)
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, SessionsScreen), "sessions screen")
        screen = app.screen
        ids = [r.session_id for r in screen.recent]
        screen.query_one("#sessions-list").highlighted = ids.index(first)
        await pilot.press("enter")
        await until(pilot, lambda: app.client.session.session_id == first
                    and "hello" in lines(app, "user"), "first session shown")
        gate.open.set()
        await settle(pilot)
        assert FIRST not in shown(app) and SECOND not in shown(app)
        assert not any(FIRST in t or SECOND in t or "switched" in t
                       for _r, t in transcript(app, first))
        mine = transcript(app, second)
        assert mine[0] == ("user", "gated please") and "switched" in mine[-1][1]
        assert not any(SECOND in t for _r, t in mine)


async def test_silent_edit_after_switch_is_not_reported_in_the_new_session(
        make_local_backend, tmp_path):
    """A turn without text whose edit lands after Ctrl+N: the new session says nothing about
    it ("the timeline did not change" was said there), and its timeline stays empty."""
    gate = Gate(silent=True)
    try:
        backend = gated_backend(make_local_backend, gate)
        app = make_studio(backend.url, tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            old = await new_session_mid_turn(pilot, app, gate)
            gate.open.set()
            await settle(pilot)
            said = lines(app, None)
            assert not any("timeline" in t.lower() or "without a reply" in t for t in said), said
            assert app.draft is None
            assert "switched" in transcript(app, old)[-1][1]
    finally:
        gate.open.set()


# ---- 2. a dropped stream never locks the chat -------------------------------------------
async def test_after_a_drop_ctrl_y_and_new_messages_go_out_at_once(backend_long_checks,
                                                                   tmp_path):
    """The post-drop timeline check (30 s away) never blocks: a new message is sent at once,
    and after a second drop Ctrl+Y re-sends at once. The drop line says "not re-sent" once."""
    backend = backend_long_checks
    backend.add_faults([{"endpoint": "run_sse", "stream": "drop", "after_events": 3}])
    app = make_studio(backend.url, tmp_path, drop_poll=(30.0, 60.0, 5))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.status.info.connection == "ready", "connected")
        await say(pilot, "hello")
        await until(pilot, lambda: any("Ctrl+Y" in e for e in lines(app, "error")), "drop")
        drop_line = next(e for e in lines(app, "error") if "Ctrl+Y" in e)
        assert drop_line.count("re-sent") + drop_line.count("sent again") == 1, drop_line
        await say(pilot, "thanks")
        await until(pilot, lambda: run_sse_count(backend) == 2, "new message sent", limit=10)
        assert not any("still working" in e for e in lines(app, "error"))
        await until(pilot, lambda: not turn_running(app), "turn done")
        backend.add_faults([{"endpoint": "run_sse", "stream": "drop", "after_events": 3}])
        await say(pilot, "hello again")
        await until(pilot, lambda: sum("Ctrl+Y" in e for e in lines(app, "error")) == 2,
                    "second drop")
        await pilot.press("ctrl+y")
        await until(pilot, lambda: run_sse_count(backend) == 4, "retry sent", limit=10)
        assert not any("still working" in e for e in lines(app, "error"))
        await until(pilot, lambda: not turn_running(app), "retry done")
        # the user acted: no timeline check is left waiting
        assert not any(not w.is_finished and w.group == "drop-check" for w in app.workers)


@pytest.fixture
def backend_long_checks(make_local_backend):
    """A backend with credits for many turns."""
    return make_local_backend(server_options={"free_credits": 10_000})


# ---- 12. the transcript keeps the order shown live --------------------------------------
async def test_refused_message_keeps_its_live_place_in_the_transcript(make_local_backend,
                                                                      tmp_path, gate):
    """A message refused while a reply streams shows after the reply's live text; the saved
    transcript, and the chat after a restart, keep that order."""
    backend = gated_backend(make_local_backend, gate)
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        sid = app.client.session.session_id
        await start_gated_turn(pilot, app, gate)
        await say(pilot, "one more thing")
        await until(pilot, lambda: any("still working" in e for e in lines(app, "error")),
                    "refusal")
        gate.open.set()
        await settle(pilot)
        live = recorded_view(app)
        assert live == transcript(app, sid), (live, transcript(app, sid))
        texts = [t for _r, t in live]
        assert texts.index(FIRST) < texts.index("one more thing")
    again = make_studio(backend.url, tmp_path)
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert recorded_view(again) == live


# ---- 11. jobs keys in both cases --------------------------------------------------------
async def test_jobs_keys_work_in_both_cases(make_local_backend, tmp_path):
    """On the jobs table D / Shift+D download again and X / Shift+X cancel, as F1 and the
    footer show them; lower case works too."""
    from nemo_tui.ui.commands import ACTIONS, key_display

    backend = make_local_backend(server_options={"free_credits": 10_000})
    backend.add_faults([{"endpoint": "render_poll", "status": "processing", "progress": 10,
                         "times": 3}])
    app = make_studio(backend.url, tmp_path, poll_interval=0.3)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, "make a 5 second video of a forest")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: bool(app.jobs_table.jobs), "job row")
        await pilot.press("f4", "X")
        await until(pilot, lambda: any("Cancel requested" in t for t in lines(app, "info")),
                    "cancel by Shift+X", limit=10)
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        done = [j for j in app.jobs_table.jobs.values() if j.status == "completed"]
        assert done
        table = app.jobs_table
        table.move_cursor(row=table.get_row_index(done[0].id))
        for key in ("D", "d"):
            before = app.jobs_table.jobs[done[0].id].path
            await pilot.press(key)
            await settle(pilot)
            assert app.jobs_table.jobs[done[0].id].path != before, key
    from nemo_tui.ui.widgets.jobs import JobsTable

    # help, the footer and README show the same key (either case works, tested above)
    helped = {a.action: key_display(a.key) for a in ACTIONS if a.scope == "jobs"}
    footer = {b.id: b.key_display for b in JobsTable.BINDINGS if b.show}
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for action, title in (("job_download", "Download job again"), ("job_cancel", "Cancel job")):
        assert helped[action] == footer[action]
        assert f"| `{helped[action]}` | {title} —" in readme, action


# ---- 13. the chat input stays visible at 40x10 ------------------------------------------
async def test_chat_input_visible_at_40x10(make_local_backend, tmp_path):
    """At 40x10 the panes collapse and the chat input stays on screen; what is typed shows."""
    backend = make_local_backend()
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(40, 10)) as pilot:
        await settle(pilot)
        inp = app.query_one(ChatInput)
        assert app.focused is inp
        region = inp.region
        assert region.height >= 1 and region.width >= 20, region
        assert 0 <= region.y and region.bottom <= 10, region
        await pilot.press(*"hello")
        await pilot.pause()
        assert "hello" in app.export_screenshot() or "hello" in _screen_text(app)
        await pilot.resize_terminal(120, 40)
        await until(pilot, lambda: app.query_one("#timeline").region.height > 0, "panes back")


def _screen_text(app: Any) -> str:
    """The screen as plain text."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)
