"""Wiring shared by the CLI and the studio: a NemoClient built from Settings and the stores.
(Starting the built-in backend is in local_launch.py: the studio's UI never imports it.)

Imports the client (and so httpx) lazily, inside the functions, to keep CLI start-up light.
No Textual, no Rich.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from nemo_tui.config import Settings, save_client_id
from nemo_tui.store import SessionStore, TokenStore

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


def build_client(settings: Settings, *, http: httpx.AsyncClient | None = None,
                 defer_write: Callable[[Callable[[], None]], None] | None = None) -> NemoClient:
    """A NemoClient that caches its token and current session per API URL.

    The current session of the API URL is reused unless `settings.new_session`; a token given
    through NEMO_TOKEN is never written to the cache. `defer_write` (the studio's ordered
    writer) takes the current-session write off the event loop; without it (the CLI) the write
    happens at once.
    """
    from nemo_tui.api.client import NemoClient

    sessions = SessionStore(settings.paths)
    session = None if settings.new_session else sessions.current(settings.api_url)

    def session_changed(info: SessionInfo) -> None:
        if defer_write is None:
            sessions.set_current(settings.api_url, info)
        else:
            defer_write(lambda: sessions.set_current(settings.api_url, info))

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
