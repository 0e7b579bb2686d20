"""Upload (§6), render (§9) and file-serving endpoints of the local backend."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from nemo_tui.local.server import ATTRIBUTION, Backend, Denied, _json_body, backend_of, fail, ok
from nemo_tui.local.uploads import (
    MAX_UPLOAD_BYTES,
    SavedFile,
    UploadError,
    fetch_urls,
    file_type,
    receive_multipart,
)

RENDER_ID = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def _probe(path: Path, reject_broken: bool) -> dict[str, Any]:
    """Media facts from probe.probe_media; with ``reject_broken``, UploadError 4001 for a file
    that is not readable media (else {} for it)."""
    try:
        from nemo_tui.local.probe import probe_media
    except ImportError:
        return {}
    try:
        info = probe_media(path)
    except ValueError as exc:
        if not reject_broken:
            return {}
        # A truncated video or a text file named .mp4 would only fail later, at render time,
        # far from its cause: refuse it now, as the real service does, with the probe's reason.
        raise UploadError(4001, f"Unsupported or broken file: {exc}.") from None
    return info if isinstance(info, dict) else {}


async def _file_info(request: Request, sid: str, saved: SavedFile) -> dict[str, Any]:
    reject_broken = bool(backend_of(request).opt("reject_broken_media", True))
    info = await asyncio.to_thread(_probe, saved.path, reject_broken)
    name = saved.path.name
    return {"filename": name, "file_type": file_type(name),
            "cdn_url": f"{str(request.base_url).rstrip('/')}/media/{sid}/{quote(name)}",
            "duration": info.get("duration"), "width": info.get("width"),
            "height": info.get("height"), "fps": info.get("fps"),
            "hash": saved.sha.hexdigest()[:16], "size": saved.size}


async def upload(request: Request) -> Response:
    """POST /api/upload-video/nemo_agent/me/<sid>: multipart ``files`` parts or JSON urls."""
    be = backend_of(request)
    rec, _ = await be.guard(request, "upload")
    sid = request.path_params["sid"]
    session = be.session_or_404(sid, rec)
    dest = be.store.session_media_dir(session["session_id"])
    max_bytes = int(be.opt("max_upload_bytes", MAX_UPLOAD_BYTES))
    ctype = request.headers.get("content-type", "")
    try:
        if ctype.startswith("multipart/form-data"):
            saved = await receive_multipart(request.stream(), ctype, dest, max_bytes)
        else:
            body = await _json_body(request)
            urls = body.get("urls") if isinstance(body, dict) else None
            saved = await fetch_urls(urls, dest, max_bytes)
    except UploadError as exc:
        return fail(exc.code, exc.message, 413 if exc.code == 4002 else 400)
    try:
        files = [await _file_info(request, session["session_id"], s) for s in saved]
    except UploadError as exc:
        for item in saved:  # the whole request is refused: keep none of its files
            item.path.unlink(missing_ok=True)
        return fail(exc.code, exc.message, 400)
    fresh = be.store.get_session(session["session_id"]) or session
    fresh["state"]["video_infos"].extend(files)
    be.store.save_session(fresh)
    return ok({"files": files, "session_state_applied": True})


def _job_view(be: Backend, request: Request, job: dict[str, Any],
              override: dict[str, Any] | None = None) -> Response:
    """A job in one of the three documented reply shapes."""
    status, progress, error = job["status"], job["progress"], job.get("error")
    if override:
        status = override.get("status", status)
        progress = override.get("progress", 100 if status == "completed" else progress)
        error = override.get("error", "render failed (injected fault)"
                             if status == "failed" else error)
        if progress == "advance":  # news on every poll: a watcher never slows down
            ticks = be.poll_ticks[job["id"]] = be.poll_ticks.get(job["id"], 0) + 1
            progress = 5 + ticks % 90
    url = None
    if status == "completed" and job["status"] == "completed" and not (
            override and override.get("without_url")):
        url = str(request.url_for("render_file", name=f"{job['id']}.mp4"))
    style = be.reply_style()
    if style == "bare":
        body: dict[str, Any] = {"taskId": job["id"], "status": status, "progress": progress}
        if url:
            body["output"] = {"url": url, "duration": job.get("duration"),
                              "size": job.get("size")}
        if error and status == "failed":
            body["error"] = error
        return JSONResponse(body)
    data: dict[str, Any] = {"id": job["id"], "status": status, "progress": progress}
    if url:
        data["outputUrl"] = url
    if error and status == "failed":
        data["error"] = error
    if style == "code":
        return JSONResponse({"code": 0, "message": "ok", "data": data})
    return JSONResponse({"success": True, "data": data})


def _render_fail(message: str, status: int) -> JSONResponse:
    return JSONResponse({"success": False, "error": message, "message": message}, status)


async def render_start(request: Request) -> Response:
    """POST /api/render/proxy/lambda: start a render (needs the X-Skill-* headers)."""
    be = backend_of(request)
    rec, _ = await be.guard(request, "render_start")
    missing = [h for h in ATTRIBUTION if not request.headers.get(h, "").strip()]
    if missing:
        return fail(402, "export blocked: missing attribution headers "
                         + ", ".join(missing), 402)
    body = await _json_body(request)
    if not isinstance(body, dict):
        return _render_fail("the body must be a JSON object", 400)
    render_id = body.get("id")
    if not isinstance(render_id, str) or not RENDER_ID.match(render_id):
        return _render_fail("'id' must be letters, digits, '_', '-' or '.'", 400)
    if be.renders.exists(render_id):
        return _render_fail(f"duplicate id: {render_id}", 409)
    sid = body.get("sessionId") or body.get("session_id")
    session = be.store.get_session(str(sid), rec["user_id"]) if sid else None
    if session is None:
        return JSONResponse({"success": False, "code": 1002, "error": "session not found",
                             "message": "session not found"}, 404)
    draft = body.get("draft")
    if isinstance(draft, str) or (isinstance(draft, dict) and "t" not in draft):
        from nemo_tui.local.v3 import from_v3

        # A Draft V3 template (text or wrapped) is read back into the renderer's short keys.
        draft = await asyncio.to_thread(from_v3, draft) or draft
    if not isinstance(draft, dict):
        return _render_fail("'draft' must be an object or a Draft V3 template", 400)
    output = body.get("output") if isinstance(body.get("output"), dict) else {}
    output = {"format": "mp4", "quality": "high", **output}
    job = be.renders.submit(render_id, session, draft, output)
    return _job_view(be, request, job)


def _job_or_404(be: Backend, request: Request, rec: dict) -> dict[str, Any]:
    job = be.renders.get(request.path_params["rid"], rec["user_id"])
    if job is None:
        raise Denied(_render_fail("render not found", 404))
    return job


async def render_poll(request: Request) -> Response:
    """GET /api/render/proxy/lambda/<id>."""
    be = backend_of(request)
    rec, rule = await be.guard(request, "render_poll")
    job = _job_or_404(be, request, rec)
    override = rule if rule and rule.get("status") else None
    return _job_view(be, request, job, override)


async def render_cancel(request: Request) -> Response:
    """POST /api/render/proxy/lambda/<id>/cancel."""
    be = backend_of(request)
    rec, _ = await be.guard(request, "render_cancel")
    job = _job_or_404(be, request, rec)
    be.renders.cancel(job["id"])
    return _job_view(be, request, job)


class CutFileResponse:
    """Announces the whole file but closes the connection after ``cut`` bytes (a fault)."""

    def __init__(self, path: Path, cut: int, stall: float = 0.0) -> None:
        self.path = path
        self.cut = cut
        self.stall = stall  # seconds to hang after the cut bytes (a download killed midway)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        """Send headers with the full length, part of the body, then drop the connection."""
        size = self.path.stat().st_size
        data = await asyncio.to_thread(lambda: self.path.read_bytes()[: self.cut])
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"video/mp4"),
                                (b"content-length", str(size).encode())]})
        await send({"type": "http.response.body", "body": data, "more_body": True})
        if self.stall:
            await asyncio.sleep(self.stall)
        # Returning without the final message makes the server close the socket.


#: Query parameter that marks a request following an injected redirect loop.
LOOP_PARAM = "redirect_loop"


def _redirect_loop(request: Request, rule: dict[str, Any] | None) -> Response | None:
    """A 302 back to the same file when a ``redirect: loop`` rule fired or the request is
    already in the loop (so one rule loops for as long as the client follows)."""
    hop = request.query_params.get(LOOP_PARAM)
    if not (rule and rule.get("redirect") == "loop") and hop is None:
        return None
    step = int(hop) + 1 if (hop or "").isdigit() else 1
    return Response(status_code=302, headers={
        "Location": str(request.url.replace_query_params(**{LOOP_PARAM: str(step)}))})


def _serve(path: Path, rule: dict[str, Any] | None) -> Any:
    if rule and rule.get("cut_after_bytes") is not None:
        return CutFileResponse(path, int(rule["cut_after_bytes"]), float(rule.get("stall", 0)))
    return FileResponse(path, media_type="video/mp4" if path.suffix == ".mp4" else None)


async def render_download(request: Request) -> Response:
    """GET /api/render/proxy/<id>/download (with auth)."""
    be = backend_of(request)
    rec, rule = await be.guard(request, "render_download")
    if (loop := _redirect_loop(request, rule)) is not None:
        return loop
    job = _job_or_404(be, request, rec)
    path = be.renders.output_path(job["id"])
    if job["status"] != "completed" or not path.exists():
        return _render_fail(f"render is {job['status']}, not completed", 409)
    return _serve(path, rule)


async def render_file(request: Request) -> Response:
    """GET /files/<id>.mp4: a finished render, no auth, with Range support."""
    be = backend_of(request)
    _, rule = await be.guard(request, "file")
    if (loop := _redirect_loop(request, rule)) is not None:
        return loop
    name = request.path_params["name"]
    rid = name[:-4] if name.endswith(".mp4") else ""
    job = be.renders.get(rid) if RENDER_ID.match(rid or "-/") else None
    path = be.renders.output_path(rid) if job else None
    if job is None or job["status"] != "completed" or path is None or not path.exists():
        return fail(404, "no such file", 404)
    return _serve(path, rule)


async def media_file(request: Request) -> Response:
    """GET /media/<sid>/<name>: an uploaded file (its ``cdn_url``), no auth."""
    be = backend_of(request)
    sid, name = request.path_params["sid"], request.path_params["name"]
    base = be.store.media_dir.resolve()
    path = (base / sid / name).resolve()
    if not sid.isdigit() or path.parent != base / sid or not path.is_file():
        return fail(404, "no such file", 404)
    return FileResponse(path)


def routes() -> list[Route]:
    """The routes of this module."""
    return [
        Route("/api/upload-video/nemo_agent/me/{sid}", upload, methods=["POST"]),
        Route("/api/render/proxy/lambda", render_start, methods=["POST"]),
        Route("/api/render/proxy/lambda/{rid}", render_poll, methods=["GET"]),
        Route("/api/render/proxy/lambda/{rid}/cancel", render_cancel, methods=["POST"]),
        Route("/api/render/proxy/{rid}/download", render_download, methods=["GET"]),
        Route("/files/{name}", render_file, methods=["GET", "HEAD"], name="render_file"),
        Route("/media/{sid}/{name}", media_file, methods=["GET", "HEAD"], name="media_file"),
    ]
