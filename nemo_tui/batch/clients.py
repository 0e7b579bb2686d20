"""Clients for a batch run built from Settings: the current-session one and one per item.

Item clients share the main client's connection pool and token (one anonymous token per
client id: each fetching its own would hit the rate limit) and never change the current
session. No Textual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nemo_tui.batch.runner import ClientSource

if TYPE_CHECKING:
    from nemo_tui.api.client import NemoClient
    from nemo_tui.api.models import SessionInfo
    from nemo_tui.config import Settings


class SettingsClients(ClientSource):
    """Clients for `settings`; `main` may be given (the studio's own client)."""

    def __init__(self, settings: Settings, main: NemoClient | None = None) -> None:
        self.settings = settings
        self._main = main
        self._owns_main = main is None

    async def main(self) -> NemoClient:
        """The current-session client, with its token fetched."""
        from nemo_tui.services import build_client

        if self._main is None:
            self._main = build_client(self.settings)
        await self._main.ensure_token()
        return self._main

    def for_session(self, session: SessionInfo | None) -> NemoClient:
        """A client on `session` sharing the main client's pool and token."""
        from nemo_tui.api.client import NemoClient
        from nemo_tui.config import save_client_id
        from nemo_tui.services import client_config
        from nemo_tui.store import TokenStore

        assert self._main is not None, "main() first"
        settings = self.settings
        client = NemoClient(
            client_config(settings), http=self._main.http,
            token_cache=None if settings.env_token else TokenStore(settings.paths,
                                                                   settings.api_url),
            on_client_id_changed=lambda cid: save_client_id(settings.paths, cid),
            session=session)
        client.token = self._main.token
        return client

    @property
    def token_secret(self) -> str | None:
        """The token in use (for the CLI's redaction of messages)."""
        token = self._main.token if self._main is not None else None
        return token.token if token is not None else None

    async def aclose(self) -> None:
        """Close the main client if it was built here."""
        if self._owns_main and self._main is not None:
            await self._main.aclose()
