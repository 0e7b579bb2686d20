"""The local studio agent: prompt understanding, generation, edits, credits, determinism."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nemo_tui.local.agent import (
    Call,
    OutOfCredits,
    Result,
    Say,
    TurnContext,
    Wait,
    run_turn,
)
from nemo_tui.local.prompt import extract_subject, parse_aspect, parse_duration, parse_request
from nemo_tui.local.understand import classify

UPLOADS = [
    {"filename": "beach.mp4", "file_type": "video", "cdn_url": "http://127.0.0.1:1/f/s/beach.mp4",
     "duration": 12.0, "width": 1920, "height": 1080},
    {"filename": "song.mp3", "file_type": "audio", "cdn_url": "http://127.0.0.1:1/f/s/song.mp3",
     "duration": 60.0},
]


class Wallet:
    """Fake credits: records every hook call and the frozen amount over time."""

    def __init__(self, available: int = 1000) -> None:
        self.available = available
        self.frozen = 0
        self.log: list[tuple[str, int]] = []

    def charge(self, n: int) -> None:
        self.log.append(("charge", n))
        self.available -= n

    def freeze(self, n: int) -> None:
        self.log.append(("freeze", n))
        self.available -= n
        self.frozen += n

    def unfreeze(self, n: int) -> None:
        self.log.append(("unfreeze", n))
        self.available += n
        self.frozen -= n


def make_ctx(draft: dict | None = None, *, seed: int = 1, wallet: Wallet | None = None,
             uploads: list | None = None, **options: Any) -> TurnContext:
    """A TurnContext wired to a Wallet; no-text replies off unless asked."""
    w = wallet or Wallet()
    options.setdefault("no_text_ratio", 0.0)
    ctx = TurnContext(draft=draft, uploads=list(uploads or []), charge=w.charge, freeze=w.freeze,
                      unfreeze=w.unfreeze, rng=random.Random(seed), options=options,
                      available=lambda: w.available)
    ctx.wallet = w  # type: ignore[attr-defined]
    return ctx


async def turn(ctx: TurnContext, message: str) -> list[Any]:
    """All steps of one turn."""
    return [step async for step in run_turn(ctx, message)]


def texts(steps: list[Any]) -> list[str]:
    """The Say texts of a turn."""
    return [s.text for s in steps if isinstance(s, Say)]


def tracks(draft: dict, kind: int) -> list[dict]:
    """Segments of the first track of a type."""
    for t in draft["t"]:
        if t["tt"] == kind:
            return t["sg"]
    return []


def assert_contiguous(draft: dict) -> None:
    """Scenes follow one another from 0 and fill the draft exactly."""
    cursor = 0
    for sg in tracks(draft, 0):
        assert sg["s"] == cursor and sg["d"] > 0
        cursor += sg["d"]
    assert cursor == draft["d"]


@pytest.mark.parametrize(("text", "seconds"), [
    ("generate a 30-second video", 30), ("15s clip of cats", 15), ("a 1 minute video", 60),
    ("one minute of rain", 60), ("make it 20 seconds", 20), ("生成一个30秒的视频", 30),
    ("十五秒的视频", 15), ("一分钟", 60), ("half a minute", 30), ("2 minutes", 120),
    ("use my uploaded clip as the intro", None), ("a video about cats", None),
])
def test_duration_variants(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("text", "aspect"), [
    ("a 9:16 video", "portrait"), ("vertical clip", "portrait"), ("portrait please", "portrait"),
    ("for TikTok", "portrait"), ("竖屏视频", "portrait"), ("square video", "square"),
    ("1:1", "square"), ("16:9 video", "landscape"), ("widescreen", "landscape"),
    ("横屏", "landscape"), ("a video about cats", None),
])
def test_aspect_variants(text: str, aspect: str | None) -> None:
    assert parse_aspect(text) == aspect


@pytest.mark.parametrize(("text", "subject"), [
    ("generate a 30-second video from my product description with background music",
     "product description"),
    ("make a 15s vertical video about city nights, neon style, with BGM", "city nights"),
    ("Create a 1 minute square clip of a cozy coffee shop", "cozy coffee shop"),
    ("生成一个30秒的关于城市夜景的视频，带背景音乐", "城市夜景"),
])
def test_subject_extraction(text: str, subject: str) -> None:
    assert extract_subject(text) == subject


def test_request_defaults_and_music_words() -> None:
    req = parse_request("generate a video of mountains")
    assert (req.seconds, req.aspect, req.music) == (15.0, "landscape", True)
    assert parse_request("a 10s clip about rain without music").music is False
    assert parse_request("视频，不要背景音乐").music is False
    assert parse_request("calm 20s video about the sea").mood == "calm"
    assert parse_request("a neon video about tokyo").palette == "neon"
    assert parse_request("fast-paced 20s promo").pace == "fast"
    assert "180" in parse_request("a 10 minute video about everything").note


async def test_generation_two_passes_and_credits() -> None:
    ctx = make_ctx()
    wallet = ctx.wallet  # type: ignore[attr-defined]
    frozen_at_calls: list[int] = []
    steps = []
    async for step in run_turn(ctx, "generate a 30-second 9:16 video about red pandas with "
                                    "background music"):
        if isinstance(step, Call):
            frozen_at_calls.append(wallet.frozen)
        steps.append(step)
    calls = [s.name for s in steps if isinstance(s, Call)]
    assert calls == ["generate_video_with_seedance", "generate_music", "edit_multitrack"]
    results = [s for s in steps if isinstance(s, Result)]
    assert [r.call_id for r in results] == [s.call_id for s in steps if isinstance(s, Call)]
    assert isinstance(steps[0], Say) and "30-second" in steps[0].text
    assert isinstance(steps[-1], Say)
    assert any(isinstance(s, Wait) for s in steps)  # heartbeats during long steps
    assert frozen_at_calls == [100, 100, 100]
    assert wallet.log == [("freeze", 100), ("unfreeze", 100), ("charge", 100)]
    assert wallet.frozen == 0 and wallet.available == 900
    d = ctx.draft
    assert d is not None and d["d"] == 30000
    assert (d["m"]["width"], d["m"]["height"]) == (1080, 1920)
    assert d["m"]["title"] == "Red Pandas"
    assert [t["tt"] for t in d["t"]] == [0, 1, 7]
    assert_contiguous(d)
    assert all("red pandas" in sg["m"]["name"] for sg in tracks(d, 0))
    assert tracks(d, 1)[0]["d"] == 30000 and tracks(d, 1)[0]["m"]["volume"] == 0.35
    assert tracks(d, 7)[0]["m"]["text"] == "Red Pandas"


async def test_generation_without_music_and_chinese() -> None:
    ctx = make_ctx()
    steps = await turn(ctx, "make a 10s square video about rain without music")
    assert "generate_music" not in [s.name for s in steps if isinstance(s, Call)]
    assert [t["tt"] for t in ctx.draft["t"]] == [0, 7]
    assert ctx.draft["m"]["width"] == ctx.draft["m"]["height"] == 1080
    zh = make_ctx()
    steps = await turn(zh, "生成一个30秒的竖屏视频，关于城市夜景，带背景音乐")
    assert zh.draft["d"] == 30000 and zh.draft["m"]["height"] == 1920
    assert zh.draft["m"]["title"] == "城市夜景"
    assert "导出" in texts(steps)[-1]


async def test_out_of_credits_before_any_step() -> None:
    ctx = make_ctx(wallet=Wallet(available=40))
    with pytest.raises(OutOfCredits):
        await turn(ctx, "generate a 15s video about cats")
    assert ctx.draft is None and ctx.wallet.log == []  # type: ignore[attr-defined]


@pytest.fixture
async def generated() -> TurnContext:
    """A context holding a freshly generated 30 s, 4-scene draft."""
    ctx = make_ctx(uploads=UPLOADS)
    await turn(ctx, "generate a 30-second video about the city with background music")
    assert len(tracks(ctx.draft, 0)) == 4
    return ctx


@pytest.mark.parametrize(("message", "check"), [
    ("change the title to Summer Sale", lambda d: d["m"]["title"] == "Summer Sale"
     and tracks(d, 7)[0]["m"]["text"] == "Summer Sale"),
    ('set the title to "Night Lights"', lambda d: d["m"]["title"] == "Night Lights"),
    ("标题改为 城市之光", lambda d: tracks(d, 7)[0]["m"]["text"] == "城市之光"),
    ("remove the title", lambda d: tracks(d, 7) == []),
    ("music volume 20%", lambda d: tracks(d, 1)[0]["m"]["volume"] == 0.2),
    ("set the bgm volume to 80 percent", lambda d: tracks(d, 1)[0]["m"]["volume"] == 0.8),
    ("make the music quieter", lambda d: tracks(d, 1)[0]["m"]["volume"] < 0.35),
    ("remove the music", lambda d: tracks(d, 1) == []),
    ("删除背景音乐", lambda d: tracks(d, 1) == []),
    ("change the music to lo-fi", lambda d: tracks(d, 1)[0]["m"]["mood"] == "lofi"),
    ("use my uploaded song as the background music",
     lambda d: tracks(d, 1)[0]["m"]["src"].endswith("song.mp3")),
    ("make it 20 seconds", lambda d: d["d"] == 20000 and tracks(d, 1)[0]["d"] == 20000),
    ("时长改为15秒", lambda d: d["d"] == 15000),
    ("add a clip of the beach", lambda d: d["d"] == 35000
     and tracks(d, 0)[-1]["m"]["name"] == "beach"),
    ("add a 3-second shot of fireworks at the beginning",
     lambda d: tracks(d, 0)[0]["m"]["name"] == "fireworks" and tracks(d, 0)[0]["d"] == 3000),
    ("remove scene 2", lambda d: len(tracks(d, 0)) == 3 and d["d"] == 22500),
    ("delete the last scene", lambda d: "closing" not in tracks(d, 0)[-1]["m"]["name"]),
    ("删除第二个场景", lambda d: len(tracks(d, 0)) == 3),
    ("remove the close-up clip", lambda d: all("close-up" not in s["m"]["name"]
                                               for s in tracks(d, 0))),
    ("move the last scene to the start", lambda d: "closing" in tracks(d, 0)[0]["m"]["name"]),
    ("move scene 1 to the end", lambda d: "opening" in tracks(d, 0)[-1]["m"]["name"]),
    ("swap scene 1 and scene 2", lambda d: "close-up" in tracks(d, 0)[0]["m"]["name"]),
    ("use my uploaded clip as the intro", lambda d: tracks(d, 0)[0]["m"]["src"].endswith(
        "beach.mp4") and tracks(d, 0)[0]["d"] == 10000 and d["d"] == 40000),
    ("replace scene 3 with my uploaded clip",
     lambda d: tracks(d, 0)[2]["m"]["src"].endswith("beach.mp4") and d["d"] == 30000),
    ("make it warmer", lambda d: d["m"]["style"] == "warm"),
    ("faster pacing please", lambda d: d["m"]["pace"] == "fast"),
    ("make it vertical", lambda d: (d["m"]["width"], d["m"]["height"]) == (1080, 1920)),
])
async def test_edits(generated: TurnContext, message: str, check: Any) -> None:
    ctx = generated
    before = ctx.wallet.available  # type: ignore[attr-defined]
    steps = await turn(ctx, message)
    assert [s.name for s in steps if isinstance(s, Call)] == ["edit_multitrack"], texts(steps)
    assert check(ctx.draft), ctx.draft
    assert_contiguous(ctx.draft)
    assert ctx.wallet.available == before - 50  # type: ignore[attr-defined]
    assert texts(steps)  # no_text_ratio is 0 here


@pytest.mark.parametrize("message", [
    "asdf qwer", "remove scene 9", "remove the unicorn clip", "use my uploaded photo as intro",
    "what is the weather", "", "   ", "move scene 2", "change the volume",
])
async def test_not_understood_or_impossible_is_helpful_and_free(
        generated: TurnContext, message: str) -> None:
    ctx = generated
    before = (ctx.wallet.available, repr(ctx.draft))  # type: ignore[attr-defined]
    steps = await turn(ctx, message)
    assert not any(isinstance(s, Call) for s in steps)
    assert len(texts(steps)) == 1 and len(texts(steps)[0]) > 20
    assert (ctx.wallet.available, repr(ctx.draft)) == before  # type: ignore[attr-defined]


async def test_unknown_lists_capabilities_and_edit_without_draft() -> None:
    ctx = make_ctx()
    assert "I can" in texts(await turn(ctx, "blorp"))[0]
    reply = texts(await turn(ctx, "change the title to X"))[0]
    assert "no video" in reply and ctx.draft is None
    assert "upload" in texts(await turn(ctx, "use my uploaded clip as the intro"))[0].lower()
    assert "no video" in texts(await turn(ctx, "export"))[0]
    await turn(ctx, "generate a 5s video about owls")
    assert "Export button" in texts(await turn(ctx, "export 1080p MP4"))[0]
    done = texts(await turn(make_ctx(seed=3), "a 5s video about owls"))[-1]
    assert "1 scene" in done and "1 scenes" not in done


async def test_no_text_ratio_deterministic_and_switchable(generated: TurnContext) -> None:
    def pattern(seed: int, ratio: float) -> list[bool]:
        return [bool(texts(s)) for s in runs[(seed, ratio)]]

    runs: dict[tuple[int, float], list[list[Any]]] = {}
    for seed, ratio in ((5, 0.3), (5, 0.3), (6, 0.0), (6, 1.0)):
        ctx = make_ctx(generated.draft, seed=seed, no_text_ratio=ratio,
                       wallet=Wallet(available=10**6))
        runs[(seed, ratio)] = [await turn(ctx, f"music volume {10 + i % 50}%")
                               for i in range(60)]
    silent = pattern(5, 0.3).count(False)
    assert 8 <= silent <= 30  # about 30% of 60
    assert all(pattern(6, 0.0)) and not any(pattern(6, 1.0))
    # A silent edit still calls the tool (the change is applied, the client polls state).
    assert all(any(isinstance(s, Call) for s in r) for r in runs[(6, 1.0)])


async def test_same_seed_same_turn() -> None:
    a = await turn(make_ctx(seed=9, no_text_ratio=0.3), "generate a 20s video about bees")
    b = await turn(make_ctx(seed=9, no_text_ratio=0.3), "generate a 20s video about bees")
    assert a == b


async def test_latency_modes() -> None:
    steps = await turn(make_ctx(latency="realistic"), "generate a 15s video about owls")
    waited = sum(s.seconds for s in steps if isinstance(s, Wait))
    assert 100 + 20 + 10 <= waited <= 300 + 60 + 30 + 15
    assert all(s.seconds <= 10 for s in steps if isinstance(s, Wait))
    quick = await turn(make_ctx(), "generate a 15s video about owls")
    assert sum(s.seconds for s in quick if isinstance(s, Wait)) == 0
    assert [s for s in steps if not isinstance(s, Wait)] == \
        [s for s in quick if not isinstance(s, Wait)]


async def test_interrupted_turn_is_not_charged() -> None:
    ctx = make_ctx()
    gen = run_turn(ctx, "generate a 15s video about owls")
    async for step in gen:
        if isinstance(step, Call):
            break
    await gen.aclose()
    assert ctx.wallet.frozen == 0  # type: ignore[attr-defined]
    assert ("charge", 100) not in ctx.wallet.log  # type: ignore[attr-defined]


@pytest.mark.parametrize("draft", [{"t": "x"}, {"d": "?", "t": [None, {"tt": 0, "sg": "no"}]},
                                   {"m": [], "t": [{"tt": 0, "sg": [{"d": 1000}, 5]}]}])
async def test_odd_drafts_do_not_crash(draft: dict) -> None:
    for message in ("change the title to Hi", "music volume 10%", "remove scene 1",
                    "add a clip of dogs", "make it 12 seconds"):
        ctx = make_ctx(draft)
        steps = await turn(ctx, message)
        assert texts(steps)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=120))
async def test_any_message_gives_steps_never_raises(message: str) -> None:
    base = {"d": 10000, "m": {"title": "T", "width": 1920, "height": 1080},
            "t": [{"tt": 0, "sg": [{"s": 0, "d": 5000, "m": {"name": "a"}},
                                   {"s": 5000, "d": 5000, "m": {"name": "b"}}]},
                  {"tt": 1, "sg": [{"s": 0, "d": 10000, "m": {"volume": 0.3}}]}]}
    for draft in (None, base):
        ctx = make_ctx(draft, uploads=UPLOADS, no_text_ratio=0.3)
        steps = await turn(ctx, message)
        assert all(isinstance(s, (Say, Call, Result, Wait)) for s in steps)
        assert ctx.wallet.frozen == 0  # type: ignore[attr-defined]
        if ctx.draft is not None and isinstance(ctx.draft.get("d"), int):
            assert_contiguous(ctx.draft)


def test_classify_prefers_edits_over_generation_words() -> None:
    draft = {"d": 1000, "t": [{"tt": 0, "sg": [{"s": 0, "d": 1000, "m": {}}]}]}
    assert classify("make it 20 seconds", draft, []).kind == "duration"
    assert classify("make the video 20 seconds long", draft, []).kind == "duration"
    assert classify("make a new video about dogs", draft, []).kind == "generate"
    assert classify("a cat surfing, 15s, vertical", None, []).kind == "generate"


async def test_quieter_reply_and_timeline_show_the_same_percent(generated: TurnContext) -> None:
    """The reply's figure is the one the timeline shows (35% halved must not read 18% vs 17%)."""
    from nemo_tui.draft import decode_draft

    steps = await turn(generated, "make the music quieter")
    (bgm,) = [t for t in decode_draft(generated.draft).tracks if t.role == "BGM"]
    shown = round(bgm.segments[0].volume * 100)
    assert f"→ {shown}%" in " ".join(texts(steps)), texts(steps)
