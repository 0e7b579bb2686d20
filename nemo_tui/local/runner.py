"""Run the local backend: in a background thread (tests, ``--local``) or in the foreground.

Background::

    with LocalBackend(data_dir, server_options={"heartbeat_interval": 0.2}) as be:
        be.url                     # "http://127.0.0.1:<free port>"
        be.add_faults([{"endpoint": "credits", "http": 503}])
        be.requests()              # request log (no Authorization values)

Foreground, for ``nemo-tui serve-local``::

    serve_forever(host="127.0.0.1", port=8765, data_dir=None, on_ready=print)

blocks until Ctrl-C / SIGTERM: after a clean shutdown uvicorn re-raises the signal, so Ctrl-C
surfaces as KeyboardInterrupt (``on_ready(url)`` is called once it accepts connections;
port 0 picks a free port; a port that cannot be bound raises ``SystemExit(1)``).
``data_dir=None`` means ``<user data dir>/local-backend``. Only loopback hosts are accepted
(``ValueError`` otherwise). starlette/uvicorn are the optional extra ``local``; without
them both raise ``LocalBackendUnavailable`` saying ``pip install 'nemo-tui[local]'``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

# What `serve-local` and `--local` give a newcomer: the real service's 100 free credits pay for
# one generation only, which makes trying the studio's edits impossible; ten generations' worth
# lets a newcomer generate, edit and export freely. Tests set their own figures.
STUDIO_SERVER_OPTIONS: dict[str, Any] = {"free_credits": 1000}
#: Environment variable choosing how `serve-local` and `--local` serve drafts (see studio_server_options).
DRAFT_FORMAT_ENV = "NEMO_LOCAL_DRAFT_FORMAT"
#: Seconds an idle connection is kept open. Longer than the client's keep-alive expiry
#: (nemo_tui.api.client.KEEPALIVE_EXPIRY), so the client always closes an idle connection first
#: and never sends a poll on one the server is closing; uvicorn's default (5 s) was shorter than
#: the pause between slowed-down polls, so each such poll opened a new connection.
KEEP_ALIVE_SECONDS = 75


def studio_server_options(draft_format: str | None = None) -> dict[str, Any]:
    """STUDIO_SERVER_OPTIONS plus the draft format: ``draft_format``, else $NEMO_LOCAL_DRAFT_FORMAT
    ("short-json" | "v3" | "v3-object"; ValueError naming the choices for anything else)."""
    from nemo_tui.local.v3 import FORMATS

    options = dict(STUDIO_SERVER_OPTIONS)
    chosen = draft_format or os.environ.get(DRAFT_FORMAT_ENV, "").strip()
    if chosen:
        if chosen not in FORMATS:
            raise ValueError(f"{DRAFT_FORMAT_ENV} must be one of {', '.join(FORMATS)}, "
                             f"not {chosen!r}.")
        options["draft_format"] = chosen
    return options


class LocalBackendUnavailable(RuntimeError):
    """The optional dependencies of the local backend are not installed."""


def _require_deps() -> Any:
    try:
        import python_multipart  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn
    except ImportError as exc:
        raise LocalBackendUnavailable(
            "The built-in local backend needs extra packages: "
            "install nemo-tui[local] (pip install 'nemo-tui[local]')."
        ) from exc
    return uvicorn


class _QuietDrops(logging.Filter):
    """Hide uvicorn's complaint about responses we cut on purpose (drop / cut faults)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Drop only that one message."""
        return "without completing response" not in record.getMessage()


def _config(uvicorn: Any, app: Any, log_level: str) -> Any:
    logging.getLogger("uvicorn.error").addFilter(_QuietDrops())
    # log_config=None: never reconfigure the host program's logging.
    return uvicorn.Config(app, log_config=None, log_level=log_level, access_log=False,
                          lifespan="on", timeout_graceful_shutdown=1, ws="none",
                          timeout_keep_alive=KEEP_ALIVE_SECONDS)


def _fast_stop_server(uvicorn: Any, config: Any) -> Any:
    """A uvicorn Server whose stop is immediate (the stock one polls every 0.1 s)."""

    class FastStopServer(uvicorn.Server):
        """uvicorn.Server that waits on an event instead of polling ``should_exit``."""

        loop: asyncio.AbstractEventLoop | None = None
        stop_event: asyncio.Event | None = None

        async def main_loop(self) -> None:
            """Run until ``request_stop``."""
            self.stop_event = asyncio.Event()
            self.loop = asyncio.get_running_loop()
            if not self.should_exit:
                await self.stop_event.wait()

        def request_stop(self) -> None:
            """Ask the server to stop now (callable from any thread)."""
            self.should_exit = True
            loop, event = self.loop, self.stop_event
            if loop is not None and event is not None and not loop.is_closed():
                loop.call_soon_threadsafe(event.set)

        def install_signal_handlers(self) -> None:
            """Nothing: a background thread cannot own signal handlers."""
            return

    return FastStopServer(config)


def _check_host(host: str) -> None:
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the local backend only listens on loopback, not {host!r}")


def _bind(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket on host:port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto says TCP; without it every response waits ~40 ms on Nagle + delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class LocalBackend:
    """The local backend served by uvicorn in a background thread, on a free loopback port."""

    def __init__(self, data_dir: Path, *, host: str = "127.0.0.1", port: int = 0,
                 faults: list[dict] | None = None, agent_options: dict | None = None,
                 render_options: dict | None = None,
                 server_options: dict | None = None) -> None:
        _check_host(host)
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port
        self.url = ""
        self._kw = {"faults": faults, "agent_options": agent_options,
                    "render_options": render_options, "server_options": server_options}
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.backend: Any = None

    def start(self, timeout: float = 15.0) -> str:
        """Start serving; returns the base URL once connections are accepted."""
        uvicorn = _require_deps()
        from nemo_tui.local.server import create_app

        app = create_app(self.data_dir, **self._kw)
        self.backend = app.state.backend
        sock = _bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        self.url = _url(self.host, self.port)
        self._server = _fast_stop_server(uvicorn, _config(uvicorn, app, "warning"))
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve(sockets=[sock])),
            name=f"nemo-local-backend:{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the local backend failed to start")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the local backend did not start in time")
            time.sleep(0.005)
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        """Shut down cleanly (running renders are marked interrupted)."""
        if self._server is not None:
            self._server.request_stop()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None
        self._server = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def add_faults(self, rules: list[dict]) -> None:
        """Arm fault rules (same format as ``POST /_local/faults``)."""
        self.backend.faults.add(rules)

    def clear_faults(self) -> None:
        """Disarm every fault rule."""
        self.backend.faults.clear()

    def requests(self) -> list[dict]:
        """A copy of the request log (method, path, header names, X-* values, small JSON)."""
        for _ in range(100):
            try:
                return [dict(e) for e in list(self.backend.log)]
            except RuntimeError:  # appended to while copying (server thread)
                continue
        return []


def serve_forever(host: str = "127.0.0.1", port: int = 8765, data_dir: Path | None = None, *,
                  faults: list[dict] | None = None, agent_options: dict | None = None,
                  render_options: dict | None = None, server_options: dict | None = None,
                  on_ready: Callable[[str], None] | None = None,
                  log_level: str = "warning") -> None:
    """Serve in the foreground until interrupted (``nemo-tui serve-local``)."""
    _check_host(host)
    uvicorn = _require_deps()
    from nemo_tui.local.server import create_app

    if data_dir is None:
        from platformdirs import user_data_dir

        data_dir = Path(user_data_dir("nemo-tui")) / "local-backend"
    app = create_app(Path(data_dir), faults=faults, agent_options=agent_options,
                     render_options=render_options, server_options=server_options)
    try:
        sock = _bind(host, port)
    except OSError:
        raise SystemExit(1) from None  # as uvicorn does when it cannot bind
    server = uvicorn.Server(_config(uvicorn, app, log_level))
    url = _url(host, sock.getsockname()[1])

    async def main() -> None:
        serving = asyncio.ensure_future(server.serve(sockets=[sock]))
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        if server.started and on_ready is not None:
            on_ready(url)
        await serving

    asyncio.run(main())
