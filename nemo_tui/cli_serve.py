"""`nemo-tui serve-local`: the built-in backend in the foreground, on loopback only.

Split from cli.py (parser and dispatch only). No Textual, no Rich.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from nemo_tui.api.errors import NemoError
from nemo_tui.cli_output import EXIT_OK, UsageError
from nemo_tui.config import load_settings

if TYPE_CHECKING:
    from nemo_tui.cli_output import Output

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def run_serve_local(args: argparse.Namespace, output: Output) -> int:
    """Run the built-in backend in the foreground until Ctrl-C."""
    if args.host not in LOOPBACK_HOSTS and not args.host.startswith("127."):
        raise UsageError(f"Refusing to serve on {args.host}: the local backend has no real "
                         "authentication, so it only listens on loopback (e.g. 127.0.0.1).")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"The port {args.port} is out of range (0-65535).")
    from nemo_tui.config import AppPaths
    from nemo_tui.local.runner import LocalBackendUnavailable, serve_forever, studio_server_options
    from nemo_tui.local_launch import render_options
    from nemo_tui.store import ensure_private_dir

    try:
        server_options = studio_server_options(args.draft_format)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    data_dir = ensure_private_dir(AppPaths.default().local_backend_dir)
    check_port_free(args.host, args.port)

    def ready(url: str) -> None:
        if output.json_mode:  # a script learns the URL from stdout, as JSON only
            output.json({"url": url})
        else:
            output.note(f"Local backend on {url} (Ctrl-C to stop). Use it with "
                        f"NEMO_API_URL={url}")

    try:
        serve_forever(host=args.host, port=args.port, data_dir=data_dir, on_ready=ready,
                      server_options=server_options,
                      render_options=render_options(load_settings({})))
    except LocalBackendUnavailable as exc:
        raise NemoError(str(exc)) from None
    except SystemExit as exc:  # uvicorn exits this way when it cannot bind the port
        if not exc.code:
            return EXIT_OK
        raise NemoError(f"Could not listen on {args.host}:{args.port}; is the port already "
                        "in use? Try another one with --port.") from None
    return EXIT_OK


def check_port_free(host: str, port: int) -> None:
    """Fail early with one sentence when the port is taken (uvicorn would print a traceback)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise NemoError(f"Could not listen on {host}:{port}; is the port already in use? "
                            "Try another one with --port.") from None
