"""``GET /metrics`` over plain HTTP/1.1 on the same port as gRPC.

A fresh current-time is started so the counters are exactly what this test
caused: after N good calls and one bad one, ``clocker_rpc_requests_total``
must count N with code OK and 1 with code INVALID_ARGUMENT for the method.
"""

from __future__ import annotations

import re
import urllib.request

import grpc
import pytest

from support import RPC_TIMEOUT_S

METHOD = "/clocker.v1.CurrentTime/GetCurrentTime"
SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$")
LABEL = re.compile(r'(?P<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?P<value>(?:[^"\\]|\\.)*)"')


def scrape(addr: str) -> tuple[str, str]:
    """The body and content type of ``http://addr/metrics``."""
    with urllib.request.urlopen(f"http://{addr}/metrics", timeout=RPC_TIMEOUT_S) as response:
        assert response.status == 200, response.status
        return response.read().decode(), response.headers.get("Content-Type", "")


def samples(body: str, name: str) -> list[tuple[dict[str, str], float]]:
    """Every sample of the metric ``name`` as (labels, value)."""
    found = []
    for line in body.splitlines():
        match = SAMPLE.match(line)
        if match and match["name"] == name:
            labels = dict(LABEL.findall(match["labels"] or ""))
            found.append((labels, float(match["value"])))
    return found


def requests_total(body: str, code: str) -> float:
    """``clocker_rpc_requests_total`` of METHOD with ``code`` (0 when absent)."""
    return sum(
        value
        for labels, value in samples(body, "clocker_rpc_requests_total")
        if labels.get("method") == METHOD and labels.get("code") == code
    )


def test_metrics_count_calls_by_method_and_code(stubs, channels, launch):
    server = launch("current-time")
    stub = stubs.pb2_grpc.CurrentTimeStub(channels(server))
    calls = 3

    for _ in range(calls):
        stub.GetCurrentTime(stubs.pb2.CurrentTimeRequest(tz="UTC"), timeout=RPC_TIMEOUT_S)
    with pytest.raises(grpc.RpcError):
        stub.GetCurrentTime(stubs.pb2.CurrentTimeRequest(tz="Mars/Olympus"), timeout=RPC_TIMEOUT_S)
    body, content_type = scrape(server.addr)

    assert content_type.startswith("text/plain"), content_type
    assert "clocker_rpc_requests_total" in body, body
    assert f'method="{METHOD}"' in body, body
    assert requests_total(body, "OK") == calls, body
    assert requests_total(body, "INVALID_ARGUMENT") == 1, body
    durations = samples(body, "clocker_rpc_duration_seconds_count")
    assert any(labels.get("method") == METHOD for labels, _ in durations), body
