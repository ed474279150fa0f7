"""The timers service (seed 002) as a pyzmq REQ client sees it.

- A request is the seed's three frames (hours, minutes, seconds as decimal
  text, one multipart message) or one JSON frame (a timer to set, or an
  ``op``: get, cancel, list); every request gets exactly one JSON reply
  frame, ``{"ok":true,...}`` or ``{"ok":false,"error":"..."}``.
- Whatever a client sends (bad numbers, the wrong number of frames, binary
  garbage, 1 MiB, broken JSON, unknown ops and ids and keys) is answered
  with an error, and the same socket is served normally afterwards; a client
  that leaves before its reply, and 50 clients at once, disturb nobody.
- Timers fire at or after their time, never before; a cancelled one never
  fires; and timers survive SIGKILL: a service restarted on the same data
  directory after their time fires each of them at once, exactly once,
  marked late.
- Anonymous timers are never listed (an anonymous timer's id is the only way
  to it); a session token lists its account's own.

Every test starts its own service on a fresh data directory.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import zmq

from support import (
    RPC_TIMEOUT_S,
    TimerClient,
    check_timer,
    duration_ms,
    rfc3339_ms,
)

# A timer due now fires within this long (the service polls or sleeps until
# it; seconds would be a bug).
FIRE_DEADLINE_S = 10.0
# How late a short timer on an idle service may fire.
SMALL_LATE_MS = 1_000
# The offset the durability tests restart the service with.
OFFSET_MS = 15 * 60 * 1000
CONCURRENT_CLIENTS = 50
# Wall clock slack when comparing the service's instants with this process's.
CLOCK_SLACK_MS = 2_000
# The longest timer: 366 days.
MAX_HOURS = 366 * 24


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def frames(*parts: str) -> list[bytes]:
    return [part.encode() for part in parts]


# Each bad request, as the frames of one multipart message.
BAD_REQUESTS = {
    "not-a-number": frames("x", "0", "0"),
    "negative": frames("0", "-1", "0"),
    "fraction": frames("0", "0", "1.5"),
    "overflow": frames("99999999999999999999", "0", "0"),
    "over-366-days": frames("8785", "0", "0"),
    "zero-length": frames("0", "0", "0"),
    "over-366-days-in-seconds": frames("0", "0", str(366 * 86_400 + 1)),
    "two-frames": frames("0", "1"),
    "four-frames": frames("0", "1", "30", "0"),
    "empty-frame": [b""],
    "three-empty-frames": [b"", b"", b""],
    "binary-garbage-frame": [b"\xff\xfe"],
    "binary-garbage-frames": [b"\xff\xfe", b"\xff\xfe", b"\xff\xfe"],
    "one-mib-frame": [b"1" * (1 << 20)],
    "one-mib-field": [b"0", b"0", b"1" * (1 << 20)],
    "invalid-json": [b'{"hours": 1,'],
    "unknown-op": [b'{"op": "explode"}'],
    "get-unknown-id": [b'{"op": "get", "id": "no-such-timer"}'],
    "cancel-unknown-id": [b'{"op": "cancel", "id": "no-such-timer"}'],
    "json-unknown-keys": [b'{"hours": 0, "minutes": 1, "seconds": 0, "colour": "red"}'],
    "json-negative": [b'{"seconds": -1}'],
    "json-fraction": [b'{"seconds": 1.5}'],
    "json-overflow": [b'{"hours": 99999999999999999999}'],
    "json-over-366-days": [b'{"hours": 8785}'],
    "json-zero-length": [b'{}'],
}


@pytest.fixture
def client(timers):
    with TimerClient(timers.zmq_endpoint) as client:
        yield client


def test_three_frames_set_a_timer_that_echoes_them(client):
    before = now_ms()
    timer = client.set(0, 1, 30)
    after = now_ms()

    assert (timer["hours"], timer["minutes"], timer["seconds"]) == (0, 1, 30), timer
    assert timer["state"] == "pending", timer
    assert timer["label"] == "" and timer["owned"] is False, timer
    assert timer["ended_at_unix_ms"] is None and timer["late_ms"] == 0, timer
    created = rfc3339_ms(timer["created_at"])
    assert before - CLOCK_SLACK_MS <= created <= after + CLOCK_SLACK_MS, (before, timer, after)
    assert timer["fires_at_unix_ms"] - created == duration_ms(0, 1, 30), timer

    got = client.get(timer["id"])
    assert got == timer, (got, timer)


def test_a_json_request_sets_a_labelled_timer_without_normalising(client):
    timer = client.set_json(hours=0, minutes=0, seconds=90, label="tea")
    assert (timer["hours"], timer["minutes"], timer["seconds"]) == (0, 0, 90), timer
    assert timer["label"] == "tea" and timer["state"] == "pending", timer
    created = rfc3339_ms(timer["created_at"])
    assert timer["fires_at_unix_ms"] - created == duration_ms(0, 0, 90), timer

    # Every field is optional.
    defaults = client.set_json(minutes=2)
    assert (defaults["hours"], defaults["minutes"], defaults["seconds"]) == (0, 2, 0), defaults
    assert defaults["label"] == "", defaults
    assert defaults["id"] != timer["id"], (defaults, timer)


def test_366_days_is_the_longest_timer(client):
    longest = client.set(MAX_HOURS, 0, 0)
    created = rfc3339_ms(longest["created_at"])
    assert longest["fires_at_unix_ms"] - created == duration_ms(MAX_HOURS, 0, 0), longest
    assert client.set(0, MAX_HOURS * 60, 0)["state"] == "pending"

    client.expect_error(frames(str(MAX_HOURS), "0", "1"))
    client.expect_error(frames(str(MAX_HOURS + 1), "0", "0"))


@pytest.mark.parametrize("bad", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_a_bad_request_gets_an_error_and_the_socket_still_works(client, bad):
    client.expect_error(bad)

    good = client.set(0, 1, 0)
    assert (good["hours"], good["minutes"], good["seconds"]) == (0, 1, 0), good
    assert client.get(good["id"])["state"] == "pending"


def test_a_client_that_leaves_before_its_reply_disturbs_no_one(timers):
    with TimerClient(timers.zmq_endpoint) as client:
        doomed = [client.set(0, 5, 0)["id"] for _ in range(5)]
    context = zmq.Context.instance()
    for timer_id in doomed:
        leaver = context.socket(zmq.REQ)
        # Long enough for the request to go out after close().
        leaver.setsockopt(zmq.LINGER, 2_000)
        leaver.connect(timers.zmq_endpoint)
        leaver.send(json.dumps({"op": "cancel", "id": timer_id}).encode())
        leaver.close()

    with TimerClient(timers.zmq_endpoint) as client:
        timer = client.set(0, 2, 0)
        assert (timer["hours"], timer["minutes"], timer["seconds"]) == (0, 2, 0), timer
        # The requests did arrive (so the service did have replies it could
        # not deliver), and later requests are still answered.
        deadline = time.monotonic() + FIRE_DEADLINE_S
        while True:
            states = {client.get(timer_id)["state"] for timer_id in doomed}
            if states == {"cancelled"}:
                break
            assert time.monotonic() < deadline, f"abandoned requests never handled: {states}"
            time.sleep(0.05)
        assert client.get(timer["id"])["state"] == "pending"


def test_fifty_concurrent_clients_each_get_their_own_reply(timers):
    barrier = threading.Barrier(CONCURRENT_CLIENTS)

    def one_client(i: int) -> tuple[tuple[int, int, int, str], dict]:
        asked = (1 + i % 7, i, 100 + i, f"client-{i}")
        with TimerClient(timers.zmq_endpoint) as client:
            barrier.wait(timeout=RPC_TIMEOUT_S)
            if i % 2:
                body = dict(zip(("hours", "minutes", "seconds", "label"), asked))
                reply = client.request_json(body)
            else:
                reply = client.request(frames(*(str(n) for n in asked[:3])))
        return asked, reply

    with ThreadPoolExecutor(max_workers=CONCURRENT_CLIENTS) as pool:
        results = list(pool.map(one_client, range(CONCURRENT_CLIENTS)))

    for i, (asked, reply) in enumerate(results):
        assert reply["ok"] is True, (asked, reply)
        check_timer(reply)
        assert (reply["hours"], reply["minutes"], reply["seconds"]) == asked[:3], (asked, reply)
        # The three-frame form carries no label.
        assert reply["label"] == (asked[3] if i % 2 else ""), (asked, reply)
    ids = [reply["id"] for _, reply in results]
    assert len(set(ids)) == CONCURRENT_CLIENTS, ids

    with TimerClient(timers.zmq_endpoint) as client:
        assert {client.get(timer_id)["id"] for timer_id in ids} == set(ids)


def test_anonymous_timers_are_reached_by_id_and_never_listed(client):
    set_ids = {client.set(0, m, 0)["id"] for m in (1, 2, 3)}
    labelled = client.set_json(hours=2, label="listed")
    set_ids.add(labelled["id"])

    error = client.expect_error([b'{"op":"list"}'])
    assert "session token" in error, error
    assert client.get(labelled["id"])["hours"] == 2
    assert {client.get(timer_id)["state"] for timer_id in set_ids} == {"pending"}


def test_a_short_timer_fires_on_time_never_early(client):
    timer = client.set(0, 0, 1)
    assert timer["state"] == "pending", timer

    deadline = time.monotonic() + FIRE_DEADLINE_S
    while True:
        seen = client.get(timer["id"])
        seen_at = now_ms()
        if seen["state"] == "fired":
            break
        assert seen["state"] == "pending", seen
        assert time.monotonic() < deadline, f"not fired within {FIRE_DEADLINE_S}s: {seen}"
        time.sleep(0.02)

    assert seen_at >= seen["fires_at_unix_ms"], f"seen fired at {seen_at}, before its time: {seen}"
    assert seen["ended_at_unix_ms"] >= seen["fires_at_unix_ms"], f"fired early: {seen}"
    assert seen["late_ms"] <= SMALL_LATE_MS, seen
    assert seen["fires_at_unix_ms"] == timer["fires_at_unix_ms"], (timer, seen)
    assert (seen["hours"], seen["minutes"], seen["seconds"]) == (0, 0, 1), seen
    # It stays fired.
    assert client.get(timer["id"]) == seen


def test_a_cancelled_timer_never_fires(client):
    doomed = client.set(0, 0, 1)
    cancelled = client.cancel(doomed["id"])
    assert cancelled["id"] == doomed["id"] and cancelled["state"] == "cancelled", cancelled
    assert cancelled["ended_at_unix_ms"] is not None, cancelled
    assert client.get(doomed["id"]) == cancelled
    # Cancelling again returns it unchanged.
    assert client.cancel(doomed["id"]) == cancelled

    # A timer set after it, so due after it, fires: the service had its chance.
    witness = client.set(0, 0, 1)
    assert witness["fires_at_unix_ms"] >= doomed["fires_at_unix_ms"], (doomed, witness)
    fired = client.wait_for_state(witness["id"], "fired", FIRE_DEADLINE_S)

    assert client.get(doomed["id"]) == cancelled
    # Cancelling a fired timer returns it unchanged.
    assert client.cancel(witness["id"]) == fired
    assert {t: client.get(t)["state"] for t in (doomed["id"], witness["id"])} == {
        doomed["id"]: "cancelled",
        witness["id"]: "fired",
    }


def test_current_times_clock_does_not_drive_timers(launch_timers, tmp_path):
    """``--clock`` is current-time's: a frozen one (forwarded by ``clocker up``
    to every service) must not stop timers, which run on the system clock."""
    data_dir = tmp_path / "timers-data"
    data_dir.mkdir()
    server = launch_timers(data_dir, "--clock", "frozen:2020-01-01T00:00:00Z")
    with TimerClient(server.zmq_endpoint) as client:
        before = now_ms()
        timer = client.set(0, 0, 1)
        # Set by the system clock, not the frozen one.
        assert before + 1_000 <= timer["fires_at_unix_ms"] <= now_ms() + 1_000 + CLOCK_SLACK_MS, timer
        fired = client.wait_for_state(timer["id"], "fired", FIRE_DEADLINE_S)
    assert fired["ended_at_unix_ms"] >= fired["fires_at_unix_ms"], fired


def test_timers_survive_sigkill_and_fire_late_exactly_once(launch_timers, tmp_path):
    data_dir = tmp_path / "timers-data"
    data_dir.mkdir()
    durations = [(0, 0, 30), (0, 1, 0), (0, 2, 30), (0, 5, 0), (0, 9, 59), (0, 10, 0), (0, 0, 600)]

    first = launch_timers(data_dir)
    with TimerClient(first.zmq_endpoint) as client:
        asked = {client.set(*d)["id"]: d for d in durations}
        labelled = client.set_json(minutes=7, label="durable")
        asked[labelled["id"]] = (0, 7, 0)
        set_at = {timer_id: client.get(timer_id) for timer_id in asked}
    assert set(set_at) == set(asked), (set_at, asked)
    first.process.kill()
    first.process.wait()

    restarted_at = now_ms()
    second = launch_timers(data_dir, "--timers-clock", f"offset:+{OFFSET_MS // 60_000}m")
    with TimerClient(second.zmq_endpoint) as client:
        fired = {
            timer_id: client.wait_for_state(timer_id, "fired", FIRE_DEADLINE_S) for timer_id in asked
        }
        listed = {timer_id: client.get(timer_id) for timer_id in asked}
    seen_by = now_ms()

    assert listed == fired, (listed, fired)
    for timer_id, timer in fired.items():
        before = set_at[timer_id]
        for field in ("hours", "minutes", "seconds", "label", "created_at", "fires_at"):
            assert timer[field] == before[field], (field, before, timer)
        assert (timer["hours"], timer["minutes"], timer["seconds"]) == asked[timer_id], timer
        ended = timer["ended_at_unix_ms"]
        # It fired by the service's clock, which runs 15 minutes ahead.
        assert restarted_at + OFFSET_MS - CLOCK_SLACK_MS <= ended <= seen_by + OFFSET_MS + CLOCK_SLACK_MS, (
            restarted_at,
            seen_by,
            timer,
        )
        assert ended >= timer["fires_at_unix_ms"], f"fired early: {timer}"
        assert timer["late_ms"] > 0, f"not marked late: {timer}"
        assert abs(timer["late_ms"] - (ended - timer["fires_at_unix_ms"])) <= 1, timer
        assert timer["late_ms"] >= OFFSET_MS - duration_ms(*asked[timer_id]) - CLOCK_SLACK_MS, timer
    second.process.kill()
    second.process.wait()

    # Once more: nothing fires again, nothing changes.
    third = launch_timers(data_dir, "--timers-clock", f"offset:+{OFFSET_MS // 60_000}m")
    with TimerClient(third.zmq_endpoint) as client:
        again = {timer_id: client.get(timer_id) for timer_id in asked}
        assert again == fired, (again, fired)
        assert {timer_id: client.get(timer_id) for timer_id in asked} == fired


def test_an_unknown_session_token_is_refused(client):
    client.expect_error([json.dumps({"minutes": 1, "token": "not-a-session"}).encode()])
    assert client.set(0, 1, 0)["owned"] is False


def test_a_session_token_makes_a_timer_owned(launch_timers, tmp_path, accounts, accounts_stubs, channels):
    pb2 = accounts_stubs.pb2
    stub = accounts_stubs.pb2_grpc.AccountsStub(channels(accounts))
    username, password = f"timer_{secrets.token_hex(5)}", secrets.token_urlsafe(18)
    stub.Register(pb2.RegisterRequest(username=username, password=password), timeout=RPC_TIMEOUT_S)
    token = stub.Login(
        pb2.LoginRequest(username=username, password=password), timeout=RPC_TIMEOUT_S
    ).token

    data_dir = tmp_path / "timers-data"
    data_dir.mkdir()
    server = launch_timers(data_dir, env={"CLOCKER_ACCOUNTS_ADDR": accounts.addr})
    with TimerClient(server.zmq_endpoint) as client:
        mine = client.set_json(minutes=3, label="mine", token=token)
        assert mine["owned"] is True and mine["label"] == "mine", mine
        anonymous = client.set(0, 3, 0)
        assert anonymous["owned"] is False, anonymous

        own_list = client.request_json({"op": "list", "token": token})
        assert own_list["ok"] is True, own_list
        assert [t["id"] for t in own_list["timers"]] == [mine["id"]], own_list
        assert "session token" in client.expect_error([b'{"op":"list"}'])

        got = client.request_json({"op": "get", "id": mine["id"], "token": token})
        assert got["ok"] is True and got["id"] == mine["id"], got
