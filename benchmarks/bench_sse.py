"""SSE parsing: events per second through the client's stream parser, and end to end over loopback.

Parser: the bytes of a long streamed turn, made with the local backend's own ADK encoder (the
events a real server sends: ~400 bytes each with ids, timestamps, actions), are cut into 4 KiB
reads and pushed through exactly the client's path: UTF-8 decoding, httpx-sse's line and event
decoders, then ``nemo_tui.api.sse.TurnParser.feed``. The parser alone on pre-split events is
reported too. End to end: ``NemoClient.stream_turn`` against the local backend in its own process,
counting the events that come out of the iterator.
"""

from __future__ import annotations

import asyncio
import codecs
import gc
import json
import time
import uuid
from typing import Any

from _common import QUICK, BackendProcess, Report, median, proc_cpu_seconds, temp_home

# Mixed text like real replies: ASCII, punctuation, CJK, emoji (multi-byte UTF-8 across reads).
WORDS = ("Sure", "—", "building", "your", "video", "with", "«lo-fi»", "music", "and", "a", "中文",
         "title", "🎬.")
EVENTS = 20_000 if QUICK else 100_000
RUNS = 3 if QUICK else 5
READ_SIZE = 4096


def make_stream(events: int) -> bytes:
    """A turn of ``events`` partial chunks in messages of 50, each closed by its final event."""
    try:
        from nemo_tui.local.streaming import EventEncoder, sse_data
    except ImportError:  # the backend extra is optional: fall back to the documented shape
        EventEncoder, sse_data = None, None
    frames: list[bytes] = []
    words = WORDS
    enc = EventEncoder() if EventEncoder else None
    msg: list[str] = []
    event_id = str(uuid.uuid4())
    for i in range(events):
        chunk = words[i % len(words)] + " "
        msg.append(chunk)
        final = (i + 1) % 50 == 0
        parts = [{"text": "".join(msg) if final else chunk}]
        if enc and sse_data:
            frames.append(sse_data(enc.model(parts, event_id=event_id, partial=not final)))
        else:
            ev = {"id": event_id, "invocationId": "inv", "author": "nemo_agent",
                  "content": {"role": "model", "parts": parts}}
            if not final:
                ev["partial"] = True
            frames.append(b"data: " + json.dumps(ev, ensure_ascii=False).encode() + b"\n\n")
        if final:
            msg, event_id = [], str(uuid.uuid4())
        if i % 1000 == 999:
            frames.append(b": heartbeat\n\n")
    return b"".join(frames)


def parse_like_client(raw: bytes) -> int:
    """Bytes -> TurnEvents the way NemoClient.stream_turn does; returns the SSE events parsed."""
    from httpx_sse._decoders import SSEDecoder, SSELineDecoder

    from nemo_tui.api.sse import TurnParser

    text_decoder = codecs.getincrementaldecoder("utf-8")("replace")
    lines = SSELineDecoder()
    sse = SSEDecoder()
    parser = TurnParser()
    count = 0
    out = 0
    for pos in range(0, len(raw), READ_SIZE):
        for line in lines.decode(text_decoder.decode(raw[pos:pos + READ_SIZE])):
            event = sse.decode(line.rstrip("\n"))
            if event is not None:
                count += 1
                out += len(parser.feed(event.event, event.data))
    out += len(parser.end())
    return count


def parser_only(pairs: list[tuple[str, str]]) -> int:
    """TurnParser.feed alone on pre-split (event, data) pairs."""
    from nemo_tui.api.sse import TurnParser

    parser = TurnParser()
    for event, data in pairs:
        parser.feed(event, data)
    parser.end()
    return len(pairs)


def rate(fn: Any, arg: Any) -> tuple[float, int]:
    """(events per second, events) of the best-behaved of RUNS runs (median)."""
    rates, n = [], 0
    for _ in range(RUNS):
        gc.collect()
        start = time.perf_counter()
        n = fn(arg)
        rates.append(n / (time.perf_counter() - start))
    return median(rates) or 0.0, n


async def end_to_end(url: str, report: Report) -> None:
    """One long streamed turn through NemoClient.stream_turn."""
    from nemo_tui.api.client import ClientConfig, NemoClient
    from nemo_tui.api.models import TextChunk, TextFinal, TurnEnd

    config = ClientConfig(api_url=url, client_id=str(uuid.uuid4()), token_streaming=True)
    client = NemoClient(config)
    try:
        await client.ensure_session()
        events = chunks = text_bytes = 0
        end = None
        cpu0 = proc_cpu_seconds()
        start = time.perf_counter()
        async for ev in client.stream_turn("benchmark: long reply"):
            events += 1
            if isinstance(ev, TextChunk):
                chunks += 1
                text_bytes += len(ev.text.encode())
            elif isinstance(ev, TextFinal):
                pass
            elif isinstance(ev, TurnEnd):
                end = ev.reason
        elapsed = time.perf_counter() - start
        cpu = proc_cpu_seconds() - cpu0
        report.add("e2e_events_s", "End to end over loopback: turn events per second",
                   events / elapsed, "events/s")
        report.add("e2e_text_kib_s", "End to end over loopback: streamed text",
                   text_bytes / elapsed / 1024, "KiB/s")
        report.add("e2e_client_cpu", "End to end: client CPU per second of streaming",
                   cpu / elapsed * 100, "% of one core")
        report.info.update(e2e_events=events, e2e_chunks=chunks, e2e_seconds=round(elapsed, 3),
                           e2e_end=end, e2e_client_events_per_cpu_s=round(events / cpu))
    finally:
        await client.aclose()


def main() -> None:
    """Parser figures first (pure), then the end-to-end figure (needs client and backend)."""
    report = Report("sse")
    try:
        raw = make_stream(EVENTS)
        from nemo_tui.api.sse import decode_sse_text

        pairs = list(decode_sse_text(raw.decode()))
        full, n = rate(parse_like_client, raw)
        alone, _ = rate(parser_only, pairs)
        report.add("parser_events_s", "Client stream parser (bytes → TurnEvents)", full,
                   "events/s", ">=", 10_000)
        report.add("turnparser_events_s", "TurnParser.feed alone (pre-split events)", alone,
                   "events/s")
        report.info.update(events=n, stream_bytes=len(raw), mean_event_bytes=len(raw) // n)
    except Exception as exc:  # noqa: BLE001 - any failure becomes a reported error
        report.errors.append(f"parser: {type(exc).__name__}: {exc}")
    try:
        with temp_home() as env, BackendProcess(env, reply=E2E_REPLY) as backend:
            asyncio.run(end_to_end(backend.url, report))
    except Exception as exc:  # noqa: BLE001
        report.errors.append(f"end to end: {type(exc).__name__}: {exc}")
    report.emit()


# One long reply in many partial chunks, sent as fast as the backend can (see _backend.py).
E2E_REPLY = {"chars": 200_000, "chunks": 10_000, "rate": 0}


if __name__ == "__main__":
    main()
