"""The four component services (Hours, Minutes, Seconds, Milliseconds).

They run against a current-time frozen at FROZEN_INSTANT (01:59:59.950 in
New York, 50 ms before the spring-forward gap), so every expected value is
exact: without ``at`` a component must read that instant from current-time;
with ``at`` it must use the given instant, including across the DST gap.
"""

from __future__ import annotations

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from support import FROZEN_INSTANT, NS_PER_S, RPC_TIMEOUT_S, rfc3339_nanos

NEW_YORK = "America/New_York"

# service name -> (stub class, method name)
COMPONENTS = {
    "hours": ("HoursStub", "GetHours"),
    "minutes": ("MinutesStub", "GetMinutes"),
    "seconds": ("SecondsStub", "GetSeconds"),
    "milliseconds": ("MillisecondsStub", "GetMilliseconds"),
}


def timestamp(instant: str, extra_nanos: int = 0) -> Timestamp:
    """A protobuf Timestamp for an RFC 3339 instant plus ``extra_nanos``."""
    seconds, nanos = divmod(rfc3339_nanos(instant) + extra_nanos, NS_PER_S)
    return Timestamp(seconds=seconds, nanos=nanos)


@pytest.fixture(scope="module")
def call(stubs, channels, frozen):
    """``call(service, **request_fields)``: calls one frozen-clock component."""

    def _call(service: str, **fields):
        stub_class, method = COMPONENTS[service]
        stub = getattr(stubs.pb2_grpc, stub_class)(channels(frozen[service]))
        request = stubs.pb2.ComponentRequest(**fields)
        return getattr(stub, method)(request, timeout=RPC_TIMEOUT_S)

    return _call


@pytest.mark.parametrize(
    "service, value, text",
    [
        ("hours", 1, "01"),
        ("minutes", 59, "59"),
        ("seconds", 59, "59"),
        ("milliseconds", 950, "950"),
    ],
)
def test_without_at_a_component_reads_current_time(call, service, value, text):
    reply = call(service, tz=NEW_YORK)

    assert (reply.value, reply.text) == (value, text), reply
    assert reply.tz == NEW_YORK, reply
    # The reply names the instant it was taken from: the frozen one.
    assert reply.HasField("at"), reply
    assert reply.at == timestamp(FROZEN_INSTANT), reply


def test_hours_jump_over_the_spring_forward_gap(call):
    # 07:00:00Z is 03:00 EDT: 02:xx does not exist in New York that day.
    reply = call("hours", tz=NEW_YORK, at=timestamp("2026-03-08T07:00:00Z"))

    assert (reply.value, reply.text) == (3, "03"), reply
    assert reply.at == timestamp("2026-03-08T07:00:00Z"), reply


def test_hours_in_utc_before_and_after_the_gap(call):
    before = call("hours", tz="UTC", at=timestamp("2026-03-08T06:59:59.999Z"))
    after = call("hours", tz="UTC", at=timestamp("2026-03-08T07:00:00Z"))

    assert (before.value, before.text) == (6, "06"), before
    assert (after.value, after.text) == (7, "07"), after


@pytest.mark.parametrize(
    "extra_nanos, value, text",
    [
        (0, 0, "000"),
        (7_000_000, 7, "007"),
        (42_999_999, 42, "042"),  # truncated, never rounded up
        (999_999_999, 999, "999"),
    ],
)
def test_milliseconds_text_is_zero_padded_to_three_digits(call, extra_nanos, value, text):
    at = timestamp("2026-03-08T07:00:00Z", extra_nanos)

    reply = call("milliseconds", tz="UTC", at=at)

    assert (reply.value, reply.text) == (value, text), reply
    assert len(reply.text) == 3, reply


@pytest.mark.parametrize("service", ["hours", "minutes", "seconds"])
def test_two_digit_components_are_zero_padded(call, service):
    # 2026-01-02T03:04:05.006Z: every field is a single digit.
    reply = call(service, tz="UTC", at=timestamp("2026-01-02T03:04:05.006Z"))

    expected = {"hours": 3, "minutes": 4, "seconds": 5}[service]
    assert (reply.value, reply.text) == (expected, f"0{expected}"), reply
