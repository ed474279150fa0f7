#!/usr/bin/env python3
"""CurrentTime in Python with grpc.aio: the baseline of benchmark P2.

Implements clocker.v1.CurrentTime/GetCurrentTime as the Rust service does:
the time of day in the requested IANA zone as "HH:MM:SS.mmm", the instant in
Unix nanoseconds, and the zone; INVALID_ARGUMENT for an unknown zone.

At start it generates the stubs from proto/ (grpc_tools) into a temporary
directory, binds 127.0.0.1 on port 0 (or --port), prints
`listening on 127.0.0.1:PORT` and serves until killed.

Run it with the venv that `make python-env` creates:
    .venv/bin/python bench/python_current_time_server.py
"""

import argparse
import asyncio
import datetime
import importlib.resources
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import grpc
from grpc_tools import protoc

PROTO_ROOT = Path(__file__).resolve().parent.parent / "proto"
CLOCK_PROTO = PROTO_ROOT / "clocker" / "v1" / "clock.proto"


def generate_stubs(out_dir):
    """Compiles clock.proto into out_dir and makes it importable."""
    well_known = importlib.resources.files("grpc_tools") / "_proto"
    status = protoc.main(
        [
            "grpc_tools.protoc",
            f"-I{PROTO_ROOT}",
            f"-I{well_known}",
            f"--python_out={out_dir}",
            f"--grpc_python_out={out_dir}",
            str(CLOCK_PROTO),
        ]
    )
    if status != 0:
        sys.exit(f"protoc failed on {CLOCK_PROTO} (status {status})")
    sys.path.insert(0, out_dir)


def make_servicer(clock_pb2, clock_pb2_grpc):
    zones = {}

    def zone(name):
        found = zones.get(name)
        if found is None:
            found = ZoneInfo(name)  # raises for unknown or malformed names
            zones[name] = found
        return found

    class CurrentTime(clock_pb2_grpc.CurrentTimeServicer):
        async def GetCurrentTime(self, request, context):
            name = request.tz or "UTC"
            try:
                tz = zone(name)
            except (ValueError, OSError, KeyError):
                await context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"unknown time zone '{name}' (expected an IANA name such as Europe/Paris or UTC)",
                )
            nanos = time.time_ns()
            seconds, rest = divmod(nanos, 1_000_000_000)
            local = datetime.datetime.fromtimestamp(seconds, tz)
            text = f"{local.hour:02}:{local.minute:02}:{local.second:02}.{rest // 1_000_000:03}"
            return clock_pb2.CurrentTimeReply(time=text, unix_nanos=nanos, tz=name)

    return CurrentTime()


async def serve(port):
    from clocker.v1 import clock_pb2, clock_pb2_grpc

    server = grpc.aio.server()
    clock_pb2_grpc.add_CurrentTimeServicer_to_server(
        make_servicer(clock_pb2, clock_pb2_grpc), server
    )
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    print(f"listening on 127.0.0.1:{bound}", flush=True)
    await server.wait_for_termination()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="clocker-stubs-") as out_dir:
        generate_stubs(out_dir)
        try:
            asyncio.run(serve(args.port))
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
