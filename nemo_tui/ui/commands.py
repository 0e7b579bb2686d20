"""One table of studio actions: the key bindings, the palette entries and the help screen."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider


@dataclass(frozen=True)
class StudioAction:
    """A user action: its ``action_*`` name, key, title and where it applies."""

    action: str  # the App method is ``action_<action>``
    key: str
    title: str
    help: str
    scope: str = "app"  # "app": anywhere; "jobs": on the selected job (keys on the jobs table)
    footer: bool = True
    palette: bool = True


# Keys avoid what the chat Input already uses (ctrl+a/e/d/w/u/k/x/c/v) so they work while typing.
ACTIONS: tuple[StudioAction, ...] = (
    StudioAction("help", "f1", "Help", "List every key"),
    StudioAction("new_session", "ctrl+n", "New session", "Start a new session (project)"),
    StudioAction("open_session", "ctrl+o", "Open session",
                 "Reopen a recent session with its transcript, draft and jobs"),
    StudioAction("export", "ctrl+s", "Export", "Render the draft to an MP4 and download it"),
    StudioAction("credits", "ctrl+b", "Credits", "Fetch the credit balance"),
    StudioAction("refresh_state", "ctrl+r", "Refresh state", "Fetch the session state and timeline"),
    StudioAction("upload", "ctrl+f", "Upload", "Upload a file (picker) or a typed path or URL"),
    StudioAction("open_web", "ctrl+g", "Open in web editor",
                 "Open this project in the NemoVideo web editor (copies the link)"),
    StudioAction("retry_turn", "ctrl+y", "Retry message",
                 "Send the last message again after a dropped stream", footer=False),
    StudioAction("cancel_turn", "escape", "Cancel turn", "Stop the running chat turn",
                 footer=False),
    StudioAction("switch_theme", "ctrl+t", "Switch theme", "Pick a colour theme (remembered)",
                 footer=False),
    StudioAction("focus_chat", "f2", "Focus chat", "Move focus to the chat input", footer=False),
    StudioAction("focus_timeline", "f3", "Focus timeline", "Move focus to the timeline",
                 footer=False),
    StudioAction("focus_jobs", "f4", "Focus jobs", "Move focus to the jobs table", footer=False),
    StudioAction("job_download", "d", "Download job again",
                 "Download the selected job's video again", scope="jobs"),
    StudioAction("job_copy", "c", "Copy job path/URL",
                 "Copy the selected job's file path or URL (OSC 52)", scope="jobs"),
    StudioAction("job_cancel", "x", "Cancel job", "Cancel the selected render", scope="jobs"),
    StudioAction("job_forget", "delete", "Forget job",
                 "Remove the selected job from the list", scope="jobs"),
    StudioAction("quit", "ctrl+q", "Quit", "Quit the studio (running renders resume next time)"),
)

#: Keys that exist without being in ACTIONS (listed on the help screen).
EXTRA_KEYS: tuple[tuple[str, str, str], ...] = (
    ("ctrl+p", "Command palette (every action above, searchable)", "anywhere"),
    ("tab / shift+tab", "Move focus between panes", "anywhere"),
    ("up / down", "Previous / next message sent", "chat input"),
    ("enter", "Send the message", "chat input"),
    ("enter / space", "Expand or collapse a track (segments load on demand)", "timeline"),
    ("escape", "Close a dialog (help, sessions, upload, palette)", "dialogs"),
)


def app_bindings() -> list[Binding]:
    """Bindings for the App (scope "app"), all priority so they win over the chat input."""
    out: list[Binding] = []
    for a in ACTIONS:
        if a.scope != "app" or a.action == "quit":
            continue
        # Escape must reach modal screens and the palette first, so it is not a priority key.
        priority = a.key != "escape"
        out.append(Binding(a.key, a.action, a.title, show=a.footer, priority=priority,
                           id=a.action))
    out.append(Binding("ctrl+q", "quit", "Quit", show=True, priority=True, id="quit"))
    return out


def jobs_bindings() -> list[Binding]:
    """Bindings for the jobs table (scope "jobs"); they call the App's job actions."""
    return [Binding(a.key, f"app.{a.action}", a.title, show=True, id=a.action)
            for a in ACTIONS if a.scope == "jobs"]


def key_display(key: str) -> str:
    """A key as people write it: ``ctrl+s`` → ``Ctrl+S``."""
    parts = key.split("+")
    return "+".join(p.capitalize() if len(p) > 1 else p.upper() for p in parts)


class StudioCommands(Provider):
    """Command palette provider offering every studio action from :data:`ACTIONS`."""

    def _entries(self) -> list[tuple[str, str, str]]:
        """(title, help, action) for each palette entry."""
        return [(a.title, f"{a.help}  [{key_display(a.key)}]", a.action)
                for a in ACTIONS if a.palette]

    async def discover(self) -> Hits:
        """Show every action before the user types."""
        for title, help_text, action in self._entries():
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        """Fuzzy-match the actions' titles."""
        matcher = self.matcher(query)
        for title, help_text, action in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.run_action, action),
                          text=title, help=help_text)
