"""Why a figure misses its goal when it cannot be fixed here: shown in RESULTS.md next to a MISS.

Keys are ``"<benchmark>.<figure id>"``. Each note comes from a profile of the miss (see
docs/PERFORMANCE.md for the profiles and how to reproduce them); the benchmarks' owner does not
edit nemo_tui/, so each names the code at fault and the fix for its owner.
"""

_CHAT_VIEW = (
    "Done: the chat is one line-API ScrollView (`ChatLog`, nemo_tui/ui/widgets/chatlog.py, "
    "6ccfc49): a paint redraws only the rows that changed and lays nothing out; finished rows "
    "are written once and the stream scrolls half a pane ahead (472444e). 20x -> ~7x, and "
    "keystroke p95 83 -> ~47 ms."
)

LIMITS: dict[str, str] = {
    "batch.ratio": (
        "render CPU, not the batch runner. A timed run (6 items, progress lines with "
        "timestamps) shows each item's session, turn and render request take ~0.1-0.3 s; the "
        "rest is the render, CPU-bound ffmpeg work in the backend. One 1080p render alone "
        "already keeps ~1.8 of the 2 cores busy (section 8: 31 s of ffmpeg CPU in 17.7 s), so "
        "two side by side (the queue runs one per core, nemo_tui/local/renders.py) each take "
        "about twice as long: the parallel run saves only the turns, the poll granularity and "
        "the downloads that overlap the renders. The machine's load (other test suites, load "
        "average 7-9 on 2 cores here) makes both figures noisy. A render queued behind others "
        "is now polled at most 2 intervals apart (it used to back off to 10 s and finish late: "
        "--parallel 3 measured slower than --one-session before that fix)."
    ),
    "draft_v3.decode_ms": (
        "machine load, not the decoder: the CPU time of the same decode (next row) is about a "
        "third of the wall time when the 2 cores are shared by other runs. Of that CPU time, "
        "~20 ms is lxml tokenizing and calling the target, the rest the Python state machine "
        "and Segment building in nemo_tui/draft_v3.py (`start`/`end`/`_segment`, inlined). "
        "On a quiet 2-core machine the wall time equals the CPU time."
    ),
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
        "adaptive steady state (every job's pause grown to its 10 s cap, ~10 polls/s): passes. "
        "Done for it: sniffio as a dependency (df643f3), a pool that keeps all its connections "
        "alive (idle ones for 50 s: the pause between slowed-down polls no longer outlives "
        "them), at most 2 polls in flight per client (nemo_tui/api/polling.py), adaptive "
        "polling in `watch_job` (x1.5 per unchanged reply up to 10 s, +-15% jitter), the job "
        "store written with the C JSON encoder."
    ),
    "many_renders.worst_cpu_percent": (
        "every poll is news, so nothing slows down. Done: job-store writes are coalesced "
        "(nemo_tui/job_writes.py: progress-only changes wait and one timer thread writes them "
        "together at most once a second; status, URL and download steps are still written at "
        "once, durably): 3.4 -> 1.3 ms of client CPU per poll, 1.2x a poll made one at a time. "
        "What is left is the HTTP exchange itself: in a CPU-time profile of the window "
        "nemo_tui's own code is under a tenth of a poll, the rest is httpx (build_request, "
        "send), httpcore's pool (a readability probe of each idle connection per request), h11 "
        "and anyio. So 100 polls/s stay above ~10% of a core while each job is polled every "
        "second. Fewer than 100 polls/s were answered because at most 2 polls are in flight "
        "per client and the backend shared the 2 cores (load 13-17). To reach < 5% here: a "
        "client-wide poll budget (e.g. ~30 polls/s per client, each job's pause stretched to "
        "jobs/30 s when many are watched; a product choice, the 1 s would no longer hold) or "
        "a batch status endpoint (the protocol has none)."
    ),
    "many_renders.window_connections": (
        "fixed: the pool keeps all 20 connections alive and at most 2 polls are in flight, so "
        "the steady window opens none."
    ),
    "ssh_bytes.idle_bytes_s": (
        "the chat input's blinking cursor repaints the 3-line input (~1 KB) twice a second. Fix: "
        "`ChatInput` (nemo_tui/ui/widgets/chat.py) with `cursor_blink=False` (Textual's Input "
        "option), or blink only while the app has had a key press in the last few seconds."
    ),
    "ssh_bytes.stream_ratio": (
        _CHAT_VIEW + " What is left is Textual's output: a pane that scrolls is repainted "
        "whole (it uses no terminal scroll regions and no line diffing), and each painted row "
        "carries ~150 bytes of cursor moves and 24-bit colour codes (border, padding, "
        "scrollbar) around ~67 characters of text, so painting each line exactly once is "
        "already ~2.2x the text. Measured: the scrollbar repainting with the pane is ~45 KB of "
        "the 165 KB; at 10 paints/s a 200 chunks/s stream adds ~9 rows per paint, so the "
        "half-pane jumps still come every other paint. Scrolling a full page at a time reached "
        "6.0x and read worse; a slower paint timer trades smoothness for bytes (0.5 s -> 5.5x "
        "before the ChatLog). Reaching 2x needs scroll-region output in Textual's compositor."
    ),
    "streaming_latency.p95_ms": (
        _CHAT_VIEW + " A key press waits behind that relayout and repaint (~20-40 ms each on "
        "this machine, more under load)."
    ),
    "versions.record_stall_ms": (
        "not the event loop's own work: the hook hands the draft over in ~0.1 ms and the loop "
        "thread spends ~4-5 ms of CPU per recording (see the figures below it). The stall is "
        "the loop waiting for the GIL and for a core while the background thread encodes, "
        "gzips and diffs the 1 MB draft (~150-280 ms of thread time): Python hands the GIL "
        "back every 5 ms (switch interval) at best, and with the machine's load average near "
        "10 on 2 cores the loop thread also queues for a CPU (the idle baseline's gap in the "
        "same runs reached 9-144 ms). The draft is already encoded in 200-item slices so no "
        "single C call holds the GIL for the whole draft (one json.dumps of it stalled the "
        "loop 30-60 ms). Next steps if a quiet run still misses: yield (time.sleep(0)) "
        "between slices, reuse the diff lines the state handler already computed instead of "
        "diffing again, or record in a subprocess fed the reply's raw bytes."
    ),
}
