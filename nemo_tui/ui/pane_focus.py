"""Focus keys (F3, F4) never leave focus on a pane the layout has hidden.

Below the App's last vertical breakpoint (18 rows) the timeline and jobs panes give way so the
chat input stays visible. A key that would focus a hidden pane leaves focus where it is and
says so in a short notice: showing the pane instead would hide the input the small layout is
there to keep, which would surprise more than a sentence does.
"""

from __future__ import annotations

from typing import Any


def is_shown(widget: Any) -> bool:
    """Whether ``widget`` and every container above it are displayed (not ``display: none``)."""
    return all(node.display for node in widget.ancestors_with_self)


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
