"""The batch file (CLI.md "batch: the file"): parsing and validation, before any request.

Every problem is a `BatchFileError` (exit 2) whose message names the line. TOML syntax errors
carry tomllib's own line; for the others the line is found by scanning the text for the item's
`[[item]]` header or key, since tomllib keeps no positions. No I/O but reading the file and
checking media paths; no Textual, no network.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nemo_tui.api.errors import LocalInputError

DEFAULT_PARALLEL = 3
MAX_PARALLEL = 32
_ITEM_HEADER = re.compile(r"^\s*\[\[\s*item\s*\]\]")
_TOP_KEYS = {"output", "parallel", "item"}
_ITEM_KEYS = {"name", "media", "prompt", "prompts"}


class BatchFileError(LocalInputError):
    """The batch file cannot be run as written (exit 2); the message names the line."""


@dataclass(frozen=True)
class BatchItem:
    """One item: its media (files and URLs, in order) and its prompts."""

    name: str
    files: tuple[Path, ...]
    urls: tuple[str, ...]
    prompts: tuple[str, ...]
    line: int

    @property
    def fingerprint(self) -> str:
        """A digest of what the item asks for: a changed item starts over on a rerun."""
        raw = json.dumps([self.name, [str(f) for f in self.files], list(self.urls),
                          list(self.prompts)], ensure_ascii=True)
        return hashlib.sha256(raw.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class BatchSpec:
    """A parsed, validated batch file."""

    path: Path
    """Absolute path of the file (the key of its persisted progress)."""
    items: tuple[BatchItem, ...]
    output: Path | None
    parallel: int | None


def _item_lines(text: str) -> list[int]:
    """1-based line numbers of the `[[item]]` headers, in order."""
    return [n for n, line in enumerate(text.splitlines(), 1) if _ITEM_HEADER.match(line)]


def _key_line(text: str, start: int, key: str) -> int:
    """The line of `key = …` at or after line `start` (before the next table), else `start`."""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    lines = text.splitlines()
    for n in range(start, len(lines) + 1):
        line = lines[n - 1]
        if n > start and line.lstrip().startswith("["):
            break
        if pattern.match(line):
            return n
    return start


def load_batch(path: Path, *, parallel_flag: int | None = None) -> BatchSpec:
    """Read and check `path`; raises BatchFileError naming the line of the first problem."""
    if parallel_flag is not None:
        check_parallel(parallel_flag, "--parallel")
    path = Path(path).expanduser().absolute()
    shown = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BatchFileError(f"The batch file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise BatchFileError(f"Cannot read the batch file {path}: {why}.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BatchFileError(f"{shown}: not valid TOML: {exc}. Fix that line and run again.") \
            from None
    base = path.parent
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        line = _key_line(text, 1, unknown[0])
        raise BatchFileError(f"{shown} line {line}: unknown setting {unknown[0]!r}; a batch "
                             "file has output, parallel and [[item]] tables.")
    output = None
    if "output" in data:
        if not isinstance(data["output"], str) or not data["output"].strip():
            raise BatchFileError(f"{shown} line {_key_line(text, 1, 'output')}: output must be "
                                 "a folder name in quotes.")
        output = (base / Path(data["output"]).expanduser())
    parallel = None
    if "parallel" in data:
        parallel = data["parallel"]
        check_parallel(parallel, f"{shown} line {_key_line(text, 1, 'parallel')}: parallel")
    raw_items = data.get("item")
    if not isinstance(raw_items, list) or not raw_items:
        raise BatchFileError(f"{shown}: no items. Add at least one [[item]] table with a name "
                             "and a prompt.")
    headers = _item_lines(text)
    items: list[BatchItem] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_items):
        line = headers[index] if index < len(headers) else 1
        item = _parse_item(raw, text, line, base, shown)
        if item.name in seen:
            raise BatchFileError(f"{shown} line {_key_line(text, line, 'name')}: the item name "
                                 f"{item.name!r} is used twice (also line {seen[item.name]}); "
                                 "names must be unique.")
        seen[item.name] = _key_line(text, line, "name")
        items.append(item)
    return BatchSpec(path, tuple(items), output, parallel)


def check_parallel(value: Any, what: str) -> None:
    """`parallel` must be a whole number from 1 to MAX_PARALLEL."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PARALLEL:
        raise BatchFileError(f"{what} must be a whole number from 1 to {MAX_PARALLEL}, "
                             f"not {value!r}.")


def _parse_item(raw: Any, text: str, line: int, base: Path, shown: str) -> BatchItem:
    """One `[[item]]` table, checked."""
    where = f"{shown} line {line}"
    if not isinstance(raw, dict):
        raise BatchFileError(f"{where}: an item must be a [[item]] table.")
    unknown = sorted(set(raw) - _ITEM_KEYS)
    if unknown:
        raise BatchFileError(f"{shown} line {_key_line(text, line, unknown[0])}: unknown item "
                             f"key {unknown[0]!r}; use name, media, prompt or prompts.")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise BatchFileError(f"{where}: the item has no name; add name = \"…\".")
    name = name.strip()
    if not _safe_item_name(name):
        raise BatchFileError(f"{shown} line {_key_line(text, line, 'name')}: the item name "
                             f"{name!r} cannot be a file name (no slashes, control characters "
                             "or leading dot; at most 100 characters).")
    prompts = _prompts(raw, text, line, shown, name)
    files, urls = _media(raw.get("media", []), text, line, base, shown, name)
    return BatchItem(name, tuple(files), tuple(urls), tuple(prompts), line)


def _safe_item_name(name: str) -> bool:
    """A name usable as `<name>.mp4` as is."""
    return (len(name) <= 100 and not name.startswith(".") and name not in (".", "..")
            and not re.search(r'[\x00-\x1f\x7f/\\:*?"<>|\u202a-\u202e\u2066-\u2069]', name))


def _prompts(raw: dict, text: str, line: int, shown: str, name: str) -> list[str]:
    """The item's prompt(s): exactly one of `prompt` (text) or `prompts` (list of text)."""
    if "prompt" in raw and "prompts" in raw:
        raise BatchFileError(f"{shown} line {_key_line(text, line, 'prompts')}: item {name!r} "
                             "has both prompt and prompts; keep one.")
    if "prompt" in raw:
        value = raw["prompt"]
        if not isinstance(value, str) or not value.strip():
            raise BatchFileError(f"{shown} line {_key_line(text, line, 'prompt')}: the prompt "
                                 f"of item {name!r} must be non-empty text.")
        return [value.strip()]
    if "prompts" in raw:
        value = raw["prompts"]
        if (not isinstance(value, list) or not value
                or not all(isinstance(p, str) and p.strip() for p in value)):
            raise BatchFileError(f"{shown} line {_key_line(text, line, 'prompts')}: prompts of "
                                 f"item {name!r} must be a list of non-empty texts.")
        return [p.strip() for p in value]
    raise BatchFileError(f"{shown} line {line}: item {name!r} has no prompt; add prompt = \"…\" "
                         "or prompts = [\"…\", \"…\"].")


def _media(value: Any, text: str, line: int, base: Path, shown: str,
           name: str) -> tuple[list[Path], list[str]]:
    """Split media into readable files (relative to the batch file) and http(s) URLs."""
    from nemo_tui.api.files import check_upload_url

    where = f"{shown} line {_key_line(text, line, 'media')}"
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise BatchFileError(f"{where}: media of item {name!r} must be a list of paths or URLs.")
    files: list[Path] = []
    urls: list[str] = []
    for entry in (v.strip() for v in value):
        if "://" in entry:
            try:
                check_upload_url(entry)
            except LocalInputError as exc:
                raise BatchFileError(f"{where}: {exc}") from None
            urls.append(entry)
            continue
        path = base / Path(entry).expanduser()
        if not path.is_file() or not os.access(path, os.R_OK):
            why = "does not exist" if not path.exists() else "is not a readable file"
            raise BatchFileError(f"{where}: the media {entry!r} of item {name!r} {why} "
                                 f"(looked for {path}).")
        files.append(path)
    return files, urls
