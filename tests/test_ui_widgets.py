"""Studio widgets on their own (tiny host apps) plus the still-working and offline paths."""

from __future__ import annotations

import dataclasses
import socket

import pytest
from test_ui_support import lines, say, settle, studio_settings, until
from textual.app import App, ComposeResult

from nemo_tui.draft import decode_draft
from nemo_tui.ui.widgets.chat import ChatLog
from nemo_tui.ui.widgets.status import StatusBar
from nemo_tui.ui.widgets.timeline import CHUNK, DraftTree, TimelinePane

pytestmark = pytest.mark.usefixtures("fast_idle")


class Host(App):
    """Hosts one widget."""

    def __init__(self, widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


def big_draft(n: int = 10_000) -> dict:
    """A draft with one video track of ``n`` one-second segments and a short title track."""
    segs = [{"s": i * 1000, "d": 1000, "m": {"name": f"clip {i}"}} for i in range(n)]
    return {"d": n * 1000, "m": {"title": "Ten thousand cuts"},
            "t": [{"tt": 0, "sg": segs}, {"tt": 7, "sg": [{"s": 0, "d": 3000,
                                                         "m": {"text": "[b]hi[/b]"}}]}]}


async def test_huge_draft_tree_is_lazy():
    """10,000 segments: only track nodes at first; expanding adds one chunk and a "more" node;
    expanding that adds the next chunk."""
    pane = TimelinePane()
    async with Host(pane).run_test(size=(120, 40)) as pilot:
        pane.set_draft(decode_draft(big_draft()))
        # the tree is mounted after the first frame
        await until(pilot, lambda: pane.query(DraftTree) and pane.query_one(DraftTree).root
                    .children, "tree shown")
        tree = pane.query_one(DraftTree)
        tracks = tree.root.children
        assert len(tracks) == 2 and not tracks[0].children
        tracks[0].expand()
        await until(pilot, lambda: tracks[0].children, "first chunk")
        kids = tracks[0].children
        assert len(kids) == CHUNK + 1 and "more" in str(kids[-1].label)
        kids[-1].expand()
        await until(pilot, lambda: len(tracks[0].children) > CHUNK + 1, "second chunk")
        assert len(tracks[0].children) == 2 * CHUNK + 1
        assert str(tracks[0].children[CHUNK].label).startswith(f"clip {CHUNK} ")
        # the title text is literal (no markup parsed)
        tracks[1].expand()
        await until(pilot, lambda: tracks[1].children, "title track")
        assert "[b]hi[/b]" in str(tracks[1].children[0].label)


async def test_chat_chunks_batch_and_final_replaces():
    """Many chunks paint one live line; the final text replaces it; markup stays literal."""
    log = ChatLog()
    paints = []
    async with Host(log).run_test() as pilot:
        for piece in ["[bold", " red]", "not ", "markup"] * 50:
            log.add_chunk(piece)
        (live,) = log.entries
        original = log._set
        log._set = lambda entry, text, **kw: (paints.append(text), original(entry, text, **kw))
        for _ in range(100):
            await pilot.pause(0.01)
            if paints:
                break
        assert len(log.entries) == 1
        assert len(paints) == 1  # 200 chunks, one repaint
        assert live.live and live.content.plain.startswith("[bold red]not markup")
        log.finish_message("[bold red]done[/]")
        await pilot.pause()
        assert log.lines("agent") == ["[bold red]done[/]"]
        assert not any(e.live for e in log.entries)


async def test_status_bar_fields():
    """Connection, host, session, credits, token expiry and activities are all shown."""
    from nemo_tui.api.models import Credits

    bar = StatusBar()
    async with Host(bar).run_test(size=(160, 3)) as pilot:
        assert "Connecting…" in bar.render_info(bar.info).plain
        bar.set_info(connection="ready", api_url="https://api.example:8443", session="S1",
                     credits=Credits(7, 3, 10), token_expiry="2026-12-02")
        bar.set_activity("chat", "generating video…")
        await pilot.pause()
        plain = bar.render_info(bar.info).plain
        for part in ("ready", "api.example:8443", "session S1", "credits 7/3/10",
                     "2026-12-02", "generating video…"):
            assert part in plain
        bar.set_activity("chat", None)
        assert "idle" in bar.render_info(bar.info).plain


async def test_still_working_after_silence(backend, tmp_path):
    """Only heartbeats for longer than the (shrunk) limit: "⏳ Still working..." appears."""
    from nemo_tui.api.client import NemoClient
    from nemo_tui.services import client_config
    from nemo_tui.ui.app import NemoStudioApp

    backend.add_faults([{"endpoint": "run_sse", "stream": "heartbeats_only", "seconds": 1.0}])
    settings = studio_settings(backend.url, tmp_path)
    cfg = dataclasses.replace(client_config(settings), still_working_after=0.3)
    app = NemoStudioApp(settings, client=NemoClient(cfg))
    async with app.run_test() as pilot:
        await settle(pilot)
        await say(pilot, "make a video of rain")
        await settle(pilot)
        assert "⏳ Still working..." in lines(app, "working")


async def test_unreachable_backend_is_said_in_words(tmp_path):
    """Nothing listens on the port: the status says offline and the chat says why."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from nemo_tui.api.client import NemoClient
    from nemo_tui.services import client_config
    from nemo_tui.ui.app import NemoStudioApp

    settings = studio_settings(f"http://127.0.0.1:{port}", tmp_path)
    cfg = dataclasses.replace(client_config(settings), get_retries=0, retry_base_delay=0.0)
    app = NemoStudioApp(settings, client=NemoClient(cfg))
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.status.info.connection == "offline"
        errors = lines(app, "error")
        assert errors and "Traceback" not in errors[0]


async def test_gui_speak_becomes_offers_and_actions(tmp_path):
    """"Click the Export button" → a one-key offer; "preview in the timeline" → the track
    summary after the next state; "drag" → how to do it here. Nothing is sent anywhere."""
    from nemo_tui.api.models import SessionState
    from nemo_tui.ui.demo import DEMO_DRAFT, build_demo_app
    from nemo_tui.ui.messages import StateFetched

    app = build_demo_app(tmp_path)
    async with app.run_test() as pilot:
        before = len(lines(app))
        app.apply_gui_speak("Done! Click the Export button to download it. Preview it in the "
                            "timeline, or drag the clip to reorder.")
        app.post_message(StateFetched(SessionState("s", None, None, DEMO_DRAFT, [], [], {}),
                                      "turn"))
        await pilot.pause()
        new = lines(app)[before:]
        assert any("Ctrl+S" in t for t in new)
        assert any("describe the change" in t for t in new)
        assert any(t.startswith("Timeline (3 tracks)") for t in new)


async def test_long_stream_freezes_paragraphs_and_final_is_one_line():
    """Finished paragraphs stop being re-painted; the final text becomes one line again."""
    log = ChatLog()
    async with Host(log).run_test() as pilot:
        for i in range(3):
            log.add_chunk(f"paragraph {i} " + "word " * 30 + "\n\n")
            for _ in range(100):
                await pilot.pause(0.01)
                if log._timer is None:
                    break
        log.add_chunk("tail")
        for _ in range(100):
            await pilot.pause(0.01)
            if log._timer is None:
                break
        parts = log.entries
        assert len(parts) == 4 and parts[-1].live
        assert parts[0].raw_text.startswith("paragraph 0") and not parts[0].live
        assert parts[-1].raw_text == "tail"
        whole = "".join(f"paragraph {i} " + "word " * 30 + "\n\n" for i in range(3)) + "tail"
        log.finish_message(whole)
        await pilot.pause()
        assert log.lines("agent") == [whole]


async def test_jobs_table_ticks_only_while_a_job_runs():
    """The elapsed-time ticker exists only while some job is unfinished ("lost" is finished)."""
    from nemo_tui.jobs import RenderJob
    from nemo_tui.ui.widgets.jobs import JobsTable

    table = JobsTable(lambda: 1795608000.0)
    async with Host(table).run_test() as pilot:
        job = RenderJob(id="r1", api_url="u", session_id="s", status="processing", progress=40,
                        created_at="2026-11-25T11:59:00+00:00")
        table.upsert(job)
        await pilot.pause()
        assert table._ticker is not None
        assert table.get_cell("r1", "elapsed").plain == "1:00"
        assert "40%" in table.get_cell("r1", "progress").plain
        table.upsert(dataclasses.replace(job, status="lost", error="gone"))
        await pilot.pause()
        assert table._ticker is None
        assert table.get_cell("r1", "output").plain == "gone"


async def test_streaming_paints_no_layout_and_few_rows():
    """A streamed paint re-lays out nothing and repaints only the changed rows; the log
    follows the bottom, and stays where the user scrolled to."""
    log = ChatLog()
    async with Host(log).run_test(size=(60, 12)) as pilot:
        for i in range(30):
            log.add_line(f"line {i}", "info")
        await pilot.pause()
        assert log.scroll_offset.y == log.max_scroll_y > 0  # following the bottom
        layouts: list[object] = []  # widgets that asked for a layout of the screen
        screen = pilot.app.screen
        original = screen._refresh_layout
        screen._refresh_layout = lambda *a, **kw: (
            layouts.extend(w for ws in screen._layout_widgets.values() for w in ws),
            original(*a, **kw))
        regions: list = []
        refresh = log.refresh
        log.refresh = lambda *r, **kw: (regions.extend(r), refresh(*r, **kw))
        log.add_chunk("abc")
        log._flush()
        log.add_chunk("def")
        log._flush()  # same row, new text: one row repainted, no scroll
        await pilot.pause()
        assert log not in layouts
        assert regions and regions[-1].height == 1
        assert log.entries[-1].content.plain == "abcdef"
        log.scroll_home(animate=False, immediate=True)
        await pilot.pause()
        log.add_chunk("\n" + "more " * 40)
        log._flush()
        await pilot.pause()
        assert log.scroll_offset.y == 0  # the user scrolled up: not dragged down
        log.finish_message("abcdef\n" + "more " * 40)  # 30 lines above: found from the end
        await pilot.pause()
        assert log.lines("agent")[-1].startswith("abcdef") and not log.entries[-1].live
        assert len(log.entries) == 31


async def test_stream_scrolls_in_half_pages_and_ends_at_the_bottom():
    """Past the bottom a stream scrolls half a view ahead (fewer full repaints); when it ends
    the blank rows go and the last line sits on the bottom row."""
    log = ChatLog()
    async with Host(log).run_test(size=(40, 12)) as pilot:
        for i in range(20):
            log.add_line(f"line {i}", "info")
        await pilot.pause()
        height = log.scrollable_content_region.height
        log.add_chunk("word " * 60)  # several rows past the bottom
        log._flush()
        await pilot.pause()
        rows = len(log._rows)
        assert log.virtual_size.height == rows + height // 2  # blank rows ahead
        assert log.scroll_offset.y == log.max_scroll_y
        log.finish_message("word " * 60)
        await pilot.pause()
        assert log.virtual_size.height == len(log._rows)
        assert log.scroll_offset.y == log.max_scroll_y
        assert "word" in log.render_line(height - 1).text
