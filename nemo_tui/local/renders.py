"""Render jobs of the local backend: a queue running at most N renders at once, persisted.

Statuses: pending -> processing -> completed | failed (text in ``error``) | cancelled.
Each render writes ``renders/<id>.tmp.mp4`` and renames it to ``<id>.mp4`` when done, so a file
under the final name is always complete (a restart keeps it as completed).
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from nemo_tui.local.sessions import Store

FINISHED = ("completed", "failed", "cancelled")


def default_concurrency() -> int:
    """One render per core: several sessions (a batch) render side by side up to the cores.

    (x264 threads inside one render do not fill the cores: the filter graph, the scene
    generation and the muxing are mostly serial, so a second render uses what one leaves.)
    """
    return max(1, os.cpu_count() or 1)


class RenderQueue:
    """Starts, tracks and cancels renders on the server's event loop."""

    def __init__(self, store: Store, *, scale: float = 1.0, max_concurrent: int | None = None,
                 options: dict[str, Any] | None = None) -> None:
        self.store = store
        self.scale = scale
        self.options = options or {}
        self._limit = max_concurrent or default_concurrency()
        self._sem: asyncio.Semaphore | None = None
        self._tasks: dict[str, asyncio.Task] = {}
        self._cancels: dict[str, asyncio.Event] = {}
        self._stopping = False
        store.recover_renders()

    def exists(self, render_id: str) -> bool:
        """Whether a job with this id was ever submitted."""
        return render_id in self.store.renders

    def get(self, render_id: str, user_id: str | None = None) -> dict[str, Any] | None:
        """The job, if it exists and (when given) belongs to ``user_id``."""
        job = self.store.renders.get(render_id)
        if job is None or (user_id is not None and job.get("user_id") != user_id):
            return None
        return job

    def output_path(self, render_id: str):
        """Where the finished MP4 of a job lives."""
        return self.store.renders_dir / f"{render_id}.mp4"

    def submit(self, render_id: str, session: dict[str, Any], draft: dict[str, Any],
               output: dict[str, Any]) -> dict[str, Any]:
        """Record a new pending job and schedule it; returns the job."""
        now = time.time()
        job = {"id": render_id, "session_id": session["session_id"],
               "user_id": session["user_id"], "status": "pending", "progress": 5,
               "error": None, "output": output, "created_at": now, "updated_at": now,
               "duration": max(0.0, float(draft.get("d") or 0) / 1000) if isinstance(
                   draft.get("d"), (int, float)) else None}
        self.store.renders[render_id] = job
        self.store.save_renders()
        self._cancels[render_id] = asyncio.Event()
        self._tasks[render_id] = asyncio.get_running_loop().create_task(
            self._run(job, draft, session["session_id"]), name=f"render {render_id}")
        return job

    def _update(self, job: dict[str, Any], **changes: Any) -> None:
        job.update(changes, updated_at=time.time())
        self.store.save_renders()

    async def _run(self, job: dict[str, Any], draft: dict[str, Any], sid: str) -> None:
        from nemo_tui.local.render import render_draft

        render_draft = self.options.get("render_fn") or render_draft  # tests may swap it
        if self._sem is None:
            self._sem = asyncio.Semaphore(self._limit)
        cancel = self._cancels[job["id"]]
        tmp = self.store.renders_dir / f"{job['id']}.tmp.mp4"
        try:
            async with self._sem:
                if cancel.is_set():
                    return
                self._update(job, status="processing", progress=5)

                def progress(fraction: float) -> None:
                    # Never report 100 before the file is really there.
                    pct = 5 + int(94 * min(1.0, max(0.0, float(fraction))))
                    if job["status"] == "processing" and pct > job["progress"]:
                        job.update(progress=pct, updated_at=time.time())

                await render_draft(draft, tmp, media_dir=self.store.session_media_dir(sid),
                                   progress=progress, scale=self.scale, cancel=cancel)
                if cancel.is_set():
                    return
                if not tmp.exists() or tmp.stat().st_size == 0:
                    raise RuntimeError("the renderer produced no output")
                os.replace(tmp, self.output_path(job["id"]))
                out = self.output_path(job["id"])
                self._update(job, status="completed", progress=100, size=out.stat().st_size)
        except asyncio.CancelledError:
            if job["status"] not in FINISHED:
                if self._stopping:
                    self._update(job, status="failed", error="interrupted by a backend restart")
                else:
                    self._update(job, status="cancelled")
            raise
        except Exception as exc:  # noqa: BLE001 - a failed render is a job state, not a server crash
            if job["status"] not in FINISHED:
                self._update(job, status="failed", error=f"render failed: {exc}"[:500])
        finally:
            tmp.unlink(missing_ok=True)
            self._tasks.pop(job["id"], None)

    def cancel(self, render_id: str) -> dict[str, Any] | None:
        """Cancel a job (no-op when finished); returns the job or None if unknown."""
        job = self.store.renders.get(render_id)
        if job is None:
            return None
        if job["status"] not in FINISHED:
            self._update(job, status="cancelled")
            if render_id in self._cancels:
                self._cancels[render_id].set()
            task = self._tasks.get(render_id)
            if task is not None:
                task.cancel()
        return job

    async def shutdown(self) -> None:
        """Cancel running renders (they show as failed after a restart)."""
        self._stopping = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
