"""Why a figure misses its goal when it cannot be fixed here: shown in RESULTS.md next to a MISS.

Keys are ``"<benchmark>.<figure id>"``. Each note comes from a profile of the miss (see
docs/PERFORMANCE.md for the profiles and how to reproduce them); the benchmarks' owner does not
edit nemo_tui/, so each names the code at fault and the fix for its owner.
"""

_CHAT_VIEW = (
    "The chat now freezes finished paragraphs and paints ~10 times a second (commit 6b26a3b; "
    "before it p95 was ~1 s and the ratio ~18x), but each paint still changes the live "
    "`ChatLine`'s height, which re-lays out the whole screen (`Screen._refresh_layout` "
    "re-arranges ~50 widgets: half of the studio's CPU while streaming, in the profile) and, "
    "with the log anchored, scrolls and repaints every line of the chat pane. Fix in "
    "nemo_tui/ui/widgets/chat.py: show the transcript in one line-API widget (a ScrollView "
    "like Textual's `Log`: keep the wrapped lines, grow `virtual_size`, `refresh_lines` only "
    "the lines that changed), so a chunk costs a few lines and no relayout."
)

LIMITS: dict[str, str] = {
    "cold_start.time_ratio": (
        "the UI now builds the client after the first screen (commit 45745a5), but "
        "`nemo_tui/cli.py` still imports `nemo_tui.api.errors`, which runs "
        "`nemo_tui/api/__init__.py`, which imports `client` and with it httpx and httpx-sse "
        "(~100 ms of the CLI's 200 ms import here). Fix: make `nemo_tui/api/__init__.py` lazy "
        "(a module `__getattr__` that imports `client`/`files`/`sse` on first use). Tried on a "
        "copy: 1.71x -> 1.57x in the same conditions. The rest is the studio's richer first "
        "screen: importing the widget modules and parsing the CSS of DataTable, Tree, Footer and "
        "studio.tcss (~0.2 s under the profiler); composing the Jobs and Timeline panes after "
        "the first frame would take it under 1.5x (`benchmarks/profile_start.py` lists what "
        "loads before the first frame)."
    ),
    "big_draft.first_paint_ms": (
        "decoding dominates: `decode_draft` (nemo_tui/draft.py) runs the generic `_num` / `_ms` "
        "/ `_str` / `_field` helpers (isinstance chains, float conversion, min/max clamps) on "
        "every field of all 10,000 segments before anything is shown: about two thirds of the "
        "time; JSON parsing and the ruler's `_draw` about a tenth each. Tried in-process: "
        "type-exact fast paths at the top of `_ms` (`type(v) is int` -> clamp), `_str` "
        "(`type(v) is str`) and `_num` (`v is None`) cut decoding 79 -> 48 ms and this figure "
        "249 -> 171 ms on this (loaded) machine. Next: `@dataclass(slots=True)` for `Segment`, "
        "or decode each track's segments lazily (the tree shows 200 at a time; the ruler needs "
        "only start/duration)."
    ),
    "many_renders.cpu_percent": (
        "100 polls a second cannot fit in 5% of a core with httpx: one poll at a time already "
        "costs ~1.5-2.5 ms of client CPU on this machine (the baseline figure above), i.e. "
        "15-25% at 100/s. sniffio is now a dependency (df643f3: before it every request paid a "
        "failed import). Left: (1) the 100 `watch_job` loops (nemo_tui/jobs.py) wake together, "
        "so up to 20 requests are in flight and httpcore scans every pooled connection "
        "(`has_expired` -> `is_socket_readable`) on each request: cap in-flight polls per "
        "client with one semaphore (4), which keeps the pool small; (2) see the connections "
        "note. The fix that meets the goal is polling less: in `watch_job`, poll a job whose "
        "status and progress did not change less often (interval x1.5 per unchanged reply, "
        "capped at 10 s, back to the base interval on any change). Tried in-process with (1), "
        "(2) and sniffio: 27-36% -> ~7% on this loaded machine (19 polls/s instead of 98)."
    ),
    "many_renders.window_connections": (
        "`NemoClient` (nemo_tui/api/client.py) builds its pool with "
        "`httpx.Limits(max_connections=20, max_keepalive_connections=10)`: when more than 10 "
        "requests are in flight, the extra connections are closed after their response and "
        "opened again on the next burst (hundreds of new connections in 20 s). Fix: "
        "`max_keepalive_connections=20` (equal to max_connections)."
    ),
    "ssh_bytes.idle_bytes_s": (
        "the chat input's blinking cursor repaints the 3-line input (~1 KB) twice a second. Fix: "
        "`ChatInput` (nemo_tui/ui/widgets/chat.py) with `cursor_blink=False` (Textual's Input "
        "option), or blink only while the app has had a key press in the last few seconds."
    ),
    "ssh_bytes.stream_ratio": (
        _CHAT_VIEW + " Beyond that, Textual's output limits it: every frame repaints each line "
        "of a region that scrolled (no terminal scroll regions, no line diffing), and each line "
        "carries ~150 bytes of cursor moves and 24-bit colour codes (border, padding, scrollbar) "
        "around ~67 characters of text. At 200 chunks/s (~4 KB/s, ~60 new lines/s in a "
        "70-column pane) even painting every line exactly once costs ~3x the text; a slower "
        "paint timer trades smoothness for bytes (tried on a copy: 0.25 s -> 8.9x, 0.5 s -> "
        "5.5x)."
    ),
    "streaming_latency.p95_ms": (
        _CHAT_VIEW + " A key press waits behind that relayout and repaint (~20-40 ms each on "
        "this machine, more under load)."
    ),
}
