"""A bounded cache of decoded thumbnails, keyed by file (and its version on disk) + time + size.

Pure bookkeeping (no decoding, no Textual); thread-safe, since decoding runs in worker threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from pathlib import Path
from typing import Any

#: Default budget: 8 strip thumbnails and a few dozen large half-cell frames fit many times over.
DEFAULT_MAX_BYTES = 32 * 1024 * 1024


def frame_key(path: Path, t: float, size: tuple[int, int], exact: bool,
              thumbnails: bool = False) -> Hashable:
    """The cache key of one decoded picture (``thumbnails``: from a decoder that skips the
    deblocking filter); a rewritten file (new mtime/size) misses."""
    try:
        st = path.stat()
        version: tuple[int, int] = (st.st_mtime_ns, st.st_size)
    except OSError:
        version = (0, 0)
    return (str(path), version, round(t * 1000), size, exact, thumbnails)


class ThumbnailCache:
    """Least-recently-used pictures up to ``max_bytes`` of RGB pixels."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        """The picture for ``key`` (now most recently used), or None."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Hashable, picture: Any) -> None:
        """Keep ``picture`` (an RGB image), dropping the least recently used beyond the budget."""
        width, height = picture.size
        cost = width * height * 3
        if cost > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._items[key] = (picture, cost)
            self.bytes += cost
            while self.bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self.bytes -= dropped

    def __len__(self) -> int:
        """How many pictures are kept."""
        return len(self._items)
