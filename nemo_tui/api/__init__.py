"""Async client for the NemoVideo backend protocol (imports no Textual, no Rich)."""

import importlib
import sys
from typing import Any

# httpx's package __init__ imports its optional command-line tool (httpx._main), which pulls in
# rich, pygments and click whenever they are installed (they are: textual needs rich). We never
# use that tool, so mark it missing before httpx is first imported: httpx then falls back to a
# stub `httpx.main`, the API modules stay free of rich, and start-up is ~90 ms faster.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

# Public name -> submodule that defines it. Imported on first use (module __getattr__), so
# `import nemo_tui.api.errors` (the CLI's and the studio's start-up path) pulls in neither httpx
# nor the client: ~100 ms of a cold start.
_LAZY: dict[str, str] = {
    "AuthError": "errors",
    "ClientConfig": "client",
    "Credits": "models",
    "DownloadError": "errors",
    "DuplicateRenderIdError": "errors",
    "ExportBlockedError": "errors",
    "FileTooLargeError": "errors",
    "ForbiddenError": "errors",
    "Heartbeat": "models",
    "LocalFileTooLargeError": "errors",
    "LocalInputError": "errors",
    "LocalUnsupportedFileError": "errors",
    "MAX_UPLOAD_BYTES": "files",
    "MissingClientIdError": "errors",
    "NemoClient": "client",
    "NemoError": "errors",
    "NetworkError": "errors",
    "NoCreditsError": "errors",
    "ProgressFn": "files",
    "ProtocolError": "errors",
    "RateLimitedError": "errors",
    "RenderStatus": "models",
    "SUPPORTED_EXTENSIONS": "files",
    "ServerError": "errors",
    "SessionInfo": "models",
    "SessionNotFoundError": "errors",
    "SessionReplaced": "models",
    "SessionState": "models",
    "StillWorking": "models",
    "StreamDroppedError": "errors",
    "StreamError": "models",
    "TextChunk": "models",
    "TextFinal": "models",
    "Token": "models",
    "TokenCache": "client",
    "ToolCall": "models",
    "ToolResult": "models",
    "TurnEnd": "models",
    "TurnEvent": "models",
    "TurnParser": "sse",
    "UnsupportedFileError": "errors",
    "UploadedFile": "models",
    "check_upload_path": "files",
    "safe_filename": "files",
}

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


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    """The public names, loaded or not."""
    return sorted(set(globals()) | set(_LAZY))
