"""Focus never stays on a pane the layout has hidden.

Below the App's last vertical breakpoint (18 rows) the timeline and jobs panes give way so the
chat input stays visible. A key that would focus a hidden pane (F3, F4) leaves focus where it
is and says so in a short notice: showing the pane instead would hide the input the small
layout is there to keep, which would surprise more than a sentence does. When the terminal
shrinks under a focused pane, focus goes to the chat input (Textual would leave it nowhere, so
typing would do nothing).
"""

from __future__ import annotations

from typing import Any


def is_shown(widget: Any) -> bool:
    """Whether ``widget`` and every container above it are displayed (not ``display: none``)."""
    return all(node.display for node in widget.ancestors_with_self)


def keep_focus_on_screen(app: Any) -> None:
    """From now on, when the studio's focus is lost because its pane was hidden (the terminal
    got short), give it to the chat input."""
    screen = app.screen

    def lost(focused: Any) -> None:
        if focused is None:
            app.call_after_refresh(refocus_input, app, screen)

    app.watch(screen, "focused", lost, init=False)


def refocus_input(app: Any, screen: Any) -> None:
    """Focus the chat input if ``screen`` (the studio's) is on top with nothing focused while a
    pane is hidden."""
    from nemo_tui.ui.widgets.chat import ChatInput

    if app.screen is not screen or screen.focused is not None:
        return
    if is_shown(app.query_one("#timeline")):
        return  # focus was given up on purpose (not by the small layout)
    chat = screen.query_one(ChatInput)
    if is_shown(chat):
        chat.focus()


def focus_if_shown(app: Any, widget: Any, pane: str) -> bool:
    """Focus ``widget`` when it is on screen; else a notice naming ``pane`` (focus stays)."""
    if is_shown(widget):
        widget.focus()
        return True
    rows = max((at for at, _name in app.VERTICAL_BREAKPOINTS), default=0)
    app.notify(f"The {pane} is hidden in a terminal under {rows} rows (this one has "
               f"{app.size.height}): make it taller to use the {pane}.",
               title="Hidden pane", timeout=4, markup=False)
    return False
