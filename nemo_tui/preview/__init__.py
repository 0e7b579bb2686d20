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
    import importlib

    try:
        # import_module, not `from . import media`: it asks sys.modules, so a library removed
        # since (or blocked, as the tests do) is noticed
        media = importlib.import_module("nemo_tui.preview.media")
    except ImportError as exc:
        raise PreviewUnavailable(f"Previews need the `preview` extra ({exc.name or exc}). "
                                 f"{INSTALL_HINT}") from None
    return media
