"""`nemo-tui keys`: the studio's key table in effect (defaults with the user's [keymap] over them).

No Textual: the action table is plain data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nemo_tui.textsafe import safe_line

if TYPE_CHECKING:
    from nemo_tui.cli_output import Output
    from nemo_tui.config import Settings


def key_rows(settings: Settings) -> tuple[list[dict[str, str]], str | None]:
    """One row per action (id, key in effect, default, title, where) and the problems line."""
    from nemo_tui.ui.commands import ACTIONS, resolve_user_keymap, where

    result = resolve_user_keymap(settings.keymap)
    rows = [{"id": a.action, "key": result.keys[a.action], "default": a.key, "title": a.title,
             "where": where(a.scope)} for a in ACTIONS]
    return rows, result.message


def run_keys(settings: Settings, output: Output) -> int:
    """Print the table (or JSON); a keymap problem goes to stderr, the exit code stays 0."""
    from nemo_tui.ui.commands import key_display

    rows, problem = key_rows(settings)
    if problem:
        output.err(problem)
    if output.json_mode:
        output.json({"keys": rows, "problems": [problem] if problem else []})
        return 0
    table = [("KEY", "ID", "ACTION", "WHERE")]
    for r in rows:
        key = key_display(r["key"])
        if r["key"] != r["default"]:
            key += f" (default {key_display(r['default'])})"
        table.append((key, r["id"], r["title"], r["where"]))
    safe = [[safe_line(c, max_len=60) for c in row] for row in table]
    widths = [max(len(row[i]) for row in safe) for i in range(3)]
    for row in safe:
        output.out("  ".join(c.ljust(w) for c, w in zip(row[:3], widths, strict=True))
                   + "  " + row[3])
    output.out("Change keys in the [keymap] table of config.toml, e.g. export = \"ctrl+e\".")
    return 0
