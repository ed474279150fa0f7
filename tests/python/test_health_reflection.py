"""The standard gRPC side services every Clocker port serves.

- ``grpc.health.v1.Health``: the server ("") and each served service report
  SERVING; an unknown service is NOT_FOUND, as the health protocol says.
- Server reflection, through grpcio-reflection's v1alpha client
  (``ProtoReflectionDescriptorDatabase``): the services are listed and their
  descriptors, with the well-known types they import, resolve into a pool.
- Server reflection v1, which grpcio-reflection has no client for: its
  messages are the same as v1alpha's, so the v1alpha ones are sent on the v1
  method path.
"""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.descriptor_pb2 import FileDescriptorProto
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from support import RPC_TIMEOUT_S

REFLECTION_V1 = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
PROTO_FILE = "clocker/v1/clock.proto"


@pytest.mark.parametrize(
    "server, service",
    [
        ("current-time", ""),
        ("current-time", "clocker.v1.CurrentTime"),
        ("hours", ""),
        ("hours", "clocker.v1.Hours"),
        ("milliseconds", "clocker.v1.Milliseconds"),
    ],
)
def test_health_reports_serving(channels, frozen, server, service):
    stub = health_pb2_grpc.HealthStub(channels(frozen[server]))

    reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=RPC_TIMEOUT_S)

    assert reply.status == health_pb2.HealthCheckResponse.SERVING, reply


def test_health_of_an_unknown_service_is_not_found(channels, current_time):
    stub = health_pb2_grpc.HealthStub(channels(current_time))

    with pytest.raises(grpc.RpcError) as raised:
        stub.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=RPC_TIMEOUT_S)

    assert raised.value.code() == grpc.StatusCode.NOT_FOUND, raised.value


@pytest.mark.parametrize(
    "server, service",
    [("current-time", "clocker.v1.CurrentTime"), ("hours", "clocker.v1.Hours")],
)
def test_reflection_v1alpha_lists_exactly_what_the_port_serves(channels, frozen, server, service):
    database = ProtoReflectionDescriptorDatabase(channels(frozen[server]))

    services = database.get_services()

    # Its own service, health and reflection; not the other clock services
    # that share its .proto file but are served on other ports.
    assert sorted(services) == sorted(
        [
            service,
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection",
        ]
    ), services


def test_reflection_v1alpha_finds_the_file_of_a_symbol(channels, current_time):
    database = ProtoReflectionDescriptorDatabase(channels(current_time))

    file = database.FindFileContainingSymbol("clocker.v1.CurrentTime")

    assert file.name == PROTO_FILE, file.name
    assert file.package == "clocker.v1", file.package
    assert "google/protobuf/timestamp.proto" in file.dependency, file.dependency
    assert "CurrentTime" in [service.name for service in file.service]


def test_reflection_v1alpha_descriptors_resolve_into_a_pool(channels, frozen):
    # A pool backed by reflection must also fetch google/protobuf/timestamp.proto
    # (the import of clock.proto) from the server, or building the file fails.
    pool = DescriptorPool(ProtoReflectionDescriptorDatabase(channels(frozen["hours"])))

    service = pool.FindServiceByName("clocker.v1.Hours")
    method = service.FindMethodByName("GetHours")

    assert method.input_type.full_name == "clocker.v1.ComponentRequest"
    assert method.output_type.full_name == "clocker.v1.ComponentReply"
    at = method.input_type.fields_by_name["at"]
    assert at.message_type.full_name == "google.protobuf.Timestamp"


def reflect_v1(channel: grpc.Channel, request: reflection_pb2.ServerReflectionRequest):
    """One request on the v1 reflection stream; returns its one response."""
    call = channel.stream_stream(
        REFLECTION_V1,
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    responses = list(call(iter([request]), timeout=RPC_TIMEOUT_S))
    assert len(responses) == 1, responses
    response = responses[0]
    assert not response.HasField("error_response"), response.error_response
    return response


def test_reflection_v1_lists_services_and_finds_symbols(channels, frozen):
    channel = channels(frozen["hours"])

    listed = reflect_v1(channel, reflection_pb2.ServerReflectionRequest(list_services=""))
    found = reflect_v1(
        channel,
        reflection_pb2.ServerReflectionRequest(file_containing_symbol="clocker.v1.Hours"),
    )

    names = [service.name for service in listed.list_services_response.service]
    assert "clocker.v1.Hours" in names, names
    protos = found.file_descriptor_response.file_descriptor_proto
    assert protos, found
    assert PROTO_FILE in [FileDescriptorProto.FromString(p).name for p in protos]
