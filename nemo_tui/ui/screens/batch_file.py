"""The "Run batch file…" picker: a directory tree of .toml files, or a typed path."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Input, Static

from nemo_tui.ui.screens.upload import MediaTree, UploadScreen


class TomlTree(MediaTree):
    """Folders and .toml files only (no hidden files)."""

    extensions: ClassVar[frozenset[str]] = frozenset({".toml"})


class BatchFileScreen(UploadScreen):
    """Returns the chosen batch file's path, or None when cancelled."""

    def compose(self) -> ComposeResult:
        """Build the picker (the upload picker's layout, limited to .toml)."""
        with Vertical(id="upload-box"):
            yield Static(Text("Run a batch file — pick a .toml (Enter) or type its path below. "
                              "Its items run in their own sessions; the renders show in Jobs."),
                         markup=False, id="upload-title")
            yield TomlTree(self.start_dir, id="upload-tree")
            yield Input(placeholder="/path/to/videos.toml", id="upload-input")
        yield Footer()

    def on_mount(self) -> None:
        """Start in the tree."""
        self.query_one(TomlTree).focus()
