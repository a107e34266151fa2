"""A server keeps its fixed IP when it moves to another cell (the allocation is
global), and its guest's definition carries the address and MAC on either side."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import libvirt

from compute_agent.virt.libvirt import METADATA_NS, domain_name
from db.api import fixed_ips


def _held(world, server: str) -> list[tuple[str, str, str]]:
    return [(a.network_uuid, a.address, a.mac_address)
            for a in fixed_ips.for_instances(world.api_db, [server]).get(server, [])]


def _guest_interfaces(world, server: str) -> list[tuple[str, str, str]]:
    """The interfaces recorded in the metadata of the server's guest, wherever it runs."""
    found = []
    for agent in world.agents.values():
        try:
            domain = agent.virt.conn.lookupByName(domain_name(server))
        except libvirt.libvirtError:
            continue
        metadata = ET.fromstring(domain.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT,
                                                 METADATA_NS))
        found += [(i.get("network"), i.get("address"), i.get("mac"))
                  for i in metadata.iter("interface")]  # libvirt drops the prefix
    return found


def test_moved_server_keeps_its_address(world):
    [server] = world.boot()
    before = _held(world, server)
    assert len(before) == 1
    assert _guest_interfaces(world, server) == before

    assert world.manage("cell", "migrate-instance", server, "--to-cell", "cell2") == 0
    world.assert_lives_only_in(server, "cell2")
    # The source cell's conductor forgot its copy without giving the address back.
    assert _held(world, server) == before
    assert _guest_interfaces(world, server) == before
