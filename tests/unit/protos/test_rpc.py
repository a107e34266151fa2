"""The request id crosses gRPC in the x-request-id metadata."""

from concurrent import futures

import grpc
import pytest

from common import context
from protos import rpc
from protos.compute.v1 import compute_pb2, compute_pb2_grpc


class Recorder(compute_pb2_grpc.ComputeAgentServicer):
    def __init__(self):
        self.seen = []

    def GetPowerStates(self, request, servicer_context):
        self.seen.append(context.current_request_id())
        return compute_pb2.GetPowerStatesReply()


@pytest.fixture
def served():
    recorder = Recorder()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2),
                         interceptors=[rpc.RequestIdInterceptor()])
    compute_pb2_grpc.add_ComputeAgentServicer_to_server(recorder, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    yield compute_pb2_grpc.ComputeAgentStub(channel), recorder
    channel.close()
    server.stop(0).wait()


def test_request_id_reaches_the_server(served):
    stub, recorder = served
    with context.request_scope("req-11111111-2222-3333-4444-555555555555"):
        stub.GetPowerStates(compute_pb2.GetPowerStatesRequest(), timeout=5,
                            metadata=rpc.request_metadata())
    assert recorder.seen == ["req-11111111-2222-3333-4444-555555555555"]


def test_call_without_request_id_gets_a_fresh_one(served):
    stub, recorder = served
    assert rpc.request_metadata() == ()
    stub.GetPowerStates(compute_pb2.GetPowerStatesRequest(), timeout=5)
    assert recorder.seen[0].startswith("req-")
