#!/usr/bin/env python3
"""A Python WebSocket broadcaster on ``websockets`` (asyncio), the peer P4
measures the funnel's ``/ws`` against.

Every tick it builds one frame of the funnel's shape and size and hands it to
``websockets``' own ``broadcast`` for every open connection. Any path is
accepted (the benchmark asks for ``/ws?tz=UTC``). ``--port 0`` binds a free
port of 127.0.0.1, which the first stdout line names; it exits on SIGTERM,
SIGINT or when stdin closes (the benchmark that started it is gone)::

    .venv/bin/python bench/peers/websockets_broadcast.py --port 0 --tick-ms 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import time

from websockets.asyncio.server import ServerConnection, broadcast, serve


def frame(now_ns: int, seq: int) -> str:
    """The funnel's clock frame for ``now_ns`` (unix ns), zone UTC."""
    unix_ms = now_ns // 1_000_000
    day_ms = unix_ms % 86_400_000
    hours, rest = divmod(day_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, milliseconds = divmod(rest, 1_000)
    return json.dumps(
        {
            "time": f"{hours:02}:{minutes:02}:{seconds:02}.{milliseconds:03}",
            "hours": hours,
            "minutes": minutes,
            "seconds": seconds,
            "milliseconds": milliseconds,
            "unix_ms": unix_ms,
            "tz": "UTC",
            "seq": seq,
        },
        separators=(",", ":"),
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tick-ms", type=float, default=50.0)
    args = parser.parse_args()
    if args.tick_ms <= 0:
        parser.error("--tick-ms must be more than 0")

    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def end() -> None:
        if not stop.done():
            stop.set_result(None)

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, end)

    def on_stdin() -> None:
        try:
            if not os.read(0, 4096):
                end()
        except OSError:
            end()

    loop.add_reader(0, on_stdin)

    connections: set[ServerConnection] = set()

    async def handler(connection: ServerConnection) -> None:
        connections.add(connection)
        try:
            await connection.wait_closed()
        finally:
            connections.discard(connection)

    async with serve(handler, "127.0.0.1", args.port, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening on 127.0.0.1:{port}", flush=True)
        tick = args.tick_ms / 1000.0
        deadline = loop.time()
        seq = 0
        while not stop.done():
            deadline += tick
            # A late tick is sent at once; ticks missed meanwhile are
            # skipped, as a clock shows the newest time.
            delay = deadline - loop.time()
            if delay < 0:
                deadline = loop.time()
                delay = 0
            await asyncio.wait([stop], timeout=delay)
            if stop.done():
                break
            broadcast(connections, frame(time.time_ns(), seq))
            seq += 1


if __name__ == "__main__":
    asyncio.run(main())
