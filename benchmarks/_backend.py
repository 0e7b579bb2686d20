"""Run the built-in local backend for a benchmark until stdin closes (argv[1]: JSON options)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    """Start LocalBackend on the requested port and serve until the parent closes our stdin."""
    from nemo_tui.local.runner import LocalBackend

    opts = json.loads(sys.argv[1])
    kwargs = {k: opts[k] for k in ("faults", "agent_options", "render_options") if opts.get(k)}
    backend = LocalBackend(Path(opts["data_dir"]), host="127.0.0.1", port=opts["port"], **kwargs)
    url = backend.start()
    print(url, flush=True)
    try:
        sys.stdin.read()  # blocks until the benchmark closes the pipe (or dies)
    finally:
        backend.stop()


if __name__ == "__main__":
    main()
