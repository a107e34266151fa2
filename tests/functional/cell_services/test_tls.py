"""Conductor and agents authenticate each other with mutual TLS when configured."""

import pathlib
import subprocess
import uuid

import grpc
import pytest

from cell_services.service import Conductor, ConductorSettings
from common.placement_client import PlacementClient
from compute_agent.conductor_client import ConductorClient, ConductorError
from compute_agent.resources import AllocationPolicy, ResourceReporter
from compute_agent.service import Agent
from compute_agent.virt.driver import HostResources
from compute_agent.virt.libvirt import LibvirtDriver
from db.cell import services
from protos import rpc
from protos.conductor.v1 import conductor_pb2, conductor_pb2_grpc


def _openssl(*args: str, cwd: pathlib.Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _issue(ca_dir: pathlib.Path, name: str) -> rpc.TLSFiles:
    """A key and a certificate for 127.0.0.1 signed by the CA in ``ca_dir``."""
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key",
             "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=ca_dir)
    (ca_dir / f"{name}.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "1", "-extfile", f"{name}.ext",
             "-out", f"{name}.pem", cwd=ca_dir)
    return rpc.TLSFiles(str(ca_dir / f"{name}.pem"), str(ca_dir / f"{name}.key"),
                        str(ca_dir / "ca.pem"))


@pytest.fixture
def pki(tmp_path) -> dict[str, rpc.TLSFiles]:
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
             "-out", "ca.pem", "-days", "1", "-subj", "/CN=cellar-test-ca", cwd=tmp_path)
    return {name: _issue(tmp_path, name) for name in ("conductor", "agent")}


@pytest.fixture
def tls_conductor(cell, api_db, redis_url, redis_prefix, placement, pki):
    settings = ConductorSettings(cell="cell1", api_url=api_db, redis_url=redis_url,
                                 key_prefix=redis_prefix, host="conductor-host",
                                 heartbeat_interval=0.3, workers=1, agent_timeout=10,
                                 tls=pki["conductor"])
    running = Conductor(settings, placement)
    running.start()
    yield running
    running.stop(grace=1)


def test_agent_with_certificate_registers(tls_conductor, pki, placement_endpoint, cell):
    host = "tls-host"
    virt = LibvirtDriver("test:///default", host)
    agent = Agent(host, virt, ConductorClient(tls_conductor.address, 5, pki["agent"]),
                  ResourceReporter(PlacementClient(placement_endpoint), AllocationPolicy()),
                  tls=pki["agent"])
    agent.start()
    try:
        assert agent.registered.wait(10)
        assert agent.registration.cell_uuid == cell.uuid
        # And the conductor reaches the agent's TLS server with its own certificate.
        compute = services.get_compute(cell.database_connection, host)
        assert tls_conductor.agents.destroy(compute, str(uuid.uuid4())) is False
    finally:
        agent.stop(grace=1)


def test_client_without_certificate_is_refused(tls_conductor):
    channel = grpc.insecure_channel(tls_conductor.address)
    try:
        with pytest.raises(grpc.RpcError):
            conductor_pb2_grpc.ConductorStub(channel).Register(
                conductor_pb2.RegisterRequest(host="intruder", rpc_address="x:1",
                                              service_version=1), timeout=3)
    finally:
        channel.close()


def test_client_with_certificate_of_another_ca_is_refused(tls_conductor, tmp_path_factory):
    other = tmp_path_factory.mktemp("other-ca")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
             "-out", "ca.pem", "-days", "1", "-subj", "/CN=other-ca", cwd=other)
    stranger = _issue(other, "stranger")
    # Trust the conductor's CA so only the client side of the handshake can fail.
    trusting = rpc.TLSFiles(stranger.cert_file, stranger.key_file,
                            str(pathlib.Path(tls_conductor.settings.tls.ca_file)))
    client = ConductorClient(tls_conductor.address, 3, trusting)
    try:
        with pytest.raises(ConductorError):
            client.register("stranger", "127.0.0.1:1",
                            HostResources("TEST", 1, 1024, 1))
    finally:
        client.close()


def test_partial_tls_options_are_an_error():
    assert rpc.TLSFiles.from_options(None, None, None) is None
    with pytest.raises(ValueError):
        rpc.TLSFiles.from_options("cert.pem", None, "ca.pem")
