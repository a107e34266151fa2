"""Inventory computation, and its report to an HTTP placement endpoint."""

import http.server
import json
import threading

import pytest

from common.placement_client import PlacementClient
from compute_agent import resources
from compute_agent.virt.driver import HostResources

HOST = HostResources(hypervisor_type="QEMU", vcpus=8, memory_mb=16384, local_gb=100)


def test_inventories_apply_ratios_and_reservations():
    policy = resources.AllocationPolicy(cpu_allocation_ratio=4.0, ram_allocation_ratio=1.0,
                                        disk_allocation_ratio=2.0, reserved_host_cpus=1,
                                        reserved_host_memory_mb=1024,
                                        reserved_host_disk_mb=1500)
    found = resources.inventories(HOST, policy)
    assert found["VCPU"] == {"total": 8, "reserved": 1, "min_unit": 1, "max_unit": 8,
                             "step_size": 1, "allocation_ratio": 4.0}
    assert found["MEMORY_MB"]["reserved"] == 1024
    assert found["MEMORY_MB"]["allocation_ratio"] == 1.0
    # 1500 MiB reserved rounds up to 2 GiB.
    assert found["DISK_GB"]["reserved"] == 2
    assert found["DISK_GB"]["allocation_ratio"] == 2.0


def test_defaults_match_the_documented_options():
    found = resources.inventories(HOST, resources.AllocationPolicy())
    assert found["VCPU"]["allocation_ratio"] == 16.0
    assert found["MEMORY_MB"]["allocation_ratio"] == 1.5
    assert found["MEMORY_MB"]["reserved"] == 512
    assert found["DISK_GB"]["reserved"] == 0


def test_reservation_never_exceeds_total_and_empty_classes_are_left_out():
    tiny = HostResources(hypervisor_type="TEST", vcpus=1, memory_mb=256, local_gb=0)
    found = resources.inventories(tiny, resources.AllocationPolicy())
    assert found["MEMORY_MB"]["reserved"] == 256
    assert "DISK_GB" not in found


class _Placement(http.server.BaseHTTPRequestHandler):
    """Just enough of placement for ensure_provider + set_inventories."""

    providers: dict

    def _send(self, status: int, body=None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def do_GET(self):
        parts = self.path.strip("/").split("/")
        provider = self.providers.get(parts[1])
        if provider is None:
            return self._send(404, {"errors": []})
        if len(parts) == 2:
            return self._send(200, {"uuid": parts[1], "name": provider["name"]})
        return self._send(200, {"resource_provider_generation": provider["generation"],
                                "inventories": provider["inventories"]})

    def do_POST(self):
        body = self._body()
        self.providers[body["uuid"]] = {"name": body["name"], "generation": 0,
                                        "inventories": {}}
        self._send(201, {"uuid": body["uuid"]})

    def do_PUT(self):
        provider = self.providers[self.path.strip("/").split("/")[1]]
        body = self._body()
        if body["resource_provider_generation"] != provider["generation"]:
            return self._send(409, {"errors": []})
        provider["inventories"] = body["inventories"]
        provider["generation"] += 1
        self._send(200, {})

    def log_message(self, *_args):
        pass


@pytest.fixture
def placement_server():
    handler = type("Handler", (_Placement,), {"providers": {}})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler.providers
    server.shutdown()
    server.server_close()


def test_reporter_creates_the_provider_and_sets_inventory(placement_server):
    server, providers = placement_server
    client = PlacementClient(f"http://127.0.0.1:{server.server_port}")
    reporter = resources.ResourceReporter(client, resources.AllocationPolicy())
    reporter.report("node-1", "host-1", HOST)
    reporter.report("node-1", "host-1", HOST)  # unchanged: no second write
    assert providers["node-1"]["name"] == "host-1"
    assert providers["node-1"]["generation"] == 1
    assert providers["node-1"]["inventories"] == resources.inventories(
        HOST, resources.AllocationPolicy())
    client.session.close()
