"""The user's `[keymap]` (config.toml) checked against the action table: keys in effect, problems.

Pure: no Textual, no I/O. Ids are the actions' ids (``StudioAction.action``); a key is written
as Textual writes it (``ctrl+e``, ``f5``, ``d``, ``question_mark`` or ``?``), several keys
separated by commas. What cannot be honoured (an unknown id, a key that is not a key, two
actions on one key) keeps that action's default and is named in one line.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
NAMED_KEYS = frozenset(
    {"escape", "enter", "tab", "space", "backspace", "delete", "insert", "home", "end",
     "pageup", "pagedown", "up", "down", "left", "right"}
    | {f"f{n}" for n in range(1, 25)})
#: Textual's friendlier names for some characters' Unicode names.
_RENAMED = {"solidus": "slash", "reverse_solidus": "backslash", "commercial_at": "at",
            "hyphen_minus": "minus", "plus_sign": "plus", "low_line": "underscore"}
_UNNAMED = {v: k for k, v in _RENAMED.items()}
#: Keys an app-wide action may not take: the palette, focus moves, and what the chat input
#: and the tables need to be usable.
RESERVED_APP = frozenset({"ctrl+p", "tab", "shift+tab", "enter", "up", "down", "left", "right",
                          "home", "end", "pageup", "pagedown", "backspace", "delete", "space"})
#: Keys a focused table or tree needs for itself (moving and choosing).
RESERVED_WIDGET = frozenset({"tab", "shift+tab", "enter", "up", "down", "left", "right",
                             "pageup", "pagedown", "home", "end", "ctrl+p"})


class ActionLike(Protocol):
    """What this module needs of an action table entry."""

    action: str
    key: str
    scope: str


@dataclass
class KeymapResult:
    """Keys in effect per action id, the overrides to hand to Textual, and what was refused."""

    keys: dict[str, str]
    overrides: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def message(self) -> str | None:
        """All problems in one line (None when there are none)."""
        if not self.problems:
            return None
        return ("Keymap: " + "; ".join(self.problems)
                + ". Those actions keep their default keys (see `nemo-tui keys`).")


def normalize_key(key: str) -> str | None:
    """One key in Textual's long form (``?`` → ``question_mark``, ``Ctrl+E`` → ``ctrl+e``);
    None when it is not a key."""
    key = key.strip()
    if not key:
        return None
    if len(key) == 1:
        return _char_key(key)
    *mods, base = key.split("+")
    if base == "" and key.endswith("+"):  # "ctrl++": the plus key
        mods, base = mods[:-1], "plus"
    mods = [m.strip().lower() for m in mods]
    if any(m not in MODIFIERS for m in mods) or len(set(mods)) != len(mods):
        return None
    base = base.strip()
    if len(base) == 1:
        base = _char_key(base) if not base.isalpha() else (base.lower() if mods else base)
    elif base.lower() in NAMED_KEYS:
        base = base.lower()
    elif not _is_char_name(base):
        return None
    if base is None:
        return None
    return "+".join([*mods, base])


def _char_key(ch: str) -> str | None:
    """A printable character as Textual names it; None for a control character."""
    if not ch.isprintable():
        return None
    if ch.isalnum():
        return ch
    try:
        name = unicodedata.name(ch).lower().replace("-", "_").replace(" ", "_")
    except ValueError:
        return None
    return _RENAMED.get(name, name)


def _is_char_name(name: str) -> bool:
    """Whether ``name`` is a character's name as Textual writes it (``question_mark``)."""
    lookup = _UNNAMED.get(name, name).replace("_", " ")
    try:
        return len(unicodedata.lookup(lookup)) == 1
    except KeyError:
        return False


def normalize_keys(keys: str) -> list[str] | None:
    """A comma-separated key list normalized; None when any of it is not a key."""
    out = [normalize_key(k) for k in keys.split(",")]
    return None if not out or any(k is None for k in out) else out  # type: ignore[return-value]


def is_printable(key: str) -> bool:
    """Whether pressing ``key`` types a character (no modifier but shift, not a named key)."""
    *mods, base = key.split("+")
    return not (set(mods) - {"shift"}) and base not in NAMED_KEYS


def _reach_clash(a: ActionLike, b: ActionLike, modal: frozenset[str] = frozenset(),
                 reach: Mapping[str, Iterable[str]] | None = None) -> bool:
    """Whether two actions can see the same key press (app keys are seen everywhere but on a
    modal screen, whose keys are its own, except the app keys ``reach`` lists for it)."""
    if a.scope == b.scope:
        return True
    if "app" not in (a.scope, b.scope):
        return False
    app_action, other = (a, b) if a.scope == "app" else (b, a)
    if other.scope not in modal:
        return True
    return app_action.action in (reach or {}).get(other.scope, ())


def _refusal(action: ActionLike, keys: list[str]) -> str | None:
    """Why ``keys`` cannot be this action's, or None."""
    for key in keys:
        if action.scope == "app" and (key in RESERVED_APP or is_printable(key)):
            why = "typing and moving need it" if key not in ("ctrl+p",) else "the palette has it"
            return f"{action.action} = {key!r} refused ({why})"
        if action.scope != "app" and key in RESERVED_WIDGET:
            return f"{action.action} = {key!r} refused (moving in the {action.scope} needs it)"
    return None


def resolve(actions: Iterable[ActionLike], keymap: Mapping[str, Any] | None,
            modal: Iterable[str] = (), reach: Mapping[str, Iterable[str]] | None = None
            ) -> KeymapResult:
    """Apply ``keymap`` (id → keys) over the actions' defaults; refuse what does not work.
    ``modal``: scopes of modal screens (the App's keys do not reach them); ``reach``: for a
    modal scope, the app actions whose keys still work on its screen (F1, Ctrl+Q…)."""
    table = {a.action: a for a in actions}
    defaults = {i: normalize_keys(a.key) or [a.key] for i, a in table.items()}
    wanted: dict[str, list[str]] = {}
    problems: list[str] = []
    for ident, value in (keymap or {}).items():
        if ident not in table:
            problems.append(f"unknown id {ident!r}")
            continue
        keys = normalize_keys(value) if isinstance(value, str) else None
        if keys is None:
            problems.append(f"{ident} = {value!r} is not a key")
            continue
        refusal = _refusal(table[ident], keys)
        if refusal:
            problems.append(refusal)
            continue
        if keys != defaults[ident]:
            wanted[ident] = keys
    _drop_conflicts(table, defaults, wanted, problems, frozenset(modal), reach)
    keys = {i: ",".join(wanted.get(i, defaults[i])) for i in table}
    return KeymapResult(keys, {i: ",".join(k) for i, k in wanted.items()}, problems)


def _drop_conflicts(table: Mapping[str, ActionLike], defaults: Mapping[str, list[str]],
                    wanted: dict[str, list[str]], problems: list[str],
                    modal: frozenset[str],
                    reach: Mapping[str, Iterable[str]] | None = None) -> None:
    """Take back overrides that land on a key another action in reach has, until none do."""
    while True:
        effective = {i: wanted.get(i, defaults[i]) for i in table}
        clash = None
        for ident, mine in wanted.items():
            for other, keys in effective.items():
                if other == ident or not _reach_clash(table[ident], table[other], modal, reach):
                    continue
                common = set(mine) & set(keys)
                if common:
                    clash = (ident, other, min(common))
                    break
            if clash:
                break
        if clash is None:
            return
        ident, other, key = clash
        problems.append(f"{ident} and {other} both on {key!r}")
        wanted.pop(ident)
        wanted.pop(other, None)
