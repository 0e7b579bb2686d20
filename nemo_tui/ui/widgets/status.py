"""The status bar: connection, API host, session, credits, token expiry and what runs now."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from rich.text import Text
from textual.widgets import Static

from nemo_tui.textsafe import safe_line


@dataclass(frozen=True)
class StatusInfo:
    """Everything the status bar shows; replaced as a whole (attributes down)."""

    connection: str = "Connecting…"
    api_url: str = ""
    session: str | None = None
    credits: Any = None  # api.models.Credits
    token_expiry: str | None = None
    activities: dict[str, str] = field(default_factory=dict)
    turn_elapsed: str | None = None  # "1:42" while a chat turn runs


def host_of(url: str) -> str:
    """The host[:port] of an API URL."""
    parts = urlsplit(url)
    return parts.netloc or url


class StatusBar(Static):
    """One line of status; rebuilt only when something in it changes."""

    def __init__(self, **kw) -> None:
        super().__init__(Text(""), markup=False, **kw)
        self.info = StatusInfo()

    def set_info(self, **changes: Any) -> None:
        """Change some fields and repaint."""
        new = replace(self.info, **changes)
        if new != self.info:
            self.info = new
            self.update(self.render_info(new))

    def set_activity(self, key: str, text: str | None) -> None:
        """Set or clear one running activity (several can run: a turn, uploads, jobs)."""
        acts = dict(self.info.activities)
        if text is None:
            acts.pop(key, None)
        else:
            acts[key] = text
        self.set_info(activities=acts)

    @staticmethod
    def render_info(info: StatusInfo) -> Text:
        """Build the status line as literal Text."""
        t = Text(no_wrap=True, overflow="ellipsis")
        ready = info.connection == "ready"
        t.append("● " if ready else "○ ", style="bold green" if ready else "bold yellow")
        t.append(safe_line(info.connection, max_len=40))
        t.append(f"  {safe_line(host_of(info.api_url), max_len=40)}", style="dim")
        if info.session:
            t.append(f"  session {safe_line(info.session, max_len=24)}")
        c = info.credits
        if c is not None:
            t.append(f"  credits {c.available}/{c.frozen}/{c.total}")
        if info.token_expiry:
            t.append(f"  token till {safe_line(info.token_expiry, max_len=16)}", style="dim")
        if info.activities:
            t.append("  ⟳ " + " · ".join(safe_line(a, max_len=40)
                                         for a in info.activities.values()), style="bold")
            if info.turn_elapsed:
                t.append(f" {info.turn_elapsed}", style="bold")
        else:
            t.append("  idle", style="dim")
        return t
