"""Decoding of absurd times in drafts (NaN, inf, 1e300): unknown, never a 100-day draft."""

from __future__ import annotations

import math

import pytest

from nemo_tui.draft import MAX_MS, decode_draft


@pytest.mark.parametrize("absurd", [1e300, 10**30, "1e30", 1.7976931348623157e308, 10**400,
                                    math.nan, math.inf, "NaN", "-Infinity"])
def test_absurd_times_are_unknown_not_a_hundred_days(absurd) -> None:
    """A NaN, infinite or absurdly large time counts as missing: the draft's duration is its
    content's end and no segment is placed at the 100-day limit (shown as 8640000s)."""
    draft = decode_draft({"d": absurd, "t": [{"tt": 0, "sg": [
        {"s": 0, "d": 2000, "m": {"name": "a"}},
        {"s": absurd, "d": absurd, "m": {"name": "b"}},
        {"d": 1000, "m": {"name": "c"}},
    ]}]})
    segs = draft.tracks[0].segments
    assert [(s.start_ms, s.duration_ms) for s in segs] == [(0, 2000), (2000, 0), (2000, 1000)]
    assert draft.duration_ms == 3000
    assert max(s.end_ms for s in segs) < MAX_MS
