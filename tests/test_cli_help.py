"""`nemo-tui COMMAND --help` starts with what the command does, in CLI.md's words, and
`nemo-tui --help` lists every command with the same words."""

from __future__ import annotations

import re

import pytest

from nemo_tui.cli import main

#: CLI.md's list (keys, transcript and web are the README's additions), as written there.
CONTRACT = {
    "ask": "one chat turn: streams the agent's visible text to stdout",
    "state": "the session's timeline, in the seed's summary format",
    "credits": "available / frozen / total",
    "upload": "upload files and/or URLs to the session",
    "export": "start a render; with --wait poll it, download the MP4 into DIR (default: the "
              "current directory) and print the file's path",
    "jobs": "render jobs known to this client (persisted), with status",
    "serve-local": "run the built-in local backend in the foreground",
    "sessions": "sessions this client knows for the API URL: id, title, last message, time; "
                "the current one marked",
    "open": "the session's web-editor link (claim URL), printed",
    "versions": "the session's draft versions: number, time, the message that led to it, a "
                "one-line diff against the version before",
    "preview": "one frame of a video (or an image) drawn in the terminal",
    "batch": "run a batch of items (media + instructions), one render each, resumable: the "
             "same command again continues where it stopped",
    "keys": "the studio's keys in effect (your [keymap] over the defaults)",
    "transcript": "the session's conversation, timeline changes and renders",
    "web": "the studio in a browser tab (textual-serve, 127.0.0.1 only unless --host; there is "
           "no authentication)",
}


@pytest.fixture(autouse=True)
def wide(monkeypatch):
    """A wide terminal: argparse wraps at hyphens too, which would split the contract's words."""
    monkeypatch.setenv("COLUMNS", "2000")


def help_text(capsys, *args: str) -> str:
    """What `nemo-tui ARGS --help` prints (exit 0)."""
    with pytest.raises(SystemExit) as stop:
        main([*args, "--help"])
    assert stop.value.code == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


def flat(text: str) -> str:
    """Whitespace runs (argparse's wrapping) as one space."""
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_command_help_starts_with_what_it_does(capsys, name):
    out = help_text(capsys, name)
    usage, _, rest = out.partition("\n\n")  # the usage block, then the description
    assert usage.startswith(f"usage: nemo-tui {name} ")
    assert flat(rest).startswith(CONTRACT[name]), rest[:300]


def test_export_help_also_says_version_and_output(capsys):
    words = ("render the current draft, or version N; --output names a folder (file named "
             "from the session title) or the MP4 itself")
    assert words.lower() in flat(help_text(capsys, "export")).lower()


def test_main_help_lists_every_command_with_its_words(capsys):
    out = help_text(capsys)
    listing = flat(out.partition("commands:")[2])
    for name, words in CONTRACT.items():
        assert f" {name} {words}" in listing, name
