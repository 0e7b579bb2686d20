"""The upload picker: a directory tree of supported media, or a typed path / URL."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Footer, Input, Static

from nemo_tui.api.errors import SUPPORTED_FORMATS_TEXT
from nemo_tui.textsafe import safe_line
from nemo_tui.ui.commands import scope_bindings, studio_key_bindings

#: Extensions the backend accepts (PROTOCOL.md §6); mirrors client.SUPPORTED_EXTENSIONS, kept
#: here so the picker does not import the client at start-up.
EXTENSIONS = frozenset({".mp4", ".mov", ".avi", ".webm", ".mkv", ".jpg", ".jpeg", ".png",
                        ".gif", ".webp", ".mp3", ".wav", ".m4a", ".aac"})
#: Files the picker shows a still of before they are uploaded (videos and pictures).
STILL_EXTENSIONS = EXTENSIONS - {".mp3", ".wav", ".m4a", ".aac"}


class MediaTree(DirectoryTree):
    """A directory tree that lists folders and supported media files only (no hidden files)."""

    #: the file extensions listed (a subclass lists others: the batch picker's .toml)
    extensions: ClassVar[frozenset[str]] = EXTENSIONS

    def process_label(self, label: str | Text) -> Text:
        """File names are shown literally (Tree would parse a ``str`` label as markup)."""
        return Text(safe_line(label)) if isinstance(label, str) else label

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        """Keep folders and files with a supported extension."""
        out = []
        for p in paths:
            if p.name.startswith("."):
                continue
            try:
                if p.is_dir() or p.suffix.lower() in self.extensions:
                    out.append(p)
            except OSError:
                continue
        return out


class UploadScreen(ModalScreen[str | None]):
    """Returns the chosen file path or typed path/URL, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [*scope_bindings("upload", namespace=""),
                                             *studio_key_bindings()]

    def __init__(self, start_dir: Path) -> None:
        super().__init__()
        self.start_dir = start_dir

    def compose(self) -> ComposeResult:
        """Build the picker."""
        with Vertical(id="upload-box"):
            yield Static(Text("Upload — pick a file (Enter) or type a path or URL below. "
                              f"Supported: {SUPPORTED_FORMATS_TEXT}. Max 200 MB."),
                         markup=False, id="upload-title")
            with Horizontal(id="upload-body"):
                yield MediaTree(self.start_dir, id="upload-tree")
                if getattr(self.app.settings, "preview", "auto") != "off":
                    from nemo_tui.ui.widgets.still import MediaStill

                    yield MediaStill(id="upload-still")
            yield Input(placeholder="/path/to/clip.mp4 or https://…", id="upload-input")
        yield Footer()

    def on_mount(self) -> None:
        """Start in the tree."""
        self.query_one(MediaTree).focus()

    def on_tree_node_highlighted(self, event: DirectoryTree.NodeHighlighted) -> None:
        """A still of the video or picture under the cursor (nothing for folders and sounds)."""
        found = self.query("#upload-still")
        if not found:
            return
        path = getattr(event.node.data, "path", None)
        still = found.first()
        if path is not None and path.suffix.lower() in STILL_EXTENSIONS:
            still.show_still(path)
        else:
            still.clear()

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        """A file was picked in the tree."""
        event.stop()
        self.dismiss(str(event.path))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """A path or URL was typed."""
        event.stop()
        value = event.value.strip()
        if value:
            self.dismiss(value)

    def action_cancel(self) -> None:
        """Close without uploading."""
        self.dismiss(None)
