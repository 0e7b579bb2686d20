"""Upload: peak memory growth and throughput of ``NemoClient.upload_files`` for a 200 MB file.

The file is a valid WAV (44-byte header, then silence) made sparse in a temp dir, so creating it
costs nothing and the backend can still probe it; it is deleted afterwards. The backend runs in its
own process, so the memory and CPU measured here are the client's alone. Peak memory growth is
VmHWM after the upload minus the resident size just before it (the kernel's peak counter is reset
first when it allows that).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import struct
import tempfile
import time
import uuid
from pathlib import Path

from _common import (
    QUICK,
    BackendProcess,
    Report,
    proc_cpu_seconds,
    proc_status_kib,
    reset_peak_rss,
    temp_home,
)

SIZE = 50_000_000 if QUICK else 200_000_000  # "200 MB": the protocol's limit is 200 MiB


def make_wav(path: Path, size: int) -> None:
    """A sparse, valid 16-bit mono 48 kHz WAV file of exactly ``size`` bytes."""
    data = size - 44
    header = b"RIFF" + struct.pack("<I", size - 8) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, 1, 1, 48_000, 96_000, 2, 16) + b"data" + struct.pack("<I", data)
    with open(path, "wb") as fh:
        fh.write(header)
        fh.truncate(size)


async def upload(url: str, path: Path, report: Report) -> None:
    """Create a session, then time one upload and read the memory counters around it."""
    from nemo_tui.api.client import ClientConfig, NemoClient

    client = NemoClient(ClientConfig(api_url=url, client_id=str(uuid.uuid4())))
    try:
        await client.ensure_session()
        progress_calls = 0

        def progress(done: int, total: int | None) -> None:
            nonlocal progress_calls
            progress_calls += 1

        reset_ok = reset_peak_rss()
        rss_before = proc_status_kib("self", "VmRSS") or 0
        hwm_before = proc_status_kib("self", "VmHWM") or 0
        cpu0 = proc_cpu_seconds()
        start = time.perf_counter()
        files = await client.upload_files([path], progress=progress)
        elapsed = time.perf_counter() - start
        cpu = proc_cpu_seconds() - cpu0
        hwm_after = proc_status_kib("self", "VmHWM") or 0
        base = rss_before if reset_ok else hwm_before
        report.add("peak_growth_mib", f"Peak memory growth uploading {SIZE / 1e6:.0f} MB",
                   (hwm_after - base) / 1024, "MiB", "<", 30)
        report.add("throughput_mib_s", "Upload throughput over loopback",
                   SIZE / elapsed / 2**20, "MiB/s")
        report.add("client_cpu", "Client CPU while uploading", cpu / elapsed * 100,
                   "% of one core")
        report.info.update(bytes=SIZE, seconds=round(elapsed, 3), progress_calls=progress_calls,
                           peak_reset=reset_ok, rss_before_kib=rss_before,
                           hwm_after_kib=hwm_after,
                           reply=[getattr(f, "filename", None) for f in files])
    finally:
        await client.aclose()


def main() -> None:
    """Make the file, upload it once against a fresh local backend, clean up."""
    report = Report("upload")
    tmp = Path(tempfile.mkdtemp(prefix="nemo-bench-upload-"))
    try:
        path = tmp / "big_upload.wav"
        make_wav(path, SIZE)
        with temp_home() as env, BackendProcess(env) as backend:
            os.environ.update({k: env[k] for k in env if k.startswith(("XDG_", "HOME"))})
            asyncio.run(upload(backend.url, path, report))
    except Exception as exc:  # noqa: BLE001 - any failure becomes a reported error
        report.errors.append(f"{type(exc).__name__}: {exc}")
        if not report.figures:
            report.add("peak_growth_mib", "Peak memory growth uploading 200 MB", None, "MiB",
                       "<", 30)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report.emit()


if __name__ == "__main__":
    main()
