"""The error contract of clock.proto, as a grpcio client sees it.

- INVALID_ARGUMENT, with a message naming the bad value, for an unknown zone
  (on CurrentTime and on a component) and for an ``at`` a component must
  refuse (nanos outside 0..999,999,999, instants outside the documented
  -009999-01-02T01:59:59Z .. 9999-12-30T22:00:00.999999999Z); the ends of
  that range themselves are valid.
- UNAVAILABLE from a component asked for "now" when current-time is down.
"""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from support import RPC_TIMEOUT_S

UNKNOWN_ZONE = "Mars/Olympus"


def assert_invalid_argument(call, *names: str) -> None:
    """Runs ``call`` and checks it fails INVALID_ARGUMENT naming every ``names``."""
    with pytest.raises(grpc.RpcError) as raised:
        reply = call()
        pytest.fail(f"expected INVALID_ARGUMENT, got a reply: {reply}")
    error = raised.value
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (error.code(), error.details())
    for name in names:
        assert name in error.details(), f"{name!r} not in {error.details()!r}"


def test_current_time_rejects_an_unknown_zone(stubs, channels, current_time):
    stub = stubs.pb2_grpc.CurrentTimeStub(channels(current_time))
    request = stubs.pb2.CurrentTimeRequest(tz=UNKNOWN_ZONE)

    assert_invalid_argument(
        lambda: stub.GetCurrentTime(request, timeout=RPC_TIMEOUT_S), UNKNOWN_ZONE
    )


def test_hours_rejects_an_unknown_zone(stubs, channels, frozen):
    stub = stubs.pb2_grpc.HoursStub(channels(frozen["hours"]))
    request = stubs.pb2.ComponentRequest(tz=UNKNOWN_ZONE)

    assert_invalid_argument(lambda: stub.GetHours(request, timeout=RPC_TIMEOUT_S), UNKNOWN_ZONE)


@pytest.mark.parametrize(
    "seconds, nanos, named",
    [
        # 2026-03-08T07:00:00Z with nanos outside 0..999,999,999.
        (1_772_953_200, -1, "-1"),
        (1_772_953_200, 1_000_000_000, "1000000000"),
        # One second past either end of the documented range.
        (253_402_207_201, 0, "253402207201"),
        (-377_705_023_202, 0, "-377705023202"),
    ],
)
def test_hours_rejects_an_out_of_range_at(stubs, channels, frozen, seconds, nanos, named):
    stub = stubs.pb2_grpc.HoursStub(channels(frozen["hours"]))
    request = stubs.pb2.ComponentRequest(at=Timestamp(seconds=seconds, nanos=nanos), tz="UTC")

    assert_invalid_argument(lambda: stub.GetHours(request, timeout=RPC_TIMEOUT_S), named)


@pytest.mark.parametrize(
    "seconds, nanos, instant, hours",
    [
        (253_402_207_200, 999_999_999, "9999-12-30T22:00:00.999999999Z", 22),
        (-377_705_023_201, 0, "-009999-01-02T01:59:59Z", 1),
    ],
)
def test_hours_accepts_the_ends_of_the_documented_range(
    stubs, channels, frozen, seconds, nanos, instant, hours
):
    # clock.proto: INVALID_ARGUMENT only when `at` is outside
    # -009999-01-02T01:59:59Z .. 9999-12-30T22:00:00.999999999Z, so both ends
    # themselves are valid instants.
    stub = stubs.pb2_grpc.HoursStub(channels(frozen["hours"]))
    request = stubs.pb2.ComponentRequest(at=Timestamp(seconds=seconds, nanos=nanos), tz="UTC")

    try:
        reply = stub.GetHours(request, timeout=RPC_TIMEOUT_S)
    except grpc.RpcError as error:
        pytest.fail(f"{instant} refused: {error.code()} {error.details()}")

    assert (reply.value, reply.text) == (hours, f"{hours:02}"), reply


def test_a_component_without_current_time_is_unavailable(stubs, launch, unused_addr):
    # Nothing listens at unused_addr, so a request without `at` cannot be
    # answered; one with `at` does not need current-time at all.
    hours = launch("hours", env={"CLOCKER_CURRENT_TIME_ADDR": unused_addr})

    with hours.channel() as channel:
        stub = stubs.pb2_grpc.HoursStub(channel)
        with pytest.raises(grpc.RpcError) as raised:
            stub.GetHours(stubs.pb2.ComponentRequest(tz="UTC"), timeout=RPC_TIMEOUT_S)
        given = stub.GetHours(
            stubs.pb2.ComponentRequest(tz="UTC", at=Timestamp(seconds=3600)),
            timeout=RPC_TIMEOUT_S,
        )

    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE, (
        raised.value.code(),
        raised.value.details(),
    )
    assert "current-time" in raised.value.details(), raised.value.details()
    assert (given.value, given.text) == (1, "01"), given


def _raw_method(channel: grpc.Channel, path: str):
    """A method that sends and receives bytes as they are, so a test can send
    what no generated stub would."""
    return channel.unary_unary(path, request_serializer=None, response_deserializer=None)


def _still_answers(stubs, channel: grpc.Channel) -> None:
    reply = stubs.pb2_grpc.CurrentTimeStub(channel).GetCurrentTime(
        stubs.pb2.CurrentTimeRequest(tz="UTC"), timeout=RPC_TIMEOUT_S
    )
    assert reply.tz == "UTC", reply


@pytest.mark.parametrize(
    "garbage",
    [
        b"\xff\xff\xff\xff",  # a field key with no end
        b"\x0a\x05ab",  # a string field shorter than its length says
        b"\x0a\x02\xc3\x28",  # tz that is not UTF-8
    ],
)
def test_malformed_protobuf_is_an_error_and_the_service_keeps_serving(
    stubs, channels, current_time, garbage
):
    channel = channels(current_time)
    call = _raw_method(channel, "/clocker.v1.CurrentTime/GetCurrentTime")

    with pytest.raises(grpc.RpcError) as raised:
        call(garbage, timeout=RPC_TIMEOUT_S)

    assert raised.value.code() in (grpc.StatusCode.INTERNAL, grpc.StatusCode.INVALID_ARGUMENT), (
        raised.value
    )
    _still_answers(stubs, channel)


def test_an_oversized_request_is_refused_and_the_service_keeps_serving(
    stubs, channels, current_time
):
    channel = channels(current_time)
    # tz of 5 MiB: over the 4 MiB a gRPC server decodes by default.
    huge = stubs.pb2.CurrentTimeRequest(tz="x" * (5 * 1024 * 1024)).SerializeToString()
    call = _raw_method(channel, "/clocker.v1.CurrentTime/GetCurrentTime")

    with pytest.raises(grpc.RpcError) as raised:
        call(huge, timeout=10)

    assert raised.value.code() in (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.OUT_OF_RANGE,
    ), raised.value
    _still_answers(stubs, channel)


def test_an_unknown_method_is_unimplemented(channels, current_time):
    call = _raw_method(channels(current_time), "/clocker.v1.CurrentTime/GetTheFuture")

    with pytest.raises(grpc.RpcError) as raised:
        call(b"", timeout=RPC_TIMEOUT_S)

    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED, raised.value
