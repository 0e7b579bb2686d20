"""``python -m nemo_tui.local``: run the local backend in the foreground, with test options.

Example: ``python -m nemo_tui.local --port 8765 --faults faults.json --heartbeat 1``
(faults.json holds a list of rules, or ``{"rules": [...]}``; see nemo_tui/local/faults.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from nemo_tui.local.runner import LocalBackendUnavailable, serve_forever


def main(argv: list[str] | None = None) -> int:
    """Parse the options and serve until interrupted."""
    p = argparse.ArgumentParser(prog="python -m nemo_tui.local", description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--data-dir", type=Path, default=None)
    p.add_argument("--faults", type=Path, help="JSON file with fault rules")
    p.add_argument("--heartbeat", type=float, default=5.0, help="heartbeat interval (s)")
    p.add_argument("--event-style", choices=("adk", "simple"), default="adk")
    p.add_argument("--render-reply-style", choices=("success", "bare", "code", "rotate"),
                   default="success")
    p.add_argument("--render-scale", type=float, default=1.0)
    p.add_argument("--draft-format", choices=("short-json", "v3", "v3-object"),
                   default="short-json", help="how state replies carry drafts")
    p.add_argument("--latency", choices=("none", "fast", "realistic"), default=None,
                   help="agent latency mode (agent option)")
    args = p.parse_args(argv)
    faults = None
    if args.faults:
        try:
            loaded = json.loads(args.faults.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"Cannot read the faults file: {exc}", file=sys.stderr)
            return 2
        faults = loaded.get("rules", []) if isinstance(loaded, dict) else loaded
    agent_options = {"latency": args.latency} if args.latency else None
    try:
        serve_forever(
            args.host, args.port, args.data_dir, faults=faults, agent_options=agent_options,
            render_options={"scale": args.render_scale},
            server_options={"heartbeat_interval": args.heartbeat,
                            "event_style": args.event_style,
                            "render_reply_style": args.render_reply_style,
                            "draft_format": args.draft_format},
            on_ready=lambda url: print(f"NemoVideo local backend on {url} (Ctrl-C to stop)",
                                       flush=True))
    except (LocalBackendUnavailable, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
