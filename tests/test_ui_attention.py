"""Notifications (toast, bell / OSC 9 / OSC 777 only when enabled and unfocused) and elapsed
times (status bar, tool lines) driven by an injected clock."""

from __future__ import annotations

import re

import pytest
from test_ui_copy_search import spy_writes
from test_ui_support import (
    RecordingStudio,
    lines,
    make_studio,
    say,
    settle,
    studio_settings,
    wait_until,
)
from textual import events

from nemo_tui.jobs import RenderJob
from nemo_tui.ui.attention import notice_text, terminal_alert
from nemo_tui.ui.messages import Activity, JobChanged

pytestmark = pytest.mark.usefixtures("fast_idle")
EVIL = "boom \x1b]9;pwned\x07\x1b\\ \x9c; next\nline \u202e"


def test_notice_text_and_alerts_are_inert():
    assert notice_text(EVIL) == "boom ]9;pwned\\ ; next line"
    assert terminal_alert("bell", "t", EVIL) == "\a"
    assert terminal_alert("off", "t", EVIL) is None
    osc9 = terminal_alert("osc9", "Render failed", EVIL)
    assert osc9 == "\x1b]9;Render failed: boom ]9;pwned\\ ; next line\x1b\\"
    osc777 = terminal_alert("osc777", "a;b", EVIL)
    assert osc777 == "\x1b]777;notify;a,b;boom ]9,pwned\\ , next line\x1b\\"
    for seq in (osc9, osc777):
        body = seq[2:-2]
        assert not any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f for c in body)


def studio(tmp_path, notify: str, clock=None) -> RecordingStudio:
    settings = studio_settings("http://127.0.0.1:9", tmp_path, notify=notify)
    kw = {"clock": clock} if clock else {}
    return RecordingStudio(settings, connect=False, **kw)


def job(status: str, **kw) -> RenderJob:
    return RenderJob("job-1", "http://127.0.0.1:9", "s", status=status, **kw)


def alerts(writes: list[str]) -> list[str]:
    """Bells and OSC 9 / 777 sequences the app wrote."""
    return [m for w in writes for m in re.findall(r"\a|\x1b\](?:9|777);[^\x1b]*\x1b\\", w)]


async def _blur(pilot) -> None:
    pilot.app.post_message(events.AppBlur())
    await wait_until(pilot, lambda: not pilot.app.app_focus)
    assert not pilot.app.app_focus


@pytest.mark.parametrize("mode", ["bell", "osc9", "osc777", "off"])
async def test_render_outcomes_toast_and_alert_only_when_unfocused(tmp_path, mode):
    app = studio(tmp_path, mode)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        writes = spy_writes(app)
        app.post_message(JobChanged(job("processing", progress=50)))
        app.post_message(JobChanged(job("completed", path="/videos/sea.mp4")))
        await wait_until(pilot, lambda: len(app._notifications) >= 1)
        assert [(n.title, n.message) for n in app._notifications] == [
            ("Video ready", "/videos/sea.mp4")]
        assert alerts(writes) == []  # focused: a toast only
        await _blur(pilot)
        app.post_message(JobChanged(job("failed", error=EVIL)))
        await wait_until(pilot, lambda: len(app._notifications) >= 2)
        failed = list(app._notifications)[-1]
        assert failed.message == "Job job-1 failed: " + notice_text(EVIL)
        want = {"bell": ["\a"], "off": [],
                "osc9": [terminal_alert("osc9", "Render failed", failed.message)],
                "osc777": [terminal_alert("osc777", "Render failed", failed.message)]}[mode]
        assert alerts(writes) == want
        app.post_message(JobChanged(job("failed", error=EVIL)))  # the same outcome again
        await pilot.pause()
        assert len(app._notifications) == 2 and alerts(writes) == want


async def test_elapsed_time_advances_with_the_clock_and_long_turns_notify(tmp_path):
    now = [1000.0]
    app = studio(tmp_path, "bell", clock=lambda: now[0])
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        writes = spy_writes(app)
        app.post_message(Activity("chat", "agent is working…"))
        await wait_until(pilot, lambda: app.turn_clock.running)
        assert app.status.info.turn_elapsed == "0:00"
        app.say("generating video…", "activity")
        now[0] += 102
        app.turn_clock.tick()
        assert lines(app, "activity")[-1] == "generating video… 1:42 (usually a few minutes)"
        assert "agent is working… 1:42" in app.status.render_info(app.status.info).plain
        now[0] += 3
        app.say("editing the timeline…", "activity")
        now[0] += 4
        app.turn_clock.tick()
        # the first tool ran until the second began
        assert lines(app, "activity") == ["generating video… 1:45 (usually a few minutes)",
                                          "editing the timeline… 0:04 (usually seconds)"]
        assert app.status.info.turn_elapsed == "1:49"
        await _blur(pilot)
        app.post_message(Activity("chat", None))
        await wait_until(pilot, lambda: not app.turn_clock.running)
        assert app.turn_clock._timer is None and app.status.info.turn_elapsed is None
        assert [n.message for n in app._notifications][-1] == (
            "The agent's turn ended after 1:49.")
        assert alerts(writes) == ["\a"]
        app.post_message(Activity("chat", "agent is working…"))  # a short turn: no notice
        await wait_until(pilot, lambda: app.turn_clock.running)
        now[0] += 5
        app.post_message(Activity("chat", None))
        await wait_until(pilot, lambda: not app.turn_clock.running)
        assert len(app._notifications) == 1 and alerts(writes) == ["\a"]


async def test_a_real_turn_shows_elapsed_on_its_tool_line(backend, tmp_path):
    app = make_studio(backend.url, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, "make a 5 second video of a forest with piano music")
        await settle(pilot)
        tool = [t for t in lines(app, "activity") if t.startswith("generating video…")]
        assert len(tool) == 1
        assert re.fullmatch(r"generating video… \d+:\d\d \(usually a few minutes\)", tool[0])
        edit = [t for t in lines(app, "activity") if t.startswith("editing the timeline…")]
        assert all(re.fullmatch(r"editing the timeline… \d+:\d\d \(usually seconds\)", t)
                   for t in edit)
        assert not app.turn_clock.running and app.status.info.turn_elapsed is None


def test_notify_setting_is_checked(isolated_dirs):
    import os
    from pathlib import Path

    from nemo_tui.config import ConfigError, load_settings

    cfg = Path(os.environ["XDG_CONFIG_HOME"]) / "nemo-tui"
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "config.toml").write_text('notify = "osc777"\n')
    assert load_settings().notify == "osc777"
    (cfg / "config.toml").write_text('notify = "loud"\n')
    with pytest.raises(ConfigError, match="notify must be one of bell, osc9, osc777, off"):
        load_settings()
