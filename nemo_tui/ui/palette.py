"""The command palette's studio entries: every action of ACTIONS, with the key in effect."""

from __future__ import annotations

from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from nemo_tui.ui.commands import ACTIONS, StudioAction, key_display, keys_in_effect, works_over


def as_markup(text: str) -> str:
    """``text`` shown literally by the palette, which reads help as markup ("[F8]" or "[c]"
    would be taken for tags and vanish)."""
    return text.replace("[", "\\[")


def works_on(action: StudioAction, screen: Any, app: Any) -> bool:
    """Whether ``action`` works on ``screen``, the one the palette was opened over: all do on
    the studio's own; over a dialog or the preview, the few of commands.OVER_SCREENS."""
    stack = getattr(app, "screen_stack", None)
    if screen is None or not stack or screen is stack[0]:
        return True
    return action.scope == "app" and works_over(action.action, screen)


class StudioCommands(Provider):
    """Command palette provider offering every studio action from :data:`ACTIONS`, then
    Textual's own entries (Keys, Maximize, Screenshot…).

    The only provider: the palette shows the hits of several providers in the order their
    tasks happen to deliver them, which changed from run to run (screenshots differed).
    """

    def _entries(self) -> list[tuple[str, str, str]]:
        """(title, help, action) for each palette entry, with the key the user has for it."""
        app = getattr(self, "app", None)
        keys = keys_in_effect(getattr(app, "key_table", None))
        here = getattr(self, "screen", None)
        return [(a.title, f"{a.help}  [{key_display(keys[a.action])}]", a.action)
                for a in ACTIONS if a.palette and works_on(a, here, app)]

    def _run(self, action: str) -> Any:
        """A callback running ``action`` where it lives (timeline actions: on the pane; job
        actions: on the jobs table)."""
        namespace = None
        if action.startswith("timeline_"):
            namespace = getattr(self.app, "timeline", None)
        elif action.startswith("job_"):
            namespace = getattr(self.app, "jobs_table", None)
        return partial(self.app.run_action, action, namespace)

    def _system(self) -> list[Any]:
        """Textual's entries for this screen (the App's get_system_commands), by title."""
        return sorted(self.app.get_system_commands(self.screen), key=lambda c: c.title)

    async def discover(self) -> Hits:
        """Show every action before the user types: ACTIONS' order, then Textual's."""
        for title, help_text, action in self._entries():
            yield DiscoveryHit(title, self._run(action), help=as_markup(help_text))
        for command in self._system():
            if command.discover:
                yield DiscoveryHit(command.title, command.callback, help=command.help)

    async def search(self, query: str) -> Hits:
        """Fuzzy-match the titles (equal scores keep the order above)."""
        matcher = self.matcher(query)
        for title, help_text, action in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), self._run(action), text=title,
                          help=as_markup(help_text))
        for command in self._system():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), command.callback,
                          text=command.title, help=command.help)
