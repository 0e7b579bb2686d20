"""A session's conversation as Markdown or JSON: messages, timeline changes, renders.

Pure: no I/O, no Textual. Server text is made inert on the way out: control, bidi and invisible
characters become visible escapes (textsafe), and "<" is written as "&lt;" so a Markdown viewer
shows tags instead of running them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nemo_tui.textsafe import safe_line, safe_text

ROLE_HEADS = {"user": "**You**", "agent": "**Agent**"}
#: Studio lines (timeline changes, notices, errors) are quoted under the message they follow.
ROLE_MARKS = {"system": "·", "error": "✗"}


def inert(text: str, *, line: bool = False) -> str:
    """Text safe in a terminal and in a Markdown viewer."""
    clean = safe_line(text) if line else safe_text(text)
    return clean.replace("&", "&amp;").replace("<", "&lt;")


def export_filename(title: str | None, session_id: str) -> str:
    """``<title>.md`` (named like the session's videos), else ``transcript-<session>.md``."""
    from nemo_tui.api.files import title_filename
    from nemo_tui.store import session_key

    fallback = f"transcript-{session_key(session_id)}.md"
    return title_filename(title, fallback, suffix=".md")


def _render_rows(jobs: Sequence[Any]) -> list[str]:
    """The renders section: one table row per job, with its file or URL."""
    rows = ["| Job | Status | Created | File / URL |", "|---|---|---|---|"]
    for j in jobs:
        where = j.path or j.url or j.error or ""
        cells = [j.id, j.status, j.created_at, where]
        rows.append("| " + " | ".join(inert(str(c), line=True).replace("|", "\\|")
                                      for c in cells) + " |")
    return rows


def transcript_markdown(*, title: str | None, session_id: str, api_url: str,
                        entries: Sequence[Any], jobs: Sequence[Any], exported_at: str) -> str:
    """The Markdown document: heading, the conversation in order, then the renders."""
    out = [f"# {inert(title or f'Session {session_id}', line=True)}", "",
           (f"Session `{inert(session_id, line=True)}` · {inert(api_url, line=True)} · "
            f"exported {inert(exported_at, line=True)}"), "", "## Conversation", ""]
    quoting = False
    for e in entries:
        text = inert(e.text)
        if e.role in ROLE_HEADS:
            if quoting:
                out.append("")
            quoting = False
            out += [f"{ROLE_HEADS[e.role]} · {inert(e.ts, line=True)}", "", text, ""]
            continue
        mark = ROLE_MARKS.get(e.role, "·")
        out += [f"> {mark} {line}" if line.strip() else ">" for line in text.split("\n")]
        quoting = True
    if quoting:
        out.append("")
    if not entries:
        out += ["(no messages yet)", ""]
    out += ["## Renders", ""]
    out += _render_rows(jobs) if jobs else ["(no renders yet)"]
    return "\n".join(out).rstrip("\n") + "\n"


def transcript_json(*, title: str | None, session_id: str, api_url: str,
                    entries: Sequence[Any], jobs: Sequence[Any]) -> dict[str, Any]:
    """The same content as data (text as recorded; JSON output escapes it)."""
    return {"session_id": session_id, "title": title, "api_url": api_url,
            "messages": [{"ts": e.ts, "role": e.role, "text": e.text} for e in entries],
            "renders": [{"id": j.id, "status": j.status, "path": j.path, "url": j.url,
                         "created_at": j.created_at} for j in jobs]}
