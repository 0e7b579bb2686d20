"""One table of studio actions: the key bindings, the palette entries and the help screen.

Plain data at import time (no Textual): ``nemo-tui keys`` reads the table without starting the
studio. Every Binding made from it gets the action's name as its ``id``, which is what the
user's ``[keymap]`` in config.toml refers to (see :mod:`nemo_tui.keymap`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.binding import Binding


@dataclass(frozen=True)
class StudioAction:
    """A user action: its ``action_*`` name, key, title and where it applies."""

    action: str  # the App method is ``action_<action>``
    key: str
    title: str
    help: str
    # "app": anywhere (priority keys on the App); any other scope names the widget or screen
    # whose BINDINGS come from scope_bindings(scope) (e.g. "jobs": the jobs table)
    scope: str = "app"
    footer: bool = True
    palette: bool = True
    # what the key runs when it is not ``action`` itself (a screen's ``dismiss``, ``scrub(-1)``)
    call: str | None = None


def _timeline(action: str, key: str, title: str, help_text: str, footer: bool = False
              ) -> StudioAction:
    """A timeline-scoped action (its method lives on the timeline pane)."""
    return StudioAction(f"timeline_{action}", key, title, help_text, scope="timeline",
                        footer=footer)


#: Keys of the timeline pane: the playhead, the zoom, and edit keys that compose an instruction
#: into the chat input (Enter sends it, Esc discards it).
TIMELINE_ACTIONS: tuple[StudioAction, ...] = (
    _timeline("playhead_back", "left", "Playhead back", "Move the playhead 1 s earlier"),
    _timeline("playhead_forward", "right", "Playhead forward", "Move the playhead 1 s later"),
    _timeline("playhead_back_fine", "shift+left", "Playhead back 0.1 s",
              "Move the playhead 0.1 s earlier"),
    _timeline("playhead_forward_fine", "shift+right", "Playhead forward 0.1 s",
              "Move the playhead 0.1 s later"),
    _timeline("playhead_start", "home", "Playhead to segment start",
              "Put the playhead at the start of the selected segment"),
    _timeline("playhead_end", "end", "Playhead to segment end",
              "Put the playhead at the end of the selected segment"),
    _timeline("zoom_in", "plus", "Zoom in", "Zoom the timeline in (around the playhead)"),
    _timeline("zoom_out", "minus", "Zoom out", "Zoom the timeline out"),
    _timeline("zoom_fit", "0", "Zoom to fit", "Show the whole draft"),
    _timeline("delete", "delete", "Delete segment",
              "Compose: delete the selected segment", footer=True),
    _timeline("split", "s", "Split at playhead",
              "Compose: split the selected segment at the playhead", footer=True),
    _timeline("trim_start", "left_square_bracket", "Trim start to playhead",
              "Compose: the selected segment starts at the playhead"),
    _timeline("trim_end", "right_square_bracket", "Trim end to playhead",
              "Compose: the selected segment ends at the playhead"),
    _timeline("move_earlier", "less_than_sign", "Move segment earlier",
              "Compose: move the selected segment one place earlier"),
    _timeline("move_later", "greater_than_sign", "Move segment later",
              "Compose: move the selected segment one place later"),
    _timeline("volume_up", "u", "Volume up", "Compose: raise the selected audio segment's "
              "volume by 10 points"),
    _timeline("volume_down", "j", "Volume down", "Compose: lower the selected audio segment's "
              "volume by 10 points"),
    _timeline("retext", "t", "Change text",
              "Compose: new text for the selected text segment (the old text is selected: "
              "typing replaces it, an arrow key keeps it)"),
    _timeline("media", "m", "Media bin", "Show or hide the uploads and generated media "
              "(Enter inserts one at the playhead)", footer=True),
)

# Keys avoid what the chat Input already uses (ctrl+a/e/d/w/u/k/x/c/v) so they work while typing.
ACTIONS: tuple[StudioAction, ...] = (
    StudioAction("help", "f1", "Help", "List every key"),
    StudioAction("new_session", "ctrl+n", "New session", "Start a new session (project)"),
    StudioAction("open_session", "ctrl+o", "Open session",
                 "Reopen a recent session with its transcript, draft and jobs"),
    StudioAction("export", "ctrl+s", "Export", "Render the draft to an MP4 and download it"),
    StudioAction("credits", "ctrl+b", "Credits", "Fetch the credit balance"),
    StudioAction("refresh_state", "ctrl+r", "Refresh state", "Fetch the session state and timeline"),
    # (Ctrl+F finds in the transcript; upload moved to Ctrl+L, "load")
    StudioAction("upload", "ctrl+l", "Upload", "Upload a file (picker) or a typed path or URL"),
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
    *TIMELINE_ACTIONS,
    StudioAction("versions", "f5", "Versions",
                 "List the draft's versions, compare them and export one", footer=False),
    StudioAction("job_download", "d", "Download job again",
                 "Download the selected job's video again", scope="jobs"),
    StudioAction("job_copy", "c", "Copy job path/URL",
                 "Copy the selected job's file path or URL (OSC 52)", scope="jobs"),
    StudioAction("job_cancel", "x", "Cancel job", "Cancel the selected render", scope="jobs"),
    StudioAction("job_forget", "delete", "Forget job",
                 "Remove the selected job from the list", scope="jobs"),
    StudioAction("find", "ctrl+f", "Find in transcript",
                 "Find text in the conversation (n / N: next / previous match)"),
    StudioAction("select_messages", "f6", "Select messages",
                 "Move through the messages with the arrows or j/k; y copies (OSC 52)",
                 footer=False),
    StudioAction("copy_reply", "f8", "Copy last reply",
                 "Copy the agent's last reply to the clipboard (OSC 52)", footer=False),
    StudioAction("save_transcript", "f7", "Save transcript as Markdown",
                 "Write the messages, timeline changes and renders to <session title>.md in "
                 "the download folder", footer=False),
    StudioAction("job_preview", "p", "Preview job",
                 "See the selected job's video: frames, strip, scrubbing, playing", scope="jobs"),
    # the chat log's own keys (ChatView, when it has focus)
    StudioAction("log_find", "slash", "Find", "Find text in the conversation", scope="chat-log",
                 palette=False),
    StudioAction("log_select", "v", "Select", "Select messages to copy", scope="chat-log",
                 palette=False),
    StudioAction("copy", "y", "Copy", "Copy the last reply, or the selected messages",
                 scope="chat-log", palette=False),
    StudioAction("find_next", "n", "Next match", "The next match of the search",
                 scope="chat-log", palette=False),
    StudioAction("find_prev", "N", "Previous match", "The previous match of the search",
                 scope="chat-log", palette=False),
    StudioAction("select_up", "up,k", "Up", "Selection: the message above (else scroll)",
                 scope="chat-log", footer=False, palette=False),
    StudioAction("select_down", "down,j", "Down", "Selection: the message below (else scroll)",
                 scope="chat-log", footer=False, palette=False),
    StudioAction("extend_up", "shift+up,K", "Extend up",
                 "Selection: take in the message above too", scope="chat-log", footer=False,
                 palette=False),
    StudioAction("extend_down", "shift+down,J", "Extend down",
                 "Selection: take in the message below too", scope="chat-log", footer=False,
                 palette=False),
    StudioAction("leave_selection", "escape", "Done", "Leave the selection", scope="chat-log",
                 palette=False),
    StudioAction("version_mark", "m", "Mark",
                 "Mark or unmark the highlighted version (mark two to compare them)",
                 scope="versions", palette=False),
    StudioAction("version_diff", "d", "Compare",
                 "Show what changed between the two marked versions", scope="versions",
                 palette=False),
    StudioAction("version_export", "e", "Export version",
                 "Render the highlighted version (its job row says which: v3)",
                 scope="versions", palette=False),
    StudioAction("run_batch", "f9", "Run batch file…",
                 "Run a batch file (.toml): each item in its own session, renders in Jobs",
                 footer=False),
    # dialogs' own keys
    StudioAction("help_close", "escape,f1,q", "Close", "Close the help screen", scope="help",
                 palette=False, call="dismiss"),
    StudioAction("upload_close", "escape", "Close", "Close the upload picker", scope="upload",
                 palette=False, call="cancel"),
    StudioAction("sessions_close", "escape", "Close", "Close the sessions list",
                 scope="sessions", palette=False, call="cancel"),
    StudioAction("sessions_new", "n", "New session",
                 "Start a new session instead (from the list; typed, n filters)",
                 scope="sessions", palette=False, call="new"),
    StudioAction("sessions_next", "down", "Next session",
                 "The next match (also while typing the filter)", scope="sessions",
                 footer=False, palette=False, call="move(1)"),
    StudioAction("sessions_prev", "up", "Previous session",
                 "The previous match (also while typing the filter)", scope="sessions",
                 footer=False, palette=False, call="move(-1)"),
    StudioAction("quit", "ctrl+q", "Quit", "Quit the studio (running renders resume next time)"),
)

#: Keys that exist without being in ACTIONS (listed on the help screen).
EXTRA_KEYS: tuple[tuple[str, str, str], ...] = (
    ("ctrl+p", "Command palette (every action above, searchable)", "anywhere"),
    ("tab / shift+tab", "Move focus between panes", "anywhere"),
    ("up / down", "Previous / next message sent (on the first / last line)", "chat input"),
    ("enter", "Send the message", "chat input"),
    ("ctrl+j / shift+enter", "New line in the message (a paste is kept whole, one message)",
     "chat input"),
    ("enter / space", "Expand or collapse a track (segments load on demand)", "timeline"),
    ("up / down", "Select a track or segment (highlighted in the ruler and the tree)", "timeline"),
    ("enter", "Send a composed edit; Escape discards it and returns to the timeline",
     "chat input"),
    ("escape", "Close a dialog (help, sessions, upload, palette)", "dialogs"),
    ("left / right", "Scrub 1 s (with Shift: 0.1 s); Home / End: first / last frame", "preview"),
    ("space", "Play at a frame rate the link carries; any key stops", "preview"),
    ("escape / q", "Back to the studio", "preview"),
    ("enter", "Show what changed from the highlighted version to the current draft",
     "versions screen"),
)


#: How the help screen and `nemo-tui keys` name a scope ("where" the key works).
SCOPE_WHERE = {"app": "anywhere", "jobs": "jobs table", "chat-log": "chat log",
               "versions": "versions screen"}


#: Scopes of modal screens: the App's keys do not reach them (but those of studio_keys_on), so
#: they may reuse the others.
MODAL_SCOPES = frozenset({"help", "upload", "sessions", "versions"})

#: App-wide actions that still work while a dialog, the Preview screen or the palette is over
#: the studio; the others act on the studio's panes (unseen from there) or would stack a second
#: dialog. A screen narrows this with a ``STUDIO_KEYS`` class attribute (studio_keys_on).
OVER_SCREENS: tuple[str, ...] = ("help", "switch_theme", "quit")
#: Those a screen takes for itself: on help, F1 closes it rather than opening another.
_TAKEN_BY: dict[str, frozenset[str]] = {"help": frozenset({"help"})}


def studio_keys_on(scope: str) -> tuple[str, ...]:
    """The app-wide actions whose keys work on the screen of ``scope``."""
    return tuple(a for a in OVER_SCREENS if a not in _TAKEN_BY.get(scope, ()))

_APP_ACTIONS = frozenset(a.action for a in ACTIONS if a.scope == "app")


def works_over(action: str, screen: object) -> bool:
    """Whether ``action`` runs while ``screen`` (not the studio's own) is on top: every action
    that is not one of the studio's app-wide ones does; of those, the screen's STUDIO_KEYS."""
    if action not in _APP_ACTIONS:
        return True
    return action in getattr(screen, "STUDIO_KEYS", OVER_SCREENS)


def studio_key_bindings(actions: tuple[str, ...] = OVER_SCREENS) -> list[Binding]:
    """The app-wide ``actions`` as a dialog's own bindings, so its footer (which shows the
    dialog's keys only) lists the studio keys that work there; each runs the App's action."""
    from textual.binding import Binding

    return [Binding(a.key, f"app.{a.action}", a.title, show=a.footer, id=a.action)
            for a in ACTIONS if a.action in actions]


def where(scope: str) -> str:
    """Where the keys of ``scope`` work, in words."""
    return SCOPE_WHERE.get(scope, scope.replace("-", " ").replace("_", " "))


def app_bindings() -> list[Binding]:
    """Bindings for the App (scope "app"), all priority so they win over the chat input."""
    from textual.binding import Binding

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


def scope_bindings(scope: str, namespace: str = "app") -> list[Binding]:
    """Bindings for the widget or screen of ``scope``: each calls ``<namespace>.<action>``
    (``namespace=""``: the widget's own ``action_<action>``) and has the action as its id."""
    from textual.binding import Binding

    prefix = f"{namespace}." if namespace else ""
    return [Binding(a.key, prefix + (a.call or a.action), a.title, show=a.footer, id=a.action)
            for a in ACTIONS if a.scope == scope]


def timeline_bindings() -> list[Binding]:
    """Bindings for the timeline pane (scope "timeline"), priority so that they win over the
    tree's own arrows, Home and End while focus is anywhere in the pane."""
    from textual.binding import Binding

    return [Binding(a.key, a.action, a.title, show=a.footer, priority=True, id=a.action,
                    key_display=key_display(a.key))
            for a in ACTIONS if a.scope == "timeline"]


def jobs_bindings() -> list[Binding]:
    """Bindings for the jobs table (scope "jobs"); they call the table's own job actions.

    A letter key works in both cases, as help and README show it upper case (``D``: d, or
    Shift+D — reported as "D", or as "shift+d" with the kitty keyboard protocol); the footer
    shows the key as the help does.
    """
    import dataclasses

    out: list[Binding] = []
    for binding in scope_bindings("jobs", namespace=""):
        key = binding.key
        if len(key) == 1 and key.isalpha():
            out.append(dataclasses.replace(binding, key_display=key_display(key)))
            out.extend(dataclasses.replace(binding, key=alias, show=False)
                       for alias in (key.upper(), f"shift+{key}"))
        else:
            out.append(binding)
    return out


def key_display(key: str) -> str:
    """A key as people write it: ``ctrl+s`` → ``Ctrl+S``; several keys joined by " / "."""
    names = {"question_mark": "?", "slash": "/", "full_stop": ".", "comma": ",",
             "minus": "-", "plus": "+", "left_square_bracket": "[",
             "right_square_bracket": "]", "less_than_sign": "<", "greater_than_sign": ">"}
    out = []
    for one in key.split(","):
        parts = one.strip().split("+")
        # a lone letter stays as typed: "n" and "N" (shift+n) are different keys
        out.append("+".join(names.get(p, p.capitalize() if len(p) > 1 else
                                      (p if len(parts) == 1 else p.upper())) for p in parts))
    return " / ".join(out)


def keys_in_effect(keys: Mapping[str, str] | None = None) -> dict[str, str]:
    """Action id → key(s) in effect: the user's keymap result ``keys`` over the defaults."""
    return {a.action: (keys or {}).get(a.action, a.key) for a in ACTIONS}


def resolve_user_keymap(keymap: Mapping[str, Any] | None) -> Any:
    """The user's ``[keymap]`` checked against ACTIONS (a :class:`nemo_tui.keymap.KeymapResult`)."""
    from nemo_tui.keymap import resolve

    return resolve(ACTIONS, keymap, MODAL_SCOPES,
                   {scope: studio_keys_on(scope) for scope in MODAL_SCOPES})


def __getattr__(name: str) -> Any:
    """``StudioCommands`` lives in palette.py (it needs Textual; this table does not)."""
    if name == "StudioCommands":
        from nemo_tui.ui.palette import StudioCommands

        return StudioCommands
    raise AttributeError(name)
