"""``clocker timer``, the seed's prompting client, driven through a
pseudo-terminal as a person at a terminal would use it.

- It asks "Enter your time in hours. " (the seed's words and a space, no
  newline: the answer follows on the same line), then minutes, then
  seconds; an invalid answer gets a line saying so and the same question
  again.
- It prints "Timer ID set: fires at HH:MM:SS (in …)", counts down, and when
  the timer fired prints a line containing "fired" after the bell
  character; exit status 0.
- Ctrl-C during the countdown leaves the timer set, says so ("stays set")
  and exits 130.
- ``--no-wait --json`` prints the timer as one JSON object and returns;
  ``clocker timer list`` (which needs a session: anonymous timers are never
  listed) and ``clocker timer cancel ID`` use the JSON operations.

Each test starts its own timers service and gives the client an empty
CLOCKER_CONFIG_DIR, so no saved session applies.
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import time
from pathlib import Path

import pytest

from support import TimerClient

# How long the client may take to print what it is waiting for (start-up of
# a debug binary on a busy machine included).
OUTPUT_DEADLINE_S = 15.0
# How long past its time a timer may take to be reported fired.
FIRE_DEADLINE_S = 15.0
# How long a client may take to exit once it has nothing left to do.
EXIT_DEADLINE_S = 10.0

PROMPTS = {unit: f"Enter your time in {unit}. ".encode() for unit in ("hours", "minutes", "seconds")}
SET_LINE = re.compile(rb"Timer (?P<id>[0-9a-f-]+)(?: \([^)\r\n]*\))? set: fires at \d\d:\d\d:\d\d \(in [^\r\n]*\)\r?\n")
FIRED_LINE = re.compile(rb"\x07(?P<line>[^\r\n]*fired[^\r\n]*)")
STAYS_SET_LINE = re.compile(rb"[^\r\n]*stays set[^\r\n]*")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def client_env(timers, config_dir: Path) -> dict[str, str]:
    """Only what the test says: the service's endpoint and an empty config directory."""
    inherited = ("CLOCKER_", "POSTGRES_", "DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(inherited)}
    env["CLOCKER_TIMERS_ZMQ"] = timers.zmq_endpoint
    env["CLOCKER_CONFIG_DIR"] = str(config_dir)
    env.setdefault("TERM", "xterm")
    return env


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    path = tmp_path / "config"
    path.mkdir()
    return path


class PtyClient:
    """A process on the slave side of a pseudo-terminal; the test types into
    and reads from the master side. ``transcript`` is all it printed (with
    the terminal's echo of what was typed, and \\r\\n line ends)."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path):
        self.argv = argv
        master, slave = os.openpty()
        try:
            # `setsid --ctty`: a new session whose controlling terminal is the
            # pty, so Ctrl-C typed into it sends SIGINT to the client. (Not a
            # preexec_fn: forking with gRPC's threads around can crash it.)
            # Not a process group leader, so setsid execs without forking and
            # the pid is the client's.
            self.process = subprocess.Popen(
                ["setsid", "--ctty", *argv],
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=env,
                cwd=cwd,
            )
        finally:
            os.close(slave)
        self.master = master
        self.transcript = b""
        # Where the next expect() starts looking.
        self.position = 0
        self.eof = False

    def _read(self, timeout: float) -> None:
        if self.eof:
            return
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # EIO: every slave fd is closed (the process exited).
            chunk = b""
        if chunk:
            self.transcript += chunk
        else:
            self.eof = True

    def expect(self, pattern: re.Pattern[bytes] | bytes, deadline_s: float = OUTPUT_DEADLINE_S) -> re.Match:
        """Reads until ``pattern`` appears after the last match; fails with
        the transcript when it does not within ``deadline_s``."""
        if isinstance(pattern, bytes):
            pattern = re.compile(re.escape(pattern))
        deadline = time.monotonic() + deadline_s
        while True:
            match = pattern.search(self.transcript, self.position)
            if match:
                self.position = match.end()
                return match
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.eof:
                why = "exited" if self.eof else f"not within {deadline_s}s"
                pytest.fail(
                    f"{' '.join(self.argv[1:])}: expected {pattern.pattern!r}, {why}; "
                    f"exit status {self.process.poll()}\ntranscript: {self.transcript!r}",
                    pytrace=False,
                )
            self._read(min(remaining, 0.1))

    def since(self, start: int) -> bytes:
        return self.transcript[start : self.position]

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def wait(self, deadline_s: float = EXIT_DEADLINE_S) -> int:
        """The exit status, reading what is left of the output meanwhile."""
        deadline = time.monotonic() + deadline_s
        while self.process.poll() is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(
                    f"{' '.join(self.argv[1:])} did not exit within {deadline_s}s\n"
                    f"transcript: {self.transcript!r}",
                    pytrace=False,
                )
            self._read(min(remaining, 0.1))
        # The process is gone, so its end of the terminal is closed: read
        # what it printed last, up to EOF (EIO), within a bound.
        drain_deadline = time.monotonic() + 1.0
        while not self.eof and time.monotonic() < drain_deadline:
            self._read(0.1)
        return self.process.returncode

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)


@pytest.fixture
def pty_client(clocker_bin, timers, config_dir, tmp_path):
    """A function starting ``clocker ARGS`` on a pseudo-terminal against
    ``timers``; every client is killed (if still running) at the test's end."""
    started: list[PtyClient] = []

    def _start(*args: str) -> PtyClient:
        client = PtyClient([str(clocker_bin), *args], client_env(timers, config_dir), tmp_path)
        started.append(client)
        return client

    yield _start
    for client in started:
        client.close()


def run_clocker(clocker_bin, timers, config_dir, tmp_path, *args: str) -> subprocess.CompletedProcess:
    """``clocker ARGS`` without a terminal; fails if it runs past EXIT_DEADLINE_S."""
    try:
        return subprocess.run(
            [str(clocker_bin), *args],
            env=client_env(timers, config_dir),
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=EXIT_DEADLINE_S,
        )
    except subprocess.TimeoutExpired as err:
        pytest.fail(f"clocker {' '.join(args)} ran past {EXIT_DEADLINE_S}s: {err.stdout!r}", pytrace=False)


def answer_prompts(client: PtyClient, hours: str, minutes: str, seconds: str) -> None:
    """Answers the three questions, checking each is asked on a line of its
    own right after the echo of the previous answer (and nothing else)."""
    for unit, answer in (("hours", hours), ("minutes", minutes), ("seconds", seconds)):
        start = client.position
        client.expect(PROMPTS[unit])
        assert client.since(start) == PROMPTS[unit], client.transcript
        client.type(f"{answer}\n")
        client.expect(f"{answer}\r\n".encode())


def read_reply(client: PtyClient, timers) -> dict:
    """The timer the "Timer ID set: …" line names, as the service has it."""
    match = client.expect(SET_LINE)
    with TimerClient(timers.zmq_endpoint) as zmq_client:
        return zmq_client.get(match["id"].decode())


def test_the_prompting_client_asks_like_the_seed_and_rings_when_fired(pty_client, timers):
    client = pty_client("timer")

    # Exactly the seed's question, nothing before it, no newline after it.
    client.expect(PROMPTS["hours"])
    assert client.transcript == PROMPTS["hours"], client.transcript

    # Invalid answers: a line saying so, then the same question again.
    for bad in ("abc", "-1"):
        client.type(f"{bad}\n")
        client.expect(f"{bad}\r\n".encode())
        start = client.position
        client.expect(PROMPTS["hours"])
        complaint = client.since(start)[: -len(PROMPTS["hours"])]
        assert complaint.endswith(b"\r\n") and complaint.strip(), client.transcript
        assert b"Enter your time in" not in complaint, client.transcript

    # The echo of each answer is followed directly by the next question.
    client.type("0\n")
    client.expect(b"0\r\n" + PROMPTS["minutes"])
    client.type("0\n")
    client.expect(b"0\r\n" + PROMPTS["seconds"])
    client.type("2\n")
    client.expect(b"2\r\n")

    reply = read_reply(client, timers)
    assert (reply["hours"], reply["minutes"], reply["seconds"]) == (0, 0, 2), reply
    assert reply["state"] == "pending", reply

    countdown_start = client.position
    fired_line = client.expect(FIRED_LINE, deadline_s=2 + FIRE_DEADLINE_S)
    fired_seen_at = now_ms()
    countdown = client.transcript[countdown_start : fired_line.start()]
    assert re.search(rb"\d", countdown), f"no countdown before the bell: {client.transcript!r}"
    assert fired_seen_at >= reply["fires_at_unix_ms"], (fired_seen_at, reply)

    assert client.wait() == 0, client.transcript
    with TimerClient(timers.zmq_endpoint) as zmq_client:
        timer = zmq_client.get(reply["id"])
    assert timer["state"] == "fired", timer


def test_ctrl_c_during_the_countdown_leaves_the_timer_set(pty_client, timers):
    client = pty_client("timer")
    answer_prompts(client, "0", "5", "0")
    reply = read_reply(client, timers)
    assert (reply["hours"], reply["minutes"], reply["seconds"]) == (0, 5, 0), reply
    # The countdown has started (so the client is past sending the request).
    client.expect(re.compile(rb"\d"))

    client.type("\x03")
    client.expect(STAYS_SET_LINE)
    status = client.wait()
    assert status == 130, f"exit status {status}\ntranscript: {client.transcript!r}"

    with TimerClient(timers.zmq_endpoint) as zmq_client:
        timer = zmq_client.get(reply["id"])
    assert timer["state"] == "pending", timer


def test_no_wait_prints_the_reply_and_exits(clocker_bin, timers, config_dir, tmp_path):
    result = run_clocker(
        clocker_bin, timers, config_dir, tmp_path, "timer", "0", "0", "1", "--label", "tea", "--no-wait", "--json"
    )
    assert result.returncode == 0, result
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result
    reply = json.loads(lines[0])
    assert reply["label"] == "tea" and reply["state"] == "pending", reply
    assert (reply["hours"], reply["minutes"], reply["seconds"]) == (0, 0, 1), reply
    # It did not wait for the timer.
    assert "fired" not in result.stdout and "\x07" not in result.stdout, result

    with TimerClient(timers.zmq_endpoint) as zmq_client:
        assert zmq_client.get(reply["id"])["label"] == "tea"


def test_timer_list_without_a_session_says_to_log_in(clocker_bin, timers, config_dir, tmp_path):
    # Anonymous timers are never listed: an anonymous timer's id is the only way to it.
    with TimerClient(timers.zmq_endpoint) as zmq_client:
        zmq_client.set_json(minutes=4, label="tea")

    result = run_clocker(clocker_bin, timers, config_dir, tmp_path, "timer", "list")
    assert result.returncode != 0, result
    assert "session token" in result.stderr and "tea" not in result.stdout, result


def test_timer_cancel_prints_cancelled_and_cancels(clocker_bin, timers, config_dir, tmp_path):
    with TimerClient(timers.zmq_endpoint) as zmq_client:
        timer = zmq_client.set(0, 10, 0)

    result = run_clocker(clocker_bin, timers, config_dir, tmp_path, "timer", "cancel", timer["id"])
    assert result.returncode == 0, result
    assert f"cancelled {timer['id']}" in result.stdout, result

    with TimerClient(timers.zmq_endpoint) as zmq_client:
        assert zmq_client.get(timer["id"])["state"] == "cancelled"
