"""TurnParser (nemo_tui.api.sse): recorded ADK / simplified streams and fuzzing."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from nemo_tui.api.models import (
    Heartbeat,
    StreamError,
    TextChunk,
    TextFinal,
    ToolCall,
    ToolResult,
    TurnEnd,
)
from nemo_tui.api.sse import TurnParser, decode_sse_text, parse_sse_bytes

# PROTOCOL.md §5's example, byte for byte as a server sends it.
PROTOCOL_EXAMPLE = (
    'data: {"id":"e1","invocationId":"inv-1","author":"nemo_agent","partial":true,"content":'
    '{"role":"model","parts":[{"text":"Sure — "}]}}\n\n'
    'data: {"id":"e2","invocationId":"inv-1","author":"nemo_agent","partial":true,"content":'
    '{"role":"model","parts":[{"text":"building your video."}]}}\n\n'
    'data: {"id":"e3","invocationId":"inv-1","author":"nemo_agent","content":{"role":"model",'
    '"parts":[{"text":"Sure — building your video."}]}}\n\n'
    'data: {"id":"e4","invocationId":"inv-1","author":"nemo_agent","content":{"role":"model",'
    '"parts":[{"functionCall":{"id":"c1","name":"generate_video","args":{"prompt":"x"}}}]}}\n\n'
    ": heartbeat\n\n"
    'data: {"id":"e5","invocationId":"inv-1","author":"nemo_agent","content":{"role":"user",'
    '"parts":[{"functionResponse":{"id":"c1","name":"generate_video","response":'
    '{"status":"ok"}}}]}}\n\n'
    'data: {"id":"e6","invocationId":"inv-1","author":"nemo_agent","content":{"role":"model",'
    '"parts":[{"text":"Done! Your 30-second video is ready."}]},"turnComplete":true}\n\n'
).encode()


def ev(parts, *, partial=None, eid="e1", role="model", **extra) -> str:
    """One ADK event as SSE data text."""
    obj = {"id": eid, "invocationId": "inv", "author": "nemo_agent",
           "content": {"role": role, "parts": parts}, **extra}
    if partial is not None:
        obj["partial"] = partial
    return json.dumps(obj, ensure_ascii=False)


def sse(*datas: str) -> bytes:
    return "".join(f"data: {d}\n\n" for d in datas).encode()


def kinds(events):
    return [type(e).__name__ for e in events if not isinstance(e, Heartbeat)]


def test_protocol_example():
    events = [e for e in parse_sse_bytes(PROTOCOL_EXAMPLE) if not isinstance(e, Heartbeat)]
    assert events == [
        TextChunk("Sure — "), TextChunk("building your video."),
        TextFinal("Sure — building your video."),
        ToolCall("generate_video", "c1", {"prompt": "x"}),
        ToolResult("generate_video", "c1", {"status": "ok"}),
        TextFinal("Done! Your 30-second video is ready."),
        TurnEnd("complete", True),
    ]


def test_streaming_adk_shared_ids_and_call_twice():
    """ADK streaming: chunks + final share one id; the call comes in a partial and the final."""
    call = {"functionCall": {"id": "c9", "name": "edit_multitrack", "args": {"a": 1}}}
    raw = sse(
        ev([{"text": "Adding "}], partial=True, eid="x"),
        ev([{"text": "music."}], partial=True, eid="x", finishReason="STOP"),
        ev([call], partial=True, eid="x"),
        ev([{"text": "Adding music."}, call], eid="x"),
    )
    events = parse_sse_bytes(raw)
    # the call is yielded when first seen (in the partial event), never again
    assert kinds(events) == ["TextChunk", "TextChunk", "ToolCall", "TextFinal", "TurnEnd"]
    assert [e.text for e in events if isinstance(e, TextFinal)] == ["Adding music."]


def test_call_without_id_once_per_event():
    call = {"functionCall": {"name": "generate_music", "args": {}}}
    raw = sse(ev([call], partial=True, eid="y"), ev([call], eid="y"), ev([call], eid="z"))
    calls = [e for e in parse_sse_bytes(raw) if isinstance(e, ToolCall)]
    assert len(calls) == 2 and calls[0].call_id is None


def test_heartbeat_forms_and_content_less_events():
    raw = (b": ping\n\nevent: heartbeat\ndata: {}\n\ndata: \n\n"
           b'data: {"type":"heartbeat"}\n\ndata: {"id":"a","actions":{"stateDelta":{}}}\n\n'
           b'data: {"turnComplete":true,"id":"b"}\n\n')
    events = parse_sse_bytes(raw)
    assert events[:-1] == [Heartbeat()] * 5
    assert events[-1] == TurnEnd("no_text", False)


def test_simplified_form():
    raw = sse('{"type":"text","content":"Working on it"}',
              '{"type":"tool_call","name":"generate_music","args":{"mood":"calm"}}',
              '{"type":"heartbeat"}',
              '{"type":"tool_result","name":"generate_music","result":{"ok":true}}',
              '{"type":"text","content":"Done."}')
    events = [e for e in parse_sse_bytes(raw) if not isinstance(e, Heartbeat)]
    assert events == [TextFinal("Working on it"), ToolCall("generate_music", None, {"mood": "calm"}),
                      ToolResult("generate_music", None, {"ok": True}), TextFinal("Done."),
                      TurnEnd("complete", True)]


def test_adk_tool_error_pair_shown_once_and_text_kept():
    raw = sse(ev([{"text": "Let me try."}]),
              '{"id":"e","errorCode":"RuntimeError","errorMessage":"upstream timeout"}',
              '{"error":"upstream timeout","error_details":{"type":"RuntimeError"}}')
    events = parse_sse_bytes(raw)
    assert kinds(events) == ["TextFinal", "StreamError", "TurnEnd"]
    err = next(e for e in events if isinstance(e, StreamError))
    assert err == StreamError("upstream timeout", "RuntimeError")
    assert events[-1] == TurnEnd("error", True)


def test_legacy_and_system_error_forms():
    legacy = parse_sse_bytes(sse('{"error":"quota exceeded"}'))
    assert legacy[0] == StreamError("quota exceeded", None) and legacy[-1].reason == "error"
    system = parse_sse_bytes(sse(json.dumps(
        {"author": "system", "content": {"role": "model", "parts": [{"text": "Error: boom"}]}})))
    assert [e for e in system if isinstance(e, StreamError)] == [StreamError("boom", "system")]
    named = parse_sse_bytes(b"event: error\ndata: it broke\n\n")
    assert named[0] == StreamError("it broke", None)


def test_two_separate_errors_both_shown():
    raw = sse('{"error":"first"}', ev([{"text": "retrying"}]), '{"error":"second"}')
    assert [e.message for e in parse_sse_bytes(raw) if isinstance(e, StreamError)] == [
        "first", "second"]


def test_no_text_turns_are_not_errors():
    no_content = parse_sse_bytes(sse(
        '{"id":"n","errorCode":"MODEL_RETURNED_NO_CONTENT","errorMessage":"no content"}'))
    assert no_content == [TurnEnd("no_text", False)]
    partial_empty = parse_sse_bytes(sse(
        ev([{"functionResponse": {"id": "c", "name": "t", "response": {}}}], role="user"),
        ev([], partial=True, eid="z")))
    assert kinds(partial_empty) == ["ToolResult", "TurnEnd"]
    assert partial_empty[-1] == TurnEnd("no_text", False)


def test_unknown_parts_fields_and_malformed_lines_ignored():
    raw = (b"data: {not json\n\ndata: [1,2]\n\ndata: \"str\"\n\ndata: 42\n\n"
           b'data: {"content": {"parts": "oops"}}\n\n'
           b'data: {"content": {"parts": [{"unknownPart": 1}, 7, null], "role": "model"}}\n\n'
           b'data: {"content": "weird", "novel": {"x": 1}}\n\n'
           b"id: 3\nretry: soon\n\nno colon line\n\n"
           + sse(ev([{"text": "ok", "extra": True}], futureField=[1])))
    events = parse_sse_bytes(raw)
    assert kinds(events) == ["TextFinal", "TurnEnd"]
    assert events[-1] == TurnEnd("complete", True)


def test_thought_and_user_role_text_not_shown():
    raw = sse(ev([{"text": "thinking…", "thought": True}, {"text": "Visible"}]),
              ev([{"text": "echo of user"}], role="user"))
    assert [e.text for e in parse_sse_bytes(raw) if isinstance(e, TextFinal)] == ["Visible"]


def test_chunks_without_final_are_finalized_at_end():
    raw = sse(ev([{"text": "Hal"}], partial=True), ev([{"text": "f done"}], partial=True))
    events = parse_sse_bytes(raw)
    assert events[-2:] == [TextFinal("Half done"), TurnEnd("complete", True)]


def test_chunks_flushed_before_tool_result_and_replaced_by_next_final():
    parser = TurnParser()
    out = parser.feed("", ev([{"text": "A"}], partial=True))
    out += parser.feed("", ev([{"functionResponse": {"id": "c", "name": "t"}}], role="user"))
    out += parser.feed("", ev([{"text": "B"}], partial=True))
    out += parser.feed("", ev([{"text": "B!"}]))
    out += parser.end()
    assert [e for e in out if isinstance(e, TextFinal)] == [TextFinal("A"), TextFinal("B!")]


def test_huge_event_and_markup_split_across_chunks():
    big = "x" * (5 * 1024 * 1024)
    events = parse_sse_bytes(sse(ev([{"text": big}])))
    assert events[0] == TextFinal(big)
    raw = sse(ev([{"text": "[bold"}], partial=True), ev([{"text": " red]hi"}], partial=True),
              ev([{"text": "[bold red]hi"}]))
    assert [e for e in parse_sse_bytes(raw) if isinstance(e, TextFinal)] == [
        TextFinal("[bold red]hi")]


def test_invalid_utf8_replaced_and_escapes_decoded_only_by_json():
    raw = b'data: {"content":{"role":"model","parts":[{"text":"bad \xff\xfe ok \\u001b[31m"}]}}\n\n'
    final = parse_sse_bytes(raw)[0]
    assert isinstance(final, TextFinal)
    assert "\ufffd" in final.text and "\x1b[31m" in final.text  # textsafe escapes it later


def test_decode_sse_text_rules():
    pairs = list(decode_sse_text("event: a\r\ndata: 1\r\ndata: 2\r\n\r\n: c\n\ndata:x\n\ndata: y"))
    assert pairs == [("a", "1\n2"), ("", "x")]  # the unterminated last event is dropped


def test_end_reason_override():
    parser = TurnParser()
    parser.feed("", ev([{"text": "partial"}], partial=True))
    assert parser.end("timeout") == [TextFinal("partial"), TurnEnd("timeout", True)]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["type", "content", "parts", "text", "partial", "error", "errorCode",
                         "errorMessage", "functionCall", "functionResponse", "id", "name",
                         "args", "role", "author", "thought", "result", "response", "x"]),
        inner, max_size=5),
    max_leaves=12,
)


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "heartbeat", "error", "message"]), json_values),
                max_size=12))
def test_fuzz_arbitrary_event_json_never_crashes(items):
    parser = TurnParser()
    out = []
    for name, value in items:
        out += parser.feed(name, json.dumps(value))
    out += parser.end()
    assert sum(isinstance(e, TurnEnd) for e in out) == 1 and isinstance(out[-1], TurnEnd)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_raw_bytes_never_crash(raw):
    events = parse_sse_bytes(b"data: " + raw + b"\n\n" + raw)
    assert isinstance(events[-1], TurnEnd)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=15), min_size=1, max_size=8), st.booleans())
def test_chunks_plus_final_yield_the_text_once(chunks, simplified):
    text = "".join(chunks)
    if simplified:
        datas = [json.dumps({"type": "text", "content": c, "partial": True}) for c in chunks]
        datas.append(json.dumps({"type": "text", "content": text}))
    else:
        datas = [ev([{"text": c}], partial=True, eid="same") for c in chunks]
        datas.append(ev([{"text": text}], eid="same"))
    parser = TurnParser()
    out = []
    for d in datas:
        out += parser.feed("", d)
    out += parser.end()
    assert "".join(e.text for e in out if isinstance(e, TextChunk)) == text
    finals = [e.text for e in out if isinstance(e, TextFinal)]
    assert finals == ([text] if text.strip() else [])
