"""Local file handling for uploads and downloads: checks, streamed multipart, safe names.

No Textual, no Rich. Blocking file I/O runs in worker threads (`asyncio.to_thread`), so the
event loop never waits on the disk.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from nemo_tui.api.errors import (
    SUPPORTED_FORMATS_TEXT,
    LocalFileTooLargeError,
    LocalInputError,
    LocalUnsupportedFileError,
)

ProgressFn = Callable[[int, "int | None"], None]
"""Progress callback: (bytes done, bytes total or None)."""

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
SUPPORTED_EXTENSIONS: dict[str, str] = {
    ".mp4": "video", ".mov": "video", ".avi": "video", ".webm": "video", ".mkv": "video",
    ".jpg": "image", ".jpeg": "image", ".png": "image", ".gif": "image", ".webp": "image",
    ".mp3": "audio", ".wav": "audio", ".m4a": "audio", ".aac": "audio",
}
# A fixed table rather than `mimetypes`, whose first use reads system files (blocking I/O).
MIME_TYPES = {
    ".mp4": "video/mp4", ".mov": "video/quicktime", ".avi": "video/x-msvideo",
    ".webm": "video/webm", ".mkv": "video/x-matroska", ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif", ".webp": "image/webp",
    ".mp3": "audio/mpeg", ".wav": "audio/wav", ".m4a": "audio/mp4", ".aac": "audio/aac",
}
UPLOAD_CHUNK = 1024 * 1024

_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", "CLOCK$", "CONIN$", "CONOUT$"} | {
    f"{p}{n}" for p in ("COM", "LPT") for n in list("123456789") + ["¹", "²", "³"]
}
_BAD_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\u202a-\u202e\u2066-\u2069]')
_MAX_NAME_BYTES = 200


def check_upload_path(path: Path) -> None:
    """Refuse a path that cannot be uploaded, before any request (missing, format, > 200 MB)."""
    path = Path(path)
    name = path.name or str(path)
    where = str(path)  # where it was looked for: the name alone is vague (shown made safe)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise LocalInputError(f"File not found: {where}. Check the path.") from None
    except OSError as exc:
        raise LocalInputError(f"Cannot read {where}: {exc.strerror or 'error'}.") from None
    if not path.is_file():
        raise LocalInputError(f"{where} is not a regular file; upload a video, image or audio "
                              "file.")
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        shown = ext or "no extension"
        raise LocalUnsupportedFileError(
            f"{name} has an unsupported format ({shown}). Supported formats: "
            f"{SUPPORTED_FORMATS_TEXT}."
        )
    if st.st_size > MAX_UPLOAD_BYTES:
        size_mb = st.st_size / (1024 * 1024)
        raise LocalFileTooLargeError(
            f"{name} is {size_mb:.0f} MB; the limit is 200 MB per file. Compress or trim it first."
        )
    if not os.access(path, os.R_OK):
        raise LocalInputError(f"Cannot read {name}: permission denied.")


def _quote_filename(name: str) -> str:
    """Escape a file name for a multipart header the way browsers (and httpx) do."""
    return name.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


@dataclass
class MultipartUpload:
    """A multipart/form-data body with parts named ``files``, streamed from disk."""

    paths: Sequence[Path]
    sizes: Sequence[int]
    boundary: str

    @classmethod
    def build(cls, paths: Sequence[Path]) -> MultipartUpload:
        """Snapshot sizes now so Content-Length is exact (the server can check it)."""
        sizes = [Path(p).stat().st_size for p in paths]
        return cls(list(paths), sizes, uuid.uuid4().hex)

    @property
    def content_type(self) -> str:
        """The request's Content-Type header."""
        return f"multipart/form-data; boundary={self.boundary}"

    def _part_head(self, path: Path) -> bytes:
        mime = MIME_TYPES.get(path.suffix.lower(), "application/octet-stream")
        return (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="files"; filename="{_quote_filename(path.name)}"'
            f"\r\nContent-Type: {mime}\r\n\r\n"
        ).encode()

    @property
    def tail(self) -> bytes:
        """The closing boundary."""
        return f"--{self.boundary}--\r\n".encode()

    @property
    def content_length(self) -> int:
        """Exact body length in bytes."""
        heads = sum(len(self._part_head(p)) + 2 for p in self.paths)  # +2: CRLF after data
        return heads + sum(self.sizes) + len(self.tail)

    @property
    def file_bytes(self) -> int:
        """Total bytes of file content (what progress counts)."""
        return sum(self.sizes)

    async def stream(self, progress: ProgressFn | None = None) -> AsyncIterator[bytes]:
        """Yield the body chunk by chunk; constant memory whatever the file size."""
        done = 0
        total = self.file_bytes
        if progress:
            progress(0, total)
        for path, size in zip(self.paths, self.sizes, strict=True):
            yield self._part_head(path)
            try:
                fh = await asyncio.to_thread(open, path, "rb")
            except OSError as exc:
                raise LocalInputError(f"Cannot read {path.name}: {exc.strerror}.") from None
            try:
                left = size
                while left > 0:
                    chunk = await asyncio.to_thread(fh.read, min(UPLOAD_CHUNK, left))
                    if not chunk:
                        raise LocalInputError(f"{path.name} got shorter while it was being "
                                              "uploaded; try again.")
                    left -= len(chunk)
                    done += len(chunk)
                    yield chunk
                    if progress:
                        progress(done, total)
            finally:
                await asyncio.to_thread(fh.close)
            yield b"\r\n"
        yield self.tail


def check_upload_url(url: str) -> None:
    """Only http(s) URLs with a host can be given to the server to fetch."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise LocalInputError(f"Not a web address: {url!r}. Give an http:// or https:// URL.")


def safe_filename(name: str | None, fallback: str) -> str:
    """A file name safe on every OS, or `fallback` when nothing safe is left."""
    if not name:
        return fallback
    name = unquote(name)
    name = re.split(r"[/\\]", name)[-1]  # only the last segment, whatever the separator
    name = _BAD_CHARS.sub("_", name).strip().rstrip(". ")
    if not name or name.startswith(".") or set(name) <= {"_", "."}:
        return fallback
    stem = name.split(".")[0].strip().upper()
    if stem in _WINDOWS_RESERVED:
        return fallback
    suffix = Path(name).suffix
    if not suffix or len(suffix) > 8:
        return fallback
    raw = name.encode("utf-8")
    if len(raw) > _MAX_NAME_BYTES:
        keep = _MAX_NAME_BYTES - len(suffix.encode("utf-8"))
        stem_bytes = name[: -len(suffix)].encode("utf-8")[:keep]
        name = stem_bytes.decode("utf-8", errors="ignore") + suffix
    return name


def render_fallback_name(render_id: str) -> str:
    """``<render_id>.mp4``, itself made safe (the id comes from the server)."""
    safe_id = _BAD_CHARS.sub("_", render_id or "").strip(". ")[:100]
    if not safe_id or safe_id.upper() in _WINDOWS_RESERVED:
        safe_id = "render"
    return f"{safe_id}.mp4"


def name_from_url(url: str | None, render_id: str) -> str:
    """The download's file name: the URL's last path segment, sanitized, else the fallback."""
    fallback = render_fallback_name(render_id)
    if not url:
        return fallback
    segment = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return safe_filename(segment, fallback)


def title_filename(title: str | None, fallback: str, *, max_chars: int = 80,
                   suffix: str = ".mp4") -> str:
    """``<title>.mp4`` (or another `suffix`) as a safe file name: separators and control
    characters become spaces, whitespace is collapsed, the stem is cut to `max_chars`;
    `fallback` when nothing is left."""
    if not title:
        return fallback
    stem = _BAD_CHARS.sub(" ", title)
    stem = re.sub(r"\s+", " ", "".join(c if c.isprintable() else " " for c in stem))
    stem = stem.strip().strip(".").strip()[:max_chars].rstrip(" .")
    if not stem or stem.upper() in _WINDOWS_RESERVED:
        return fallback
    return safe_filename(f"{stem}{suffix}", fallback)


def unique_target(dest_dir: Path, name: str) -> Path:
    """`dest_dir/name`, or ``name (2).ext``, ``name (3).ext``… if taken (never overwrite)."""
    target = dest_dir / name
    # lexists: a dangling symlink is a taken name too (exists() says False, and publish's
    # os.link would then fail on it forever)
    if not os.path.lexists(target):
        return target
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 2
    while True:
        candidate = dest_dir / f"{stem} ({n}){suffix}"
        if not os.path.lexists(candidate):
            return candidate
        n += 1


def publish(part: Path, target: Path) -> Path:
    """Move a finished ``.part`` to its final name without ever overwriting a file."""
    dest_dir, name = target.parent, target.name
    while True:
        try:
            os.link(part, target)  # fails if target exists: atomic no-overwrite
        except FileExistsError:
            target = unique_target(dest_dir, name)
            continue
        except OSError:
            if os.path.lexists(target):  # no hard links here (some filesystems): check, then rename
                target = unique_target(dest_dir, name)
                continue
            os.rename(part, target)
            return target
        part.unlink()
        return target
