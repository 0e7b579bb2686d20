"""Telling a user who looks elsewhere that something ended: a toast, and when the terminal has
lost focus, the bell or a desktop notification (OSC 9 / OSC 777), as config `notify` says.

Notification text comes from the server (job errors, titles): every control, bidi and invisible
character is removed and ";" (OSC 777's field separator) replaced, so a payload can neither end
its escape sequence early nor start another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nemo_tui.textsafe import UNSAFE_CHARS

if TYPE_CHECKING:
    from textual.app import App

#: Seconds after which the end of a chat turn is worth a notification.
LONG_TURN = 30.0
_DROP = {cp: None for cp in UNSAFE_CHARS} | {0x0A: " ", 0x09: " "}


def notice_text(text: str, max_len: int = 200) -> str:
    """``text`` for a notification: controls removed, one line, at most ``max_len`` chars."""
    clean = " ".join(str(text).translate(_DROP).split())
    return clean if len(clean) <= max_len else clean[:max_len - 1] + "…"


def terminal_alert(mode: str, title: str, body: str) -> str | None:
    """The bytes that alert the terminal in ``mode`` ("bell", "osc9", "osc777", "off")."""
    title, body = notice_text(title, 60), notice_text(body)
    if mode == "bell":
        return "\a"
    if mode == "osc9":
        return f"\x1b]9;{title}: {body}\x1b\\"
    if mode == "osc777":
        return f"\x1b]777;notify;{title.replace(';', ',')};{body.replace(';', ',')}\x1b\\"
    return None


class Attention:
    """Toasts always; the terminal alert only while the app is not focused."""

    def __init__(self, app: App[Any], mode: str) -> None:
        self.app = app
        self.mode = mode
        self._jobs: dict[str, tuple[str, bool]] = {}  # job id -> (status, has a file)
        from nemo_tui.store import now_iso

        self._started = now_iso()  # a job that last changed before this is not news

    def tell(self, title: str, body: str, severity: str = "information") -> None:
        """Show a toast; alert the terminal if the user is looking elsewhere."""
        self.app.notify(notice_text(body, 300), title=notice_text(title, 60),
                        severity=severity, markup=False)  # type: ignore[arg-type]
        if self.app.app_focus:
            return
        alert = terminal_alert(self.mode, title, body)
        driver = self.app._driver
        if alert and driver is not None:
            driver.write(alert)
            driver.flush()

    def job_changed(self, job: Any) -> None:
        """A render finished (its file is here) or failed: say so once."""
        before = self._jobs.get(job.id)
        now = (job.status, bool(job.path))
        self._jobs[job.id] = now
        if now == before:
            return
        if before is None and job.finished and (job.updated_at or "") < self._started:
            return  # finished before the studio started (the job store shown again)
        if job.status == "completed" and job.path:
            self.tell("Video ready", f"{job.path}")
        elif job.status in ("failed", "lost") and (before is None or before[0] != job.status):
            self.tell("Render failed", f"Job {job.id} {job.status}: "
                      f"{job.error or 'no reason given'}", severity="error")
