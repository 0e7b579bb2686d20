"""Starting the built-in loopback backend for the CLI and the studio's ``--local`` (the only
module outside ``nemo_tui/local`` that imports it: the UI never does, see tests/test_layering.py).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

from nemo_tui.api.errors import NemoError
from nemo_tui.config import Settings
from nemo_tui.store import ensure_private_dir


def start_local_backend(settings: Settings) -> tuple[Settings, AbstractContextManager[object]]:
    """Start the built-in backend on a free loopback port; returns re-pointed settings + handle.

    The handle is the running LocalBackend: call `.stop()` (or use it as a context manager).
    When a built-in backend already answers on the usual port (a studio open with `--local`),
    that one is used and the handle's `.stop()` leaves it running: a second backend would share
    its state (one anonymous token per client, so it would refuse this client) under another
    URL (so its renders would not show in that studio).
    """
    from nemo_tui.local.runner import LocalBackendUnavailable

    try:
        ensure_private_dir(settings.paths.local_backend_dir)
        try:
            backend, url = _serve_local(settings, settings.local_port)
        except OSError:  # the usual port is taken: our own backend (another studio), or not
            running = f"http://127.0.0.1:{settings.local_port}"
            if _is_local_backend(running):
                return settings.with_api_url(running), _Borrowed()
            backend, url = _serve_local(settings, 0)
    except LocalBackendUnavailable as exc:
        raise NemoError(str(exc)) from None
    except (OSError, RuntimeError, ValueError) as exc:
        raise NemoError(f"The built-in backend could not start ({exc}).") from None
    return settings.with_api_url(url), backend


class _Borrowed(nullcontext):
    """The handle of a backend another process serves: stopping it leaves that one running."""

    def stop(self) -> None:
        """Nothing to stop: the backend belongs to the process that started it."""


def _is_local_backend(url: str) -> bool:
    """Whether the built-in backend answers at ``url`` (its health route, loopback only)."""
    import httpx

    try:
        reply = httpx.get(f"{url}/_local/health", timeout=2.0)
        return reply.status_code == 200 and reply.json()["data"]["status"] == "up"
    except (httpx.HTTPError, ValueError, LookupError, TypeError):
        return False


def render_options(settings: Settings) -> dict[str, Any]:
    """The built-in backend's render queue: `local_render_workers` at once (0: one per core)."""
    workers = settings.local_render_workers
    return {"max_concurrent": workers} if workers else {}


def _serve_local(settings: Settings, port: int) -> tuple[Any, str]:
    """Start the studio's loopback backend on `port`; returns (handle, base URL)."""
    from nemo_tui.local.runner import LocalBackend, studio_server_options

    backend = LocalBackend(settings.paths.local_backend_dir, host="127.0.0.1", port=port,
                           server_options=studio_server_options(),
                           render_options=render_options(settings))
    return backend, backend.start()
