"""clocker.v1.CurrentTime/GetCurrentTime as a grpcio client sees it.

Checks the reply's shape, that the instant is the system's, that ``time`` is
that very instant formatted in the requested zone (compared with Python's
zoneinfo), and that the ``--clock`` kinds (frozen, start, offset) are honoured.
"""

from __future__ import annotations

import re
import time

import pytest

from support import (
    FROZEN_INSTANT,
    NS_PER_S,
    RPC_TIMEOUT_S,
    expected_time,
    rfc3339_nanos,
)

TIME_OF_DAY = re.compile(r"^\d\d:\d\d:\d\d\.\d\d\d$")
# How far the server's instant may be from Python's clock around the call.
SLACK_NS = 2 * NS_PER_S


@pytest.fixture(scope="module")
def stub(stubs, channels, current_time):
    """A CurrentTime stub on the system-clock current-time."""
    return stubs.pb2_grpc.CurrentTimeStub(channels(current_time))


def test_reply_is_the_current_instant_formatted_in_the_default_zone(stub, stubs):
    before = time.time_ns()
    reply = stub.GetCurrentTime(stubs.pb2.CurrentTimeRequest(), timeout=RPC_TIMEOUT_S)
    after = time.time_ns()

    assert TIME_OF_DAY.match(reply.time), reply
    assert before - SLACK_NS <= reply.unix_nanos <= after + SLACK_NS, (
        f"unix_nanos {reply.unix_nanos} is not within {SLACK_NS} ns of "
        f"Python's clock [{before}, {after}]"
    )
    assert reply.tz, "an empty tz must be answered with the zone actually used"
    # The default zone is reported by name; the time must be formatted in it.
    assert reply.time == expected_time(reply.unix_nanos, reply.tz), reply


@pytest.mark.parametrize("tz", ["Asia/Kolkata", "UTC", "America/St_Johns"])
def test_time_is_the_returned_instant_in_the_requested_zone(stub, stubs, tz):
    reply = stub.GetCurrentTime(stubs.pb2.CurrentTimeRequest(tz=tz), timeout=RPC_TIMEOUT_S)

    assert reply.tz == tz, reply
    assert TIME_OF_DAY.match(reply.time), reply
    # Asia/Kolkata (+05:30) and St. John's (-03:30 / -02:30) have half-hour
    # offsets, so a wrong zone shows up in the minutes as well as the hours.
    assert reply.time == expected_time(reply.unix_nanos, tz), reply


def test_frozen_clock_answers_its_instant(stubs, channels, frozen):
    stub = stubs.pb2_grpc.CurrentTimeStub(channels(frozen["current-time"]))
    request = stubs.pb2.CurrentTimeRequest(tz="America/New_York")

    first = stub.GetCurrentTime(request, timeout=RPC_TIMEOUT_S)
    second = stub.GetCurrentTime(request, timeout=RPC_TIMEOUT_S)

    assert first.unix_nanos == rfc3339_nanos(FROZEN_INSTANT), first
    assert first.time == "01:59:59.950", first
    assert first.tz == "America/New_York", first
    assert second == first, "a frozen clock must not move"


def test_start_clock_runs_from_its_start(stubs, channels, launch):
    start = "2030-01-01T00:00:00Z"
    server = launch("current-time", "--clock", f"start:{start}")
    stub = stubs.pb2_grpc.CurrentTimeStub(channels(server))
    request = stubs.pb2.CurrentTimeRequest(tz="UTC")

    first = stub.GetCurrentTime(request, timeout=RPC_TIMEOUT_S)
    # The clock runs: poll (with a deadline) until a later read differs.
    deadline = time.monotonic() + 5
    second = stub.GetCurrentTime(request, timeout=RPC_TIMEOUT_S)
    while second.unix_nanos == first.unix_nanos and time.monotonic() < deadline:
        second = stub.GetCurrentTime(request, timeout=RPC_TIMEOUT_S)

    start_ns = rfc3339_nanos(start)
    assert start_ns <= first.unix_nanos <= start_ns + 10 * NS_PER_S, first
    assert second.unix_nanos > first.unix_nanos, (first, second)
    assert first.time == expected_time(first.unix_nanos, "UTC"), first


def test_stepping_clock_moves_one_step_per_read(stubs, channels, launch):
    start = "2026-03-08T06:59:59.998Z"
    server = launch("current-time", "--clock", f"stepping:{start}/1ms")
    stub = stubs.pb2_grpc.CurrentTimeStub(channels(server))
    request = stubs.pb2.CurrentTimeRequest(tz="America/New_York")

    reads = [stub.GetCurrentTime(request, timeout=RPC_TIMEOUT_S) for _ in range(3)]

    start_ns = rfc3339_nanos(start)
    assert [r.unix_nanos - start_ns for r in reads] == [0, 1_000_000, 2_000_000], reads
    # The third read lands past the spring-forward gap.
    assert [r.time for r in reads] == ["01:59:59.998", "01:59:59.999", "03:00:00.000"], reads


def test_offset_clock_is_shifted_from_the_system_clock(stubs, channels, launch):
    server = launch("current-time", "--clock", "offset:-90s")
    stub = stubs.pb2_grpc.CurrentTimeStub(channels(server))

    before = time.time_ns()
    reply = stub.GetCurrentTime(stubs.pb2.CurrentTimeRequest(tz="UTC"), timeout=RPC_TIMEOUT_S)
    after = time.time_ns()

    shift = 90 * NS_PER_S
    assert before - shift - SLACK_NS <= reply.unix_nanos <= after - shift + SLACK_NS, (
        f"unix_nanos {reply.unix_nanos} is not 90 s behind [{before}, {after}]"
    )


def test_clock_can_be_set_through_the_environment(stubs, channels, launch):
    server = launch("current-time", env={"CLOCKER_CLOCK": f"frozen:{FROZEN_INSTANT}"})
    stub = stubs.pb2_grpc.CurrentTimeStub(channels(server))

    reply = stub.GetCurrentTime(stubs.pb2.CurrentTimeRequest(tz="UTC"), timeout=RPC_TIMEOUT_S)

    assert reply.unix_nanos == rfc3339_nanos(FROZEN_INSTANT), reply
    assert reply.time == "06:59:59.950", reply
