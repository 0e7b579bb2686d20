"""Async client for the NemoVideo backend protocol (imports no Textual, no Rich)."""

import sys

# httpx's package __init__ imports its optional command-line tool (httpx._main), which pulls in
# rich, pygments and click whenever they are installed (they are: textual needs rich). We never
# use that tool, so mark it missing before httpx is first imported: httpx then falls back to a
# stub `httpx.main`, the API modules stay free of rich, and start-up is ~90 ms faster.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

from nemo_tui.api.client import ClientConfig, NemoClient, TokenCache
from nemo_tui.api.errors import (
    AuthError,
    DownloadError,
    DuplicateRenderIdError,
    ExportBlockedError,
    FileTooLargeError,
    ForbiddenError,
    LocalFileTooLargeError,
    LocalInputError,
    LocalUnsupportedFileError,
    MissingClientIdError,
    NemoError,
    NetworkError,
    NoCreditsError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    SessionNotFoundError,
    StreamDroppedError,
    UnsupportedFileError,
)
from nemo_tui.api.files import (
    MAX_UPLOAD_BYTES,
    SUPPORTED_EXTENSIONS,
    ProgressFn,
    check_upload_path,
    safe_filename,
)
from nemo_tui.api.models import (
    Credits,
    Heartbeat,
    RenderStatus,
    SessionInfo,
    SessionReplaced,
    SessionState,
    StillWorking,
    StreamError,
    TextChunk,
    TextFinal,
    Token,
    ToolCall,
    ToolResult,
    TurnEnd,
    TurnEvent,
    UploadedFile,
)
from nemo_tui.api.sse import TurnParser

__all__ = [
    "MAX_UPLOAD_BYTES", "SUPPORTED_EXTENSIONS", "AuthError", "ClientConfig", "Credits",
    "DownloadError", "DuplicateRenderIdError", "ExportBlockedError", "FileTooLargeError",
    "ForbiddenError", "Heartbeat", "LocalFileTooLargeError", "LocalInputError",
    "LocalUnsupportedFileError", "MissingClientIdError", "NemoClient", "NemoError",
    "NetworkError", "NoCreditsError", "ProgressFn", "ProtocolError", "RateLimitedError",
    "RenderStatus", "ServerError", "SessionInfo", "SessionNotFoundError", "SessionReplaced",
    "SessionState", "StillWorking", "StreamDroppedError", "StreamError", "TextChunk",
    "TextFinal", "Token", "TokenCache", "ToolCall", "ToolResult", "TurnEnd", "TurnEvent",
    "TurnParser", "UnsupportedFileError", "UploadedFile", "check_upload_path", "safe_filename",
]
