"""The media bin: the session's uploads and generated media, listed in the timeline pane."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from nemo_tui.media import MediaItem, describe


class MediaBin(OptionList):
    """One line per media item (name, kind, duration, size); Enter picks one."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.items: list[MediaItem] = []

    def set_items(self, items: list[MediaItem]) -> None:
        """Show ``items`` (the names are shown literally)."""
        self.items = list(items)
        highlighted = self.highlighted
        if not self.items:
            self.set_options([Option(Text(f"No media yet: upload a file with {self._upload_key()}.",
                                          style="dim"), disabled=True)])
            return
        self.set_options([Option(Text(describe(item))) for item in self.items])
        self.highlighted = 0 if highlighted is None else min(highlighted, len(self.items) - 1)

    def _upload_key(self) -> str:
        """The upload key in effect ([keymap] may move it), as people write it."""
        from nemo_tui.ui.commands import key_display

        keys = getattr(self.app, "key_table", None) or {}
        return key_display(keys.get("upload", "ctrl+l"))

    def current(self) -> MediaItem | None:
        """The highlighted item, if any."""
        i = self.highlighted
        return self.items[i] if i is not None and 0 <= i < len(self.items) else None
