"""The `nemo-tui` command line (CLI.md): subcommands, the studio entry, exit codes.

Textual is imported only when the studio starts, httpx/the client only when a command needs
the network. Errors are one or two plain sentences on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
from typing import NoReturn

from nemo_tui import __version__
from nemo_tui.api.errors import NemoError
from nemo_tui.cli_output import (
    EXIT_FAIL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    PROG,
    Output,
    UsageError,
    reader_gone,
)
from nemo_tui.config import Settings, load_settings

# the shared pieces live in cli_output (the commands import them from there); kept here too
__all__ = ["COMMANDS", "EXIT_FAIL", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "PROG", "Output",
           "UsageError", "build_parser", "main"]

#: What each subcommand does, in CLI.md's words (keys, transcript, web: the README's): the
#: start of `nemo-tui COMMAND --help` and its line in `nemo-tui --help`.
COMMANDS = {
    "ask": "one chat turn: streams the agent's visible text to stdout",
    "state": "the session's timeline, in the seed's summary format",
    "credits": "available / frozen / total",
    "upload": "upload files and/or URLs to the session",
    "export": "start a render; with --wait poll it, download the MP4 into DIR (default: the "
              "current directory) and print the file's path. Render the current draft, or "
              "version N; --output names a folder (file named from the session title) or the "
              "MP4 itself",
    "jobs": "render jobs known to this client (persisted), with status",
    "sessions": "sessions this client knows for the API URL: id, title, last message, time; "
                "the current one marked",
    "open": "the session's web-editor link (claim URL), printed",
    "versions": "the session's draft versions: number, time, the message that led to it, a "
                "one-line diff against the version before",
    "keys": "the studio's keys in effect (your [keymap] over the defaults)",
    "transcript": "the session's conversation, timeline changes and renders",
    "preview": "one frame of a video (or an image) drawn in the terminal",
    "web": "the studio in a browser tab (textual-serve, 127.0.0.1 only unless --host; there is "
           "no authentication)",
    "batch": "run a batch of items (media + instructions), one render each, resumable: the "
             "same command again continues where it stopped",
    "serve-local": "run the built-in local backend in the foreground",
}


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors as one `nemo-tui: …` sentence (exit 2)."""

    def error(self, message: str) -> NoReturn:
        """Print a short usage error, pointing at the help of the command at fault; exit 2."""
        self.exit(EXIT_USAGE, f"{PROG}: {message}. Run `{self.prog} --help` for usage.\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; global options are accepted before or after the subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand's copy must not reset a value given before the subcommand
    common.add_argument("--api-url", metavar="URL", default=argparse.SUPPRESS,
                        help="backend base URL (default: NEMO_API_URL, config, or NemoVideo's)")
    common.add_argument("--local", action="store_true", default=argparse.SUPPRESS,
                        help="use the built-in backend: the one a --local studio already "
                             "serves, else start one on a free loopback port")
    common.add_argument("--new-session", action="store_true", default=argparse.SUPPRESS,
                        help="start a new session instead of reusing the current one")
    common.add_argument("--session", metavar="ID", default=argparse.SUPPRESS,
                        help="use that known session instead of the current one, and make it current")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print JSON on stdout (one object per line for ask)")
    parser = _Parser(prog=PROG, parents=[common],
                     description="A keyboard-driven terminal studio for NemoVideo. "
                                 "Without a command, the studio starts.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser,
                                title="commands")

    def command(name: str) -> argparse.ArgumentParser:
        """A subcommand whose help (and `nemo-tui --help` line) says what it does."""
        return sub.add_parser(name, parents=[common], help=COMMANDS[name],
                              description=COMMANDS[name] + ".")

    ask = command("ask")
    ask.add_argument("text", nargs="+", metavar="TEXT", help="what to ask the agent")
    command("state")
    command("credits")
    up = command("upload")
    up.add_argument("items", nargs="+", metavar="PATH_OR_URL")
    exp = command("export")
    exp.add_argument("--wait", action="store_true", help="wait for it and download the MP4")
    exp.add_argument("--output", metavar="DIR|FILE.mp4", type=Path, default=None,
                     help="a folder (the file is named from the session title) or the MP4's "
                          "own name (default: the current directory)")
    which = exp.add_mutually_exclusive_group()  # a known job was already rendered from a draft
    which.add_argument("--job", metavar="ID", default=None,
                       help="instead of a new render, wait for / download a known job")
    which.add_argument("--version", metavar="N", type=int, default=None, dest="draft_version",
                       help="render version N of the draft (see `nemo-tui versions`)")
    command("jobs")
    command("sessions")
    command("open")
    command("versions")
    command("keys")
    tr = command("transcript")
    tr.add_argument("--format", choices=("md", "json"), default="md",
                    help="md (default) or json")
    pre = command("preview")
    pre.add_argument("target", metavar="PATH|JOB_ID", help="a video or image, or a render job")
    pre.add_argument("--at", metavar="SECONDS", type=float, default=0.0,
                     help="the time of the frame (default 0; exact, not the nearest keyframe)")
    pre.add_argument("--width", metavar="COLUMNS", type=int, default=None,
                     help="columns wide (default: the terminal's width, 80 when not a terminal)")
    web = command("web")
    web.add_argument("--host", default=None,
                     help="address to serve on (default 127.0.0.1; others have no authentication)")
    web.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    bat = command("batch")
    bat.add_argument("file", metavar="FILE.toml", type=Path)
    bat.add_argument("--parallel", metavar="N", type=int, default=None,
                     help="items at once, each in its own session (default 3)")
    bat.add_argument("--one-session", action="store_true",
                     help="run the items one after another in the current session")
    bat.add_argument("--output", metavar="DIR", type=Path, default=None,
                     help="where the MP4s go (default: the file's output, else the cwd)")
    srv = command("serve-local")
    srv.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    srv.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    srv.add_argument("--draft-format", choices=("short-json", "v3", "v3-object"), default=None,
                     help="how state replies carry drafts (default short-json, or "
                          "$NEMO_LOCAL_DRAFT_FORMAT); v3: Draft Protocol V3 templates")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `nemo-tui` script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    output = Output(bool(getattr(args, "json", False)))
    try:
        from nemo_tui.debuglog import enable_from_env

        enable_from_env()  # opt-in (NEMO_DEBUG_LOG), redacted
        return _dispatch(args, output)
    except KeyboardInterrupt:
        output.err(f"Interrupted. {output.interrupt_hint}".strip())
        return EXIT_INTERRUPTED
    except NemoError as exc:
        output.err(str(exc))
        return exc.exit_code
    except BrokenPipeError:  # stdout went away (e.g. piped into `head`)
        return reader_gone()
    except OSError as exc:
        from nemo_tui.config import AppPaths
        from nemo_tui.store import explain_state_error

        explained = explain_state_error(exc, AppPaths.default().state_dir)
        where = f" ({exc.filename})" if exc.filename else ""
        output.err(str(explained) if explained is not exc else f"{exc.strerror or exc}{where}.")
        return EXIT_FAIL
    except Exception as exc:  # last resort: one sentence instead of a traceback
        if os.environ.get("NEMO_DEBUG"):
            raise
        output.err(f"Unexpected error ({type(exc).__name__}: {exc}). "
                   "Set NEMO_DEBUG=1 to see details, and please report it.")
        return EXIT_FAIL


def _dispatch(args: argparse.Namespace, output: Output) -> int:
    """Resolve settings and run the chosen command (or the studio)."""
    flags = {"api_url": getattr(args, "api_url", None), "local": getattr(args, "local", None),
             "new_session": getattr(args, "new_session", None)}
    command = args.command
    if command is None and output.json_mode:  # the studio draws on stdout: no JSON to give
        raise UsageError("--json goes with a command (nemo-tui --json state, …); the studio "
                         f"has no JSON output. `{PROG} --help` lists the commands.")
    if command == "serve-local":
        from nemo_tui.cli_serve import run_serve_local

        return run_serve_local(args, output)
    settings = load_settings(flags)
    if settings.env_token:
        output.secrets.append(settings.env_token)
    from nemo_tui.store import check_state_dir

    check_state_dir(settings.paths.state_dir)  # one clear sentence instead of a failed write
    if command == "jobs":
        from nemo_tui.cli_jobs import run_jobs

        return run_jobs(settings, output)
    if command == "keys":
        from nemo_tui.cli_keys import run_keys

        return run_keys(settings, output)
    if command == "transcript":
        from nemo_tui.cli_transcript import run_transcript

        return run_transcript(settings, output, session_id=getattr(args, "session", None),
                              fmt=args.format)
    if command in ("sessions", "versions"):  # what this client stored: no backend needed
        from nemo_tui.cli_sessions import run_sessions, use_session
        from nemo_tui.cli_versions import run_versions

        if settings.local:  # the studio's --local port (CLI.md)
            settings = settings.with_api_url(f"http://127.0.0.1:{settings.local_port}")
        if getattr(args, "session", None):
            use_session(settings, args.session)
        return (run_sessions if command == "sessions" else run_versions)(settings, output)
    if command == "preview":
        from nemo_tui.cli_preview import run_preview

        return run_preview(args.target, settings, output, at=args.at, width=args.width)
    backend = None
    if settings.local:
        from nemo_tui.local_launch import start_local_backend

        settings, backend = start_local_backend(settings)
    try:
        if getattr(args, "session", None):
            from nemo_tui.cli_sessions import use_session

            use_session(settings, args.session)  # before anything reads the current session
        if command is None:
            return _studio(settings, output)
        if command == "web":
            from nemo_tui.cli_web import run_web

            return run_web(settings, output, host=args.host, port=args.port)
        return asyncio.run(_run_command(args, settings, output))
    finally:
        if backend is not None:
            backend.stop()


def _studio(settings: Settings, output: Output) -> int:
    """Start the Textual studio (Textual is imported only here)."""
    try:
        from nemo_tui.ui.app import run_studio
    except ImportError:
        output.err("The studio is not available in this build; use the subcommands "
                   f"(see `{PROG} --help`).")
        return EXIT_FAIL
    return int(run_studio(settings) or 0)


async def _run_command(args: argparse.Namespace, settings: Settings, output: Output) -> int:
    """Run one network command with a client that is always closed."""
    if args.command == "upload":
        from nemo_tui.cli_upload import split_upload_items

        urls, paths = split_upload_items(args.items)  # pre-checks before any request
    if args.command == "ask":
        from nemo_tui.cli_ask import checked_message

        message = checked_message(args.text)
    if args.command == "batch":
        from nemo_tui.cli_batch import prepare_batch, run_batch_command

        prepared = prepare_batch(args)  # exit 2 before any request
        return await run_batch_command(args, settings, output, prepared)
    out_dir, out_name = None, None
    if args.command == "export" and args.output is not None:
        from nemo_tui.cli_export import check_output

        out_dir, out_name = check_output(args.output)  # a folder, or the MP4's own name
    from nemo_tui.services import build_client

    client = build_client(settings)
    try:
        if args.command == "ask":
            from nemo_tui.cli_ask import run_ask

            return await run_ask(client, settings, output, message)
        if args.command == "open":
            from nemo_tui.cli_sessions import run_open

            return await run_open(client, output)
        if args.command == "state":
            from nemo_tui.cli_state import run_state

            return await run_state(client, settings, output)
        if args.command == "credits":
            from nemo_tui.cli_state import run_credits

            return await run_credits(client, output)
        if args.command == "upload":
            from nemo_tui.cli_upload import run_upload

            return await run_upload(client, output, paths, urls)
        if args.command == "export":
            from nemo_tui.cli_export import resume_job, run_export

            if args.job:
                return await resume_job(client, settings, output, args.job, out_dir, out_name)
            return await run_export(client, settings, output, wait=args.wait,
                                    output_dir=out_dir, version=args.draft_version,
                                    filename=out_name)
        raise UsageError(f"Unknown command {args.command!r}.")
    finally:
        token = getattr(client, "token", None)
        if token is not None:
            output.secrets.append(token.token)
        await client.aclose()
