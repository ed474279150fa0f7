"""The random service (seed 004) as a grpcio client generated from its proto sees it.

- ``proto/random.proto`` is seed 004's ``random.proto`` (package ``random``):
  compiled, it describes the same service, messages, fields and enum as the
  seed's text below, so a client generated from the seed's own file works.
- GetRandomNumber: uniform in [min, max] inclusive (every value of a small
  range shows up), min > max swapped, the full int32 range.
- GetRandomString: the length asked for (1 to 1000, else INVALID_ARGUMENT);
  letters, plus digits, plus ``!@#$%^&*()-_=+[]{}|;:,.<>?/`` when asked.
- StreamRandomData: sequence 1, 2, 3, ...; unix-ms timestamps that never go
  back; NUMERIC within its bounds, PERCENTAGE in [0, 100), BOOLEAN; the label
  and series; the moving-window metadata; frequency_ms and history_size out
  of range are INVALID_ARGUMENT.
"""

from __future__ import annotations

import string
import subprocess
import sys
import time
from pathlib import Path

import grpc
import grpc_tools
import pytest
from google.protobuf import descriptor_pb2

from support import REPO, RPC_TIMEOUT_S

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
LETTERS = frozenset(string.ascii_letters)
DIGITS = frozenset(string.digits)
SPECIAL = frozenset("!@#$%^&*()-_=+[]{}|;:,.<>?/")
INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT
# Wall-clock slack when comparing the service's timestamps with ours.
CLOCK_SLACK_MS = 2_000

# Seed 004's random.proto, as the seed declares it (comments left out).
SEED_PROTO = """
syntax = "proto3";

package random;

service RandomService {
  rpc GetRandomNumber(NumberRequest) returns (NumberResponse);
  rpc GetRandomString(StringRequest) returns (StringResponse);
  rpc StreamRandomData(StreamRequest) returns (stream DataPoint);
}

message NumberRequest { int32 min = 1; int32 max = 2; }
message NumberResponse { int32 value = 1; }
message StringRequest { int32 length = 1; bool include_digits = 2; bool include_special = 3; }
message StringResponse { string value = 1; }
enum DataType { NUMERIC = 0; PERCENTAGE = 1; BOOLEAN = 2; }
message StreamRequest {
  DataType data_type = 1;
  int32 frequency_ms = 2;
  int32 min_value = 3;
  int32 max_value = 4;
  int32 history_size = 5;
}
message DataPoint {
  int64 timestamp = 1;
  int64 sequence = 2;
  oneof value { int32 numeric_value = 3; float float_value = 4; bool boolean_value = 5; }
  string label = 6;
  string series = 7;
  map<string, string> metadata = 8;
}
"""


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@pytest.fixture(scope="module")
def pb2(random_stubs):
    return random_stubs.pb2


@pytest.fixture(scope="module")
def stub(random_stubs, random_service, channels):
    return random_stubs.pb2_grpc.RandomServiceStub(channels(random_service))


def number(stub, pb2, low: int, high: int) -> int:
    reply = stub.GetRandomNumber(pb2.NumberRequest(min=low, max=high), timeout=RPC_TIMEOUT_S)
    return reply.value


def random_string(stub, pb2, length: int, digits: bool, special: bool) -> str:
    request = pb2.StringRequest(length=length, include_digits=digits, include_special=special)
    return stub.GetRandomString(request, timeout=RPC_TIMEOUT_S).value


def expect_error(call, code: grpc.StatusCode) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        reply = call()
        pytest.fail(f"expected {code.name}, got a reply: {reply}")
    error = raised.value
    assert error.code() == code, (error.code(), error.details())
    assert error.details(), "the error says nothing"
    return error


def points(stub, pb2, count: int, **request) -> list:
    """The first ``count`` points of a StreamRandomData call (then cancelled)."""
    call = stub.StreamRandomData(pb2.StreamRequest(**request), timeout=RPC_TIMEOUT_S * 2)
    received = []
    try:
        for point in call:
            received.append(point)
            if len(received) == count:
                break
    finally:
        call.cancel()
    assert len(received) == count, f"the stream ended after {len(received)} points: {request}"
    return received


# --- the proto ------------------------------------------------------------------


def descriptor(proto_dir: Path, name: str, tmp_path: Path) -> descriptor_pb2.FileDescriptorProto:
    """``name`` (under ``proto_dir``) compiled by grpc_tools.protoc, without source info."""
    out = tmp_path / f"{proto_dir.name}-{name}.pb"
    well_known = Path(grpc_tools.__file__).resolve().parent / "_proto"
    result = subprocess.run(
        [
            sys.executable, "-m", "grpc_tools.protoc",
            f"--proto_path={proto_dir}", f"--proto_path={well_known}",
            f"--descriptor_set_out={out}", name,
        ],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, f"protoc failed on {proto_dir / name}:\n{result.stderr}"
    files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file
    assert len(files) == 1, [f.name for f in files]
    return files[0]


def test_the_repository_proto_is_the_seed_proto(tmp_path):
    seed_dir = tmp_path / "seed"
    seed_dir.mkdir()
    (seed_dir / "random.proto").write_text(SEED_PROTO)
    seed = descriptor(seed_dir, "random.proto", tmp_path)
    ours = descriptor(REPO / "proto", "random.proto", tmp_path)

    assert ours.package == seed.package == "random"
    assert ours.syntax == seed.syntax == "proto3"
    assert list(ours.dependency) == [], "random.proto imports nothing in the seed"
    assert list(ours.service) == list(seed.service), "the service differs from the seed's"
    assert list(ours.enum_type) == list(seed.enum_type), "DataType differs from the seed's"
    ours_messages = {m.name: m for m in ours.message_type}
    seed_messages = {m.name: m for m in seed.message_type}
    assert sorted(ours_messages) == sorted(seed_messages)
    for name, message in seed_messages.items():
        assert ours_messages[name] == message, f"message {name} differs from the seed's"


# --- GetRandomNumber ------------------------------------------------------------


def test_numbers_are_within_an_inclusive_range_and_cover_it(stub, pb2):
    # 300 draws from 6 values miss one with probability 6 * (5/6)**300 < 1e-22.
    seen = [number(stub, pb2, 1, 6) for _ in range(300)]
    assert set(seen) == {1, 2, 3, 4, 5, 6}, sorted(set(seen))


def test_min_greater_than_max_is_swapped(stub, pb2):
    seen = [number(stub, pb2, 10, 1) for _ in range(300)]
    assert set(seen) == set(range(1, 11)), sorted(set(seen))


def test_a_negative_range(stub, pb2):
    seen = {number(stub, pb2, -3, -1) for _ in range(100)}
    assert seen == {-3, -2, -1}, sorted(seen)


@pytest.mark.parametrize("value", [0, 7, -7, INT32_MIN, INT32_MAX])
def test_an_empty_range_gives_its_one_value(stub, pb2, value):
    assert number(stub, pb2, value, value) == value


def test_the_full_int32_range_gives_negative_and_positive_values(stub, pb2):
    seen = [number(stub, pb2, INT32_MIN, INT32_MAX) for _ in range(200)]
    assert all(INT32_MIN <= value <= INT32_MAX for value in seen)
    # P(all 200 on one side) = 2 * 2**-200.
    assert any(value < 0 for value in seen) and any(value > 0 for value in seen), seen[:20]
    assert len(set(seen)) > 190, "the full range repeats itself"
    # Reversed, the same range.
    reversed_seen = [number(stub, pb2, INT32_MAX, INT32_MIN) for _ in range(100)]
    assert any(v < 0 for v in reversed_seen) and any(v > 0 for v in reversed_seen)


# --- GetRandomString ------------------------------------------------------------


@pytest.mark.parametrize(
    "digits,special,alphabet",
    [
        (False, False, LETTERS),
        (True, False, LETTERS | DIGITS),
        (False, True, LETTERS | SPECIAL),
        (True, True, LETTERS | DIGITS | SPECIAL),
    ],
    ids=["letters", "letters+digits", "letters+special", "letters+digits+special"],
)
def test_strings_use_exactly_the_alphabet_asked_for(stub, pb2, digits, special, alphabet):
    value = random_string(stub, pb2, 1000, digits, special)
    assert len(value) == 1000, len(value)
    outside = set(value) - alphabet
    assert not outside, f"characters outside the alphabet: {sorted(outside)}"
    # 1000 characters drawn from the alphabet contain each class asked for
    # (the chance to miss one is below (62/89)**1000).
    assert set(value) & LETTERS
    assert bool(set(value) & DIGITS) == digits, value[:80]
    assert bool(set(value) & SPECIAL) == special, value[:80]


def test_every_special_character_can_appear(stub, pb2):
    seen: set[str] = set()
    for _ in range(10):
        seen |= set(random_string(stub, pb2, 1000, False, True)) & SPECIAL
    assert seen == SPECIAL, f"never seen: {sorted(SPECIAL - seen)}"


@pytest.mark.parametrize("length", [1, 2, 10, 999, 1000])
def test_strings_have_the_length_asked_for(stub, pb2, length):
    value = random_string(stub, pb2, length, True, False)
    assert len(value) == length, (length, value[:40])
    assert value.isascii(), value[:40]


def test_strings_differ_between_calls(stub, pb2):
    values = {random_string(stub, pb2, 20, True, True) for _ in range(20)}
    assert len(values) == 20, values


@pytest.mark.parametrize("length", [0, -1, 1001, INT32_MIN, INT32_MAX])
def test_a_length_outside_1_to_1000_is_invalid_argument(stub, pb2, length):
    expect_error(lambda: random_string(stub, pb2, length, True, False), INVALID_ARGUMENT)


# --- StreamRandomData -----------------------------------------------------------


def check_points(received: list, label: str) -> None:
    """Sequence 1, 2, ...; unix-ms timestamps near now that never go back;
    the label and series."""
    latest = now_ms()
    sequences = [p.sequence for p in received]
    assert sequences == list(range(1, len(received) + 1)), sequences
    timestamps = [p.timestamp for p in received]
    assert timestamps == sorted(timestamps), f"timestamps go back: {timestamps}"
    assert latest - 60_000 <= timestamps[0] and timestamps[-1] <= latest + CLOCK_SLACK_MS, (
        f"timestamps {timestamps[0]}..{timestamps[-1]} are not unix ms near {latest}"
    )
    for point in received:
        assert point.label == label, point
        assert point.series == "random", point


def window_stats(values: list[float], sequence: int, history: int) -> tuple[int, list[float]]:
    window = values[max(0, sequence - history):sequence]
    return len(window), window


def test_numeric_points_stay_within_bounds_with_window_metadata(stub, pb2):
    history = 5
    received = points(
        stub, pb2, 30,
        data_type=pb2.NUMERIC, frequency_ms=10, min_value=1, max_value=6, history_size=history,
    )
    check_points(received, "numeric")
    values = []
    for point in received:
        assert point.WhichOneof("value") == "numeric_value", point
        assert 1 <= point.numeric_value <= 6, point
        values.append(point.numeric_value)
    assert len(set(values)) > 1, values
    for point in received:
        size, window = window_stats(values, point.sequence, history)
        metadata = dict(point.metadata)
        assert set(metadata) == {"window", "mean", "min", "max"}, metadata
        assert int(metadata["window"]) == size, (point.sequence, metadata)
        assert float(metadata["min"]) == min(window), (point.sequence, window, metadata)
        assert float(metadata["max"]) == max(window), (point.sequence, window, metadata)
        assert float(metadata["mean"]) == pytest.approx(sum(window) / size, abs=0.01), (
            point.sequence, window, metadata,
        )


def test_numeric_bounds_reversed_are_swapped(stub, pb2):
    received = points(stub, pb2, 40, data_type=pb2.NUMERIC, frequency_ms=10,
                      min_value=10, max_value=1)
    check_points(received, "numeric")
    values = {p.numeric_value for p in received}
    assert values <= set(range(1, 11)), sorted(values)
    assert len(values) > 1, values


def test_numeric_bounds_both_zero_mean_0_to_100(stub, pb2):
    received = points(stub, pb2, 60, data_type=pb2.NUMERIC, frequency_ms=10)
    values = [p.numeric_value for p in received]
    assert all(0 <= v <= 100 for v in values), values
    # 60 draws of 0..100 all in 0..10 would be a bug, not luck.
    assert max(values) > 10, values


def test_percentage_points_are_floats_in_0_to_100(stub, pb2):
    history = 10
    received = points(stub, pb2, 30, data_type=pb2.PERCENTAGE, frequency_ms=10,
                      history_size=history)
    check_points(received, "percentage")
    values = []
    for point in received:
        assert point.WhichOneof("value") == "float_value", point
        assert 0.0 <= point.float_value < 100.0, point
        values.append(point.float_value)
    assert len(set(values)) > 1, values
    for point in received:
        size, window = window_stats(values, point.sequence, history)
        metadata = dict(point.metadata)
        assert set(metadata) == {"window", "mean", "min", "max"}, metadata
        assert int(metadata["window"]) == size, (point.sequence, metadata)
        assert float(metadata["min"]) == pytest.approx(min(window), abs=0.01), metadata
        assert float(metadata["max"]) == pytest.approx(max(window), abs=0.01), metadata
        assert float(metadata["mean"]) == pytest.approx(sum(window) / size, abs=0.01), metadata


def test_boolean_points_are_both_values(stub, pb2):
    received = points(stub, pb2, 50, data_type=pb2.BOOLEAN, frequency_ms=10, history_size=3)
    check_points(received, "boolean")
    for point in received:
        assert point.WhichOneof("value") == "boolean_value", point
        metadata = dict(point.metadata)
        assert set(metadata) == {"window"}, f"boolean points carry no mean/min/max: {metadata}"
        assert int(metadata["window"]) == min(point.sequence, 3), (point.sequence, metadata)
    values = {p.boolean_value for p in received}
    assert values == {True, False}, values


def test_history_size_0_means_no_statistics(stub, pb2):
    for data_type in (pb2.NUMERIC, pb2.PERCENTAGE):
        for point in points(stub, pb2, 5, data_type=data_type, frequency_ms=10):
            metadata = dict(point.metadata)
            assert not {"mean", "min", "max"} & set(metadata), metadata
            assert metadata.get("window", "0") == "0", metadata


def test_frequency_0_means_one_point_a_second(stub, pb2):
    received = points(stub, pb2, 2, data_type=pb2.NUMERIC)
    gap = received[1].timestamp - received[0].timestamp
    assert 800 <= gap <= 1_500, f"{gap} ms between the first two points, expected about 1000"


def test_points_come_at_the_frequency_asked_for(stub, pb2):
    received = points(stub, pb2, 11, data_type=pb2.NUMERIC, frequency_ms=50)
    span = received[-1].timestamp - received[0].timestamp
    # 10 gaps of 50 ms; generous for a loaded machine, but not 1 s apart.
    assert 400 <= span <= 1_500, f"10 gaps of 50 ms took {span} ms"


def stream_error(stub, pb2, **request) -> grpc.RpcError:
    def call():
        for point in stub.StreamRandomData(pb2.StreamRequest(**request), timeout=RPC_TIMEOUT_S):
            return point
        return "the stream ended without a point or an error"

    return expect_error(call, INVALID_ARGUMENT)


@pytest.mark.parametrize("frequency_ms", [5, 9, -1, 3_600_001, INT32_MAX])
def test_a_frequency_outside_10ms_to_1h_is_invalid_argument(stub, pb2, frequency_ms):
    stream_error(stub, pb2, frequency_ms=frequency_ms)


@pytest.mark.parametrize("history_size", [-1, 1001])
def test_a_history_size_outside_0_to_1000_is_invalid_argument(stub, pb2, history_size):
    stream_error(stub, pb2, frequency_ms=10, history_size=history_size)


@pytest.mark.parametrize("frequency_ms,history_size", [(10, 1000), (3_600_000, 0), (0, 1000)])
def test_the_bounds_themselves_are_accepted(stub, pb2, frequency_ms, history_size):
    request = pb2.StreamRequest(
        data_type=pb2.NUMERIC, frequency_ms=frequency_ms, history_size=history_size
    )
    call = stub.StreamRandomData(request, timeout=RPC_TIMEOUT_S)
    try:
        # An invalid request ends at once (trailers only); a valid one has
        # sent its headers and goes on (the first point of an hourly stream
        # may be an hour away).
        call.initial_metadata()
        assert not call.done(), f"{request} ended: {call.code()} {call.details()}"
    finally:
        call.cancel()


def test_streams_are_independent(stub, pb2):
    """Two concurrent streams each count from 1."""
    first = stub.StreamRandomData(pb2.StreamRequest(frequency_ms=10), timeout=RPC_TIMEOUT_S)
    second = stub.StreamRandomData(pb2.StreamRequest(frequency_ms=10), timeout=RPC_TIMEOUT_S)
    try:
        a = [next(first).sequence for _ in range(5)]
        b = [next(second).sequence for _ in range(3)]
    finally:
        first.cancel()
        second.cancel()
    assert a == [1, 2, 3, 4, 5] and b == [1, 2, 3], (a, b)
