"""What the local agent generated, listed in the state's ``generated_media`` (PROTOCOL.md §8).

Each entry looks like an upload result (``filename``, ``file_type``, ``cdn_url``, ``duration``,
``width``, ``height``), as the real service's are assumed to. The file behind ``cdn_url`` is
made on its first request (the generated clip rendered alone, or the generated tune as AAC) and
kept in the session's media folder under ``generated/``; what it is made from is kept in the
session, outside the state reply.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

#: The session key (beside ``state``) that holds how each generated file is made.
SOURCES = "generated_sources"
#: The subfolder of a session's media folder with the generated files, once made.
FOLDER = "generated"
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]+")


def video_entry(raw_draft: dict[str, Any], title: str, seconds: float) -> dict[str, Any]:
    """The clip a generation's first pass made (scenes only: no music, no title)."""
    meta = raw_draft.get("m") or {}
    return {"filename": f"{title}.mp4", "file_type": "video", "duration": float(seconds),
            "width": meta.get("width"), "height": meta.get("height"),
            "tool": "generate_video_with_seedance",
            "_source": {"draft": copy.deepcopy(raw_draft)}}


def music_entry(name: str, mood: str, seconds: float) -> dict[str, Any]:
    """The tune a generation's ``generate_music`` step made."""
    return {"filename": f"{name}.m4a", "file_type": "audio", "duration": float(seconds),
            "width": None, "height": None, "tool": "generate_music",
            "_source": {"mood": mood, "seconds": float(seconds)}}


def _unique(name: str, taken: set[str]) -> str:
    """``name`` made safe as a file name, numbered (``Sea (2).mp4``) when already listed."""
    name = _UNSAFE.sub(" ", name).strip() or "generated"
    stem, dot, ext = name.rpartition(".")
    stem, ext = (stem, dot + ext) if dot else (name, "")
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem} ({n}){ext}"
    return candidate


def add_to_session(session: dict[str, Any], entries: list[dict[str, Any]],
                   base_url: str) -> None:
    """List ``entries`` in the session's ``generated_media`` with their ``cdn_url``."""
    listed = session["state"].setdefault("generated_media", [])
    sources = session.setdefault(SOURCES, {})
    taken = {str(item.get("filename")) for item in listed if isinstance(item, dict)}
    for raw in entries:
        entry = {k: v for k, v in raw.items() if k != "_source"}
        entry["filename"] = name = _unique(str(entry["filename"]), taken)
        taken.add(name)
        entry["cdn_url"] = (f"{base_url.rstrip('/')}/media/{session['session_id']}/{FOLDER}/"
                            f"{quote(name)}")
        listed.append(entry)
        sources[name] = raw.get("_source") or {}


async def _make(source: dict[str, Any], out: Path, media_dir: Path, scale: float) -> None:
    """Write the generated file ``out`` from its ``source`` (atomically: temp, then rename)."""
    from nemo_tui.local.music import mood_for, tune_filter
    from nemo_tui.local.probe import ffmpeg_exe, file_url
    from nemo_tui.local.render import render_draft

    out.parent.mkdir(parents=True, exist_ok=True)
    if "draft" in source:
        await render_draft(source["draft"], out, media_dir=media_dir, progress=lambda _f: None,
                           scale=scale)
        return
    tmp = out.with_name(f".{out.name}.part")
    seconds = max(0.5, float(source.get("seconds") or 5.0))
    proc = await asyncio.create_subprocess_exec(
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error", "-y", "-f", "lavfi",
        "-i", tune_filter(mood_for(str(source.get("mood") or "")), seconds, 1.0),
        "-c:a", "aac", "-b:a", "128k", "-f", "mp4", file_url(tmp),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg failed: {err.decode('utf-8', 'replace')[-300:]}")
    os.replace(tmp, out)


async def generated_file(request: Request) -> Response:
    """GET /media/<sid>/generated/<name>: a generated file (its ``cdn_url``), no auth, like an
    upload's; made on the first request."""
    from nemo_tui.local.server import backend_of, fail

    be = backend_of(request)
    sid, name = request.path_params["sid"], request.path_params["name"]
    session = be.store.get_session(sid) if sid.isdigit() else None
    source = (session or {}).get(SOURCES, {}).get(name)
    if not isinstance(source, dict):
        return fail(404, "no such file", 404)
    media_dir = be.store.session_media_dir(sid)
    # on disk under a digest of the listed name: that name is the agent's text
    suffix = ".mp4" if "draft" in source else ".m4a"
    out = media_dir / FOLDER / (hashlib.sha256(name.encode()).hexdigest()[:32] + suffix)
    lock = be.generated_locks.setdefault(out, asyncio.Lock())
    async with lock:
        if not out.is_file():
            try:
                await _make(source, out, media_dir, be.renders.scale)
            except (RuntimeError, ValueError, OSError) as exc:
                return fail(500, f"could not make {name}: {exc}"[:400], 500)
    return FileResponse(out, media_type="video/mp4" if suffix == ".mp4" else "audio/mp4")


def routes() -> list[Route]:
    """The routes of this module."""
    return [Route("/media/{sid}/" + FOLDER + "/{name}", generated_file, methods=["GET", "HEAD"])]
