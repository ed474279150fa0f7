"""Starting and stopping: ``clocker serve`` exits 0 on SIGTERM or SIGINT.

A supervisor learns a service is up from its "listening on" line and may
stop it at any time after that, so a signal sent right after the line must
also be a graceful stop (exit status 0, "... received, shutting down" in the
log), never death by the signal's default action, nor a signal that is
swallowed and leaves the process running.
"""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from support import RPC_TIMEOUT_S

# The default drain period is 5 s; an idle service must stop well within it.
GRACEFUL_STOP_S = 3.0
# How many immediate stops are tried: a single attempt can win a race by luck.
IMMEDIATE_ATTEMPTS = 10


def stop_with(server, signum: int) -> tuple[int | str, float]:
    """Sends ``signum`` and waits; returns (exit status or "still running", seconds).

    A process still running after GRACEFUL_STOP_S is killed so it does not
    hold up the session's teardown.
    """
    started = time.monotonic()
    server.process.send_signal(signum)
    try:
        status = server.process.wait(timeout=GRACEFUL_STOP_S)
    except subprocess.TimeoutExpired:
        status = "still running"
        server.process.kill()
        server.process.wait()
    return status, time.monotonic() - started


def describe(status: int | str) -> str:
    """A readable exit status: negative statuses are deaths by a signal."""
    if isinstance(status, int) and status < 0:
        return f"killed by {signal.Signals(-status).name}"
    return f"exit status {status}"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_after_a_call_stops_the_service_gracefully(stubs, launch, signum):
    server = launch("current-time")
    with server.channel() as channel:
        stub = stubs.pb2_grpc.CurrentTimeStub(channel)
        stub.GetCurrentTime(stubs.pb2.CurrentTimeRequest(tz="UTC"), timeout=RPC_TIMEOUT_S)

    status, took = stop_with(server, signum)

    assert status == 0, f"{describe(status)} after {signum.name}\n{server.stderr()}"
    assert f"{signum.name} received" in server.stderr(), server.stderr()
    assert took < GRACEFUL_STOP_S, took


def test_sigterm_right_after_the_listening_line_stops_gracefully(launch):
    outcomes = []
    for _ in range(IMMEDIATE_ATTEMPTS):
        server = launch("current-time")
        status, _ = stop_with(server, signal.SIGTERM)
        outcomes.append(describe(status))
        if status != 0:
            pytest.fail(
                f"SIGTERM sent right after '{server.name} listening on {server.addr}': "
                f"{describe(status)} (attempts so far: {outcomes})\nstderr:\n{server.stderr()}"
            )
