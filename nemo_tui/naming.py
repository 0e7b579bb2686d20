"""Names of downloaded renders: from the session's title, safe, never the render id if avoidable.

`Night Lights.mp4`, then `Night Lights (2).mp4` (the download never overwrites). The title is
the draft's own title, else the title remembered for the session (the studio records it, a
batch records the item name). No Textual, no network.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nemo_tui.config import AppPaths


def session_title(raw_draft: Any, paths: AppPaths | None = None, api_url: str | None = None,
                  session_id: str | None = None) -> str | None:
    """The draft's title, else the stored title of the session, else None."""
    from nemo_tui.draft import decode_draft

    draft = decode_draft(raw_draft)
    if draft is not None and draft.title and draft.title.strip():
        return draft.title
    if paths is None or api_url is None or session_id is None:
        return None
    from nemo_tui.store import SessionStore

    try:
        recent = SessionStore(paths).recent(api_url)
    except OSError:
        return None
    return next((r.title for r in recent if r.session_id == session_id and r.title), None)


def export_filename(title: str | None) -> str | None:
    """`<title>.mp4` made safe (no separators or control characters, bounded), or None."""
    from nemo_tui.api.files import title_filename

    name = title_filename(title, "")
    return name or None


def split_output(path: Path) -> tuple[Path, str | None]:
    """`--output`: a folder, or an MP4's own name (a path ending in .mp4 that is no folder)."""
    if path.suffix.lower() == ".mp4" and not path.is_dir():
        return path.parent, path.name
    return path, None
