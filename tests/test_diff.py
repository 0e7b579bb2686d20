"""diff: changes between drafts in words, deterministic, linear on huge drafts."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from nemo_tui.diff import MAX_LINES_PER_TRACK, diff_drafts
from nemo_tui.draft import decode_draft

SEED = {
    "d": 10000,
    "m": {"title": "Urban Dreams", "width": 1080, "height": 1920},
    "t": [
        {"tt": 0, "sg": [{"s": 0, "d": 10000, "m": {"name": "city timelapse"}}]},
        {"tt": 1, "sg": [{"s": 0, "d": 10000, "m": {"name": "Lo-fi", "volume": 0.35}}]},
        {"tt": 7, "sg": [{"s": 0, "d": 3000, "m": {"text": "Urban Dreams"}}]},
    ],
}


def _d(raw: dict):
    """Decode, asserting success."""
    draft = decode_draft(raw)
    assert draft is not None
    return draft


def test_no_change() -> None:
    """Equal drafts (and two missing ones) give no lines."""
    assert diff_drafts(_d(SEED), _d(copy.deepcopy(SEED))) == []
    assert diff_drafts(None, None) == []


def test_tracks_added_and_removed() -> None:
    """Whole tracks are described by role and content."""
    without = copy.deepcopy(SEED)
    without["t"] = without["t"][:1]
    assert diff_drafts(_d(without), _d(SEED)) == [
        "+ track BGM: Lo-fi (0-10s, 35%)",
        '+ track Title: "Urban Dreams" (0-3s)',
    ]
    assert diff_drafts(_d(SEED), _d(without)) == [
        "- track BGM: Lo-fi (0-10s, 35%)",
        '- track Title: "Urban Dreams" (0-3s)',
    ]


def test_from_nothing_and_to_nothing() -> None:
    """A first draft lists everything; a cleared one removes everything."""
    lines = diff_drafts(None, _d(SEED))
    # A first draft is one headline, not "changes" from an imaginary empty canvas.
    assert lines == ['new timeline "Urban Dreams", 1080×1920 (9:16), 10s',
                     "+ track Video: city timelapse (0-10s)",
                     "+ track BGM: Lo-fi (0-10s, 35%)",
                     '+ track Title: "Urban Dreams" (0-3s)']
    assert diff_drafts(_d(SEED), None)[-1] == '- track Title: "Urban Dreams" (0-3s)'


def test_title_volume_duration_size() -> None:
    """The ARCHITECTURE.md example lines, in the fixed order."""
    new = copy.deepcopy(SEED)
    new["m"].update(title="Night Lights", width=1920, height=1080)
    new["d"] = 15000
    new["t"][1]["sg"][0]["m"]["volume"] = 0.2
    assert diff_drafts(_d(SEED), _d(new)) == [
        'title changed to "Night Lights"',
        "size 1080×1920 (9:16) → 1920×1080 (16:9)",
        "duration 10s → 15s",
        "BGM volume 35% → 20%",
    ]
    del new["m"]["title"]
    assert diff_drafts(_d(SEED), _d(new))[0] == "title removed"


def test_a_title_change_is_said_once() -> None:
    """The draft's title and the Title track's text changing together, old title → new title,
    is one change: one line (not also 'Title: "Urban Dreams" → "Night Lights"')."""
    new = copy.deepcopy(SEED)
    new["m"]["title"] = "Night Lights"
    new["t"][2]["sg"][0]["m"]["text"] = "Night Lights"
    assert diff_drafts(_d(SEED), _d(new)) == ['title changed to "Night Lights"']


def test_title_and_its_text_changing_apart_are_two_changes() -> None:
    """Separate changes stay separate: the text changed to something else than the new title,
    the text alone changed, or the title's text also moved in time."""
    new = copy.deepcopy(SEED)
    new["m"]["title"] = "Night Lights"
    new["t"][2]["sg"][0]["m"]["text"] = "Night Lights!"
    assert diff_drafts(_d(SEED), _d(new)) == ['title changed to "Night Lights"',
                                              'Title: "Urban Dreams" → "Night Lights!"']
    only_text = copy.deepcopy(SEED)
    only_text["t"][2]["sg"][0]["m"]["text"] = "Night Lights"
    assert diff_drafts(_d(SEED), _d(only_text)) == ['Title: "Urban Dreams" → "Night Lights"']
    moved = copy.deepcopy(SEED)
    moved["m"]["title"] = "Night Lights"
    moved["t"][2]["sg"][0]["m"]["text"] = "Night Lights"
    moved["t"][2]["sg"][0]["s"] = 1000
    assert diff_drafts(_d(SEED), _d(moved)) == ['title changed to "Night Lights"',
                                                'Title: "Night Lights" 0-3s → 1-4s']


def test_segments_retimed_relabelled_added_removed() -> None:
    """Segment-level changes; an insert in the middle does not relabel everything after it."""
    old = {"t": [{"tt": 0, "sg": [{"d": 5000, "m": {"name": n}} for n in "abcd"]}]}
    new = {"t": [{"tt": 0, "sg": [
        {"d": 5000, "m": {"name": "a"}},
        {"d": 2000, "m": {"name": "x"}},
        {"d": 5000, "m": {"name": "b"}},
        {"d": 5000, "m": {"name": "c"}},
    ]}]}
    assert diff_drafts(_d(old), _d(new)) == [
        "duration 20s → 17s",
        "- Video: d (15-20s)",
        "+ Video: x (5-7s)",
        "Video: b 5-10s → 7-12s",
        "Video: c 10-15s → 12-17s",
    ]
    two = {"t": [{"tt": 0, "sg": [{"d": 1000, "m": {"name": "a"}}, {"d": 1000, "m": {"name": "b"}}]}]}
    two_new = copy.deepcopy(two)
    two_new["t"][0]["sg"][1]["m"]["name"] = "z"
    assert diff_drafts(_d(two), _d(two_new)) == ["Video: b → z"]
    renamed = copy.deepcopy(SEED)
    renamed["t"][2]["sg"][0]["m"]["text"] = "Night Lights"
    assert diff_drafts(_d(SEED), _d(renamed)) == ['Title: "Urban Dreams" → "Night Lights"']


def test_hostile_labels_escaped() -> None:
    """Labels and titles in diff lines carry no control characters."""
    new = copy.deepcopy(SEED)
    new["m"]["title"] = "\x1b]52;c;AAAA\x07"
    new["t"][0]["sg"][0]["m"]["name"] = "evil\u202e"
    for line in diff_drafts(_d(SEED), _d(new)):
        assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or c == "\u202e" for c in line)


def test_huge_drafts_linear_and_capped() -> None:
    """Two 10,000-segment drafts diff in one go (no timing assertion); output per track is capped."""
    old = {"t": [{"tt": 0, "sg": [{"d": 1000, "m": {"name": f"s{i}"}} for i in range(10_000)]}]}
    new = {"t": [{"tt": 0, "sg": [{"d": 1000, "m": {"name": f"s{i + 1}"}}
                                  for i in range(10_000)]}]}
    a, b = _d(old), _d(new)
    lines = diff_drafts(a, b)
    assert len(lines) == MAX_LINES_PER_TRACK + 1
    assert lines[0] == "- Video: s0 (0-1s)"
    assert lines[1] == "Video: s1 1-2s → 0-1s"  # every kept segment moved one second earlier
    assert lines[-1].startswith("Video: … ") and lines[-1].endswith("more changes")


_seg = st.fixed_dictionaries({"d": st.integers(0, 5000),
                              "m": st.fixed_dictionaries({"name": st.sampled_from("abc")})})
_draft = st.fixed_dictionaries({"t": st.lists(st.fixed_dictionaries(
    {"tt": st.sampled_from([0, 1, 7, 9]), "sg": st.lists(_seg, max_size=5)}), max_size=4)})


@settings(max_examples=150, deadline=None)
@given(_draft, _draft)
def test_property_deterministic_and_empty_on_self(a: dict, b: dict) -> None:
    """diff(x, x) is empty, and the result does not depend on anything but the inputs."""
    assert diff_drafts(_d(a), _d(copy.deepcopy(a))) == []
    assert diff_drafts(_d(a), _d(b)) == diff_drafts(_d(a), _d(b))
    if diff_drafts(_d(a), _d(b)) == []:
        assert _d(a).duration_ms == _d(b).duration_ms
