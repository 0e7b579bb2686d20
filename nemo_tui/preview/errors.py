"""Errors of the preview package (no heavy imports: the CLI and the UI import these first)."""

from __future__ import annotations

from nemo_tui.api.errors import NemoError

INSTALL_HINT = "Install it with: pip install 'nemo-tui[preview]'"


class PreviewError(NemoError):
    """A file that cannot be previewed (missing, not media, truncated, too large, time past
    the end); the message is one sentence that names the file. Bad local input: exit 2."""

    exit_code = 2


class PreviewUnavailable(PreviewError):
    """The `preview` extra (av, Pillow) is not installed."""
