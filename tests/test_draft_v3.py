"""Draft Protocol V3: templates decode into the same Draft model (summary, diff, JSON), tolerantly
and within work caps."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from test_draft import SEED

from nemo_tui import draft_v3
from nemo_tui.api.models import SessionInfo
from nemo_tui.api.parse import session_state
from nemo_tui.diff import diff_drafts
from nemo_tui.draft import decode_draft, draft_json, is_exportable, summarize

VIDEO_BGM_SUBS = """<draft fps="30" width="1920" height="1080" duration="6000">
  <track id="main-video" type="video">
    <clip id="clip-a" in="0" out="3000" source-start="1200" source-end="4200">
      <video src="asset://uploads/7f3a/city-night.mp4" />
    </clip>
    <clip id="clip-b" in="3000" out="6000">
      <video src="https://cdn.example.com/media/beach.mp4?sig=abc&amp;x=1"></video>
    </clip>
  </track>
  <track id="music" type="bgm">
    <clip id="bgm-1" in="0" out="6000" volume="0.35"><audio src="asset://music/lofi.mp3" /></clip>
  </track>
  <track id="subtitle-track" type="text">
    <styles>
      .subtitle-box { left: 6%; top: 80%; width: auto; height: auto }
      .subtitle-text { color: #fff; font-size: 2.4em; text-shadow: 0 0.06em 0.16em rgba(0,0,0,0.72) }
    </styles>
    <clip id="subtitle-1" class="subtitle-box" in="800" out="1800">
      <div class="subtitle-text">First supplied cue</div>
    </clip>
    <clip id="subtitle-2" class="subtitle-box" in="3600" out="4700">
      <div class="subtitle-text">Second   supplied
        cue</div>
    </clip>
  </track>
  <transitions>
    <transition type="glsl_cross_dissolve" from-clip="clip-a" to-clip="clip-b" in="3000" duration="500" />
  </transitions>
</draft>"""

VIDEO_BGM_SUBS_SUMMARY = (
    "Timeline (3 tracks): 1. Video: city-night.mp4 (0-3s), beach.mp4 (3-6s) "
    "2. BGM: lofi.mp3 (0-6s, 35%) "
    '3. Subtitles: "First supplied cue" (0.8-1.8s), "Second supplied cue" (3.6-4.7s) '
    "Transitions: glsl_cross_dissolve at 3s (0.5s, clip-a → clip-b)"
)

IMAGES_AND_UNKNOWN = """<?xml version="1.0"?>
<!-- made by hand -->
<draft width="1080" height="1920" fps="30">
  <track id="stills" type="image">
    <clip id="img-1" in="0" out="2500"><img src="asset://img/sunrise.png"></clip>
    <clip id="img-2" in="2500" out="5000"><image href="https://x.example/p/harbour.webp" /></clip>
  </track>
  <track id="lower-third" type="graphics">
    <clip id="lt-1" in="500" out="4000">
      <data type="json">{"title": "a<b && c", "html": "<clip id='fake' in='0' out='99999'>"}</data>
      <render>
        const big = data.w > 100 && data.h < 50; // <track type="video"> in a string
        return `<div class="${cls}">${data.title}</div>`;
      </render>
      <component name="badge"><div>not the words</div></component>
    </clip>
  </track>
  <track id="fx" type="effect">
    <clip id="glow" in="0" out="5000">
      <lottie>{"v": "5.7", "layers": [{"nm": "<shape>", "ks": {}}]}</lottie>
      <three><scene><mesh geometry="box" /></scene></three>
    </clip>
  </track>
  <track id="holo" type="hologram"><clip id="h1" in="0" out="1000"><sparkle /></clip></track>
  <wobble factor="3">unknown top-level tag &amp; text &unknownentity; &&</wobble>
</draft>"""

IMAGES_SUMMARY = (
    "Timeline (4 tracks): 1. Image: sunrise.png (0-2.5s), harbour.webp (2.5-5s) "
    "2. Graphics: lt-1 (0.5-4s) 3. Effect: glow (0-5s) 4. Track type hologram: h1 (0-1s)"
)

SEED_AS_V3 = """<draft width="1080" height="1920" duration="10000" title="Urban Dreams">
<track id="v" type="video"><clip id="c1" in="0" out="10000" name="city timelapse"></clip></track>
<track id="m" type="bgm"><clip id="c2" in="0" out="10000" name="Lo-fi" volume="35%"></clip></track>
<track id="t" type="text"><clip id="c3" in="0" out="3000"><div>Urban Dreams</div></clip></track>
</draft>"""


def test_video_bgm_subtitles_transition() -> None:
    """The public example shapes: tracks by type, labels, volume, words, the transition."""
    draft = decode_draft(VIDEO_BGM_SUBS)
    assert draft is not None and draft.format == "v3" and draft.capped is None
    assert summarize(draft) == VIDEO_BGM_SUBS_SUMMARY
    assert (draft.width, draft.height, draft.duration_ms) == (1920, 1080, 6000)
    assert [t.kind for t in draft.tracks] == ["video", "audio", "text"]
    first = draft.tracks[0].segments[0]
    assert first.src == "asset://uploads/7f3a/city-night.mp4"
    assert first.raw["source-start"] == "1200"
    assert draft.tracks[0].segments[1].src == "https://cdn.example.com/media/beach.mp4?sig=abc&x=1"
    assert draft.tracks[2].segments[1].text == "Second supplied cue"
    [tr] = draft.transitions
    assert (tr.kind, tr.from_clip, tr.to_clip, tr.at_ms, tr.duration_ms) == (
        "glsl_cross_dissolve", "clip-a", "clip-b", 3000, 500)
    assert draft.raw is VIDEO_BGM_SUBS  # sent back exactly as received


def test_images_unknown_tags_and_opaque_bodies() -> None:
    """Image and graphics/effect tracks; data, render, component, Lottie bodies stay opaque:
    the clip and track tags inside their code never reach the timeline."""
    draft = decode_draft(IMAGES_AND_UNKNOWN)
    assert draft is not None
    assert summarize(draft) == IMAGES_SUMMARY
    assert [t.kind for t in draft.tracks] == ["video", "graphics", "effect", "type hologram"]
    assert draft.segment_count == 5
    assert draft.tracks[1].segments[0].text is None  # no words from data/render/component
    assert draft.duration_ms == 5000  # no duration attribute: the content's end


def test_same_model_as_short_json() -> None:
    """A V3 template holding the seed's example gives the seed's summary and no diff."""
    v3, short = decode_draft(SEED_AS_V3), decode_draft(SEED)
    assert summarize(v3) == summarize(short)
    assert diff_drafts(short, v3) == []
    assert [t.role for t in v3.tracks] == ["Video", "BGM", "Title"]


def test_diff_between_v3_versions() -> None:
    """Volume, relabel, time and transition changes read as for short-key drafts."""
    newer = (VIDEO_BGM_SUBS.replace('volume="0.35"', 'volume="0.2"')
             .replace("beach.mp4", "harbour.mp4")
             .replace('in="3600" out="4700"', 'in="3600" out="5200"')
             .replace('duration="500" />', 'duration="500" />\n<transition type="fade" '
                      'from-clip="bgm-1" to-clip="x" in="5000" duration="1000"/>'))
    lines = diff_drafts(decode_draft(VIDEO_BGM_SUBS), decode_draft(newer))
    assert lines == [
        "Video: beach.mp4 → harbour.mp4",
        "BGM volume 35% → 20%",
        'Subtitles: "Second supplied cue" 3.6-4.7s → 3.6-5.2s',
        "+ transition fade at 5s (1s, bgm-1 → x)",
    ]
    first = diff_drafts(None, decode_draft(VIDEO_BGM_SUBS))
    assert first[0] == "new timeline 1920×1080 (16:9), 6s"
    assert first[-1] == "+ transition glsl_cross_dissolve at 3s (0.5s, clip-a → clip-b)"


def test_wrapper_object_and_state_reply() -> None:
    """An object wrapping the template decodes too; the state reply keeps the text verbatim."""
    wrapped = {"version": 3, "main_template": VIDEO_BGM_SUBS}
    assert summarize(decode_draft(wrapped)) == VIDEO_BGM_SUBS_SUMMARY
    assert decode_draft(wrapped).raw is wrapped
    state = session_state({"state": {"draft": VIDEO_BGM_SUBS}}, SessionInfo("1", None, None))
    assert state.draft == VIDEO_BGM_SUBS
    assert is_exportable(state.draft) and is_exportable(wrapped)
    assert not is_exportable("<draft><track type='video'></track></draft>")
    out = draft_json(decode_draft(state.draft))
    assert out["format"] == "v3" and out["transitions"][0]["at_ms"] == 3000
    assert out["tracks"][1]["segments"] == [
        {"start_ms": 0, "duration_ms": 6000, "label": "lofi.mp3"}]
    assert draft_json(decode_draft(SEED))["format"] == "short-json"
    json.dumps(out)


def _decode_traced(text: str) -> tuple[Any, int]:
    """decode_draft(text) and the peak of Python memory allocated meanwhile (bytes)."""
    tracemalloc.start()
    try:
        draft = decode_draft(text)
        return draft, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_entity_bomb_is_inert() -> None:
    """Billion laughs: the entities are never expanded (labels stay tiny, memory flat)."""
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10))
    bomb = (f'<?xml version="1.0"?><!DOCTYPE draft [{entities}]>'
            '<draft><track type="text"><clip id="c" in="0" out="1000"><div>&lol9;&lol9;</div>'
            '</clip></track></draft>')
    draft, peak = _decode_traced(bomb)
    [seg] = draft.tracks[0].segments
    assert seg.text == "&lol9;&lol9;"  # 10**9 "lol"s if expanded
    assert peak < 2_000_000


def _many_clips(n: int) -> str:
    clips = "".join(f'<clip id="c{i}" in="{i * 100}" out="{i * 100 + 100}">'
                    f'<video src="asset://m/{i}.mp4"/></clip>' for i in range(n))
    return f'<draft duration="{n * 100}"><track id="v" type="video">{clips}</track></draft>'


def test_hundred_thousand_clips_stop_at_the_clip_cap() -> None:
    """100,000 clips: decoding stops at MAX_CLIPS, says so, and Python memory stays bounded."""
    draft, peak = _decode_traced(_many_clips(100_000))
    assert draft.segment_count == draft_v3.MAX_CLIPS
    assert draft.capped == f"decoding stopped after {draft_v3.MAX_CLIPS:,} clips"
    assert summarize(draft).endswith(f"(decoding stopped after {draft_v3.MAX_CLIPS:,} clips)")
    assert draft.duration_ms == 10_000_000  # the declared duration still holds
    # Only the chunks up to the cap were fed: at most FEED_CHARS past the last decoded clip.
    assert peak < 60_000_000


def test_event_cap_and_deep_nesting() -> None:
    """Half a million nested or empty elements stop at the event cap; no recursion anywhere."""
    deep = ('<draft><track type="text"><clip id="c" in="0" out="1">' + "<div>" * 150_000
            + "deep words" + "</div>" * 150_000 + "</clip></track></draft>")
    draft = decode_draft(deep)
    assert draft.tracks[0].segments[0].label == "deep words"
    flat = '<draft><track type="video"><clip id="c">' + "<i></i>" * 300_000 + "</clip></track>"
    draft = decode_draft(flat)
    assert draft.capped == f"decoding stopped after {draft_v3.MAX_EVENTS:,} parser events"
    assert draft.segment_count == 1  # the open clip and track are kept


def test_oversized_template_reads_a_prefix(monkeypatch) -> None:
    """Past MAX_TEMPLATE_CHARS only the prefix is read, and the summary says so."""
    monkeypatch.setattr(draft_v3, "MAX_TEMPLATE_CHARS", 2000)
    monkeypatch.setattr(draft_v3, "FEED_CHARS", 500)
    draft = decode_draft(_many_clips(200))
    assert 0 < draft.segment_count < 200
    assert draft.capped == "only the first 2,000 characters read"
    plain = decode_draft(_many_clips(200).replace("</clip>", "<plaintext></plaintext></clip>"))
    assert plain.capped == "only the first 2,000 characters read" and plain.segment_count


def test_malformed_but_not_raising() -> None:
    """Odd inputs decode to something (or an empty timeline), never an exception."""
    for text in ("<", "<draft", "<draft><track", "<draft><clip in='5'>", "<<<>>>",
                 "<draft>\ud800<track type='video'><clip id='\udfff'/></track>",
                 "<draft>\x00\x1b[31m<track type=video><clip id=x>\x1b]0;t\x07</clip>",
                 "<![CDATA[<draft>]]>", "<script><track></script><track type=bgm>"):
        draft = decode_draft(text)
        assert draft is not None and draft.format == "v3"
        summarize(draft)
        draft_json(draft)


_TAGS = st.sampled_from(["draft", "track", "clip", "transition", "transitions", "video", "img",
                         "div", "styles", "render", "data", "component", "script", "x-y", "p"])
_ATTR_VALUES = st.one_of(st.integers(-10**12, 10**12).map(str), st.text(max_size=8),
                         st.sampled_from(["video", "bgm", "text", "NaN", "1e400", "35%", "-0"]))
_ATTRS = st.dictionaries(st.sampled_from(["id", "type", "in", "out", "src", "volume", "duration",
                                          "from-clip", "to-clip", "width", "name"]),
                         _ATTR_VALUES, max_size=4)


@st.composite
def _v3_like(draw) -> str:
    """Tag soup made of V3's pieces plus stray brackets, entities, comments and control text."""
    parts = []
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.integers(0, 5))
        tag = draw(_TAGS)
        if kind == 0:
            attrs = " ".join(f'{k}="{v}"' for k, v in draw(_ATTRS).items())
            parts.append(f"<{tag} {attrs}{draw(st.sampled_from(['', '/']))}>")
        elif kind == 1:
            parts.append(f"</{tag}>")
        elif kind == 2:
            parts.append(draw(st.sampled_from(["&&", "a<b", "&lol;", "&#x0;", "<!--", "-->",
                                               "<![CDATA[", "]]>", "<!DOCTYPE x [", "<?", "\"'"])))
        else:
            parts.append(draw(st.text(max_size=10)))
    return "<draft>" + "".join(parts)


@settings(max_examples=300, deadline=None)
@given(_v3_like(), _v3_like())
def test_v3_like_text_never_raises(a: str, b: str) -> None:
    """Any V3-like text decodes; summary, JSON and diff never raise."""
    da, db = decode_draft(a), decode_draft(b)
    assert da is not None and db is not None
    summarize(da)
    json.dumps(draft_json(da))
    diff_drafts(da, db)
    is_exportable(a)


def test_lxml_is_imported_only_when_a_v3_draft_appears() -> None:
    """The start-up path (draft, diff, draft_v3, a short-key decode) never loads lxml."""
    probe = ("import sys; from nemo_tui import draft, diff, draft_v3; "
             "draft.decode_draft({'t': []}); draft.decode_draft('not a template'); "
             "assert 'lxml' not in sys.modules, 'early'; draft.decode_draft('<draft/>'); "
             "assert 'lxml' in sys.modules, 'never'")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-1000:]


def test_composed_edit_instructions_are_the_same_for_both_formats() -> None:
    """The timeline's edit keys compose the same sentence from a V3 draft and its short-key twin."""
    from nemo_tui.edit_compose import EditAction, compose

    v3, short = decode_draft(SEED_AS_V3), decode_draft(SEED)
    actions = [EditAction("delete", 0, 0), EditAction("split", 0, 0, at_ms=4000),
               EditAction("volume_down", 1, 0), EditAction("retext", 2, 0, text="Night"),
               EditAction("trim_end", 2, 0, at_ms=1500)]
    for action in actions:
        for language in ("en", "zh-CN"):
            assert compose(v3, action, language) == compose(short, action, language)


def test_applied_check_reads_v3_drafts() -> None:
    """After a composed edit, the ✓/✗ check finds the change in a V3 draft (tracks by kind)."""
    import re

    from nemo_tui.edit_check import check
    from nemo_tui.edit_compose import EditAction

    old = decode_draft(VIDEO_BGM_SUBS)
    quieter = decode_draft(VIDEO_BGM_SUBS.replace('volume="0.35"', 'volume="0.25"'))
    assert check(EditAction("volume_down", 1, 0, volume=25), old, quieter)
    assert not check(EditAction("volume_down", 1, 0, volume=25), old, old)
    without_cue = re.sub(r'<clip id="subtitle-1".*?</clip>', "", VIDEO_BGM_SUBS, flags=re.DOTALL)
    assert check(EditAction("delete", 2, 0), old, decode_draft(without_cue))
    assert not check(EditAction("delete", 2, 0), old, old)


def test_html_quirks_do_not_swallow_the_timeline() -> None:
    """Tags with special HTML parsing (<plaintext>, <title>, <table>, <frameset>, …) inside a
    clip leave the following clips, tracks and transitions in place."""
    expected = ("Timeline (2 tracks): 1. Video: a.mp4 (0-1s), b.mp4 (1-2s) 2. BGM: m (0-2s, 50%) "
                "Transitions: fade at 1s (0.2s, c1 → c2)")
    for tag in ("plaintext", "PlainText", "title", "table", "td", "frameset", "html", "body",
                "head", "textarea", "xmp", "iframe", "noscript", "select", "p", "li", "track"):
        text = (f'<draft><track id="a" type="video"><clip id="c1" in="0" out="1000">'
                f'<video src="a.mp4"/><{tag}>x</{tag}></clip><clip id="c2" in="1000" out="2000">'
                '<video src="b.mp4"/></clip></track><track id="b" type="bgm"><clip id="m" '
                'in="0" out="2000" volume="0.5"></clip></track><transitions><transition '
                'type="fade" from-clip="c1" to-clip="c2" in="1000" duration="200"/>'
                "</transitions></draft>")
        assert summarize(decode_draft(text)) == expected, tag
