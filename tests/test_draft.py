"""draft: tolerant decoding, raw kept verbatim, the seed's summary format, CLI JSON shape."""

from __future__ import annotations

import copy
import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from nemo_tui.draft import decode_draft, draft_json, format_seconds, is_exportable, summarize

SEED = {
    "d": 10000,
    "m": {"title": "Urban Dreams", "width": 1080, "height": 1920},
    "t": [
        {"tt": 0, "sg": [{"s": 0, "d": 10000, "m": {"name": "city timelapse"}}]},
        {"tt": 1, "sg": [{"s": 0, "d": 10000, "m": {"name": "Lo-fi", "volume": 0.35}}]},
        {"tt": 7, "sg": [{"s": 0, "d": 3000, "m": {"text": "Urban Dreams"}}]},
    ],
}
SEED_SUMMARY = (
    'Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) '
    '3. Title: "Urban Dreams" (0-3s)'
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.sampled_from(["t", "tt", "sg", "d", "s", "m", "name", "text", "src",
                                       "volume", "title", "width", "height", "x"]) | st.text(max_size=5),
                      children, max_size=6),
    max_leaves=40,
)


def test_seed_summary_literal() -> None:
    """The PROTOCOL.md §8 example summarizes exactly as the seed does."""
    draft = decode_draft(SEED)
    assert draft is not None
    assert summarize(draft) == SEED_SUMMARY
    assert (draft.title, draft.width, draft.height, draft.duration_ms) == (
        "Urban Dreams", 1080, 1920, 10000)
    assert [t.role for t in draft.tracks] == ["Video", "BGM", "Title"]
    assert [t.kind for t in draft.tracks] == ["video", "audio", "text"]
    assert draft.tracks[1].segments[0].volume == 0.35


def test_none_and_non_dict() -> None:
    """No draft → None and the empty summary."""
    for obj in (None, [], "draft", 3, [SEED]):
        assert decode_draft(obj) is None
    assert summarize(None) == "Timeline is empty."
    assert summarize(decode_draft({})) == "Timeline is empty."
    assert draft_json(None) == {"summary": "Timeline is empty.", "format": None, "duration_ms": 0,
                                "tracks": [], "transitions": []}


def test_raw_kept_verbatim() -> None:
    """Unknown keys survive and the input object is neither copied nor modified."""
    src = copy.deepcopy(SEED)
    src["zz_unknown"] = {"keep": [1, 2]}
    src["t"][0]["fx"] = "glow"
    before = json.dumps(src, sort_keys=True)
    draft = decode_draft(src)
    assert draft is not None
    assert draft.raw is src
    assert json.dumps(draft.raw, sort_keys=True) == before
    assert draft.tracks[0].raw["fx"] == "glow"


def test_sequential_starts_and_several_segments() -> None:
    """Without ``s`` a segment starts where the previous one ended; all are listed."""
    draft = decode_draft({"t": [{"tt": 0, "sg": [
        {"d": 5000, "m": {"name": "a"}}, {"d": 5000, "m": {"name": "b"}},
        {"s": "12000", "d": "2500", "m": {"src": "https://cdn.example/x/clip.mp4?sig=1"}},
        {"d": 1000},
    ]}]})
    assert draft is not None
    assert summarize(draft) == (
        "Timeline (1 track): 1. Video: a (0-5s), b (5-10s), clip.mp4 (12-14.5s), "
        "segment 4 (14.5-15.5s)")
    assert draft.duration_ms == 15500  # no "d": the end of the content


def test_roles_unknown_and_empty_tracks() -> None:
    """Second text track is Text, unknown types are named, empty tracks say so."""
    draft = decode_draft({"d": 1000, "t": [
        {"tt": 7, "sg": [{"d": 1000, "m": {"text": "Hi"}}]},
        {"tt": 7, "sg": [{"d": 1000, "m": {"text": "there"}}]},
        {"tt": 42, "sg": []},
        {"tt": "1", "sg": [{"d": 1000, "m": {"name": "Voiceover take 2", "volume": "1"}}]},
        {"sg": "nope"},
        "not a track",
    ]})
    assert draft is not None
    assert [t.role for t in draft.tracks] == ["Title", "Text", "Track type 42", "Audio",
                                              "Track type ?"]
    assert [t.kind for t in draft.tracks] == ["text", "text", "type 42", "audio", "type ?"]
    assert draft.tracks[4].index == 4
    assert summarize(draft) == (
        'Timeline (5 tracks): 1. Title: "Hi" (0-1s) 2. Text: "there" (0-1s) '
        "3. Track type 42: (empty) 4. Audio: Voiceover take 2 (0-1s, 100%) "
        "5. Track type ?: (empty)")


def test_bad_numbers_clamped() -> None:
    """Negative, NaN, inf, huge and non-numeric values never crash or go negative."""
    draft = decode_draft({"d": -5, "m": {"width": math.nan, "height": "1e400", "title": 7},
                          "t": [{"tt": 0.0, "sg": [
                              {"s": -100, "d": math.inf, "m": []},
                              {"s": 10**400, "d": "abc", "m": {"volume": -3}},
                              {"s": True, "d": 10**30},
                          ]}]})
    assert draft is not None
    assert draft.duration_ms == 0
    assert draft.width is None and draft.height is None and draft.title == "7"
    segs = draft.tracks[0].segments
    assert all(s.start_ms >= 0 and s.duration_ms >= 0 for s in segs)
    assert segs[0].start_ms == 0 and segs[0].duration_ms == 0
    assert segs[1].volume == 0.0
    summarize(draft)
    json.dumps(draft_json(draft))


def test_summary_labels_sanitized_and_capped() -> None:
    """Escape sequences in labels are escaped; huge tracks are cut in the summary."""
    draft = decode_draft({"t": [{"tt": 0, "sg": [{"d": 1, "m": {"name": "\x1b[2Jx\ny"}}]},
                                {"tt": 1, "sg": [{"d": 1000} for _ in range(30)]}]})
    out = summarize(draft)
    assert "\x1b" not in out and "\n" not in out and "\\x1b[2Jx\\ny" in out
    assert out.endswith("… (+18 more)")


def test_format_seconds() -> None:
    """Seconds are trimmed."""
    assert [format_seconds(v) for v in (0, 2500, 10000, 1234, 100)] == [
        "0", "2.5", "10", "1.234", "0.1"]


def test_is_exportable() -> None:
    """§8: ``t`` exists and at least one track has a non-empty ``sg``."""
    assert is_exportable(SEED)
    assert not is_exportable(None)
    assert not is_exportable({})
    assert not is_exportable({"t": []})
    assert not is_exportable({"t": [{"tt": 0, "sg": []}, {"tt": 1}]})
    assert not is_exportable({"t": {"0": {"sg": [1]}}})
    assert is_exportable({"t": ["x", {"sg": [{}]}]})


def test_draft_json_shape() -> None:
    """The CLI ``state --json`` keys."""
    out = draft_json(decode_draft(SEED))
    assert out["summary"] == SEED_SUMMARY
    assert out["duration_ms"] == 10000
    assert out["tracks"][1] == {"type": "audio", "segments": [
        {"start_ms": 0, "duration_ms": 10000, "label": "Lo-fi"}]}
    assert out["tracks"][2]["segments"][0]["label"] == "Urban Dreams"


def test_huge_draft_fast() -> None:
    """10,000+ segments decode and summarize in one go (speed sanity, no timing assertion)."""
    raw = {"d": 0, "t": [{"tt": i % 3, "sg": [{"d": 1000, "m": {"name": f"s{j}"}}
                                            for j in range(5000)]} for i in range(3)]}
    draft = decode_draft(raw)
    summary = summarize(draft)
    assert draft is not None and draft.segment_count == 15000
    assert draft.tracks[0].segments[-1].start_ms == 4_999_000
    assert summary.count("(+4988 more)") == 3
    assert len(draft_json(draft)["tracks"][2]["segments"]) == 5000


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_property_decode_never_raises(obj: object) -> None:
    """Arbitrary JSON decodes (or gives None) and summarizes without raising."""
    wrapped = {"t": obj} if not isinstance(obj, dict) else obj
    for candidate in (obj, wrapped, {"t": [{"tt": 0, "sg": obj}]}):
        draft = decode_draft(candidate)
        summarize(draft)
        json.dumps(draft_json(draft))
        is_exportable(candidate)
        if draft is not None:
            assert draft.raw is candidate
            assert draft.duration_ms >= 0
            for t in draft.tracks:
                for s in t.segments:
                    assert s.start_ms >= 0 and s.duration_ms >= 0 and s.label


def test_label_priority_and_volume_percent() -> None:
    """Label: name, else text (quoted), else src base name, else "segment N"; volume as percent."""
    draft = decode_draft({"t": [{"tt": "0", "sg": [
        {"d": 1000, "m": {"name": "n", "text": "t", "src": "/a/b.mp4"}},
        {"d": 1000, "m": {"text": "t", "src": "/a/b.mp4"}},
        {"d": 1000, "m": {"src": "C:\\media\\c.png"}},
        {"d": 1000, "m": {"volume": 0.2}},
    ]}]})
    assert draft is not None
    assert [s.label for s in draft.tracks[0].segments] == ["n", "t", "c.png", "segment 4"]
    assert summarize(draft) == (
        'Timeline (1 track): 1. Video: n (0-1s), "t" (1-2s), c.png (2-3s), segment 4 (3-4s, 20%)')


def _reference_segment(seg: dict, number: int, start: int) -> tuple:
    """What a segment decodes to through the generic tolerant helpers alone (no fast paths)."""
    from nemo_tui.draft import _base_name, _ms, _num, _str

    m = seg.get("m") if isinstance(seg.get("m"), dict) else {}

    def fld(key: str) -> object:
        return m.get(key) if m.get(key) is not None else seg.get(key)

    s, dur = _ms(seg.get("s")), _ms(seg.get("d")) or 0
    name, text, src = _str(fld("name")), _str(fld("text")), _str(fld("src"))
    vol = _num(fld("volume"))
    vol = None if vol is None else min(max(vol, 0.0), 100.0)
    label = name or text or (_base_name(src) if src else f"segment {number}")
    return (start if s is None else s, dur, label, text, vol, src, not name and bool(text))


_EDGE = st.one_of(
    st.none(), st.booleans(), st.sampled_from([0, -1, 8_640_000_000, 8_640_000_001, 10**30,
                                               -(10**30), 0.5, -0.0, math.inf, math.nan, "7",
                                               " 2.5 ", "", "  ", "x", 1e300]),
    st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["s", "d", "name", "text", "src", "volume"]), _EDGE),
       st.dictionaries(st.sampled_from(["name", "text", "src", "volume"]), _EDGE),
       st.booleans())
def test_fast_path_matches_generic_helpers(top: dict, meta: dict, with_meta: bool) -> None:
    """The inline fast paths give exactly what the tolerant helpers give, for any field value."""
    seg = dict(top, m=meta) if with_meta else top
    draft = decode_draft({"t": [{"tt": 0, "sg": [{"d": 1500}, seg]}]})
    assert draft is not None
    got = draft.tracks[0].segments[1]
    assert (got.start_ms, got.duration_ms, got.label, got.text, got.volume, got.src,
            got.label_is_text) == _reference_segment(seg, 2, 1500)
    assert got.raw is seg
