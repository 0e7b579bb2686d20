"""Draft versions: each distinct draft seen for a session, numbered from 1 without gaps.

A version is recorded when a draft that can be rendered differs from the latest version (two
drafts are the same when their JSON as received is: same keys in the same order, same values;
the studio only hands over drafts that changed by ``==``). A draft equal to an
older version is a new version again (A → B → A is three versions) whose content is stored once,
under its digest. The history keeps the last MAX_VERSIONS; older ones are dropped and counted.
Pure: no I/O, no Textual (persistence is nemo_tui.version_store).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from nemo_tui.diff import diff_drafts
from nemo_tui.draft import Draft, decode_draft, summarize

__all__ = [
    "MAX_VERSIONS",
    "Version",
    "VersionHistory",
    "draft_digest",
    "draft_identity",
    "iter_json",
    "make_version",
    "one_line_diff",
]

#: Versions kept per session; older ones are dropped (and the history says how many).
MAX_VERSIONS = 100
#: Format of the stored history (bumped when its shape changes incompatibly).
FORMAT = 1


#: List items encoded per C call: the encoder holds the GIL for a whole call, so a big draft is
#: encoded in slices, letting the event loop's thread run between them.
JSON_SLICE = 200


def iter_json(obj: Any, *, sort_keys: bool) -> Iterator[str]:
    """``json.dumps(obj, sort_keys=…, separators=(",", ":"), ensure_ascii=True)`` in pieces.

    Lists longer than JSON_SLICE are encoded JSON_SLICE items at a time; containers above them
    are walked. The pieces joined are exactly the one-call result.
    """
    if isinstance(obj, list) and obj:
        yield "["
        if len(obj) > JSON_SLICE:
            for start in range(0, len(obj), JSON_SLICE):
                if start:
                    yield ","
                yield _dumps(obj[start:start + JSON_SLICE], sort_keys)[1:-1]
        else:
            for i, item in enumerate(obj):
                if i:
                    yield ","
                yield from iter_json(item, sort_keys=sort_keys)
        yield "]"
    elif isinstance(obj, dict) and obj and all(type(k) is str for k in obj):
        yield "{"
        for i, key in enumerate(sorted(obj) if sort_keys else obj):
            yield ("," if i else "") + _dumps(key, False) + ":"
            yield from iter_json(obj[key], sort_keys=sort_keys)
        yield "}"
    else:
        yield _dumps(obj, sort_keys)


def _dumps(obj: Any, sort_keys: bool) -> str:
    """One compact, ASCII-only JSON encoding (lone surrogates and controls survive escaped)."""
    return json.dumps(obj, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=True)


def draft_identity(raw: dict[str, Any] | str, *, between: Callable[[], object] | None = None
                   ) -> tuple[str, bytes]:
    """A draft's digest and the bytes it is stored as: its JSON exactly as received (key order
    kept; ASCII, so lone surrogates and control characters survive the round trip). One
    encoding serves both: it is most of what recording a big draft costs. ``between`` is
    called between the pieces (a thread passes ``time.sleep(0)`` to hand the GIL over)."""
    pieces = []
    for piece in iter_json(raw, sort_keys=False):
        pieces.append(piece)
        if between is not None and len(piece) > 1000:
            between()
    data = "".join(pieces).encode("ascii")
    return draft_digest(data), data


def draft_digest(data: bytes) -> str:
    """The identity of a stored draft: SHA-256 of its JSON bytes (32 hex digits)."""
    return hashlib.sha256(data).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Version:
    """One draft version of a session."""

    number: int
    created_at: str
    message: str | None
    """The user message that led to it, if known."""
    digest: str
    """draft_digest of the draft (names the stored draft)."""
    summary: str
    """The one-line timeline summary (draft.summarize)."""
    diff: tuple[str, ...]
    """What changed since the version before (diff.diff_drafts lines)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"number": self.number, "created_at": self.created_at, "message": self.message,
                "digest": self.digest, "summary": self.summary, "diff": list(self.diff)}

    @classmethod
    def from_dict(cls, data: Any) -> Version:
        """Strict decoding of a stored version; ValueError when damaged."""
        data = data if isinstance(data, dict) else {}  # a non-object fails the checks below
        number, digest, diff = data.get("number"), data.get("digest"), data.get("diff")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise ValueError("bad version number")
        if not isinstance(digest, str) or not digest.isalnum() or not digest.isascii():
            raise ValueError("bad draft digest")
        if not isinstance(diff, list) or not all(isinstance(x, str) for x in diff):
            raise ValueError("bad diff")
        message = data.get("message")
        return cls(number, str(data.get("created_at") or ""),
                   message if isinstance(message, str) else None, digest,
                   str(data.get("summary") or ""), tuple(diff))

    def cli_json(self) -> dict[str, Any]:
        """The `nemo-tui versions --json` object of this version (CLI.md)."""
        return {"number": self.number, "created_at": self.created_at, "message": self.message,
                "summary": self.summary, "diff": list(self.diff)}


def one_line_diff(version: Version) -> str:
    """The diff against the version before in one line: its first change, and how many more."""
    if not version.diff:
        return "no visible change"
    more = len(version.diff) - 1
    return version.diff[0] + (f" (+{more} more)" if more else "")


def make_version(number: int, raw: dict[str, Any] | str, digest: str, *, created_at: str,
                 message: str | None, previous: Draft | None,
                 decoded: Draft | None = None) -> Version:
    """Version ``number`` of ``raw`` (``decoded``: the same draft already decoded), diffed
    against ``previous``."""
    draft = decoded if decoded is not None else decode_draft(raw)
    return Version(number, created_at, message, digest, summarize(draft),
                   tuple(diff_drafts(previous, draft)))


@dataclass
class VersionHistory:
    """The kept versions of one session (oldest first) and how many older ones were dropped."""

    versions: list[Version] = field(default_factory=list)
    dropped: int = 0
    """Versions 1..dropped are no longer kept."""

    @property
    def latest(self) -> Version | None:
        """The newest version, if any."""
        return self.versions[-1] if self.versions else None

    @property
    def next_number(self) -> int:
        """The number the next version gets."""
        return self.versions[-1].number + 1 if self.versions else self.dropped + 1

    def get(self, number: int) -> Version | None:
        """Version ``number``, if it is kept."""
        if not self.versions:
            return None
        index = number - self.versions[0].number
        return self.versions[index] if 0 <= index < len(self.versions) else None

    def append(self, version: Version, *, limit: int | None = None) -> list[Version]:
        """Add the next version; returns the versions dropped to stay within ``limit``
        (default MAX_VERSIONS)."""
        if version.number != self.next_number:
            raise ValueError(f"version {version.number} is not the next one ({self.next_number})")
        self.versions.append(version)
        extra = max(0, len(self.versions) - (MAX_VERSIONS if limit is None else limit))
        gone, self.versions = self.versions[:extra], self.versions[extra:]
        self.dropped += len(gone)
        return gone

    def numbers_text(self) -> str:
        """The kept numbers for people: ``1-3``, ``7``, or ``none``."""
        if not self.versions:
            return "none"
        first, last = self.versions[0].number, self.versions[-1].number
        return str(first) if first == last else f"{first}-{last}"

    def dropped_note(self) -> str | None:
        """The sentence saying older versions were dropped, or None."""
        if not self.dropped:
            return None
        which = "Version 1 was" if self.dropped == 1 else f"Versions 1-{self.dropped} were"
        return f"{which} dropped: only the last {MAX_VERSIONS} versions are kept."

    def digests(self) -> set[str]:
        """The digests of every kept version (the drafts still needed)."""
        return {v.digest for v in self.versions}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"format": FORMAT, "dropped": self.dropped,
                "versions": [v.to_dict() for v in self.versions]}

    @classmethod
    def from_dict(cls, data: Any) -> VersionHistory:
        """Strict decoding of a stored history; ValueError when damaged (never a partial list)."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not a version history")
        items, dropped = data.get("versions"), data.get("dropped", 0)
        if not isinstance(items, list) or not isinstance(dropped, int) or dropped < 0:
            raise ValueError("bad version list")
        versions = [Version.from_dict(item) for item in items]
        for expected, version in enumerate(versions, dropped + 1):
            if version.number != expected:
                raise ValueError("version numbers have a gap")
        return cls(versions, dropped)
