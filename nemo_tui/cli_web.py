"""`nemo-tui web`: the studio in a browser tab, served by textual-serve on loopback.

Each browser tab runs its own studio process (``python -m nemo_tui``) against the same API URL.
textual-serve has no authentication: whoever reaches the port drives the studio with this
user's token and credits, so only loopback is served unless ``--host`` says otherwise.
"""

from __future__ import annotations

import io
import ipaddress
import shlex
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nemo_tui.cli_output import Output
    from nemo_tui.config import Settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
NO_AUTH_WARNING = ("WARNING: {host} is not a loopback address and the web studio has no "
                   "authentication: anyone who can reach {host}:{port} can use your studio, your "
                   "token and your credits.")


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` is localhost or a loopback IP address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def studio_command(settings: Settings) -> str:
    """The shell command each browser tab runs: this Python, the studio, the same API URL."""
    args = [sys.executable, "-m", "nemo_tui", "--api-url", settings.api_url]
    return " ".join(shlex.quote(a) for a in args)


def url_of(host: str, port: int) -> str:
    """The URL to open (IPv6 hosts in brackets)."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}"


def _server_class() -> type:
    """textual-serve's Server, closing open tabs when it stops (it would otherwise wait for
    every browser to hang up, up to aiohttp's 60 s shutdown timeout), and saying its URL once
    it accepts connections (aiohttp binds after its start-up hooks)."""
    import asyncio
    import contextlib
    import signal

    from textual_serve.server import Server

    class StudioServer(Server):
        """A Server whose Ctrl-C ends each tab's studio process and returns promptly."""

        def __init__(self, *args: object, on_listening: Callable[[], None] = lambda: None,
                     **kw: object) -> None:
            super().__init__(*args, **kw)  # type: ignore[arg-type]
            self.tabs: set[asyncio.Task[object]] = set()
            self.on_listening = on_listening
            self._announce: asyncio.Task[None] | None = None
            self.interrupted = False  # stopped by Ctrl-C (exit 130), not by SIGTERM

        async def on_startup(self, app: object) -> None:
            """Call ``on_listening`` as soon as the port answers (textual-serve's banner is not
            shown: the URL is said instead); tell Ctrl-C from SIGTERM (textual-serve stops
            alike on both)."""
            loop = asyncio.get_running_loop()
            with contextlib.suppress(NotImplementedError):  # no loop signal handlers (Windows)
                loop.add_signal_handler(signal.SIGINT, self._interrupt)
            self._announce = loop.create_task(self._when_listening())

        def _interrupt(self) -> None:
            self.interrupted = True
            self.request_exit()

        async def _when_listening(self) -> None:
            while True:
                try:
                    _, writer = await asyncio.open_connection(self.host, self.port)
                except OSError:
                    await asyncio.sleep(0.02)
                    continue
                writer.close()
                self.on_listening()
                return

        async def handle_websocket(self, request):  # type: ignore[no-untyped-def]
            """Remember the tab's task so that shutting down can end it."""
            task = asyncio.current_task()
            if task is not None:
                self.tabs.add(task)
            try:
                return await super().handle_websocket(request)
            finally:
                self.tabs.discard(task)  # type: ignore[arg-type]

        async def on_shutdown(self, app: object) -> None:
            """Cancel every tab: textual-serve then tells its studio to quit and waits."""
            for task in list(self.tabs):
                task.cancel()

    return StudioServer


def run_web(settings: Settings, output: Output, *, host: str | None, port: int) -> int:
    """Serve the studio until Ctrl-C (or SIGTERM); returns the exit code."""
    from nemo_tui.cli_output import UsageError
    from nemo_tui.cli_serve import check_port_free

    host = host or DEFAULT_HOST
    if not 0 < port <= 65535:
        raise UsageError(f"The port {port} is out of range (1-65535).")
    try:
        server_class = _server_class()
    except ImportError:
        raise UsageError("The web studio needs the `web` extra: pip install 'nemo-tui[web]'.") \
            from None
    if not is_loopback_host(host):
        output.err(NO_AUTH_WARNING.format(host=host, port=port))
    check_port_free(host.strip("[]"), port)
    url = url_of(host, port)
    def listening() -> None:
        if output.json_mode:  # stdout carries JSON only
            output.json({"url": url})
        else:
            output.out(f"The studio is at {url} (Ctrl-C to stop).")

    server = server_class(studio_command(settings), host=host.strip("[]"), port=port,
                          title="nemo-tui", public_url=url, on_listening=listening)
    server.console.file = io.StringIO()  # its logging console: we print the URL ourselves
    server.serve()
    if server.interrupted:  # CLI.md: 130 interrupted (main says "Interrupted.")
        raise KeyboardInterrupt
    return 0
