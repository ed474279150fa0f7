"""Constants and small helpers shared by the conftest and the test modules.

(Test modules import from here rather than from conftest.py, which pytest
loads itself.)
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[2]

# How long a service may take to print its "listening on" line.
STARTUP_DEADLINE_S = 15.0
# How long a service may take to exit after SIGTERM before it is killed. The
# binary's default drain period is 5 s, so a service that honours SIGTERM is
# gone well before this; reaching it means shutdown is broken.
STOP_DEADLINE_S = 10.0
# How long to wait for a gRPC channel to connect.
CONNECT_DEADLINE_S = 5.0
# The deadline given to every RPC.
RPC_TIMEOUT_S = 5.0

NS_PER_S = 1_000_000_000

# The instant the frozen clock stands at: 50 ms before the US spring forward
# (at 07:00 UTC on 2026-03-08, 02:00 EST becomes 03:00 EDT), so it reads
# 01:59:59.950 in America/New_York.
FROZEN_INSTANT = "2026-03-08T06:59:59.950Z"


def rfc3339_nanos(instant: str) -> int:
    """Unix nanoseconds of an RFC 3339 instant with at most microseconds."""
    parsed = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    delta = parsed - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * NS_PER_S + delta.microseconds * 1_000


def expected_time(unix_nanos: int, tz: str) -> str:
    """``HH:MM:SS.mmm`` of ``unix_nanos`` in ``tz``, computed by zoneinfo."""
    seconds, nanos = divmod(unix_nanos, NS_PER_S)
    local = datetime.fromtimestamp(seconds, ZoneInfo(tz))
    return f"{local:%H:%M:%S}.{nanos // 1_000_000:03d}"
