"""The stream service (seed 004's streaming-service) as SSE clients see it.

- ``GET /stream`` read by ``curl -N`` and by a small parser over
  http.client: ``event: data``, ``id: <sequence>``, ``data:`` JSON with
  exactly timestamp, value (0 to 100), sequence (= the id); ids that go up
  by one, about 10 a second.
- ``Last-Event-ID`` (header, or ``?last_event_id=``) replays exactly the
  events after that id, with the data first sent, then goes on live.
- 100 concurrent clients all receive events over ONE upstream
  StreamRandomData (the random service's ``clocker_random_streams`` gauge
  stays 1); ``/metrics`` counts them (``clients`` 100, ``messages_sent``
  growing) and goes back to 0 when they leave.
- The random service going away leaves the stream open; events resume on
  the same connection when it is back.
- ``/health`` is ``{"status":"ok","time":RFC 3339}``; ``/metrics`` is
  exactly clients, messages_sent, uptime (integers that move); ``/`` is the
  standalone test page; CORS for the allowed origins only.
- ``/stream/time`` sends the funnel's clock frames (exact on the frozen
  clock); ``/stream/timers`` the caller's timer events, with replay (the token as a
  bearer header or the cookie ``POST /stream/session`` sets, never in the URL);
  without a token only the anonymous timers named in ``?ids=``.
- The seed README's curl commands give the shapes it shows.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import threading
import time
from datetime import datetime, timezone

import pytest

from support import (
    ALLOWED_ORIGINS,
    FOREIGN_ORIGIN,
    FROZEN_INSTANT,
    HTTP_TIMEOUT_S,
    curl_json,
    SseReader,
    get_json,
    http_request,
    parse_rfc3339,
    rfc3339_ms,
    stream_env,
)

DATA_KEYS = {"timestamp", "value", "sequence"}
METRICS_KEYS = {"clients", "messages_sent", "uptime"}
CONCURRENT_CLIENTS = 100
# How long all the concurrent clients may take to connect and get an event.
CONCURRENT_DEADLINE_S = 30.0
# How long metrics may take to reflect what clients did.
METRICS_DEADLINE_S = 10.0
# How long the stream may take to resume after the random service is back.
RESUME_DEADLINE_S = 30.0
# How long to wait for a prometheus gauge to settle.
GAUGE_DEADLINE_S = 10.0
CLOCK_SLACK_MS = 2_000
POLL_INTERVAL_S = 0.1


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def check_data_event(event, live: bool = True) -> dict:
    """A ``data`` event: its id is the sequence; exactly the seed's keys."""
    assert event.event == "data", event
    body = event.json()
    assert set(body) == DATA_KEYS, f"keys {sorted(body)} != {sorted(DATA_KEYS)}: {event}"
    for key in DATA_KEYS:
        assert type(body[key]) is int, f"{key} is not an integer: {event}"
    assert event.id == str(body["sequence"]), f"id {event.id!r} is not the sequence: {event}"
    assert 0 <= body["value"] <= 100, event
    if live:
        assert abs(body["timestamp"] - now_ms()) < 60_000, f"timestamp is not unix ms now: {event}"
    return body


def metrics(addr: str) -> dict:
    body = get_json(addr, "/metrics")
    assert set(body) == METRICS_KEYS, f"keys {sorted(body)} != {sorted(METRICS_KEYS)}: {body}"
    for key in METRICS_KEYS:
        assert type(body[key]) is int and body[key] >= 0, body
    return body


def wait_for(what: str, probe, deadline_s: float):
    """Polls ``probe()`` until it returns a true value; fails after ``deadline_s``."""
    deadline = time.monotonic() + deadline_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} not within {deadline_s}s")
        time.sleep(POLL_INTERVAL_S)


PROM_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$")


def prometheus_value(addr: str, path: str, name: str) -> float | None:
    """The sum of the samples of ``name`` at ``http://addr{path}`` (None when absent)."""
    reply = http_request(addr, "GET", path)
    assert reply.status == 200, reply.describe()
    values = [
        float(match["value"])
        for line in reply.body.decode().splitlines()
        if (match := PROM_SAMPLE.match(line)) and match["name"] == name
    ]
    return sum(values) if values else None


# --- /stream ----------------------------------------------------------------------


def test_curl_reads_data_events(stream):
    result = subprocess.run(
        ["curl", "-N", "-s", "-i", "--max-time", "4", f"http://{stream.addr}/stream"],
        capture_output=True, text=True, timeout=15,
    )
    # 28: curl stopped at --max-time, as it must for a stream that never ends.
    assert result.returncode == 28, f"curl exited {result.returncode}: {result.stderr}"
    head, _, body = result.stdout.replace("\r\n", "\n").partition("\n\n")
    assert head.startswith("HTTP/1.1 200"), head
    assert re.search(r"(?im)^content-type: text/event-stream", head), head
    # Blocks without data (a ``retry:`` hint, keep-alive comments) are no events.
    blocks = [b for b in body.split("\n\n") if re.search(r"(?m)^data:", b)]
    assert len(blocks) >= 10, f"{len(blocks)} events in 4 s at 10 a second: {body[:500]!r}"
    sequences = []
    for block in blocks[:-1]:  # the last one may be cut by --max-time
        fields = {}
        for line in block.split("\n"):
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value
        assert set(fields) == {"event", "id", "data"}, f"fields of {block!r}"
        assert fields["event"] == "data", block
        data = json.loads(fields["data"])
        assert set(data) == DATA_KEYS, block
        assert fields["id"] == str(data["sequence"]), block
        assert 0 <= data["value"] <= 100, block
        sequences.append(data["sequence"])
    assert sequences == sorted(set(sequences)), f"ids do not increase: {sequences}"


def test_events_come_ten_a_second_with_consecutive_ids(stream):
    with SseReader(stream.addr) as reader:
        reader.check_event_stream()
        events = reader.events(21)
    bodies = [check_data_event(e) for e in events]
    sequences = [b["sequence"] for b in bodies]
    assert sequences == list(range(sequences[0], sequences[0] + 21)), sequences
    timestamps = [b["timestamp"] for b in bodies]
    assert timestamps == sorted(timestamps), timestamps
    span = timestamps[-1] - timestamps[0]
    # 20 gaps of 100 ms (the first events may be replayed history, so only
    # the data's own timestamps count).
    assert 1_500 <= span <= 3_000, f"20 gaps of 100 ms span {span} ms"
    assert len({b["value"] for b in bodies}) > 1, bodies


@pytest.mark.parametrize("how", ["header", "query"])
def test_last_event_id_replays_the_events_after_it(stream, how):
    with SseReader(stream.addr) as first:
        first.check_event_stream()
        seen = [check_data_event(e) for e in first.events(20)]
    sequences = [b["sequence"] for b in seen]
    assert sequences == list(range(sequences[0], sequences[0] + 20)), sequences
    after = sequences[4]
    if how == "header":
        resumed = SseReader(stream.addr, headers={"Last-Event-ID": str(after)})
    else:
        resumed = SseReader(stream.addr, f"/stream?last_event_id={after}")
    with resumed:
        resumed.check_event_stream()
        replay = [check_data_event(e, live=False) for e in resumed.events(30)]
    got = [b["sequence"] for b in replay]
    assert got == list(range(after + 1, after + 31)), f"after {after}: {got}"
    by_sequence = {b["sequence"]: b for b in seen}
    for body in replay:
        if body["sequence"] in by_sequence:
            assert body == by_sequence[body["sequence"]], "a replayed event differs from the original"


def test_metrics_and_health(stream):
    health = get_json(stream.addr, "/health")
    assert set(health) == {"status", "time"} and health["status"] == "ok", health
    instant = parse_rfc3339(health["time"])
    assert abs(instant.timestamp() * 1000 - now_ms()) < CLOCK_SLACK_MS, health

    with SseReader(stream.addr) as reader:
        reader.events(2)
        before = metrics(stream.addr)
        assert before["clients"] >= 1, before
        reader.events(5)
        wait_for(
            "messages_sent to grow while a client reads",
            lambda: metrics(stream.addr)["messages_sent"] >= before["messages_sent"] + 5,
            METRICS_DEADLINE_S,
        )
    wait_for(
        "uptime (whole seconds) to move",
        lambda: metrics(stream.addr)["uptime"] > before["uptime"],
        METRICS_DEADLINE_S,
    )


def test_the_test_page_is_standalone_html(stream):
    reply = http_request(stream.addr, "GET", "/")
    assert reply.status == 200, reply.describe()
    assert (reply.header("Content-Type") or "").startswith("text/html"), reply.describe()
    page = reply.body.decode()
    assert "EventSource" in page, "the page does not use EventSource"
    external = re.findall(r"""<(?:script|link)[^>]+(?:src|href)=["']((?:https?:)?//[^"']+)""", page)
    assert not external, f"the page loads from elsewhere: {external}"


@pytest.mark.parametrize("origin", ALLOWED_ORIGINS)
def test_cors_allows_the_allowed_origins(stream, origin):
    with SseReader(stream.addr, headers={"Origin": origin}) as reader:
        reader.check_event_stream()
        assert reader.response.headers.get("Access-Control-Allow-Origin") == origin, dict(
            reader.response.headers)
    reply = http_request(stream.addr, "GET", "/health", headers={"Origin": origin})
    assert reply.header("Access-Control-Allow-Origin") == origin, dict(reply.headers)


def test_cors_refuses_a_foreign_origin(stream):
    with SseReader(stream.addr, headers={"Origin": FOREIGN_ORIGIN}) as reader:
        assert reader.response.headers.get("Access-Control-Allow-Origin") is None, dict(
            reader.response.headers)
    reply = http_request(stream.addr, "GET", "/health", headers={"Origin": FOREIGN_ORIGIN})
    assert reply.header("Access-Control-Allow-Origin") is None, dict(reply.headers)


# --- many clients, one upstream ---------------------------------------------------


class Client(threading.Thread):
    """One SSE client reading events until told to stop."""

    def __init__(self, addr: str, stop: threading.Event):
        super().__init__(daemon=True)
        self.addr = addr
        self.stop = stop
        self.events = 0
        self.error: str | None = None

    def run(self) -> None:
        try:
            with SseReader(self.addr) as reader:
                reader.check_event_stream()
                while not self.stop.is_set():
                    check_data_event(reader.next_event())
                    self.events += 1
        except AssertionError as err:
            if not self.stop.is_set():
                self.error = str(err)


def test_many_clients_share_one_upstream_stream(launch, frozen, unused_addr):
    random_service = launch("random")
    stream = launch("stream", env=stream_env(random_service.addr, frozen, unused_addr))
    stop = threading.Event()
    clients = [Client(stream.addr, stop) for _ in range(CONCURRENT_CLIENTS)]
    try:
        for client in clients:
            client.start()

        def all_receive():
            errors = [c.error for c in clients if c.error]
            assert not errors, f"{len(errors)} clients failed, first: {errors[0]}"
            return all(c.events >= 1 for c in clients)

        wait_for(f"all {CONCURRENT_CLIENTS} clients to receive an event", all_receive,
                 CONCURRENT_DEADLINE_S)
        counted = wait_for(
            f"/metrics to count {CONCURRENT_CLIENTS} clients",
            lambda: (m := metrics(stream.addr))["clients"] == CONCURRENT_CLIENTS and m,
            METRICS_DEADLINE_S,
        )
        upstreams = prometheus_value(random_service.addr, "/metrics", "clocker_random_streams")
        assert upstreams == 1, (
            f"the random service has {upstreams} open StreamRandomData calls for "
            f"{CONCURRENT_CLIENTS} SSE clients; expected exactly one shared upstream"
        )
        wait_for(
            "messages_sent to grow by one event per client",
            lambda: metrics(stream.addr)["messages_sent"]
            >= counted["messages_sent"] + CONCURRENT_CLIENTS,
            METRICS_DEADLINE_S,
        )
        marks = [c.events for c in clients]
        wait_for("every client to keep receiving",
                 lambda: all(c.events > mark for c, mark in zip(clients, marks)),
                 METRICS_DEADLINE_S)
        assert prometheus_value(random_service.addr, "/metrics", "clocker_random_streams") == 1
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=10)
    assert not [c for c in clients if c.is_alive()], "clients did not stop"
    wait_for("/metrics to count 0 clients after they left",
             lambda: metrics(stream.addr)["clients"] == 0, METRICS_DEADLINE_S)
    stream.stop()
    random_service.stop()


def test_the_stream_stays_open_and_resumes_when_random_comes_back(launch, frozen, unused_addr):
    random_service = launch("random")
    addr = random_service.addr
    stream = launch("stream", env=stream_env(addr, frozen, unused_addr))
    with SseReader(stream.addr, timeout=RESUME_DEADLINE_S) as reader:
        reader.check_event_stream()
        check_data_event(reader.next_event())
        random_service.process.kill()
        random_service.stop()
        # Whatever was in flight drains; then silence (or keep-alive comments)
        # until random is back on the same address.
        restarted = launch("random", addr=addr)
        started = time.monotonic()
        while True:
            event = reader.next_event(timeout=RESUME_DEADLINE_S)
            check_data_event(event)
            if time.monotonic() - started > 0.5:
                break
        # The connection that saw the outage keeps receiving.
        check_data_event(reader.next_event(timeout=HTTP_TIMEOUT_S))
    stream.stop()
    restarted.stop()


# --- /stream/time and /stream/timers ----------------------------------------------


@pytest.mark.parametrize(
    "tz,time_text,hours",
    [("America/New_York", "01:59:59.950", 1), ("Europe/Paris", "07:59:59.950", 7)],
)
def test_stream_time_sends_the_funnels_frames(stream, tz, time_text, hours):
    with SseReader(stream.addr, f"/stream/time?tz={tz}") as reader:
        reader.check_event_stream()
        events = reader.events(10)
    seqs = []
    for event in events:
        assert event.event == "frame", event
        frame = event.json()
        assert frame == {
            "time": time_text,
            "hours": hours,
            "minutes": 59,
            "seconds": 59,
            "milliseconds": 950,
            "unix_ms": rfc3339_ms(FROZEN_INSTANT),
            "tz": tz,
            "seq": frame.get("seq"),
        }, frame
        assert event.id == str(frame["seq"]), event
        seqs.append(frame["seq"])
    assert seqs == sorted(set(seqs)), seqs


def test_stream_timers_sends_the_callers_events_and_replays(gateway, stream):
    username, password = f"sse_{secrets.token_hex(5)}", secrets.token_urlsafe(18)
    http_request(gateway.addr, "POST", "/api/accounts",
                 body={"username": username, "password": password}).json_object(201)
    token = http_request(gateway.addr, "POST", "/api/sessions",
                         body={"username": username, "password": password}
                         ).json_object(200)["token"]
    auth = {"Authorization": f"Bearer {token}"}

    # What a browser does: EventSource cannot send headers, so it trades the
    # bearer header for an HttpOnly cookie once.
    opened = http_request(stream.addr, "POST", "/stream/session", headers=auth)
    assert opened.status == 204, opened
    cookie = opened.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/stream" in cookie, cookie
    session = cookie.split(";")[0]

    # A fresh account has no events: replaying from 0 only guards against a race
    # between subscribing and setting the timer.
    with SseReader(stream.addr, "/stream/timers",
                   headers={"Cookie": session, "Last-Event-ID": "0"}) as reader:
        reader.check_event_stream()
        timer = http_request(gateway.addr, "POST", "/api/timers",
                             body={"minutes": 5, "label": "sse"}, headers=auth).json_object(201)
        http_request(gateway.addr, "DELETE", f"/api/timers/{timer['id']}",
                     headers=auth).json_object(200)
        events = [reader.next_event(), reader.next_event()]
    bodies = []
    for event in events:
        assert event.event == "timer", event
        body = event.json()
        assert set(body) == {"seq", "kind", "timer"}, body
        assert event.id == str(body["seq"]), event
        assert body["timer"]["id"] == timer["id"], body
        bodies.append(body)
    assert [b["kind"] for b in bodies] == ["set", "cancelled"], bodies
    assert bodies[0]["seq"] < bodies[1]["seq"], bodies

    with SseReader(stream.addr, "/stream/timers",
                   headers={**auth, "Last-Event-ID": str(bodies[0]["seq"])}) as again:
        again.check_event_stream()
        replayed = again.next_event().json()
    assert replayed == bodies[1], (replayed, bodies[1])


def test_stream_timers_refuses_a_token_in_the_url(stream):
    reply = http_request(stream.addr, "GET", "/stream/timers?token=abc")
    assert reply.status == 400, reply
    assert "Authorization: Bearer" in reply.error(400), reply


def test_stream_session_cookie_needs_a_bearer_token_and_can_be_cleared(stream):
    assert http_request(stream.addr, "POST", "/stream/session").status == 401
    cleared = http_request(stream.addr, "DELETE", "/stream/session")
    assert cleared.status == 204, cleared
    assert "Max-Age=0" in cleared.headers["Set-Cookie"], cleared


def test_stream_timers_without_a_token_replays_only_the_named_anonymous_timers(gateway, stream):
    secret = http_request(gateway.addr, "POST", "/api/timers",
                          body={"minutes": 5, "label": "somebody's secret"}).json_object(201)
    mine = http_request(gateway.addr, "POST", "/api/timers",
                        body={"minutes": 5, "label": "mine"}).json_object(201)
    # Everything, unauthenticated: refused (it once replayed every stored event).
    error = http_request(stream.addr, "GET", "/stream/timers?last_event_id=0").error(400)
    assert "ids" in error, error
    with SseReader(stream.addr, f"/stream/timers?ids={mine['id']}",
                   headers={"Last-Event-ID": "0"}) as reader:
        reader.check_event_stream()
        first = reader.next_event().json()
        http_request(gateway.addr, "DELETE", f"/api/timers/{secret['id']}").json_object(200)
        http_request(gateway.addr, "DELETE", f"/api/timers/{mine['id']}").json_object(200)
        second = reader.next_event().json()
    assert (first["kind"], first["timer"]["id"]) == ("set", mine["id"]), first
    assert (second["kind"], second["timer"]["id"]) == ("cancelled", mine["id"]), second


# --- the seed README's curl commands ----------------------------------------------


def test_readme_health(stream):
    body = curl_json(f"http://{stream.addr}/health")
    assert set(body) == {"status", "time"} and body["status"] == "ok", body
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", body["time"]), (
        f"the README shows a UTC instant like 2025-04-15T13:25:47Z: {body}"
    )
    instant = datetime.fromisoformat(body["time"].replace("Z", "+00:00"))
    assert abs((instant - datetime.now(timezone.utc)).total_seconds()) < 2, body


def test_readme_metrics(stream):
    body = curl_json(f"http://{stream.addr}/metrics")
    assert set(body) == METRICS_KEYS, body
    assert all(type(body[k]) is int for k in METRICS_KEYS), body
