"""Fixtures for the third-party client tests: generated stubs and live servers.

These tests drive the real ``clocker`` binary with Python's grpcio, so they
check what any non-Rust client sees on the wire. Nothing here is skipped: a
missing binary or a broken proto is a failure with a message saying what to do.

- ``stubs``: Python stubs generated from ``proto/`` with ``grpc_tools.protoc``
  into a temporary directory that is put on ``sys.path``.
- ``launch``: starts ``clocker serve NAME --addr 127.0.0.1:0``, reads the
  ``NAME listening on HOST:PORT`` line within a deadline, and stops the
  process at teardown (SIGTERM, then SIGKILL after a bound).
- ``current_time``, ``frozen``: running services shared by the whole session.
- ``accounts``: the accounts service on a temporary SQLite database;
  ``accounts_stubs``: its generated modules.
- ``launch_timers``: starts ``clocker serve timers`` on a given data
  directory with ZeroMQ on a port the OS picks (the second stdout line,
  ``timers also listening on zeromq tcp://HOST:PORT``, gives the endpoint);
  ``timers``: one such service on a fresh data directory, for one test.
- ``random_service`` and ``random_stubs`` (seed 004): the random service and
  the modules generated from ``proto/random.proto`` (package ``random``).
- ``session_timers``: a timers service for the whole session, acting for the
  ``accounts`` service's users; ``gateway``: the REST gateway with all four of
  its upstreams (random, current-time, accounts, timers) running;
  ``stream``: the SSE service over random, session_timers and the ``frozen``
  clock services. Both allow the origins ``ALLOWED_ORIGINS``.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
import types
from typing import NoReturn
from pathlib import Path

import grpc
import grpc_tools
import pytest

from support import (
    CONNECT_DEADLINE_S,
    FROZEN_INSTANT,
    REPO,
    STARTUP_DEADLINE_S,
    STOP_DEADLINE_S,
    cors_env,
    stream_env,
)

PROTO_ROOT = REPO / "proto"

LISTENING = re.compile(rb"^(?P<name>[a-z-]+) listening on (?P<addr>\S+:\d+)$")
# The line a service started with --zmq-addr prints after LISTENING.
ALSO_LISTENING = re.compile(
    rb"^(?P<name>[a-z-]+) also listening on zeromq (?P<endpoint>tcp://\S+:\d+)$"
)


@pytest.fixture(scope="session")
def clocker_bin() -> Path:
    """The binary under test: $CLOCKER_BIN, else <repo>/target/debug/clocker."""
    configured = os.environ.get("CLOCKER_BIN")
    path = Path(configured) if configured else REPO / "target" / "debug" / "clocker"
    if not path.is_file() or not os.access(path, os.X_OK):
        source = "CLOCKER_BIN" if configured else "the default path"
        pytest.fail(
            f"clocker binary not found at {path} (from {source}); "
            "build it with `cargo build -p clocker` or run `make test-python`",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def stubs(tmp_path_factory: pytest.TempPathFactory) -> types.SimpleNamespace:
    """Generated ``clock_pb2`` and ``clock_pb2_grpc`` modules for ``proto/``.

    The well-known types (``google/protobuf/timestamp.proto``) come from the
    copy grpc_tools ships in its ``_proto`` directory; their Python modules
    come from the protobuf runtime, so only Clocker's own files are generated.
    """
    out = tmp_path_factory.mktemp("stubs")
    well_known = Path(grpc_tools.__file__).resolve().parent / "_proto"
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))
    assert protos, f"no .proto files under {PROTO_ROOT}"
    command = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"--proto_path={PROTO_ROOT}",
        f"--proto_path={well_known}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        *protos,
    ]
    result = subprocess.run(command, cwd=PROTO_ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(
            f"protoc failed ({result.returncode}):\n{result.stderr}", pytrace=False
        )
    sys.path.insert(0, str(out))
    try:
        pb2 = importlib.import_module("clocker.v1.clock_pb2")
        pb2_grpc = importlib.import_module("clocker.v1.clock_pb2_grpc")
    finally:
        # The modules stay in sys.modules; the path is only needed to load them.
        sys.path.remove(str(out))
    return types.SimpleNamespace(pb2=pb2, pb2_grpc=pb2_grpc)


@dataclasses.dataclass
class Server:
    """One running ``clocker serve`` process."""

    name: str
    addr: str
    process: subprocess.Popen
    stderr_path: Path
    # The ZeroMQ endpoint (tcp://HOST:PORT), for a service started with --zmq-addr.
    zmq_endpoint: str = ""

    def stderr(self) -> str:
        """What the service has logged so far (for failure messages)."""
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def channel(self) -> grpc.Channel:
        """A connected insecure channel to the service (caller closes it)."""
        channel = grpc.insecure_channel(self.addr)
        try:
            grpc.channel_ready_future(channel).result(timeout=CONNECT_DEADLINE_S)
        except grpc.FutureTimeoutError:
            channel.close()
            pytest.fail(f"{self.name} at {self.addr} did not accept a connection "
                        f"within {CONNECT_DEADLINE_S}s\n{self.stderr()}")
        return channel

    def stop(self) -> int:
        """SIGTERM, then SIGKILL after STOP_DEADLINE_S; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_DEADLINE_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.process.returncode


def read_lines(process: subprocess.Popen, deadline: float, count: int) -> list[bytes]:
    """The first ``count`` stdout lines of ``process``, read by polling until
    ``deadline`` (both lines of a service that prints two may come in one read).

    Returns the complete lines read so far when the process exits first or
    the deadline passes (so fewer than ``count``, possibly none).
    """
    fd = process.stdout.fileno()
    os.set_blocking(fd, False)
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while buffer.count(b"\n") < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if not selector.select(timeout=min(remaining, 0.1)):
                if process.poll() is not None:
                    break
                continue
            chunk = os.read(fd, 4096)
            if not chunk:  # EOF: the process closed stdout (or exited).
                break
            buffer += chunk
    return buffer.split(b"\n")[: min(count, buffer.count(b"\n"))]


def read_listening_line(process: subprocess.Popen, deadline: float) -> bytes:
    """The first stdout line of ``process``, read by polling until ``deadline``.

    Returns b"" when the process exits first or the deadline passes.
    """
    lines = read_lines(process, deadline, 1)
    return lines[0] if lines else b""


def start_server(
    clocker_bin: Path,
    name: str,
    workdir: Path,
    args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    addr: str = "127.0.0.1:0",
) -> Server:
    """Starts ``clocker serve NAME --addr ADDR ARGS`` and waits for it
    (ADDR: a port the OS picks, unless a test restarts a service where it was).

    Fails the test (after stopping the process) when the service does not
    print its "listening on" line within STARTUP_DEADLINE_S, nor, when ARGS
    has ``--zmq-addr``, its "also listening on zeromq" line after it.
    """
    # Only what the test says: no inherited service addresses or database.
    inherited = ("CLOCKER_", "POSTGRES_", "DATABASE_URL")
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(inherited)}
    full_env.update(env or {})
    stderr_path = workdir / f"{name}-{time.monotonic_ns()}.stderr"
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(
            [str(clocker_bin), "serve", name, "--addr", addr, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=full_env,
            # Not the repository: a developer's .env there must not leak in.
            cwd=workdir,
        )
    wants_zmq = "--zmq-addr" in args
    lines = read_lines(process, time.monotonic() + STARTUP_DEADLINE_S, 2 if wants_zmq else 1)
    line = lines[0] if lines else b""
    match = LISTENING.match(line)
    server = Server(name, match["addr"].decode() if match else "", process, stderr_path)

    def fail(expected: str) -> NoReturn:
        exited = process.poll()
        status = server.stop()
        what = (
            f"exited with status {status} before printing"
            if exited is not None
            else f"did not print within {STARTUP_DEADLINE_S}s"
        )
        pytest.fail(
            f"`clocker serve {name}` {what} {expected} "
            f"(lines: {lines!r})\nstderr:\n{server.stderr()}",
            pytrace=False,
        )

    if not match or match["name"].decode() != name:
        fail(f"'{name} listening on HOST:PORT'")
    if wants_zmq:
        second = lines[1] if len(lines) > 1 else b""
        also = ALSO_LISTENING.match(second)
        if not also or also["name"].decode() != name:
            fail(f"the second line '{name} also listening on zeromq tcp://HOST:PORT'")
        server.zmq_endpoint = also["endpoint"].decode()
    return server


@pytest.fixture(scope="session")
def launch(clocker_bin: Path, tmp_path_factory: pytest.TempPathFactory):
    """A function starting services; all of them are stopped at session end."""
    workdir = tmp_path_factory.mktemp("servers")
    started: list[Server] = []

    def _launch(
        name: str, *args: str, env: dict[str, str] | None = None, addr: str = "127.0.0.1:0"
    ) -> Server:
        server = start_server(clocker_bin, name, workdir, args, env, addr)
        started.append(server)
        return server

    yield _launch
    for server in reversed(started):
        server.stop()


@pytest.fixture(scope="session")
def current_time(launch) -> Server:
    """current-time on the system clock."""
    return launch("current-time")


@pytest.fixture(scope="session")
def frozen(launch) -> dict[str, Server]:
    """current-time frozen at FROZEN_INSTANT and the four component services
    reading it, by service name."""
    clock = launch("current-time", "--clock", f"frozen:{FROZEN_INSTANT}")
    env = {"CLOCKER_CURRENT_TIME_ADDR": clock.addr}
    servers = {"current-time": clock}
    for name in ("hours", "minutes", "seconds", "milliseconds"):
        servers[name] = launch(name, env=env)
    return servers


@pytest.fixture(scope="session")
def channels(launch):
    """A function returning one shared channel per server, closed at session end
    (before the servers are stopped, since this fixture depends on ``launch``)."""
    opened: dict[str, grpc.Channel] = {}

    def _channel(server: Server) -> grpc.Channel:
        if server.addr not in opened:
            opened[server.addr] = server.channel()
        return opened[server.addr]

    yield _channel
    for channel in opened.values():
        channel.close()


@pytest.fixture
def unused_addr() -> str:
    """A 127.0.0.1 address nothing listens on (a port bound then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"127.0.0.1:{port}"


@pytest.fixture(scope="session")
def accounts_stubs(stubs) -> types.SimpleNamespace:
    """``accounts_pb2`` and ``accounts_pb2_grpc``, from the directory the
    ``stubs`` fixture generated every proto under ``proto/`` into."""
    out = str(Path(stubs.pb2.__file__).resolve().parents[2])
    sys.path.insert(0, out)
    try:
        pb2 = importlib.import_module("clocker.v1.accounts_pb2")
        pb2_grpc = importlib.import_module("clocker.v1.accounts_pb2_grpc")
    finally:
        sys.path.remove(out)
    return types.SimpleNamespace(pb2=pb2, pb2_grpc=pb2_grpc)


@pytest.fixture(scope="session")
def accounts(launch, tmp_path_factory: pytest.TempPathFactory) -> Server:
    """The accounts service on a fresh SQLite database in a temporary directory."""
    data_dir = tmp_path_factory.mktemp("accounts-data")
    # Every test's client comes from 127.0.0.1: the limits per address are
    # raised so they add up across the session; the limit per (name,
    # address) keeps its default (test_repeated_failed_logins… relies on it).
    per_address = ("--register-burst", "1000", "--login-address-free-failures", "1000")
    return launch("accounts", "--data-dir", str(data_dir), *per_address)


@pytest.fixture
def launch_timers(launch):
    """A function starting ``clocker serve timers`` on DATA_DIR with ZeroMQ on
    ``tcp://127.0.0.1:0`` (extra flags such as ``--timers-clock offset:+15m`` after
    it); what it started is stopped when the test ends (a test may SIGKILL a
    service first: stopping a dead one is a no-op)."""
    started: list[Server] = []

    def _launch(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> Server:
        server = launch(
            "timers",
            "--zmq-addr",
            "tcp://127.0.0.1:0",
            "--data-dir",
            str(data_dir),
            *args,
            env=env,
        )
        started.append(server)
        return server

    yield _launch
    for server in reversed(started):
        server.stop()


@pytest.fixture
def timers(launch_timers, tmp_path: Path) -> Server:
    """The timers service on a fresh data directory, for one test (anonymous
    requests only: no accounts service runs for it)."""
    data_dir = tmp_path / "timers-data"
    data_dir.mkdir()
    return launch_timers(data_dir)


# --- seed 004: random (gRPC), gateway (REST), stream (SSE) ---------------------


@pytest.fixture(scope="session")
def random_stubs(stubs) -> types.SimpleNamespace:
    """``random_pb2`` and ``random_pb2_grpc``, generated from ``proto/random.proto``
    (package ``random``) into the directory of the ``stubs`` fixture."""
    out = str(Path(stubs.pb2.__file__).resolve().parents[2])
    if not (PROTO_ROOT / "random.proto").is_file():
        pytest.fail(f"{PROTO_ROOT / 'random.proto'} is missing (seed 004's proto)", pytrace=False)
    sys.path.insert(0, out)
    try:
        pb2 = importlib.import_module("random_pb2")
        pb2_grpc = importlib.import_module("random_pb2_grpc")
    finally:
        sys.path.remove(out)
    return types.SimpleNamespace(pb2=pb2, pb2_grpc=pb2_grpc)


@pytest.fixture(scope="session")
def random_service(launch) -> Server:
    """The random service (seed 004), shared by the session."""
    return launch("random")


@pytest.fixture(scope="session")
def session_timers(launch, accounts, tmp_path_factory: pytest.TempPathFactory) -> Server:
    """A timers service on a fresh data directory for the whole session, whose
    tokens are the ``accounts`` service's."""
    data_dir = tmp_path_factory.mktemp("session-timers-data")
    return launch(
        "timers",
        "--zmq-addr",
        "tcp://127.0.0.1:0",
        "--data-dir",
        str(data_dir),
        env={"CLOCKER_ACCOUNTS_ADDR": accounts.addr},
    )


@pytest.fixture(scope="session")
def gateway(launch, random_service, current_time, accounts, session_timers) -> Server:
    """The REST gateway with every upstream running (random, current-time on
    the system clock, accounts, timers), allowing ``ALLOWED_ORIGINS``."""
    return launch(
        "gateway",
        env={
            "CLOCKER_RANDOM_ADDR": random_service.addr,
            "CLOCKER_CURRENT_TIME_ADDR": current_time.addr,
            "CLOCKER_ACCOUNTS_ADDR": accounts.addr,
            "CLOCKER_TIMERS_ADDR": session_timers.addr,
            **cors_env(),
        },
    )


@pytest.fixture(scope="session")
def stream(launch, random_service, frozen, session_timers, accounts) -> Server:
    """The SSE stream service over the session's random service, timers and
    the clock services frozen at FROZEN_INSTANT, allowing ``ALLOWED_ORIGINS``."""
    env = stream_env(random_service.addr, frozen, session_timers.addr)
    env["CLOCKER_ACCOUNTS_ADDR"] = accounts.addr
    return launch("stream", env=env)
