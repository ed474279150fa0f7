"""Constants and small helpers shared by the conftest and the test modules.

(Test modules import from here rather than from conftest.py, which pytest
loads itself.)
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import re
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import zmq

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


# --- The timers service over ZeroMQ (seed 002) ---------------------------------

# How long one ZeroMQ request may wait for its reply.
ZMQ_REPLY_DEADLINE_S = 5.0
# How often a test polls a timer's state while it waits for a change.
POLL_INTERVAL_S = 0.02

# Exactly the fields of a timer in a reply (a success reply adds "ok").
TIMER_KEYS = frozenset(
    {
        "id",
        "label",
        "hours",
        "minutes",
        "seconds",
        "state",
        "created_at",
        "fires_at",
        "fires_at_unix_ms",
        "ended_at_unix_ms",
        "late_ms",
        "owned",
    }
)
TIMER_STATES = ("pending", "fired", "cancelled")


def describe_frames(frames: list[bytes]) -> str:
    """A short readable form of a multipart message (frames may be 1 MiB)."""
    shown = [
        repr(frame) if len(frame) <= 60 else f"{frame[:24]!r}...({len(frame)} bytes)"
        for frame in frames
    ]
    return f"[{', '.join(shown)}]"


def rfc3339_ms(instant: str) -> int:
    """Unix milliseconds of an RFC 3339 instant such as ``2026-11-23T20:15:00.000Z``."""
    return rfc3339_nanos(instant) // 1_000_000


def check_timer(timer: dict) -> dict:
    """Checks one timer object (from a reply or a list) against the contract
    and returns it: exactly TIMER_KEYS, each of its type, and the RFC 3339
    instants agreeing with their unix-ms twins."""
    body = {k: v for k, v in timer.items() if k != "ok"}
    assert set(body) == TIMER_KEYS, f"timer keys {sorted(body)} != {sorted(TIMER_KEYS)}: {timer}"
    assert isinstance(body["id"], str) and body["id"], timer
    assert isinstance(body["label"], str), timer
    for field in ("hours", "minutes", "seconds", "fires_at_unix_ms", "late_ms"):
        assert type(body[field]) is int, (field, timer)
    assert body["state"] in TIMER_STATES, timer
    assert type(body["owned"]) is bool, timer
    ended = body["ended_at_unix_ms"]
    assert ended is None or type(ended) is int, timer
    assert (ended is None) == (body["state"] == "pending"), timer
    assert body["late_ms"] >= 0, timer
    assert rfc3339_ms(body["fires_at"]) == body["fires_at_unix_ms"], timer
    rfc3339_ms(body["created_at"])  # parses
    return timer


def duration_ms(hours: int, minutes: int, seconds: int) -> int:
    return ((hours * 60 + minutes) * 60 + seconds) * 1000


class TimerClient:
    """A pyzmq REQ socket connected to the timers service: one request, one
    reply, each reply within ZMQ_REPLY_DEADLINE_S (no reply fails the test)."""

    def __init__(self, endpoint: str, context: zmq.Context | None = None):
        self.endpoint = endpoint
        self.socket = (context or zmq.Context.instance()).socket(zmq.REQ)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(endpoint)

    def __enter__(self) -> "TimerClient":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        self.socket.close()

    def exchange(self, frames: list[bytes], deadline_s: float = ZMQ_REPLY_DEADLINE_S) -> list[bytes]:
        """Sends one multipart request and returns every frame of its reply."""
        self.socket.send_multipart(frames)
        if not self.socket.poll(int(deadline_s * 1000), zmq.POLLIN):
            raise AssertionError(
                f"no reply from {self.endpoint} within {deadline_s}s to {describe_frames(frames)}"
            )
        return self.socket.recv_multipart()

    def request(self, frames: list[bytes]) -> dict:
        """One request; its reply must be exactly one frame of JSON with a boolean ``ok``."""
        reply = self.exchange(frames)
        assert len(reply) == 1, (
            f"{len(reply)} reply frames to {describe_frames(frames)}: {describe_frames(reply)}"
        )
        try:
            body = json.loads(reply[0])
        except ValueError as err:
            raise AssertionError(
                f"reply to {describe_frames(frames)} is not JSON ({err}): {reply[0][:200]!r}"
            ) from None
        assert isinstance(body, dict) and type(body.get("ok")) is bool, (
            f"reply to {describe_frames(frames)} has no boolean ok: {body}"
        )
        return body

    def request_json(self, body: dict) -> dict:
        return self.request([json.dumps(body).encode()])

    def expect_ok(self, frames: list[bytes]) -> dict:
        reply = self.request(frames)
        assert reply["ok"] is True, f"{describe_frames(frames)} refused: {reply}"
        return reply

    def expect_error(self, frames: list[bytes]) -> str:
        """The error message of a refused request (exactly ``{"ok":false,"error":"..."}``)."""
        reply = self.request(frames)
        assert reply["ok"] is False, f"{describe_frames(frames)} accepted: {reply}"
        assert set(reply) == {"ok", "error"}, reply
        assert isinstance(reply["error"], str) and reply["error"].strip(), reply
        return reply["error"]

    def timer(self, frames: list[bytes]) -> dict:
        """The timer a successful request answers with, checked, without "ok"
        (so it compares equal to the same timer in a list)."""
        reply = check_timer(self.expect_ok(frames))
        return {k: v for k, v in reply.items() if k != "ok"}

    def set(self, hours: int, minutes: int, seconds: int) -> dict:
        """Sets a timer with the seed's three frames."""
        return self.timer([str(hours).encode(), str(minutes).encode(), str(seconds).encode()])

    def set_json(self, **fields) -> dict:
        """Sets a timer with one JSON frame."""
        return self.timer([json.dumps(fields).encode()])

    def get(self, timer_id: str) -> dict:
        return self.timer([json.dumps({"op": "get", "id": timer_id}).encode()])

    def cancel(self, timer_id: str) -> dict:
        return self.timer([json.dumps({"op": "cancel", "id": timer_id}).encode()])

    def list(self) -> list[dict]:
        reply = self.expect_ok([b'{"op":"list"}'])
        assert set(reply) == {"ok", "timers"} and isinstance(reply["timers"], list), reply
        for timer in reply["timers"]:
            assert "ok" not in timer, timer
            check_timer(timer)
        return reply["timers"]

    def wait_for_state(self, timer_id: str, state: str, deadline_s: float) -> dict:
        """Polls ``get`` until the timer is in ``state``; fails after ``deadline_s``."""
        deadline = time.monotonic() + deadline_s
        while True:
            timer = self.get(timer_id)
            if timer["state"] == state:
                return timer
            if time.monotonic() >= deadline:
                raise AssertionError(f"timer not {state} within {deadline_s}s: {timer}")
            time.sleep(POLL_INTERVAL_S)


# --- HTTP: the gateway and the stream (seed 004) ------------------------------

# How long one HTTP request may take before the test fails (a service that
# answers slower than this is hanging, not slow).
HTTP_TIMEOUT_S = 10.0
# How long a Server-Sent Events reader waits for the next event (the stream
# sends 10 a second, so seconds of silence mean it stopped).
SSE_EVENT_TIMEOUT_S = 5.0

# The origins the gateway and the stream fixtures allow (CLOCKER_CORS_ORIGINS).
ALLOWED_ORIGINS = ("http://allowed.example:3000", "http://127.0.0.1:5173")
FOREIGN_ORIGIN = "http://evil.example"


def cors_env() -> dict[str, str]:
    """The environment that makes a gateway or stream allow ALLOWED_ORIGINS."""
    return {"CLOCKER_CORS_ORIGINS": ",".join(ALLOWED_ORIGINS)}


def stream_env(random_addr: str, clock: dict, timers_addr: str) -> dict[str, str]:
    """The environment of a stream service: every service it requires
    (``clock``: current-time and the four components, by service name, as
    the ``frozen`` fixture gives them), allowing ALLOWED_ORIGINS."""
    env = {
        "CLOCKER_RANDOM_ADDR": random_addr,
        "CLOCKER_TIMERS_ADDR": timers_addr,
        **cors_env(),
    }
    for name, server in clock.items():
        env[f"CLOCKER_{name.upper().replace('-', '_')}_ADDR"] = server.addr
    return env


@dataclasses.dataclass
class HttpReply:
    """One HTTP response, read whole."""

    method: str
    url: str
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    elapsed_s: float

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def describe(self) -> str:
        return f"{self.method} {self.url} -> {self.status} {self.body[:500]!r}"

    def json(self) -> object:
        """The body as JSON; the content type must say so."""
        content_type = self.header("Content-Type") or ""
        assert content_type.split(";")[0].strip() == "application/json", (
            f"Content-Type {content_type!r} is not application/json: {self.describe()}"
        )
        try:
            return json.loads(self.body)
        except ValueError as err:
            raise AssertionError(f"body is not JSON ({err}): {self.describe()}") from None

    def json_object(self, status: int) -> dict:
        """The body, which must be a JSON object, of a response with ``status``."""
        assert self.status == status, f"expected {status}: {self.describe()}"
        body = self.json()
        assert isinstance(body, dict), f"not a JSON object: {self.describe()}"
        return body

    def error(self, status: int) -> str:
        """The message of an error response: exactly ``{"error":"..."}`` with ``status``."""
        body = self.json_object(status)
        assert set(body) == {"error"}, f"error body is not exactly {{'error'}}: {self.describe()}"
        assert isinstance(body["error"], str) and body["error"].strip(), self.describe()
        return body["error"]


def split_addr(addr: str) -> tuple[str, int]:
    host, port = addr.rsplit(":", 1)
    return host, int(port)


def http_request(
    addr: str,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | str | dict | list | None = None,
    timeout: float = HTTP_TIMEOUT_S,
) -> HttpReply:
    """One request to ``http://addr{path}`` on a fresh connection (a dict or
    list body is sent as JSON). A connection error or a timeout fails the test."""
    host, port = split_addr(addr)
    sent_headers = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
        sent_headers.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode()
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    started = time.monotonic()
    try:
        connection.request(method, path, body=body, headers=sent_headers)
        response = connection.getresponse()
        data = response.read()
    except (OSError, http.client.HTTPException) as err:
        raise AssertionError(
            f"{method} http://{addr}{path} failed after {time.monotonic() - started:.2f}s: {err!r}"
        ) from None
    finally:
        connection.close()
    return HttpReply(
        method, f"http://{addr}{path}", response.status, response.headers, data,
        time.monotonic() - started,
    )


def get_json(addr: str, path: str, status: int = 200, **kwargs) -> dict:
    """The JSON object ``GET path`` answers with ``status``."""
    return http_request(addr, "GET", path, **kwargs).json_object(status)


def parse_rfc3339(text: str) -> datetime:
    """An RFC 3339 instant with an offset or ``Z``."""
    assert isinstance(text, str) and re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", text
    ), f"not RFC 3339: {text!r}"
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None, text
    return parsed


@dataclasses.dataclass
class SseEvent:
    event: str
    id: str | None
    data: str

    def json(self) -> dict:
        try:
            body = json.loads(self.data)
        except ValueError as err:
            raise AssertionError(f"event data is not JSON ({err}): {self}") from None
        assert isinstance(body, dict), f"event data is not a JSON object: {self}"
        return body


class SseReader:
    """A Server-Sent Events client over http.client: ``GET path`` on ``addr``,
    then ``next_event()`` parses the stream as the EventSource spec does
    (``event``, ``id``, multi-line ``data``, ``:`` comments, a blank line
    ends an event)."""

    def __init__(
        self,
        addr: str,
        path: str = "/stream",
        headers: dict[str, str] | None = None,
        timeout: float = SSE_EVENT_TIMEOUT_S,
    ):
        host, port = split_addr(addr)
        self.url = f"http://{addr}{path}"
        self.connection = http.client.HTTPConnection(host, port, timeout=timeout)
        self.comments: list[str] = []
        try:
            self.connection.request(
                "GET", path, headers={"Accept": "text/event-stream", **(headers or {})}
            )
            self.response = self.connection.getresponse()
        except (OSError, http.client.HTTPException) as err:
            self.connection.close()
            raise AssertionError(f"GET {self.url} failed: {err!r}") from None

    def __enter__(self) -> "SseReader":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        self.connection.close()

    def check_event_stream(self) -> None:
        """The response is 200 with Content-Type text/event-stream."""
        content_type = self.response.headers.get("Content-Type", "")
        if self.response.status != 200 or not content_type.startswith("text/event-stream"):
            body = self.response.read(500) if self.response.status != 200 else b""
            raise AssertionError(
                f"GET {self.url} -> {self.response.status} {content_type!r} {body!r}, "
                "expected 200 text/event-stream"
            )

    def next_event(self, timeout: float | None = None) -> SseEvent:
        """The next event (comments are collected in ``self.comments``);
        fails when the stream ends or stays silent for ``timeout`` seconds."""
        if timeout is not None and self.connection.sock is not None:
            self.connection.sock.settimeout(timeout)
        event, event_id, data = "message", None, []
        while True:
            try:
                raw = self.response.readline()
            except (OSError, http.client.HTTPException) as err:
                raise AssertionError(f"reading {self.url}: {err!r}") from None
            if not raw:
                raise AssertionError(f"{self.url} ended the stream")
            line = raw.decode().rstrip("\r\n")
            if not line:
                # As EventSource does: a block without data dispatches nothing.
                if data:
                    return SseEvent(event, event_id, "\n".join(data))
                event, event_id = "message", None
                continue
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)
            elif name == "id":
                event_id = value

    def events(self, count: int, timeout: float | None = None) -> list[SseEvent]:
        return [self.next_event(timeout) for _ in range(count)]


def curl_json(url: str) -> dict:
    """GET `url` with curl, as the seed README's commands do: its JSON body."""
    result = subprocess.run(
        ["curl", "-s", "--max-time", str(int(HTTP_TIMEOUT_S)), url],
        capture_output=True, text=True, timeout=HTTP_TIMEOUT_S + 5,
    )
    assert result.returncode == 0, f"curl {url} exited {result.returncode}: {result.stderr}"
    try:
        return json.loads(result.stdout)
    except ValueError:
        raise AssertionError(f"curl {url} printed no JSON: {result.stdout[:300]!r}") from None
