"""TranscriptSearch: counts, the current match, stepping, spans, incremental sync (pure)."""

from __future__ import annotations

import random

from nemo_tui.transcript_search import Match, TranscriptSearch, fold


def test_count_current_step_and_wrap():
    s = TranscriptSearch()
    s.search("apple", ["An APPLE", "pear", "apple apple", "no"])
    assert s.count() == "3/3" and s.match == Match(2, 6, 11)
    assert s.step(1) == Match(0, 3, 8) and s.count() == "1/3"
    assert s.step(-1) == Match(2, 6, 11) and s.step(-1) == Match(2, 0, 5)
    assert s.count() == "2/3"
    assert s.spans_in("Apple pie, apple") == [(0, 5), (11, 16)]
    s.search("zzz")
    assert s.count() == "0/0" and s.match is None and s.step(1) is None
    s.search("")
    assert s.count() == "" and s.spans_in("apple") == []


def test_search_near_keeps_the_place_and_separator_is_never_matched():
    s = TranscriptSearch()
    texts = ["a x", "b x", "c x"]
    s.search("x", texts, near=Match(1, 2, 3))
    assert s.match == Match(1, 2, 3) and s.count() == "2/3"
    s.search("\x00", texts)
    assert s.count() == "" and s.total == 0
    s.search("x\x00b", texts)  # the separator is dropped from a query, never matched across
    assert s.query == "xb" and s.total == 0


def test_fold_keeps_offsets():
    text = "İstanbul ẞ Straße"
    assert len(fold(text)) == len(text)
    s = TranscriptSearch()
    s.search("STANBUL", [text])
    assert s.match == Match(0, 1, 8)


def test_incremental_sync_equals_a_full_one():
    rng = random.Random(7)
    texts: list[str] = []
    inc = TranscriptSearch()
    for step in range(300):
        first = len(texts)
        if texts and rng.random() < 0.3:
            first = rng.randrange(len(texts))
            texts[first:] = [f"changed {step} apple"] * rng.randint(0, 2)
        else:
            texts.append(rng.choice(["apple pie", "pear", "Apple", ""]) + f" {step}")
        inc.sync(texts, first)
        full = TranscriptSearch()
        full.sync(list(texts))
        assert inc._hay == full._hay and inc._starts == full._starts
        inc.search("apple")
        full.search("apple")
        assert (inc.count(), inc.match) == (full.count(), full.match)
