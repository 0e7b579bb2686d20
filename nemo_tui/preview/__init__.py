"""Seeing video in the terminal: decoding (PyAV + Pillow), half-cell drawing, terminal probing.

Nothing here imports Textual. The decoding libraries are the optional `preview` extra and are
imported only by `nemo_tui.preview.media`, on first use; `load_media()` turns their absence into
a `PreviewUnavailable` that says how to install them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nemo_tui.preview.errors import INSTALL_HINT, PreviewError, PreviewUnavailable

if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["INSTALL_HINT", "PreviewError", "PreviewUnavailable", "load_media"]


def load_media() -> ModuleType:
    """The decoding module (`nemo_tui.preview.media`); PreviewUnavailable without the extra."""
    try:
        from nemo_tui.preview import media
    except ImportError as exc:
        raise PreviewUnavailable(f"Previews need the `preview` extra ({exc.name or exc}). "
                                 f"{INSTALL_HINT}") from None
    return media
