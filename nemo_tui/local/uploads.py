"""Uploads for the local backend: streamed multipart parts and fetched URLs, straight to disk.

Nothing is held in memory whole: multipart bodies are parsed chunk by chunk (python-multipart)
and written by a worker thread; only the base name of a client's file name is used, sanitized,
and an existing file is never overwritten (``clip (1).mp4``).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from python_multipart.multipart import MultipartParser, parse_options_header

FILE_TYPES = {
    ".mp4": "video", ".mov": "video", ".avi": "video", ".webm": "video", ".mkv": "video",
    ".jpg": "image", ".jpeg": "image", ".png": "image", ".gif": "image", ".webp": "image",
    ".mp3": "audio", ".wav": "audio", ".m4a": "audio", ".aac": "audio",
}
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
             *(f"LPT{i}" for i in range(10))}


class UploadError(Exception):
    """A refused upload: ``code`` is 4001 (format / source) or 4002 (size)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class SavedFile:
    """One file stored under the session's media dir."""

    path: Path
    original_name: str
    size: int = 0
    sha: Any = field(default_factory=hashlib.sha256)


def sanitize_filename(name: str) -> str:
    """Base name only, no controls / separators / reserved names, at most 120 characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join("_" if (unicodedata.category(c)[0] == "C" or c in '<>:"|?*') else c
                   for c in name)
    name = name.strip().lstrip(".").strip() or "upload"
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if stem.upper() in _RESERVED:
        stem = "_" + stem
    ext = ext[:10]
    stem = stem[: 120 - len(ext) - 1] or "upload"
    return f"{stem}.{ext}" if ext else stem


def file_type(name: str) -> str | None:
    """"video" / "image" / "audio" for a supported extension, else None."""
    return FILE_TYPES.get(os.path.splitext(name)[1].lower())


def open_unique(directory: Path, name: str):
    """Create a new file (never overwriting) named ``name`` or ``stem (n).ext``; returns (path, fh)."""
    stem, ext = os.path.splitext(name)
    for n in range(10_000):
        candidate = directory / (name if n == 0 else f"{stem} ({n}){ext}")
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        return candidate, os.fdopen(fd, "wb")
    raise UploadError(4001, "too many files with this name")


def _check_name(original: str) -> str:
    safe = sanitize_filename(original)
    if file_type(safe) is None:
        raise UploadError(4001, f"unsupported file format: {safe}")
    return safe


class _PartCollector:
    """python-multipart callbacks -> a list of (event, payload) handled after each chunk."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self._field = b""
        self._value = b""
        self._headers: dict[bytes, bytes] = {}

    def callbacks(self) -> dict[str, Any]:
        """The callback table for MultipartParser."""
        return {
            "on_part_begin": lambda: self._headers.clear(),
            "on_header_field": lambda d, s, e: setattr(self, "_field", self._field + d[s:e]),
            "on_header_value": lambda d, s, e: setattr(self, "_value", self._value + d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": lambda d, s, e: self.events.append(("data", bytes(d[s:e]))),
            "on_part_end": lambda: self.events.append(("end", None)),
        }

    def _header_end(self) -> None:
        self._headers[self._field.strip().lower()] = self._value.strip()
        self._field = self._value = b""

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        filename = params.get(b"filename")
        fname = filename.decode("utf-8", "replace") if filename is not None else None
        self.events.append(("begin", (name, fname)))


def _coalesce(events: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Merge adjacent data events: one thread hop per chunk instead of one per callback."""
    out: list[tuple[str, Any]] = []
    for kind, payload in events:
        if kind == "data" and out and out[-1][0] == "data":
            out[-1] = ("data", out[-1][1] + payload)
        else:
            out.append((kind, payload))
    return out


def _write(saved: SavedFile, fh, data: bytes) -> None:
    fh.write(data)
    saved.sha.update(data)


async def receive_multipart(stream: AsyncIterator[bytes], content_type: str, dest: Path,
                            max_bytes: int = MAX_UPLOAD_BYTES) -> list[SavedFile]:
    """Store every ``files`` part of a multipart body under ``dest``; raises UploadError.

    On an error the rest of the body is still read (so the client gets the answer instead of
    a reset) and every file of this request is removed.
    """
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise UploadError(4001, "multipart body without boundary")
    collector = _PartCollector()
    parser = MultipartParser(boundary, collector.callbacks())
    saved: list[SavedFile] = []
    current: SavedFile | None = None
    fh = None
    error: UploadError | None = None
    try:
        async for chunk in stream:
            parser.write(chunk)
            events, collector.events = _coalesce(collector.events), []
            for kind, payload in events:
                if error is not None:
                    continue
                try:
                    if kind == "begin":
                        name, filename = payload
                        if name == "files" and filename is not None:
                            safe = _check_name(filename)
                            path, fh = await asyncio.to_thread(open_unique, dest, safe)
                            current = SavedFile(path, filename)
                            saved.append(current)
                    elif kind == "data" and current is not None:
                        current.size += len(payload)
                        if current.size > max_bytes:
                            raise UploadError(4002, f"file too large: {current.original_name!r}"
                                                    f" is over {max_bytes // (1024 * 1024)} MB")
                        await asyncio.to_thread(_write, current, fh, payload)
                    elif kind == "end" and current is not None:
                        await asyncio.to_thread(fh.close)
                        current, fh = None, None
                except UploadError as exc:
                    error = exc
        parser.finalize()
        if current is not None and error is None:  # the body stopped inside a file
            error = UploadError(4001, "the upload ended in the middle of a file")
    except asyncio.CancelledError:  # keep no partial files
        error = error or UploadError(4001, "the upload was interrupted")
        raise
    except Exception as exc:  # client gone mid-body, or a malformed body
        error = error or UploadError(4001, f"malformed or interrupted upload "
                                           f"({type(exc).__name__})")
        raise error from exc
    finally:
        if fh is not None:
            await asyncio.to_thread(fh.close)
        if error is not None:
            for s in saved:
                s.path.unlink(missing_ok=True)
    if error is None and not saved:
        error = UploadError(4001, "no files in the request (multipart parts must be named 'files')")
    if error is not None:
        for s in saved:
            s.path.unlink(missing_ok=True)
        raise error
    return saved


def _copy_file(src: Path, dest: Path, safe: str, max_bytes: int) -> SavedFile:
    if not src.is_file():
        raise UploadError(4001, f"no such file: {src.name}")
    if src.stat().st_size > max_bytes:
        raise UploadError(4002, f"file too large: {src.name} is over {max_bytes // 2**20} MB")
    path, fh = open_unique(dest, safe)
    saved = SavedFile(path, src.name)
    with fh, src.open("rb") as fin:
        while data := fin.read(1 << 20):
            _write(saved, fh, data)
            saved.size += len(data)
    return saved


async def _fetch_http(url: str, dest: Path, safe: str, max_bytes: int) -> SavedFile:
    import httpx

    async with (httpx.AsyncClient(timeout=30, trust_env=False) as client,
                client.stream("GET", url) as resp):
        if resp.status_code != 200:
            raise UploadError(4001, f"could not fetch {url}: HTTP {resp.status_code}")
        path, fh = await asyncio.to_thread(open_unique, dest, safe)
        saved = SavedFile(path, safe)
        try:
            async for data in resp.aiter_bytes():
                saved.size += len(data)
                if saved.size > max_bytes:
                    raise UploadError(4002, f"file too large: {url} is over "
                                            f"{max_bytes // 2**20} MB")
                await asyncio.to_thread(_write, saved, fh, data)
        except BaseException:
            await asyncio.to_thread(fh.close)
            path.unlink(missing_ok=True)
            raise
        await asyncio.to_thread(fh.close)
        return saved


async def fetch_urls(urls: list[Any], dest: Path,
                     max_bytes: int = MAX_UPLOAD_BYTES) -> list[SavedFile]:
    """Store each ``file://`` or loopback ``http(s)://`` URL under ``dest``; raises UploadError."""
    if not urls or not all(isinstance(u, str) for u in urls):
        raise UploadError(4001, "'urls' must be a non-empty list of strings")
    saved: list[SavedFile] = []
    try:
        for url in urls:
            parts = urlsplit(url)
            safe = _check_name(unquote(parts.path))
            if parts.scheme == "file":
                src = Path(unquote(parts.path))
                saved.append(await asyncio.to_thread(_copy_file, src, dest, safe, max_bytes))
            elif parts.scheme in ("http", "https") and parts.hostname in LOOPBACK_HOSTS:
                saved.append(await _fetch_http(url, dest, safe, max_bytes))
            else:
                raise UploadError(4001, "the local backend only fetches file:// and loopback "
                                        f"http URLs, not {parts.scheme}://{parts.hostname}")
    except BaseException:
        for s in saved:
            s.path.unlink(missing_ok=True)
        raise
    return saved
