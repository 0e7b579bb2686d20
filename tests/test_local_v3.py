"""The local backend serving its drafts as Draft Protocol V3: the conversion, the CLI and the
studio end to end over loopback (state, timeline, export sending the template back unchanged)."""

from __future__ import annotations

import json

import pytest
from test_cli import ASK, run
from test_ui_support import RecordingStudio, say, settle, studio_settings, until

from nemo_tui.diff import diff_drafts
from nemo_tui.draft import decode_draft, summarize
from nemo_tui.local import edits
from nemo_tui.local.prompt import parse_request
from nemo_tui.local.runner import studio_server_options
from nemo_tui.local.v3 import from_v3, serve, to_v3

GENERATE = "make a 10 second video about a city at night with upbeat music"


def _agent_draft() -> dict:
    """A draft as the local agent builds it: scenes, music, a title with markup-like text."""
    draft = edits.normalize(edits.new_raw_draft(parse_request("a 12 second neon video of Tokyo")))
    edits.add_music(draft, "calm", 0.3)
    edits.set_title(draft, 'Tokyo <Nights> & "Neon" && more')
    draft["t"][0]["sg"][1]["m"]["src"] = "http://127.0.0.1:9/media/1/my clip.mp4"
    return draft


def test_v3_round_trip_keeps_the_timeline() -> None:
    """Short keys → V3 → short keys: same summary, no diff, and the same text again."""
    draft = _agent_draft()
    text = to_v3(draft)
    assert text.startswith("<draft ") and "<styles>" in text
    assert decode_draft(text).format == "v3"
    assert summarize(decode_draft(text)) == summarize(decode_draft(draft))
    assert diff_drafts(decode_draft(draft), decode_draft(text)) == []
    back = from_v3(text)
    assert back["m"]["style"] == draft["m"]["style"]  # data-* attributes carry the rest
    assert back["t"][1]["sg"][0]["m"]["mood"] == "calm"
    assert summarize(decode_draft(back)) == summarize(decode_draft(draft))
    assert to_v3(back) == text  # deterministic: an unchanged draft is served identically
    wrapped = serve(draft, "v3-object")
    assert wrapped == {"format": "v3", "main_template": text} and from_v3(wrapped) == back
    assert serve(None, "v3") is None and serve(draft, "short-json") is draft


def test_draft_format_setting() -> None:
    """The studio's backend options take the format from the flag or the environment."""
    assert studio_server_options("v3")["draft_format"] == "v3"
    assert "draft_format" not in studio_server_options()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NEMO_LOCAL_DRAFT_FORMAT", "v3-object")
        assert studio_server_options()["draft_format"] == "v3-object"
        mp.setenv("NEMO_LOCAL_DRAFT_FORMAT", "xml")
        with pytest.raises(ValueError, match="short-json, v3, v3-object"):
            studio_server_options()


@pytest.mark.slow
@pytest.mark.parametrize("draft_format", ["v3", "v3-object"])
def test_cli_state_and_export_on_a_v3_backend(make_local_backend, isolated_dirs, tmp_path,
                                              draft_format) -> None:
    """`state --json` reports the format; `export` sends the draft exactly as received and the
    backend renders it."""
    backend = make_local_backend(server_options={"free_credits": 100_000, "wait_scale": 0.0,
                                                 "draft_format": draft_format})
    env = {"NEMO_API_URL": backend.url, "NEMO_POLL_INTERVAL": "0.05"}
    assert run("ask", ASK, env=env).returncode == 0
    state = json.loads(run("state", "--json", env=env).stdout)
    assert state["format"] == "v3"
    template = state["draft"] if draft_format == "v3" else state["draft"]["main_template"]
    assert template.startswith("<draft ")
    assert [t["type"] for t in state["tracks"]] == ["video", "audio", "text"]
    assert state["summary"].startswith("Timeline (3 tracks): 1. Video: ")
    human = run("state", env=env).stdout.strip()
    assert human == state["summary"]

    out = tmp_path / "out"
    proc = run("export", "--wait", "--output", str(out), "--json", env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "completed" and result["path"].endswith(".mp4")
    [posted] = [r["json"] for r in backend.requests() if r["endpoint"] == "render_start"]
    assert posted["draft"] == state["draft"]  # the V3 draft went back unchanged


@pytest.mark.slow
async def test_studio_shows_a_v3_timeline_and_exports_it_unchanged(make_local_backend,
                                                                   tmp_path) -> None:
    """The studio on a V3 backend: the timeline shows the tracks; Ctrl+S sends the template."""
    from textual.widgets import Static

    backend = make_local_backend(agent_options={"generation_cost": 10, "edit_cost": 5},
                                 server_options={"draft_format": "v3"})
    app = RecordingStudio(studio_settings(backend.url, tmp_path), drop_poll=(0.05, 0.05, 2))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, GENERATE)
        await until(pilot, lambda: app.draft is not None and len(app.draft.tracks) == 3,
                    "the V3 draft reached the timeline")
        await settle(pilot)
        assert isinstance(app.raw_draft, str) and app.draft.format == "v3"
        assert [t.role for t in app.draft.tracks] == ["Video", "BGM", "Title"]
        title = str(app.query_one("#timeline-title", Static).render())
        assert "3 tracks" in title and "10s" in title
        tree = app.timeline.tree
        labels = [str(n.label) for n in tree.root.children]
        assert [label.split(" — ")[0] for label in labels] == ["1. Video", "2. BGM", "3. Title"]
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any(r["endpoint"] == "render_start"
                                       for r in backend.requests()), "the export request")
        [posted] = [r["json"] for r in backend.requests() if r["endpoint"] == "render_start"]
        assert posted["draft"] == app.raw_draft
        await until(pilot, lambda: any(j.status == "completed" for j in app.job_updates),
                    "the render of the V3 draft", limit=90)
        await settle(pilot, limit=90)  # the download too: nothing may post while the app exits


def test_versions_keep_v3_drafts_verbatim(isolated_dirs) -> None:
    """A V3 draft is a version like any other: its summary and diff, and the text back exactly."""
    from nemo_tui.config import AppPaths
    from nemo_tui.version_store import VersionStore

    store = VersionStore(AppPaths.default(), "http://127.0.0.1:9", "s")
    first = to_v3(_agent_draft())
    second_draft = _agent_draft()
    edits.set_music_volume(second_draft, 0.2)
    second = to_v3(second_draft)
    assert store.record(first, "make it").new and store.record(second, "quieter").new
    assert not store.record(second).new  # the same text again is the same version
    history = store.load()
    assert list(history.versions[1].diff) == ["BGM volume 30% → 20%"]
    assert history.versions[1].summary == summarize(decode_draft(second))
    assert store.draft(1)[1] == first and store.draft(2)[1] == second


async def test_timeline_lists_transitions_and_caps(tmp_path) -> None:
    """A V3 draft's transitions are counted in the timeline's title and listed in the tree
    (not selectable); a capped draft says so in the title."""
    from test_draft_v3 import VIDEO_BGM_SUBS
    from textual.widgets import Static

    from nemo_tui.ui.app import NemoStudioApp

    app = NemoStudioApp(studio_settings("http://127.0.0.1:9", tmp_path), connect=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.timeline.mount_tree()
        app.timeline.set_draft(decode_draft(VIDEO_BGM_SUBS))
        await pilot.pause()
        title = str(app.query_one("#timeline-title", Static).render())
        assert title.endswith("6s · 3 tracks · 1 transition")
        node = app.timeline.tree.root.children[-1]
        assert str(node.label) == "Transitions — 1" and node.data is None
        assert [str(n.label) for n in node.children] == [
            "glsl_cross_dissolve at 3s (0.5s, clip-a → clip-b)"]
        app.timeline.tree.move_cursor(node.children[0])
        await pilot.pause()
        assert app.timeline.selection[0] < 3  # a transition is never the selection
        capped = decode_draft(VIDEO_BGM_SUBS)
        capped.capped = "decoding stopped after 20,000 clips"
        app.timeline.set_draft(capped)
        await pilot.pause()
        title = str(app.query_one("#timeline-title", Static).render())
        assert title.endswith("· decoding stopped after 20,000 clips")
