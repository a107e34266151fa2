"""Operations of agent service version 2 are never asked of a version 1 agent."""

import pytest

from db.cell.services import ComputeHost
from protos import compute_client


def _host(version: int) -> ComputeHost:
    # Port 9 (discard) on loopback: any call that got through would fail as unreachable.
    return ComputeHost(host="h1", node_uuid="n", rpc_address="127.0.0.1:9",
                       version=version, disabled=False, last_seen_up=None)


@pytest.fixture
def client():
    running = compute_client.AgentClient(timeout=0.5)
    yield running
    running.close()


@pytest.mark.parametrize("call", [
    lambda c, h: c.pause(h, "u"), lambda c, h: c.unpause(h, "u"),
    lambda c, h: c.suspend(h, "u"), lambda c, h: c.resume(h, "u"),
    lambda c, h: c.console_output(h, "u", 5),
])
def test_version_1_agent_is_too_old(client, call):
    with pytest.raises(compute_client.AgentTooOld):
        call(client, _host(1))
    with pytest.raises(compute_client.AgentUnreachable):
        call(client, _host(2))
