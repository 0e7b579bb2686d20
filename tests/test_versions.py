"""Draft versions: the pure history (nemo_tui.versions) and its files (nemo_tui.version_store)."""

from __future__ import annotations

import gzip
import itertools
import json
import os
import stat
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nemo_tui.versions as versions_mod
from nemo_tui.config import AppPaths
from nemo_tui.draft import is_exportable
from nemo_tui.version_store import NoSuchVersion, VersionDraftUnreadable, VersionStore
from nemo_tui.versions import Version, VersionHistory, one_line_diff

URL = "http://127.0.0.1:8773"


def draft(seconds: int, title: str = "Sea", music: float | None = 0.35) -> dict:
    """A small renderable draft: a video of ``seconds``, optional music, a title."""
    ms = seconds * 1000
    tracks = [{"tt": 0, "sg": [{"s": 0, "d": ms, "m": {"name": "waves"}}]}]
    if music is not None:
        tracks.append({"tt": 1, "sg": [{"s": 0, "d": ms, "m": {"name": "Lo-fi", "volume": music}}]})
    return {"d": ms, "m": {"title": title, "width": 1920, "height": 1080}, "t": tracks}


@pytest.fixture
def paths() -> AppPaths:
    """App paths inside the test's private XDG dirs."""
    return AppPaths.default()


def store(paths: AppPaths, session: str = "sess-1") -> VersionStore:
    return VersionStore(paths, URL, session)


# ---- the pure history ----------------------------------------------------------------------


def test_history_numbers_get_and_texts():
    history = VersionHistory()
    assert history.next_number == 1 and history.latest is None and history.numbers_text() == "none"
    for n in (1, 2, 3):
        history.append(Version(n, "t", None, f"d{n}", "s", ("a", "b") if n == 2 else ()))
    assert history.get(2).digest == "d2" and history.get(0) is None and history.get(4) is None
    assert history.numbers_text() == "1-3" and history.dropped_note() is None
    assert one_line_diff(history.get(2)) == "a (+1 more)"
    assert one_line_diff(history.get(1)) == "no visible change"
    with pytest.raises(ValueError):
        history.append(Version(7, "t", None, "d7", "s", ()))  # a gap is refused


def test_history_bounded_and_says_so():
    history = VersionHistory()
    for n in range(1, 6):
        history.append(Version(n, "t", None, f"d{n}", "s", ()), limit=3)
    assert [v.number for v in history.versions] == [3, 4, 5] and history.dropped == 2
    assert history.next_number == 6 and history.get(2) is None and history.get(3).number == 3
    assert history.numbers_text() == "3-5"
    assert "Versions 1-2 were dropped" in history.dropped_note()
    again = VersionHistory.from_dict(json.loads(json.dumps(history.to_dict())))
    assert again == history


@pytest.mark.parametrize("bad", [
    [], {"format": 1}, {"format": 2, "versions": []},
    {"format": 1, "versions": [{"number": 2, "digest": "ab", "diff": []}]},  # gap after 0 dropped
    {"format": 1, "versions": [{"number": 1, "digest": "../x", "diff": []}]},
    {"format": 1, "versions": [{"number": 1, "digest": "ab", "diff": [1]}]},
    {"format": 1, "versions": ["x"]}, {"format": 1, "dropped": -1, "versions": []},
])
def test_history_decoding_refuses_damage(bad):
    with pytest.raises(ValueError):
        VersionHistory.from_dict(bad)


# ---- the store ------------------------------------------------------------------------------


def test_record_versions_with_messages_diffs_and_summaries(paths):
    s = store(paths)
    first = s.record(draft(10), "make a 10 second video about the sea")
    assert first.new and first.version.number == 1
    assert first.version.diff[0].startswith("new timeline \"Sea\"")
    assert s.record(draft(10)).new is False  # the same draft again: no version
    assert s.record(None).version is None and s.record({"t": []}).version is None  # no draft
    second = s.record(draft(15), "make it 15 seconds")
    assert second.version.number == 2 and "duration 10s → 15s" in second.version.diff
    third = s.record(draft(15, music=0.2))
    assert third.version.message is None
    assert "BGM volume 35% → 20%" in third.version.diff
    history = store(paths).load()  # another process sees the same list
    assert [(v.number, v.message) for v in history.versions] == [
        (1, "make a 10 second video about the sea"), (2, "make it 15 seconds"), (3, None)]
    assert history.get(2).summary.startswith("Timeline (2 tracks): 1. Video: waves (0-15s)")


def test_stored_draft_is_exactly_as_received_and_kept_once(paths):
    s = store(paths)
    a = {"t": [{"sg": [{"m": {"name": "z"}, "d": 1000, "s": 0}], "tt": 0}], "d": 1000,
         "x_unknown": ["\u202e", "\ud800", 1.0, 10**30]}
    b = draft(5)
    for raw in (a, b, a):
        s.record(raw)
    history = s.load()
    assert [v.number for v in history.versions] == [1, 2, 3]
    _, got = store(paths).draft(3)
    assert json.dumps(got) == json.dumps(a)  # same keys in the same order, same values
    assert len(list(s.drafts_dir.iterdir())) == 2  # a is stored once
    # the same draft again (an equal copy) is no new version
    assert s.record(b).new and not s.record(json.loads(json.dumps(b))).new


def test_files_are_private(paths):
    s = store(paths)
    s.record(draft(3))
    for path in (s.path, *s.drafts_dir.iterdir()):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    for path in (s.dir, s.drafts_dir):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o700


def test_sessions_and_api_urls_are_kept_apart(paths):
    store(paths, "a").record(draft(3))
    assert store(paths, "b").load().versions == []
    assert VersionStore(paths, "http://127.0.0.1:9999", "a").load().versions == []


def test_bounded_history_drops_old_versions_and_their_drafts(paths, monkeypatch):
    monkeypatch.setattr(versions_mod, "MAX_VERSIONS", 3)
    s = store(paths)
    for seconds in (1, 2, 3, 4, 1):  # the last one is version 1's draft again
        s.record(draft(seconds))
    history = s.load()
    assert [v.number for v in history.versions] == [3, 4, 5] and history.dropped == 2
    assert "only the last 3 versions are kept" in history.dropped_note()
    stored = {p.name.split(".")[0] for p in s.drafts_dir.iterdir()}
    assert stored == history.digests()  # version 2's draft is gone; version 1's is reused by 5
    with pytest.raises(NoSuchVersion, match="Version 2 was dropped.*versions 3-5 exist"):
        s.draft(2)
    assert s.draft(5)[1] == draft(1)


@pytest.mark.parametrize("number", [0, -1, 4, 99])
def test_unknown_version_names_the_numbers_that_exist(paths, number):
    s = store(paths)
    with pytest.raises(NoSuchVersion, match="no draft versions yet"):
        s.draft(1)
    for seconds in (1, 2, 3):
        s.record(draft(seconds))
    with pytest.raises(NoSuchVersion, match=f"no version {number}; versions 1-3 exist"):
        s.draft(number)


def test_damaged_draft_file_is_reported(paths):
    s = store(paths)
    version = s.record(draft(3)).version
    path = s.drafts_dir / f"{version.digest}.json.gz"
    path.write_bytes(gzip.compress(json.dumps(draft(4)).encode()))  # valid, but another draft
    with pytest.raises(VersionDraftUnreadable, match="damaged"):
        s.draft(1)
    path.unlink()
    with pytest.raises(VersionDraftUnreadable, match="could not be read"):
        s.draft(1)
    # the next version is still recorded (its diff just cannot name what changed)
    assert s.record(draft(5)).version.number == 2


@pytest.mark.parametrize("garbage", [b"{not json", b"\xff\xfe", b"[]",
                                     b'{"format":1,"versions":[{"number":3}]}'])
def test_corrupt_file_is_set_aside_never_deleted(paths, garbage):
    s = store(paths)
    s.record(draft(1))
    s.path.write_bytes(garbage)
    assert s.load().versions == []
    assert s.warning and "was damaged" in s.warning and "versions.json.corrupt" in s.warning
    assert (s.dir / "versions.json.corrupt").read_bytes() == garbage
    assert s.record(draft(2)).version.number == 1  # a new list starts
    s.path.write_bytes(b"again")
    store(paths).load()
    assert (s.dir / "versions.json.corrupt").read_bytes() == garbage  # the first is kept
    assert (s.dir / "versions.json.corrupt-2").read_bytes() == b"again"


def test_concurrent_writers_lose_no_version(paths):
    """Two writers (separate stores, as a studio and a CLI) record at the same time."""
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        s = store(paths)
        try:
            barrier.wait()
            for i in range(15):
                s.record(draft(1 + i, title=name), f"{name}{i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    history = store(paths).load()
    assert [v.number for v in history.versions] == list(range(1, 31))
    assert sorted(v.message for v in history.versions) == sorted(
        f"{n}{i}" for n in "ab" for i in range(15))


# ---- property: any sequence of drafts --------------------------------------------------------

_text = st.text(st.characters(blacklist_categories=()), max_size=6)
_scalar = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**20),
                    st.floats(allow_nan=True, allow_infinity=True), _text)
_json = st.recursive(_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(_text, inner, max_size=3)), max_leaves=8)
_segment = st.fixed_dictionaries({"s": st.integers(0, 5000), "d": st.integers(0, 5000)},
                                 optional={"m": st.dictionaries(st.sampled_from(
                                     ["name", "text", "volume"]), _scalar, max_size=2)})
_draft = st.fixed_dictionaries(
    {"t": st.lists(st.fixed_dictionaries({"tt": st.sampled_from([0, 1, 7, "x", None]),
                                          "sg": st.lists(_segment, max_size=3)}), max_size=3)},
    optional={"d": _scalar, "m": st.dictionaries(st.sampled_from(["title", "width"]), _scalar)})


@st.composite
def _sequences(draw) -> list:
    """Drafts, often repeated (consecutively or later), mixed with garbage."""
    pool = draw(st.lists(_draft, min_size=1, max_size=4))
    items = st.one_of(st.sampled_from(pool), _draft, _json)
    seq = draw(st.lists(items, max_size=12))
    return [x for item in seq for x in ([item, item] if draw(st.booleans()) else [item])]


def _canon(raw: object) -> str:
    """A draft's identity: its JSON as received."""
    return json.dumps(raw)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_sequences())
def test_any_sequence_gives_distinct_consecutive_drafts_numbered_without_gaps(seq):
    with tempfile.TemporaryDirectory() as tmp:
        paths = AppPaths(config_dir=Path(tmp) / "c", state_dir=Path(tmp) / "s",
                         data_dir=Path(tmp) / "d", client_id_file=Path(tmp) / "id")
        studio, cli = VersionStore(paths, URL, "s"), VersionStore(paths, URL, "s")
        for i, raw in enumerate(seq):
            (studio if i % 3 else cli).record(raw, f"m{i}")
        history = VersionStore(paths, URL, "s").load()
        kept = [studio.draft(v.number)[1] for v in history.versions]
    renderable = [raw for raw in seq if is_exportable(raw)]
    expected = [raw for i, raw in enumerate(renderable)
                if i == 0 or _canon(raw) != _canon(renderable[i - 1])]
    assert [v.number for v in history.versions] == list(range(1, len(expected) + 1))
    assert [json.dumps(k) for k in kept] == [json.dumps(e) for e in expected]
    assert all(_canon(a) != _canon(b) for a, b in itertools.pairwise(kept))


@settings(max_examples=200, deadline=None)
@given(_json | _draft, st.booleans(), st.integers(1, 4))
def test_json_in_pieces_is_exactly_the_one_call_encoding(value, sort_keys, slice_size):
    """The sliced encoder (GIL released between slices) writes what json.dumps writes."""
    old = versions_mod.JSON_SLICE
    versions_mod.JSON_SLICE = slice_size  # small slices, so the slicing path is exercised
    try:
        pieces = "".join(versions_mod.iter_json(value, sort_keys=sort_keys))
    finally:
        versions_mod.JSON_SLICE = old
    assert pieces == json.dumps(value, sort_keys=sort_keys, separators=(",", ":"),
                                ensure_ascii=True)


def test_big_lists_are_encoded_in_slices():
    segments = [{"s": i, "d": 1} for i in range(1000)]
    pieces = list(versions_mod.iter_json({"t": [{"sg": segments}]}, sort_keys=True))
    assert len(pieces) > 1000 // versions_mod.JSON_SLICE  # several C calls, not one
