"""Opt-in debug log (env ``NEMO_DEBUG_LOG=<file>``), redacted: no token ever reaches the file.

Off unless the variable is set. The file is created 0600 (its folder 0700 when we create it).
Every record passes `Redactor`, which hides the NEMO_TOKEN value, any ``Bearer …`` credential,
anything shaped like a NemoVideo token (``nmv_…``) and every secret registered with
`add_secret` — in the message, its arguments and any exception text. No Textual, no Rich.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path

ENV_VAR = "NEMO_DEBUG_LOG"
MASK = "***"
_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[^\s'\",;]+"),
    re.compile(r"nmv_[A-Za-z0-9_\-.~+/=]{4,}"),
    re.compile(r"(?i)((?:token|authorization)[\"']?\s*[:=]\s*[\"']?)[^\s'\",;}]{8,}"),
)
_LOGGERS = ("nemo_tui", "httpx", "httpcore")
_lock = threading.Lock()
_secrets: set[str] = set()
_handler: logging.Handler | None = None


def add_secret(secret: str | None) -> None:
    """Never write `secret` to the debug log (tokens learnt at run time)."""
    if secret and len(secret) >= 4:
        with _lock:
            _secrets.add(secret)


def redact(text: str) -> str:
    """`text` with every known secret and token-shaped string replaced by ``***``."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, MASK)
    text = _PATTERNS[0].sub(lambda m: m.group(1) + MASK, text)
    text = _PATTERNS[1].sub(MASK, text)
    return _PATTERNS[2].sub(lambda m: m.group(1) + MASK, text)


class Redactor(logging.Filter):
    """Rewrites each record into its redacted, fully formatted text."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Format the message now (so arguments are redacted too) and hide secrets."""
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = redact(message), None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.exc_info = None  # the redacted exc_text is what gets written
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def enable_from_env(env: Mapping[str, str] | None = None) -> Path | None:
    """Start the debug log if ``NEMO_DEBUG_LOG`` names a file; returns its path (or None)."""
    global _handler
    env = os.environ if env is None else env
    add_secret(env.get("NEMO_TOKEN"))
    target = env.get(ENV_VAR, "").strip()
    if not target or _handler is not None:
        return None
    path = Path(target).expanduser()
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)  # an existing file keeps no wider mode
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.addFilter(Redactor())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.DEBUG)
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    _handler = handler
    return path
