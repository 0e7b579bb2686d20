"""What every `nemo-tui` command shares: the program name, the exit codes (CLI.md), the usage
error and the Output that keeps stdout for results (JSON only with --json) and stderr for words.

Its own module so that cli.py (parser and dispatch) and the cli_<name>.py commands import it
without importing each other. No Textual, no Rich.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from nemo_tui.api.errors import NemoError
from nemo_tui.textsafe import safe_line, safe_text

PROG = "nemo-tui"
EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def reader_gone() -> int:
    """stdout's reader went away (``nemo-tui jobs | head``): stop without a word, as `cat` or
    `grep` do, killed by SIGPIPE (the shell says 141); exit 1 would claim the backend said no.
    Returns EXIT_OK where there is no SIGPIPE (Windows)."""
    import contextlib
    import os
    import signal

    with contextlib.suppress(OSError):  # nothing left to flush at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # Python ignores it by default
        os.kill(os.getpid(), signal.SIGPIPE)
    return EXIT_OK


class UsageError(NemoError):
    """Bad command-line input noticed by nemo-tui itself (exit 2)."""

    exit_code = EXIT_USAGE


class Output:
    """Writes results to stdout and messages to stderr; knows the secrets to redact."""

    def __init__(self, json_mode: bool) -> None:
        """`json_mode`: stdout carries JSON only."""
        self.json_mode = json_mode
        self.secrets: list[str] = []
        #: What to do after Ctrl-C, said after "Interrupted." (e.g. how to resume a render).
        self.interrupt_hint = ""

    def redact(self, text: str) -> str:
        """Hide any known secret that slipped into a message."""
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "***")
        return text

    def out(self, text: str = "", end: str = "\n") -> None:
        """Human text on stdout (already made safe by the caller)."""
        sys.stdout.write(self.redact(text) + end)
        sys.stdout.flush()

    def json(self, obj: Any) -> None:
        """One JSON document on one line; ASCII-only, so no raw control byte reaches a tty."""
        sys.stdout.write(self.redact(json.dumps(obj, ensure_ascii=True)) + "\n")
        sys.stdout.flush()

    def err(self, text: str) -> None:
        """A `nemo-tui: …` message on stderr."""
        sys.stderr.write(f"{PROG}: {self.redact(safe_text(text))}\n")
        sys.stderr.flush()

    def note(self, text: str) -> None:
        """A human progress/activity line on stderr (not in JSON mode)."""
        if not self.json_mode:
            sys.stderr.write(self.redact(safe_line(text)) + "\n")
            sys.stderr.flush()
