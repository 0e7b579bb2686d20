"""The local studio agent: rule-based, deterministic (randomness only from ctx.rng), no model.

It answers like NemoVideo's backend: an acknowledgement, tool calls with the real tool names
(`generate_video_with_seedance`, `generate_music`, `edit_multitrack`), a second pass adding BGM
and a title after the raw video, replies that sometimes speak GUI, and about 30% of edits with
no text at all. Credits are frozen while a step runs, then charged.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from . import edits, generated, replies, segment_edits
from .edits import EditError
from .prompt import has_cjk, make_title, parse_request
from .understand import Op, classify


@dataclass(frozen=True)
class Say:
    """Text the agent says (the server splits it into partial chunks when streaming)."""

    text: str


@dataclass(frozen=True)
class Call:
    """A tool call event."""

    name: str
    args: dict[str, Any]
    call_id: str


@dataclass(frozen=True)
class Result:
    """A tool result event."""

    name: str
    response: dict[str, Any]
    call_id: str


@dataclass(frozen=True)
class Wait:
    """A pause; the server sends heartbeats meanwhile."""

    seconds: float


AgentStep = Say | Call | Result | Wait


class OutOfCredits(Exception):
    """Not enough credits for the step; raised before any event so the server answers 2001."""

    def __init__(self, needed: int, available: int | None) -> None:
        super().__init__(f"this needs {needed} credits; {available} available")
        self.needed = needed
        self.available = available


@dataclass
class TurnContext:
    """What a turn may read and change: the session's draft, uploads, credits, randomness."""

    draft: dict[str, Any] | None
    uploads: list[dict[str, Any]] = field(default_factory=list)
    #: The session's generated media (read: an insert may name one) and, appended, what this
    #: turn generates (local/generated.py lists it in the state's ``generated_media``).
    generated: list[dict[str, Any]] = field(default_factory=list)
    charge: Callable[[int], None] = lambda n: None
    freeze: Callable[[int], None] = lambda n: None
    unfreeze: Callable[[int], None] = lambda n: None
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    options: dict[str, Any] = field(default_factory=dict)
    #: Credits available now (None: unknown, never refuse). Checked before a paid step.
    available: Callable[[], int | None] = lambda: None


GENERATION_COST = 100
EDIT_COST = 50
# Seconds each kind of step takes on the real service (PROTOCOL.md §5).
LATENCY = {"text": (5.0, 15.0), "video": (100.0, 300.0), "music": (20.0, 60.0),
           "edit": (10.0, 30.0)}
WAIT_CHUNK = 10.0


def _waits(ctx: TurnContext, kind: str) -> list[Wait]:
    """Pauses for a step: real lengths in "realistic" mode, tiny in "fast", zero in "none".

    The random draw happens in every mode so that the rest of the turn (call ids, the
    no-text choice) is the same whatever the latency mode.
    """
    low, high = LATENCY[kind]
    seconds = ctx.rng.uniform(low, high)
    mode = str(ctx.options.get("latency", "none"))
    if mode == "realistic":
        chunks = []
        while seconds > 0:
            chunks.append(Wait(min(WAIT_CHUNK, seconds)))
            seconds -= WAIT_CHUNK
        return chunks
    if mode == "fast":
        return [Wait(seconds / 100)]
    return [Wait(0.0)] if kind != "text" else []


def _call_id(ctx: TurnContext) -> str:
    """A deterministic tool-call id."""
    return f"call_{ctx.rng.getrandbits(48):012x}"


def _reserve(ctx: TurnContext, cost: int) -> None:
    """Check and freeze credits for a step (raises OutOfCredits)."""
    available = ctx.available()
    if available is not None and available < cost:
        raise OutOfCredits(cost, available)
    ctx.freeze(cost)


async def run_turn(ctx: TurnContext, message: str) -> AsyncIterator[AgentStep]:
    """Answer one chat message. Never raises, except OutOfCredits before the first step."""
    try:
        op = classify(message, ctx.draft, ctx.uploads, ctx.generated)
    except Exception:  # noqa: BLE001 - a parser bug must not break the session
        op = Op("unknown")
    zh = has_cjk(message)
    if op.kind == "generate":
        inner = _generate(ctx, message)
    elif op.kind in replies.TALK:
        inner = _talk(ctx, op, message, zh)
    else:
        inner = _edit(ctx, op, zh)
    try:
        async for step in inner:
            yield step
    except OutOfCredits:
        raise
    except Exception as exc:  # noqa: BLE001 - never crash a turn; the session stays usable
        yield Say(replies.failure(exc, zh))
    finally:
        # Closing now (not at garbage collection) runs the inner finally blocks, which give
        # frozen credits back when the turn is interrupted.
        await inner.aclose()


async def _talk(ctx: TurnContext, op: Op, message: str, zh: bool) -> AsyncIterator[AgentStep]:
    """A text-only answer (help, greetings, refusals): no tool call, no credits."""
    for wait in _waits(ctx, "text"):
        yield wait
    yield Say(replies.talk(op, message, zh))


async def _generate(ctx: TurnContext, message: str) -> AsyncIterator[AgentStep]:
    """A generation: raw video first, then a second pass adding BGM and the title."""
    req = parse_request(message)
    cost = int(ctx.options.get("generation_cost", GENERATION_COST))
    _reserve(ctx, cost)
    done = False
    try:
        for wait in _waits(ctx, "text"):
            yield wait
        yield Say(replies.generation_ack(req))
        raw = edits.new_raw_draft(req)
        call = _call_id(ctx)
        yield Call("generate_video_with_seedance", {
            "prompt": message[:1000], "duration": req.seconds, "aspect_ratio":
            {"landscape": "16:9", "portrait": "9:16", "square": "1:1"}[req.aspect],
            "style": req.palette or "default", "pace": req.pace or "medium"}, call)
        for wait in _waits(ctx, "video"):
            yield wait
        ctx.draft = raw
        title = make_title(req.subject)
        ctx.generated.append(generated.video_entry(raw, title, req.seconds))
        scenes = [sg["m"]["name"] for sg in edits.scenes(raw)]
        yield Result("generate_video_with_seedance", {
            "status": "success", "duration": req.seconds, "width": raw["m"]["width"],
            "height": raw["m"]["height"], "scenes": scenes}, call)
        final = edits.normalize(raw)
        operations: list[dict[str, Any]] = []
        if req.music:
            call = _call_id(ctx)
            yield Call("generate_music", {"mood": req.mood, "duration": req.seconds}, call)
            for wait in _waits(ctx, "music"):
                yield wait
            edits.add_music(final, req.mood)
            tune = final["t"][1]["sg"][0]["m"]["name"]
            ctx.generated.append(generated.music_entry(tune, req.mood, req.seconds))
            yield Result("generate_music", {"status": "success", "mood": req.mood,
                                            "name": tune}, call)
            operations.append({"op": "add_bgm", "mood": req.mood, "volume": 0.35})
        edits.set_title(final, title)
        operations.append({"op": "add_title", "text": title, "start": 0, "duration": 3})
        call = _call_id(ctx)
        yield Call("edit_multitrack", {"operations": operations}, call)
        for wait in _waits(ctx, "edit"):
            yield wait
        ctx.draft = final
        yield Result("edit_multitrack", {"status": "success", "tracks": len(final["t"]),
                                         "duration_ms": final["d"]}, call)
        ctx.unfreeze(cost)
        ctx.charge(cost)
        done = True
        yield Say(replies.generation_done(ctx.rng, req, title, len(scenes)))
    finally:
        if not done and cost:
            ctx.unfreeze(cost)  # an interrupted step is not charged


def _apply(draft: dict[str, Any], op: Op, uploads: list[dict[str, Any]]) -> str:
    """Apply an edit to a (copied) draft; returns a one-line description or raises EditError."""
    a = op.args
    if op.kind in segment_edits.KINDS:
        return segment_edits.apply(draft, op.kind, a)
    if op.kind == "set_title":
        text = a.get("text") or draft["m"].get("title")
        if not text:
            first = next(iter(edits.scenes(draft)), {"m": {}})
            text = make_title(str(first["m"].get("name", "My Video")).split(" — ")[0])
        return edits.set_title(draft, str(text))
    if op.kind == "remove_title":
        return edits.remove_title(draft)
    if op.kind == "remove_music":
        return edits.remove_music(draft)
    if op.kind == "music_volume":
        volume = a.get("volume")
        if volume is None:
            track = edits.track(draft, edits.AUDIO)
            current = track["sg"][0]["m"].get("volume", 0.35) if track and track["sg"] else 0.35
            volume = float(current if isinstance(current, (int, float)) else 0.35) * a["factor"]
        return edits.set_music_volume(draft, float(volume))
    if op.kind == "add_music":
        track = edits.track(draft, edits.AUDIO)
        old = track["sg"][0]["m"] if track and track["sg"] else {}
        mood = a.get("mood") or old.get("mood") or "upbeat"
        volume = old.get("volume", 0.35) if isinstance(old.get("volume"), (int, float)) else 0.35
        return edits.add_music(draft, mood, float(volume), a.get("upload"))
    if op.kind == "duration":
        seconds = a.get("seconds")
        if seconds is None:
            seconds = max(3.0, float(draft.get("d", 0)) / 1000 + a["delta"])
        return edits.set_duration(draft, float(seconds))
    if op.kind == "add_scene":
        name = a.get("name") or "new scene"
        return edits.add_scene(draft, name, seconds=a.get("seconds"), position=a.get("position"),
                               upload=a.get("upload"))
    if op.kind == "replace_scene":
        return edits.replace_scene(draft, a["index"], a["upload"])
    if op.kind == "remove_scene":
        index = a.get("index")
        if index is None:
            index = edits.find_scene(draft, a.get("words", ""))
            if index is None:
                raise EditError(f"I couldn't find a scene matching \"{a.get('words', '')}\". "
                                "Say \"remove scene 2\" or \"remove the last scene\".")
        return edits.remove_scene(draft, index)
    if op.kind == "move_scene":
        return edits.move_scene(draft, a["index"], a["to"])
    if op.kind == "swap_scenes":
        return edits.swap_scenes(draft, a["a"], a["b"])
    if op.kind == "reverse_scenes":
        return edits.reverse_scenes(draft)
    if op.kind == "style":
        return edits.set_style(draft, a.get("palette"), a.get("pace"))
    if op.kind == "aspect":
        return edits.set_aspect(draft, a["aspect"])
    raise EditError(replies.CAPABILITIES_EN)


async def _edit(ctx: TurnContext, op: Op, zh: bool) -> AsyncIterator[AgentStep]:
    """An edit session: edit_multitrack call, credits, and (usually) a short reply."""
    ratio = float(ctx.options.get("no_text_ratio", 0.3))
    silent = ctx.rng.random() < ratio
    draft = edits.normalize(ctx.draft)
    try:
        summary = _apply(draft, op, ctx.uploads)
    except EditError as exc:  # nothing changed, nothing charged
        yield Say(str(exc))
        return
    cost = int(ctx.options.get("edit_cost", EDIT_COST))
    _reserve(ctx, cost)
    done = False
    try:
        call = _call_id(ctx)
        yield Call("edit_multitrack", {"operations": [{"op": op.kind, **replies.op_args(op)}]},
                   call)
        for wait in _waits(ctx, "edit"):
            yield wait
        ctx.draft = draft
        yield Result("edit_multitrack", {"status": "success", "summary": summary,
                                         "duration_ms": draft.get("d")}, call)
        ctx.unfreeze(cost)
        ctx.charge(cost)
        done = True
        if not silent:
            yield Say(replies.edit_done(ctx.rng, summary, zh))
    finally:
        if not done and cost:
            ctx.unfreeze(cost)
