"""`nemo-tui upload PATH_OR_URL...`: files (streamed, checked first) and URLs to the session.

Split from cli.py (parser and dispatch only). No Textual, no Rich.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from nemo_tui.cli_output import EXIT_OK, UsageError
from nemo_tui.textsafe import safe_line

#: A link of another kind (ftp://, file://, s3://…); Windows drive letters are not links.
_OTHER_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")

if TYPE_CHECKING:
    from nemo_tui.api.client import NemoClient
    from nemo_tui.cli_output import Output


def split_upload_items(items: list[str]) -> tuple[list[str], list[Path]]:
    """Separate URLs from paths and pre-check every path (exit 2 before any request)."""
    from nemo_tui.api.client import check_upload_path

    urls = [i for i in items if i.lower().startswith(("http://", "https://"))]
    for item in items:
        scheme = _OTHER_URL.match(item)
        if scheme and item not in urls:  # else it would be looked for as a file named after it
            raise UsageError(f"Only http:// and https:// URLs can be uploaded, not "
                             f"{safe_line(scheme.group(0), max_len=20)}… links.")
    paths = [Path(i).expanduser() for i in items if i not in urls]
    for path in paths:
        check_upload_path(path)
    return urls, paths


async def run_upload(client: NemoClient, output: Output, paths: list[Path],
                     urls: list[str]) -> int:
    """Upload files (streamed, with progress on a terminal) and URLs."""
    files = []
    show_progress = not output.json_mode and sys.stderr.isatty()

    def progress(done: int, total: int | None) -> None:
        if show_progress and total:
            sys.stderr.write(f"\r… uploading {done * 100 // total}%")
            sys.stderr.flush()

    if paths:
        files += await client.upload_files(paths, progress=progress)
        if show_progress:
            sys.stderr.write("\n")
    if urls:
        files += await client.upload_urls(urls)
    if output.json_mode:
        output.json({"files": [{"name": f.filename, "type": f.file_type, "url": f.cdn_url,
                                "duration": f.duration, "width": f.width, "height": f.height}
                               for f in files]})
        return EXIT_OK
    for f in files:
        details = [f.file_type or "file"]
        if f.duration:  # a picture's 0 s says nothing
            details.append(f"{f.duration:g}s")
        if f.width and f.height:
            details.append(f"{f.width}x{f.height}")
        output.out(f"Uploaded {safe_line(f.filename)} ({', '.join(details)})")
    return EXIT_OK
