"""Helpers shared by the benchmark scripts: figures, /proc readings, ptys, temp homes, backends."""

from __future__ import annotations

import codecs
import contextlib
import fcntl
import json
import os
import re
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "benchmarks"
PYTHON = sys.executable
QUICK = os.environ.get("NEMO_BENCH_QUICK") == "1"
PROFILE = os.environ.get("NEMO_BENCH_PROFILE") == "1"  # print a cProfile of the measured window

# Work from a checkout even when the package is not pip-installed: this process and every child
# (studio, backend) import nemo_tui from ROOT.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
)


# ---- figures ---------------------------------------------------------------------------------


@dataclass
class Figure:
    """One measured number, with its goal when the issue gives one."""

    id: str
    label: str
    value: float | None
    unit: str = ""
    goal_op: str | None = None  # "<=", "<", ">=", ">", "==" or None (information only)
    goal: float | None = None
    note: str = ""

    @property
    def status(self) -> str:
        """PASS / MISS against the goal, INFO without one, N/A when not measured."""
        if self.value is None:
            return "N/A"
        if self.goal_op is None or self.goal is None:
            return "INFO"
        ok = {
            "<=": self.value <= self.goal,
            "<": self.value < self.goal,
            ">=": self.value >= self.goal,
            ">": self.value > self.goal,
            "==": self.value == self.goal,
        }[self.goal_op]
        return "PASS" if ok else "MISS"


@dataclass
class Report:
    """What a benchmark prints as JSON on its last line."""

    name: str
    figures: list[Figure] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, *args: Any, **kwargs: Any) -> Figure:
        """Append a Figure built from the arguments and return it."""
        fig = Figure(*args, **kwargs)
        self.figures.append(fig)
        return fig

    def emit(self) -> None:
        """Print a readable table to stderr and the JSON line to stdout (last line)."""
        for fig in self.figures:
            value = "-" if fig.value is None else f"{fig.value:.4g}"
            goal = "" if fig.goal_op is None else f"(goal {fig.goal_op} {fig.goal:g})"
            print(f"  {fig.label}: {value} {fig.unit} {goal} {fig.status}", file=sys.stderr)
        for err in self.errors:
            print(f"  error: {err}", file=sys.stderr)
        out = {
            "name": self.name,
            "figures": [asdict(f) | {"status": f.status} for f in self.figures],
            "info": self.info,
            "errors": self.errors,
        }
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


def median(values: list[float]) -> float | None:
    """Median, or None for no values."""
    return statistics.median(values) if values else None


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100), or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@contextlib.contextmanager
def maybe_profile(top: int = 30) -> Iterator[None]:
    """With NEMO_BENCH_PROFILE=1, cProfile the block and print the top functions to stderr."""
    if not PROFILE:
        yield
        return
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    try:
        yield
    finally:
        prof.disable()
        for key in ("tottime", "cumulative"):
            pstats.Stats(prof, stream=sys.stderr).sort_stats(key).print_stats(top)


# ---- /proc readings (psutil is not a dependency) ---------------------------------------------


def proc_status_kib(pid: int | str, key: str) -> int | None:
    """A ``kB`` field of /proc/<pid>/status (VmRSS, VmHWM, ...), or None if unreadable."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def proc_cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU seconds of a process from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        raw = fh.read()
    fields = raw[raw.rindex(")") + 2 :].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def reset_peak_rss(pid: int | str = "self") -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False when the kernel refuses."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


# ---- machine description ---------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    """Cores, memory, CPU model, kernel, Python and Textual versions."""
    info: dict[str, Any] = {"cores": os.cpu_count(), "python": sys.version.split()[0]}
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    info["kernel"] = os.uname().release
    for pkg in ("textual", "httpx", "starlette", "uvicorn", "imageio_ffmpeg"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            info[pkg] = version(pkg.replace("_", "-"))
    return info


# ---- isolated homes and free ports -----------------------------------------------------------


@contextlib.contextmanager
def temp_home() -> Iterator[dict[str, str]]:
    """A temporary HOME with private XDG dirs; yields an environment for child processes."""
    root = Path(tempfile.mkdtemp(prefix="nemo-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEMO_")}
    env["HOME"] = str(root)
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_STATE_HOME", "state"),
                     ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache")):
        (root / sub).mkdir()
        env[var] = str(root / sub)
    try:
        yield env
    finally:
        shutil.rmtree(root, ignore_errors=True)


def free_port() -> int:
    """A free TCP port on loopback (tiny race accepted: the benchmark binds it right away)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float = 20.0) -> bool:
    """Wait until something listens on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return True
        time.sleep(0.05)
    return False


class BackendProcess:
    """The local backend in its own process (benchmarks/_backend.py), so its CPU is not ours."""

    def __init__(self, env: dict[str, str], *, agent_options: dict | None = None,
                 render_options: dict | None = None, faults: list | None = None,
                 server_options: dict | None = None, reply: dict | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = Path(tempfile.mkdtemp(prefix="nemo-bench-backend-"))
        opts = {"port": self.port, "data_dir": str(self.data_dir), "agent_options": agent_options,
                "render_options": render_options, "faults": faults,
                "server_options": server_options, "reply": reply}
        self.proc = subprocess.Popen(
            [PYTHON, str(BENCH_DIR / "_backend.py"), json.dumps(opts)],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True,
        )

    def __enter__(self) -> Self:
        if not wait_port(self.port):
            err = b""
            if self.proc.poll() is not None and self.proc.stderr:
                err = self.proc.stderr.read()[-2000:]
            self.close()
            raise RuntimeError(f"local backend did not start: {err.decode(errors='replace')}")
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the backend (closing its stdin asks it to stop; kill it by pid if it lingers)."""
        stop_stdin_child(self.proc)
        shutil.rmtree(self.data_dir, ignore_errors=True)


def kill_group(pid: int) -> None:
    """Kill the process group we created for ``pid`` (start_new_session made pid its leader)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


# ---- pseudo-terminals ------------------------------------------------------------------------

_ESCAPES = re.compile(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC (window title, hyperlinks)
    r"|\x1b[P_^X][^\x1b]*\x1b\\"  # DCS / APC / PM / SOS
    r"|\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b[()*+][0-9A-Za-z]"  # charset selection
    r"|\x1b[@-Z\\-_=>78]"  # two-byte sequences
)


ALT_SCREEN = "\x1b[?1049h"  # what a full-screen Textual app writes before its first frame


def stop_stdin_child(proc: subprocess.Popen) -> None:
    """Stop a helper process that exits when its stdin closes; kill its group if it lingers."""
    with contextlib.suppress(OSError):
        if proc.stdin:
            proc.stdin.close()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        kill_group(proc.pid)
        proc.wait(5)


def strip_escapes(text: str) -> str:
    """Drop terminal escape sequences, keeping the printed characters."""
    return _ESCAPES.sub("", text)


class PtyApp:
    """A program running in a pseudo-terminal of a fixed size, read without blocking."""

    def __init__(self, argv: list[str], env: dict[str, str], cols: int = 120, rows: int = 40,
                 cwd: str | None = None) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = dict(env, TERM="xterm-256color", COLORTERM="truecolor")
        for var in ("COLUMNS", "LINES", "NO_COLOR", "TEXTUAL"):
            env.pop(var, None)
        self.started = time.perf_counter()
        # preexec_fn is only unsafe with threads; benchmarks spawn ptys before starting any.
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
            start_new_session=True, preexec_fn=_take_controlling_tty,  # noqa: PLW1509
            close_fds=True,
        )
        os.close(slave)
        self.fd = master
        self.raw = bytearray()
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.text = ""  # decoded output, escapes kept
        self.total_bytes = 0

    def read(self, timeout: float) -> int:
        """Read what is available within ``timeout`` seconds; returns the byte count read."""
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return 0
        try:
            chunk = os.read(self.fd, 1 << 16)
        except OSError:  # EIO: the child closed the terminal
            return -1
        self.total_bytes += len(chunk)
        self.raw += chunk
        self.text += self._decoder.decode(chunk)
        return len(chunk)

    def wait_for(self, needle: str, timeout: float, *, since: int = 0) -> float | None:
        """Read until ``needle`` shows in the escape-stripped output after char ``since``.

        Returns the perf_counter time it appeared, or None on timeout or exit.
        """
        deadline = time.perf_counter() + timeout
        scanned = since
        while True:
            # Re-strip a little before the last scan point: an escape or the needle may
            # straddle two reads.
            start = max(since, scanned - 256 - len(needle))
            if needle in strip_escapes(self.text[start:]):
                return time.perf_counter()
            scanned = len(self.text)
            left = deadline - time.perf_counter()
            if left <= 0 or self.read(min(left, 0.05)) < 0:
                return None

    def wait_screen(self, needle: str, timeout: float) -> float | None:
        """Like wait_for, but only text drawn after the app switched to the alternate screen
        counts (so an error message that mentions ``needle`` is not a first screen)."""
        deadline = time.perf_counter() + timeout
        while (at := self.text.find(ALT_SCREEN)) < 0:
            left = deadline - time.perf_counter()
            if left <= 0 or self.read(min(left, 0.05)) < 0:
                return None
        return self.wait_for(needle, deadline - time.perf_counter(), since=at + len(ALT_SCREEN))

    def drain(self, seconds: float) -> int:
        """Read for ``seconds`` and return the bytes read meanwhile."""
        before = self.total_bytes
        deadline = time.perf_counter() + seconds
        while (left := deadline - time.perf_counter()) > 0:
            if self.read(min(left, 0.05)) < 0:
                break
        return self.total_bytes - before

    def settle(self, quiet: float = 1.0, limit: float = 10.0) -> bool:
        """Read until nothing was written for ``quiet`` seconds (True) or ``limit`` passed."""
        deadline = time.perf_counter() + limit
        last = time.perf_counter()
        while (now := time.perf_counter()) < deadline:
            if now - last >= quiet:
                return True
            got = self.read(min(0.05, deadline - now))
            if got < 0:
                return False
            if got:
                last = time.perf_counter()
        return False

    def write(self, data: str | bytes) -> None:
        """Type into the terminal."""
        os.write(self.fd, data.encode() if isinstance(data, str) else data)

    def close(self) -> None:
        """Kill the program (by its own process group) and close the terminal."""
        kill_group(self.proc.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        with contextlib.suppress(OSError):
            os.close(self.fd)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _take_controlling_tty() -> None:
    """In the child: make the pty (fd 0) the controlling terminal, as a login shell would."""
    with contextlib.suppress(OSError):
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def studio_argv(*args: str) -> list[str]:
    """The command that starts the studio (the installed console script, as a user runs it)."""
    script = Path(PYTHON).parent / "nemo-tui"
    if script.exists():
        return [str(script), *args]
    return [PYTHON, "-c", "import sys; from nemo_tui.cli import main; sys.exit(main())", *args]


class ConnectionCounter:
    """A counting TCP relay in front of a backend (benchmarks/_tcp_counter.py, own process)."""

    def __init__(self, target_port: int, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        fd, name = tempfile.mkstemp(prefix="nemo-bench-conns-")
        os.close(fd)
        self.log = Path(name)
        self.proc = subprocess.Popen(
            [PYTHON, str(BENCH_DIR / "_tcp_counter.py"), str(self.port), str(target_port),
             str(self.log)], env=env, stdin=subprocess.PIPE, start_new_session=True)

    def count(self) -> int:
        """Connections accepted so far."""
        try:
            return len(self.log.read_text(encoding="ascii").splitlines())
        except OSError:
            return 0

    def __enter__(self) -> Self:
        if not wait_port(self.port):
            self.close()
            raise RuntimeError("connection counter did not start")
        self.log.write_text("", encoding="ascii")  # forget wait_port's probe connection
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the relay and delete its log."""
        stop_stdin_child(self.proc)
        self.log.unlink(missing_ok=True)
