"""A loopback TCP relay that logs every connection it accepts (argv: listen port, target port, log).

Benchmarks put it between the client and the backend to count the connections the client opens
(exactly, unlike sampling /proc/net/tcp). It runs in its own process, so its work is not billed to
the client. It stops when its stdin closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from typing import TextIO


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy bytes one way until EOF, then close the other side."""
    try:
        while data := await reader.read(1 << 16):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def main(listen: int, target: int, log: TextIO) -> None:
    """Relay 127.0.0.1:listen -> 127.0.0.1:target until stdin closes."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        log.write(f"{time.monotonic():.6f}\n")
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(handle, "127.0.0.1", listen, backlog=512)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # parent closes stdin to stop us
    server.close()


if __name__ == "__main__":
    with open(sys.argv[3], "a", buffering=1, encoding="ascii") as log_file:
        asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), log_file))
