"""Settings of `NemoClient` and the token-cache protocol it uses (no I/O, no Textual)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from nemo_tui.api.models import Token


@dataclass(kw_only=True)
class ClientConfig:
    """Everything the client needs to talk to one backend (keyword arguments only)."""

    api_url: str
    """API base URL, without a trailing slash."""
    web_url: str = "https://nemovideo.com"
    """Web app base, for register and claim links."""
    client_id: str
    """The X-Client-Id (a UUID)."""
    env_token: str | None = field(default=None, repr=False)
    """NEMO_TOKEN: used as-is and never renewed."""
    skill_version: str = "1.0.0"
    """X-Skill-Version."""
    platform: str = "unknown"
    """X-Skill-Platform."""
    language: str = "en"
    """Language of new sessions (ISO code)."""
    token_streaming: bool = False
    """Send "streaming": true on /run_sse (token-by-token partial events)."""
    still_working_after: float = 120
    """Seconds without visible events before StillWorking (repeated at this interval)."""
    heartbeat_only_limit: float = 600
    """Seconds of heartbeats only before the turn ends as timed out."""
    turn_limit: float = 900
    """Hard limit of one /run_sse call, in seconds."""
    stream_read_timeout: float = 300
    """Seconds without any byte on the stream before it is treated as dropped."""
    request_timeout: float = 30
    """Timeout of ordinary requests, in seconds."""
    get_retries: int = 3
    """Retries of idempotent GETs on 5xx / network faults (exponential backoff + jitter)."""
    retry_base_delay: float = 0.5
    """First backoff delay, in seconds."""
    rate_limit_delay: float = 30
    """Wait before retrying a 429 that has no Retry-After header, in seconds."""
    max_rate_limit_wait: float = 120
    """A longer Retry-After is not waited out: the 429 becomes an error at once."""


class TokenCache(Protocol):
    """Where the anonymous token is kept between runs (store.TokenStore, one per API URL)."""

    def load(self) -> Token | None:
        """The cached token, or None when missing or expired."""

    def save(self, token: Token) -> None:
        """Keep `token` (file mode 0600)."""

    def clear(self) -> None:
        """Forget the cached token."""
