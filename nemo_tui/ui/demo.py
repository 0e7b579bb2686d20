"""A fixed, offline studio scene (3-track draft, jobs in several states) for snapshots and
screenshots: no network, no clocks, no random ids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nemo_tui.api.models import Credits, SessionInfo

DEMO_API_URL = "https://mega-api-prod.nemovideo.ai"
DEMO_SESSION = SessionInfo("5529798706024415232", "task_8f3a", "anon_7c21")
#: 2026-11-25 12:00:00 UTC: "now" in the demo scene.
DEMO_NOW = 1795608000.0

DEMO_DRAFT: dict[str, Any] = {
    "d": 10000,
    "m": {"title": "Urban Dreams", "width": 1080, "height": 1920},
    "t": [
        {"tt": 0, "sg": [{"s": 0, "d": 4000, "m": {"name": "city timelapse"}},
                         {"s": 4000, "d": 6000, "m": {"name": "night traffic"}}]},
        {"tt": 1, "sg": [{"s": 0, "d": 10000, "m": {"name": "Lo-fi", "volume": 0.35}}]},
        {"tt": 7, "sg": [{"s": 0, "d": 3000, "m": {"text": "Urban Dreams"}}]},
    ],
}

#: The session's uploads and generated media (state reply's ``video_infos`` / ``generated_media``).
DEMO_UPLOADS: list[dict[str, Any]] = [
    {"filename": "beach sunset.mp4", "file_type": "video", "duration": 12.5, "width": 1920,
     "height": 1080, "size": 14_200_000},
    {"filename": "logo.png", "file_type": "image", "width": 512, "height": 512, "size": 48_000},
    {"filename": "voice-over.m4a", "file_type": "audio", "duration": 9.0},
]
DEMO_GENERATED: list[dict[str, Any]] = [
    {"name": "Lo-fi", "type": "music", "duration": 10.0},
]

DEMO_CHAT: list[tuple[str, str]] = [
    ("user", "Make a 10 second vertical video of a city at night with lo-fi music"),
    ("activity", "generating video…"),
    ("agent", ("Done! Your 10-second video is ready with a lo-fi track and the title "
              "\"Urban Dreams\".")),
    ("info", "Timeline changes:"),
    ("diff", "+ track Video: city timelapse (0-4s), night traffic (4-10s)"),
    ("diff", "+ track BGM: Lo-fi (0-10s, 35%)"),
    ("diff", "+ track Title: \"Urban Dreams\" (0-3s)"),
    ("offer", "No button here: press Ctrl+S to export the video now."),
    ("user", "export"),
    ("info", "Export started: job render_1795607400000."),
    ("user", "[bold red]not markup[/] \x1b[31mnot an escape"),
    ("error", "Register or upgrade your plan to unlock export."),
]


class DemoClient:
    """Stands in for NemoClient in the demo scene: knows its session, makes no requests."""

    def __init__(self) -> None:
        self.session: SessionInfo | None = DEMO_SESSION
        self.token = None

    def claim_url(self) -> str | None:
        """The web editor link of the demo session."""
        return ("https://nemovideo.com/workspace/claim?task=task_8f3a&session="
                "5529798706024415232&skill_name=free-ki-video-generation&skill_version=1.0.0"
                "&skill_source=free-ki-video-generation")

    async def aclose(self) -> None:
        """Nothing to close."""


def demo_jobs(download_dir: str) -> list[Any]:
    """Four jobs: completed (downloaded), processing, pending, failed."""
    from nemo_tui.jobs import RenderJob

    base = {"api_url": DEMO_API_URL, "session_id": DEMO_SESSION.session_id,
                "output_dir": download_dir}
    return [
        RenderJob(id="render_1795607400000", status="completed", progress=100,
                  url="https://cdn.example/render_1795607400000.mp4",
                  path=f"{download_dir}/render_1795607400000.mp4",
                  created_at="2026-11-25T11:50:00+00:00",
                  updated_at="2026-11-25T11:52:41+00:00", **base),
        RenderJob(id="render_1795607880000", status="processing", progress=42,
                  created_at="2026-11-25T11:58:00+00:00",
                  updated_at="2026-11-25T11:59:30+00:00", **base),
        RenderJob(id="render_1795607940000", status="pending", progress=5,
                  created_at="2026-11-25T11:59:00+00:00",
                  updated_at="2026-11-25T11:59:00+00:00", **base),
        RenderJob(id="render_1795600000000", status="failed", progress=60,
                  error="Render failed: the source clip could not be decoded.",
                  created_at="2026-11-25T09:46:40+00:00",
                  updated_at="2026-11-25T09:48:10+00:00", **base),
    ]


def build_demo_app(state_dir: Path) -> Any:
    """The studio showing the demo scene; ``state_dir`` holds its (throwaway) stores."""
    from nemo_tui.config import AppPaths, Settings
    from nemo_tui.ui.app import NemoStudioApp

    paths = AppPaths(config_dir=state_dir / "config", state_dir=state_dir / "state",
                     data_dir=state_dir / "data",
                     client_id_file=state_dir / "config" / "nemovideo" / "client_id")
    settings = Settings(api_url=DEMO_API_URL, client_id="00000000-0000-4000-8000-000000000000",
                        download_dir=Path("/home/me/Videos"), paths=paths)

    class DemoStudio(NemoStudioApp):
        """The studio with the fixed scene painted at mount."""

        def on_mount(self) -> None:
            # Textual runs NemoStudioApp.on_mount too (handlers of the whole MRO run)
            paint_demo(self)

    return DemoStudio(settings, client=DemoClient(), clock=lambda: DEMO_NOW, connect=False)


def paint_demo(app: Any) -> None:
    """Fill the panes with the demo scene (attributes down; no workers)."""
    from nemo_tui.draft import decode_draft
    from nemo_tui.ui.widgets.chat import ChatInput

    # a blinking cursor would make every screenshot differ
    for inp in app.query(ChatInput):
        inp.cursor_blink = False
    app.status.set_info(connection="ready", session="Urban Dreams",
                        credits=Credits(available=150, frozen=50, total=200),
                        token_expiry="2026-12-02")
    app.status.set_activity("jobs", "2 render(s) running")
    for kind, text in DEMO_CHAT:
        app.chat_log.add_line(text, kind)
    app.raw_draft = DEMO_DRAFT
    app.draft = decode_draft(DEMO_DRAFT)
    app.timeline.set_draft(app.draft)
    app.timeline.set_media(DEMO_UPLOADS, DEMO_GENERATED)
    for job in demo_jobs("/home/me/Videos"):
        app.jobs_table.upsert(job)
