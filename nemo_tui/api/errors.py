"""Typed errors for every failure the backend protocol can produce.

Each exception's ``str()`` is a user-facing sentence that says what to do next.
No exception ever carries the token in its text or repr.
"""

from __future__ import annotations

SUPPORTED_FORMATS_TEXT = (
    "video mp4, mov, avi, webm, mkv; image jpg, png, gif, webp; audio mp3, wav, m4a, aac"
)


class NemoError(Exception):
    """Base of every error the client raises; ``str(err)`` is a message for the user."""

    #: Process exit code the CLI uses for this error (CLI.md: 1 backend/network, 2 local input).
    exit_code: int = 1

    def __init__(self, message: str, *, code: int | None = None, http_status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r})"


class AuthError(NemoError):
    """1001 / HTTP 401: the token is invalid or expired and could not be renewed."""


class SessionNotFoundError(NemoError):
    """1002 / HTTP 404 on /run_sse: the session does not exist (any more)."""


class NoCreditsError(NemoError):
    """2001: the account has no credits left; ``register_url`` is set for anonymous users."""

    def __init__(self, message: str, *, register_url: str | None = None, **kw):
        super().__init__(message, **kw)
        self.register_url = register_url


class UnsupportedFileError(NemoError):
    """4001 (or the local pre-check): the file format is not supported."""


class FileTooLargeError(NemoError):
    """4002 (or the local pre-check): the file is larger than 200 MB."""


class MissingClientIdError(NemoError):
    """HTTP 400: the server did not accept the X-Client-Id even after a fresh one."""


class ExportBlockedError(NemoError):
    """HTTP 402: the free plan cannot export (not a credits problem)."""


class ForbiddenError(NemoError):
    """HTTP 403: the token lacks the scope needed for this action."""

    def __init__(self, message: str, *, scope: str | None = None, **kw):
        super().__init__(message, **kw)
        self.scope = scope


class RateLimitedError(NemoError):
    """HTTP 429 that persisted after the one retry."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(NemoError):
    """HTTP 5xx from the backend (after retries for idempotent requests)."""


class ProtocolError(NemoError):
    """The server answered something that is not the protocol (HTML, bad JSON, wrong shape)."""


class NetworkError(NemoError):
    """The server could not be reached, or the connection failed or timed out."""


class StreamDroppedError(NetworkError):
    """The chat stream broke after it started; the message is never re-sent automatically."""


class DuplicateRenderIdError(NemoError):
    """The render id was already used (the client retries once with a new id)."""


class LocalInputError(NemoError):
    """Bad local input: a missing file, a file that cannot be read, an invalid path."""

    exit_code = 2


class LocalUnsupportedFileError(LocalInputError, UnsupportedFileError):
    """The pre-check refused a file by its format before any request was made."""


class LocalFileTooLargeError(LocalInputError, FileTooLargeError):
    """The pre-check refused a file over 200 MB before any request was made."""


class DownloadError(NemoError):
    """Downloading a finished render failed (disk full, cut off, target exists…)."""
