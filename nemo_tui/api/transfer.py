"""Uploads and render downloads for `NemoClient` (streamed, constant memory, off the loop).

Downloads go to ``<name>.part`` and are renamed only when complete, never over an existing file;
an interrupted ``.part`` is resumed with a Range request when the server honours it.
"""

from __future__ import annotations

import asyncio
import errno
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import quote, urljoin

import httpx

from nemo_tui.api import parse
from nemo_tui.api.envelope import ApiFailure, unwrap
from nemo_tui.api.errors import DownloadError, NemoError
from nemo_tui.api.files import (
    MultipartUpload,
    ProgressFn,
    check_upload_path,
    name_from_url,
    publish,
    render_fallback_name,
    safe_filename,
    unique_target,
)
from nemo_tui.api.models import RenderStatus, UploadedFile

if TYPE_CHECKING:
    from nemo_tui.api.client import NemoClient

_RANGE_RE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


async def upload_files(client: NemoClient, paths: list[Path],
                       progress: ProgressFn | None) -> list[UploadedFile]:
    """Check every path first (no request if one fails), then one streamed multipart POST."""
    if not paths:
        return []
    for path in paths:
        await asyncio.to_thread(check_upload_path, path)
    upload = await asyncio.to_thread(MultipartUpload.build, paths)
    await client.ensure_session()

    def body() -> tuple[Any, dict[str, str]]:
        return upload.stream(progress), {"Content-Type": upload.content_type,
                                         "Content-Length": str(upload.content_length)}

    def path() -> str:
        assert client.session is not None
        return f"/api/upload-video/nemo_agent/me/{quote(client.session.session_id, safe='')}"

    cfg = client.config
    # The server may probe the media before answering: give the reply more time than usual.
    timeout = httpx.Timeout(cfg.request_timeout, read=max(cfg.request_timeout, 300))
    data = await client.call("POST", path, scope="upload", body=body, session_bound=True,
                             timeout=timeout)
    return parse.uploaded_files(data)


def _disk_error(exc: OSError, part: Path) -> DownloadError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DownloadError(f"The disk is full (no space left for {part.name}). Free some space "
                             "and download again; the partial file is kept so it can resume.")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return DownloadError(f"Cannot save the video in the folder {part.parent} "
                             f"({exc.strerror}). Make that folder writable or choose another "
                             "download folder, then download again.")
    return DownloadError(f"Could not write {part.name} in the folder {part.parent}: "
                         f"{exc.strerror or exc}. Check the folder and download again.")


async def _write_body(resp: httpx.Response, part: Path, append: bool, done: int,
                      total: int | None, progress: ProgressFn | None) -> None:
    """Stream the body into `part` (written from a worker thread, chunk by chunk)."""
    try:
        fh: BinaryIO = await asyncio.to_thread(_open_part, part, append)
    except OSError as exc:
        raise _disk_error(exc, part) from None
    try:
        if progress:
            progress(done, total)
        # No re-chunking: bytes that arrived before a cut are written (and resumable).
        async for chunk in resp.aiter_bytes():
            try:
                await asyncio.to_thread(fh.write, chunk)
            except OSError as exc:
                raise _disk_error(exc, part) from None
            done += len(chunk)
            if progress:
                progress(done, total)
    finally:
        try:
            await asyncio.to_thread(fh.close)
        except OSError as exc:  # a full disk may only show when buffers are flushed
            raise _disk_error(exc, part) from None


def _open_part(part: Path, append: bool) -> BinaryIO:
    """Open the .part file for writing without following a symlink (ELOOP if it is one)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | (os.O_APPEND if append else os.O_TRUNC)
    return os.fdopen(os.open(part, flags, 0o644), "ab" if append else "wb")


def _part_size(part: Path) -> int:
    """Bytes already downloaded; a .part that is a symlink is removed (the link, not its target):
    writing through it would put the video wherever the link points."""
    if part.is_symlink():
        part.unlink()
        return 0
    try:
        return part.stat().st_size
    except FileNotFoundError:
        return 0


def _unlink(part: Path) -> None:
    part.unlink(missing_ok=True)


async def download_render(client: NemoClient, status: RenderStatus, dest_dir: Path,
                          progress: ProgressFn | None, *, filename: str | None = None) -> Path:
    """Download the render's video into `dest_dir` and return the final path.

    The file is named `filename` (made safe) when given, else after the URL (or the id).
    """
    try:
        await asyncio.to_thread(dest_dir.mkdir, parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"Cannot create the download folder {dest_dir} ({exc.strerror}). "
                            "Choose another download folder, then download again.") from None
    if status.url:
        # A relative URL (no scheme) is taken relative to the API; it still gets no token.
        url = urljoin(client.api_url + "/", status.url)
        auth, name = False, name_from_url(status.url, status.id)
    else:
        # No URL in the status: the proxy endpoint serves the file, with auth.
        url = f"{client.api_url}/api/render/proxy/{quote(status.id, safe='')}/download"
        auth, name = True, render_fallback_name(status.id)
    if filename:
        name = safe_filename(filename, name)
    target = await asyncio.to_thread(unique_target, dest_dir, name)
    part = target.with_name(target.name + ".part")
    used: set[str] = set()
    for _attempt in range(4):
        offset = await asyncio.to_thread(_part_size, part)
        token = await client.ensure_token() if auth else None
        # The CDN URL needs no auth: never send the token (or our headers) to another host.
        headers = client.headers(token) if auth else {}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        try:
            async with client.http.stream("GET", url, headers=headers, follow_redirects=True,
                                          timeout=client.config.request_timeout) as resp:
                code = resp.status_code
                if offset and code == 416:
                    await asyncio.to_thread(_unlink, part)  # stale .part: start over
                    continue
                if code not in (200, 206):
                    raw = await resp.aread()
                    failure = _failure(code, raw, resp)
                    if auth and await client.recover(failure, token, used, auth=True,
                                                      session_bound=False):
                        continue
                    raise _download_refused(client, failure, auth)
                start, total = 0, _length(resp)
                if code == 206:
                    m = _RANGE_RE.match(resp.headers.get("content-range", ""))
                    if not m or int(m.group(1)) != offset:
                        await asyncio.to_thread(_unlink, part)  # a range we did not ask for
                        continue
                    start = offset
                    total = int(m.group(3)) if m.group(3) != "*" else None
                await _write_body(resp, part, code == 206, start, total, progress)
        except httpx.TooManyRedirects:
            raise DownloadError("The video link redirects in a loop, so the video could not be "
                                "downloaded. Try the download again later, or export "
                                "again.") from None
        except httpx.TransportError:
            raise DownloadError("The download was cut off. Download again to resume it; the "
                                f"partial file {part.name} is kept.") from None
        break
    else:
        raise DownloadError("The server kept refusing the download range. Try again later.")
    try:
        return await asyncio.to_thread(publish, part, target)
    except OSError as exc:
        raise DownloadError(f"Could not save {target.name} in the folder {target.parent}: "
                            f"{exc.strerror}. The partial file {part.name} is kept.") from None


def _length(resp: httpx.Response) -> int | None:
    try:
        return int(resp.headers["content-length"])
    except (KeyError, ValueError):
        return None


def _failure(code: int, raw: bytes, resp: httpx.Response) -> ApiFailure:
    try:
        unwrap(code, raw, resp.headers.get("content-type", ""), resp.headers.get("retry-after"))
    except ApiFailure as f:
        return f
    except NemoError:
        pass
    return ApiFailure(code, code)


#: Statuses of the fallback download that mean: this server has no download for the render.
NO_FALLBACK = (404, 405, 410, 501)


def _download_refused(client: NemoClient, f: ApiFailure, auth: bool) -> NemoError:
    if auth and f.http_status in NO_FALLBACK and f.kind == "other":
        # a completed render without a URL, and the documented fallback does not serve it
        return DownloadError(f"The render finished without a download link, and the server "
                             f"has no other download for it (HTTP {f.http_status}). Export "
                             "again, or get the video from the NemoVideo web editor.",
                             code=f.code, http_status=f.http_status)
    if auth:
        return client.error_for(f, "render")
    if f.http_status in (403, 404, 410):
        return DownloadError(f"The video link no longer works (HTTP {f.http_status}). Poll the "
                             "render again for a fresh link, or export again.",
                             http_status=f.http_status)
    return DownloadError(f"The video could not be downloaded (HTTP {f.http_status}). Try again "
                         "later.", http_status=f.http_status)
