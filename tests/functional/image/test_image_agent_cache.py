"""Agents fetch the images they boot from a real image service, once per image."""

from __future__ import annotations

import os
import pathlib
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator

import grpc
import pytest
from werkzeug import serving

from api_cell.image.app import create_app
from common.placement_client import PlacementClient
from compute_agent.conductor_client import ConductorClient
from compute_agent.image_cache import ImageCache
from compute_agent.resources import AllocationPolicy, ResourceReporter
from compute_agent.service import Agent
from compute_agent.virt.libvirt import LibvirtDriver, domain_name
from protos.compute.v1 import compute_pb2, compute_pb2_grpc
from tests.functional.image.conftest import ImageClient, image_conf


class DownloadGate:
    """WSGI wrapper counting requests. It holds image data back until ``spawns``
    callers have been sent the image record, so every fetch has read the record and
    looked at its cache before any download can finish."""

    def __init__(self, app: Callable, spawns: int) -> None:
        self.app = app
        self.spawns = spawns
        self.metadata_sent = 0
        self.file_reads = 0
        self.all_told = threading.Event()
        self.lock = threading.Lock()

    def _told(self) -> None:
        with self.lock:
            self.metadata_sent += 1
            if self.metadata_sent >= self.spawns:
                self.all_told.set()

    def __call__(self, environ: dict, start_response: Callable):
        path = environ["PATH_INFO"]
        if environ["REQUEST_METHOD"] != "GET" or not path.startswith("/v2/images/"):
            return self.app(environ, start_response)
        if path.endswith("/file"):
            with self.lock:
                self.file_reads += 1
            self.all_told.wait(30)
            return self.app(environ, start_response)
        return _OnClose(self.app(environ, start_response), self._told)


class _OnClose:
    """A WSGI response that calls ``callback`` once the server has sent it."""

    def __init__(self, body: Iterable[bytes], callback: Callable[[], None]) -> None:
        self.body = body
        self.callback = callback

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.body)

    def close(self) -> None:
        getattr(self.body, "close", lambda: None)()
        self.callback()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gate(api_db: str, tmp_path: pathlib.Path) -> Iterator[tuple[DownloadGate, str]]:
    """An image service behind a DownloadGate expecting two spawns, and its URL."""
    wrapped = DownloadGate(create_app(image_conf(api_db, tmp_path / "store")), spawns=2)
    server = serving.make_server("127.0.0.1", 0, wrapped, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield wrapped, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def agent(gate, tmp_path: pathlib.Path) -> Iterator[Agent]:
    _wrapped, endpoint = gate
    host = f"img-{uuid.uuid4().hex[:8]}"
    cache = ImageCache(endpoint, tmp_path / "cache", token="admin", timeout=30)
    running = Agent(host, LibvirtDriver("test:///default", host, shutdown_timeout=1),
                    ConductorClient(f"127.0.0.1:{_closed_port()}", timeout=1),
                    ResourceReporter(PlacementClient(f"http://127.0.0.1:{_closed_port()}",
                                                     timeout=1), AllocationPolicy()),
                    image_cache=cache)
    running.start()
    yield running
    running.stop(grace=1)
    cleaner = LibvirtDriver("test:///default", host)
    for instance_uuid in cleaner.power_states():
        cleaner.destroy(instance_uuid)
    cleaner.close()


@pytest.fixture
def stub(agent: Agent) -> Iterator[compute_pb2_grpc.ComputeAgentStub]:
    channel = grpc.insecure_channel(agent.rpc_address)
    yield compute_pb2_grpc.ComputeAgentStub(channel)
    channel.close()


@pytest.fixture
def images(gate) -> Iterator[ImageClient]:
    client = ImageClient(gate[1], "demo:demo")
    yield client
    client.close()


def _spawn(instance_uuid: str, image_ref: str) -> compute_pb2.SpawnRequest:
    return compute_pb2.SpawnRequest(instance_uuid=instance_uuid, name="vm", vcpus=1,
                                    memory_mb=64, root_gb=1, image_ref=image_ref)


def test_concurrent_spawns_download_once(gate, agent, stub, images, tmp_path):
    wrapped, _endpoint = gate
    data = os.urandom(50000)
    image = images.create(name="tiny", visibility="community")
    assert images.upload(image["id"], data).status_code == 204
    instances = [str(uuid.uuid4()) for _ in range(2)]
    replies: dict[str, object] = {}

    def spawn(instance_uuid: str) -> None:
        try:
            replies[instance_uuid] = stub.Spawn(_spawn(instance_uuid, image["id"]),
                                                timeout=60).power_state
        except grpc.RpcError as error:
            replies[instance_uuid] = error

    threads = [threading.Thread(target=spawn, args=(u,)) for u in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert replies == {u: compute_pb2.POWER_STATE_RUNNING for u in instances}
    assert wrapped.file_reads == 1
    assert agent.virt.cache.downloads == 1
    cached = tmp_path / "cache" / image["id"]
    assert cached.read_bytes() == data
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [image["id"]]
    xml = agent.virt.virt.conn.lookupByName(domain_name(instances[0])).XMLDesc()
    assert f"<source file='{cached}'/>" in xml
    assert "type='qcow2'" in xml


def test_missing_image_fails_spawn_with_clear_message(stub):
    missing = str(uuid.uuid4())
    with pytest.raises(grpc.RpcError) as raised:
        stub.Spawn(_spawn(str(uuid.uuid4()), missing), timeout=30)
    assert raised.value.code() == grpc.StatusCode.INTERNAL
    assert raised.value.details() == (f"Image {missing} could not be found in the image "
                                      "service.")


def test_image_without_data_fails_spawn(stub, images, agent, tmp_path):
    image = images.create(name="queued", visibility="community")
    with pytest.raises(grpc.RpcError) as raised:
        stub.Spawn(_spawn(str(uuid.uuid4()), image["id"]), timeout=30)
    assert raised.value.details() == f"Image {image['id']} is queued, not active."
    assert not (tmp_path / "cache" / image["id"]).exists()
    assert agent.virt.power_states() == {}
