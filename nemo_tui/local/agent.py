"""Rule-based local agent (PLACEHOLDER: replaced by the studio agent of issue 5; keep the API)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable


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


@dataclass
class TurnContext:
    """What a turn may read and change: the session's draft, uploads, credits, randomness."""

    draft: dict[str, Any] | None
    uploads: list[dict[str, Any]] = field(default_factory=list)
    charge: Callable[[int], None] = lambda n: None
    freeze: Callable[[int], None] = lambda n: None
    unfreeze: Callable[[int], None] = lambda n: None
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    options: dict[str, Any] = field(default_factory=dict)


async def run_turn(ctx: TurnContext, message: str) -> AsyncIterator[AgentStep]:
    """Placeholder turn: builds a 10 s, one-track draft titled after the message."""
    title = message.strip()[:40] or "Untitled"
    yield Call("generate_video_with_seedance", {"prompt": message}, "c1")
    ctx.draft = {
        "d": 10000,
        "m": {"title": title, "width": 1920, "height": 1080},
        "t": [{"tt": 0, "sg": [{"s": 0, "d": 10000, "m": {"name": title}}]}],
    }
    ctx.charge(100)
    yield Result("generate_video_with_seedance", {"status": "ok"}, "c1")
    yield Say(f"Done! Your video about {title} is ready. Click the Export button to download it.")
