"""`nemo-tui web`: textual-serve on loopback, answered over HTTP, stopped cleanly."""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from test_cli import free_port

from nemo_tui.cli_web import NO_AUTH_WARNING, is_loopback_host, studio_command, url_of

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("textual_serve")


def read_line(proc: subprocess.Popen, limit: float = 60.0) -> str:
    """The first line the process prints on stdout (limit guards a hang only)."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    if not sel.select(limit):
        raise AssertionError("nemo-tui web printed nothing")
    return proc.stdout.readline()


def children(pid: int) -> set[int]:
    """Pids of the process's children and their children (from /proc)."""
    out: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        out.update(map(int, kids))
        todo.extend(map(int, kids))
    return out


def alive(pid: int) -> bool:
    """Whether ``pid`` is a running (not zombie) process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def websocket_handshake(port: int) -> tuple[socket.socket, bytes]:
    """Open /ws with a WebSocket upgrade; returns the socket and the response head."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(b"GET /ws?width=80&height=24 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    return sock, head


def test_web_serves_the_page_and_websocket_on_loopback_and_stops(local_backend):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nemo_tui", "web", "--port", str(port),
         "--api-url", local_backend.url],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL, env={**os.environ})
    try:
        line = read_line(proc)
        assert line.strip() == f"The studio is at http://127.0.0.1:{port} (Ctrl-C to stop)."
        page = ""
        for _ in range(300):  # the server binds just after printing the URL
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as resp:
                    assert resp.status == 200
                    page = resp.read().decode()
                break
            except ConnectionRefusedError:
                time.sleep(0.05)
            except urllib.error.URLError as exc:
                if not isinstance(exc.reason, ConnectionRefusedError):
                    raise
                time.sleep(0.05)
        assert "nemo-tui" in page and f"ws://127.0.0.1:{port}/ws" in page
        sock, head = websocket_handshake(port)
        assert head.startswith(b"HTTP/1.1 101"), head
        assert b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head  # RFC 6455's accept for that key
        for _ in range(600):  # the tab's studio process starts
            if children(proc.pid):
                break
            time.sleep(0.05)
        spawned = children(proc.pid)
        assert spawned
        proc.send_signal(signal.SIGINT)  # with the tab still open
        for _ in range(600):
            if not any(alive(p) for p in spawned):
                break
            time.sleep(0.05)
        assert not any(alive(p) for p in spawned)  # the tab's studio was told to quit
        sock.close()  # the browser hangs up once told the server is closing
        assert proc.wait(timeout=60) == 130, proc.stderr.read()  # CLI.md: 130 interrupted
        err = proc.stderr.read()
        assert "Traceback" not in err and err.strip().endswith("nemo-tui: Interrupted."), err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_host_checks_and_command():
    assert is_loopback_host("127.0.0.1") and is_loopback_host("::1")
    assert is_loopback_host("localhost") and is_loopback_host("127.3.4.5")
    assert not is_loopback_host("0.0.0.0") and not is_loopback_host("192.168.1.2")
    assert url_of("::1", 8000) == "http://[::1]:8000"
    assert "no authentication" in NO_AUTH_WARNING


def test_non_loopback_host_warns_before_serving(monkeypatch, capsys):
    """A non-loopback --host is served only with the warning on stderr (not started here: the
    port check refuses a port in use, so nothing listens beyond loopback in the test)."""
    from nemo_tui import cli

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        monkeypatch.setattr("nemo_tui.cli_web.is_loopback_host", lambda host: False)
        code = cli.main(["web", "--host", "127.0.0.1", "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 1
    assert "not a loopback address" in err and "no authentication" in err
    assert "is the port already in use" in err


def test_studio_command_is_quoted(tmp_path):
    from nemo_tui.config import load_settings

    settings = load_settings({"api_url": "http://127.0.0.1:9/x y"})
    assert studio_command(settings).endswith("--api-url 'http://127.0.0.1:9/x y'")
