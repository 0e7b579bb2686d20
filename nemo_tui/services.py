"""Wiring shared by the CLI and the studio: a NemoClient built from Settings and the stores.

Imports the client (and so httpx) lazily, inside the functions, to keep CLI start-up light.
No Textual, no Rich.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from nemo_tui.api.errors import NemoError
from nemo_tui.config import Settings, save_client_id
from nemo_tui.store import SessionStore, TokenStore, ensure_private_dir

if TYPE_CHECKING:
    import httpx

    from nemo_tui.api.client import ClientConfig, NemoClient
    from nemo_tui.api.models import SessionInfo


def client_config(settings: Settings) -> ClientConfig:
    """The client's configuration for these settings."""
    from nemo_tui.api.client import ClientConfig

    return ClientConfig(
        api_url=settings.api_url,
        web_url=settings.web_url,
        client_id=settings.client_id,
        env_token=settings.env_token,
        skill_version=settings.skill_version,
        language=settings.language,
        token_streaming=settings.token_streaming,
    )


def build_client(settings: Settings, *, http: httpx.AsyncClient | None = None) -> NemoClient:
    """A NemoClient that caches its token and current session per API URL.

    The current session of the API URL is reused unless `settings.new_session`; a token given
    through NEMO_TOKEN is never written to the cache.
    """
    from nemo_tui.api.client import NemoClient

    sessions = SessionStore(settings.paths)
    session = None if settings.new_session else sessions.current(settings.api_url)

    def session_changed(info: SessionInfo) -> None:
        sessions.set_current(settings.api_url, info)

    def client_id_changed(client_id: str) -> None:
        save_client_id(settings.paths, client_id)

    return NemoClient(
        client_config(settings),
        http=http,
        token_cache=None if settings.env_token else TokenStore(settings.paths, settings.api_url),
        on_client_id_changed=client_id_changed,
        on_session_changed=session_changed,
        session=session,
    )


def start_local_backend(settings: Settings) -> tuple[Settings, AbstractContextManager[object]]:
    """Start the built-in backend on a free loopback port; returns re-pointed settings + handle.

    The handle is the running LocalBackend: call `.stop()` (or use it as a context manager).
    """
    from nemo_tui.local.runner import LocalBackendUnavailable

    try:
        ensure_private_dir(settings.paths.local_backend_dir)
        try:
            backend, url = _serve_local(settings, settings.local_port)
        except OSError:  # the usual port is taken (another studio, serve-local): any free one
            backend, url = _serve_local(settings, 0)
    except LocalBackendUnavailable as exc:
        raise NemoError(str(exc)) from None
    except (OSError, RuntimeError, ValueError) as exc:
        raise NemoError(f"The built-in backend could not start ({exc}).") from None
    return settings.with_api_url(url), backend


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
