"""The conductor's agent client refuses operations newer than the agent."""

import pytest

from db.cell.services import ComputeHost
from protos import compute_client, versions


def _host(version: int) -> ComputeHost:
    # Port 9 (discard) on loopback: any call that got through would fail as unreachable.
    return ComputeHost(host="h1", node_uuid="n", rpc_address="127.0.0.1:9",
                       version=version, disabled=False, last_seen_up=None)


def test_operation_newer_than_agent_is_refused(monkeypatch):
    monkeypatch.setitem(versions.OPERATION_VERSIONS, "Reboot", 99)
    client = compute_client.AgentClient(timeout=0.5)
    try:
        with pytest.raises(compute_client.AgentTooOld):
            client.reboot(_host(1), "u", hard=True)
    finally:
        client.close()


def test_unreachable_agent():
    client = compute_client.AgentClient(timeout=0.5)
    try:
        with pytest.raises(compute_client.AgentUnreachable):
            client.power_off(_host(1), "u")
    finally:
        client.close()


def test_channels_are_reused_per_address():
    client = compute_client.AgentClient(timeout=0.5)
    try:
        assert client._stub("127.0.0.1:9") is client._stub("127.0.0.1:9")
        assert client._stub("127.0.0.1:9") is not client._stub("127.0.0.1:10")
    finally:
        client.close()
