"""Run the built-in local backend for a benchmark until stdin closes (argv[1]: JSON options).

Options: ``port``, ``data_dir``, ``faults``, ``agent_options``, ``render_options``,
``server_options`` (JSON values only) and ``reply``: ``{"chars": N, "chunks": M, "rate": R}``
makes every chat turn one message of N characters sent as M partial chunks, R chunks a second
(0 = as fast as possible). The backend has no pacing option, so ``rate`` is imposed here by
delaying the sending of each partial SSE frame of the real server's response; framing, encoding
and everything else are the server's own.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

SENTENCE = ("The camera glides over the harbour at dawn while the music swells; cut to the "
            "market, then to the rooftops as the title fades in. ")


END_WORD = "Fin."  # the reply's last word: once it is on screen the reply has streamed


def reply_text(chars: int) -> str:
    """Deterministic ASCII prose of ``chars`` characters in paragraphs, ending with END_WORD."""
    out, n = [], 0
    while n < chars:
        para = SENTENCE * 3 + f"Scene {len(out) + 1}.\n\n"
        out.append(para)
        n += len(para)
    return "".join(out)[:max(0, chars - len(END_WORD) - 1)].rstrip() + " " + END_WORD


def make_turn_fn(chars: int) -> Any:
    """A run_turn replacement that says one long message."""
    from nemo_tui.local.agent import Say

    text = reply_text(chars)

    async def run_turn(ctx: Any, message: str) -> AsyncIterator[Any]:
        yield Say(text)

    return run_turn


class Pacer:
    """ASGI middleware: holds each partial SSE frame of /run_sse until its time slot."""

    def __init__(self, app: Any, rate: float) -> None:
        self.app = app
        self.interval = 1.0 / rate

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or not scope.get("path", "").endswith("/run_sse"):
            await self.app(scope, receive, send)
            return
        next_at = 0.0

        async def paced_send(message: dict) -> None:
            nonlocal next_at
            body = message.get("body", b"") if message.get("type") == "http.response.body" else b""
            if b'"partial":true' in body:
                now = time.perf_counter()
                next_at = max(next_at + self.interval, now) if next_at else now
                if next_at > now:
                    await asyncio.sleep(next_at - now)
            await send(message)

        await self.app(scope, receive, paced_send)


def main() -> None:
    """Build the app, serve it on loopback, stop when the parent closes our stdin."""
    import uvicorn

    from nemo_tui.local.server import create_app

    opts = json.loads(sys.argv[1])
    server_options = dict(opts.get("server_options") or {})
    reply = opts.get("reply")
    if reply:
        server_options["turn_fn"] = make_turn_fn(int(reply["chars"]))
        server_options["chunks"] = int(reply["chunks"])
    app = create_app(Path(opts["data_dir"]), faults=opts.get("faults"),
                     agent_options=opts.get("agent_options"),
                     render_options=opts.get("render_options"), server_options=server_options)
    if reply and float(reply.get("rate") or 0) > 0:
        app = Pacer(app, float(reply["rate"]))
    from nemo_tui.local.runner import KEEP_ALIVE_SECONDS

    config = uvicorn.Config(app, host="127.0.0.1", port=int(opts["port"]), log_level="warning",
                            lifespan="on", timeout_keep_alive=KEEP_ALIVE_SECONDS)
    server = uvicorn.Server(config)

    def stop_on_eof() -> None:
        sys.stdin.read()  # returns when the benchmark closes the pipe (or dies)
        server.should_exit = True

    threading.Thread(target=stop_on_eof, daemon=True).start()
    server.run()


if __name__ == "__main__":
    main()
