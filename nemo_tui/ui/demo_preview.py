"""The Preview screen in the fixed demo scene (snapshots and the README's screenshot)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

#: The demo job whose render the screenshot previews.
DEMO_JOB_ID = "render_1795607400000"


def demo_video(folder: Path) -> Path:
    """A 10 s 1280x720 H.264 test pattern (ffmpeg's testsrc2, keyframe every 2 s), made with
    the ffmpeg binary of imageio-ffmpeg in one thread (the same bytes on every run)."""
    import imageio_ffmpeg

    path = folder / f"{DEMO_JOB_ID}.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi",
                    "-i", "testsrc2=size=1280x720:rate=30:duration=10", "-c:v", "libx264",
                    "-preset", "veryfast", "-threads", "1", "-g", "60", "-pix_fmt", "yuv420p",
                    "-movflags", "+faststart", str(path)], check=True, timeout=120)
    return path


def preview_ready(app: Any) -> bool:
    """True once the Preview screen shows its frame and no decoding runs any more."""
    from nemo_tui.ui.screens.preview import PreviewScreen

    screen = app.screen
    if not isinstance(screen, PreviewScreen):
        return False
    found = screen.query("#preview-frame")  # empty until the screen has composed
    return bool(found) and found.first().picture is not None and not any(
        w.node is screen and not w.is_finished for w in app.workers)


async def open_demo_preview(pilot: Any, video: Path, *, at: float = 0.0) -> None:
    """Open ``video`` in the Preview screen at ``at`` and wait until every picture is drawn."""
    from nemo_tui.ui.screens.preview import open_preview

    app = pilot.app
    open_preview(app, video, title=DEMO_JOB_ID)
    for _ in range(3000):
        await pilot.pause(0.01)
        if preview_ready(app):
            break
    if at:
        app.screen.move_to(at)
        for _ in range(3000):
            await pilot.pause(0.01)
            if preview_ready(app):
                break
    app.screen.query_one("#preview-frame")  # fails loudly if the screen never opened
