"""One cellar-compute process serving several simulated hosts, each its own provider."""

from __future__ import annotations

import pathlib
import signal
import subprocess
import sys

from db import errors
from db.api import hosts as api_hosts
from db.cell import services

NODE = ("<node><cpu><mhz>2000</mhz><model>x86_64</model><active>32</active><nodes>1</nodes>"
        "<sockets>1</sockets><cores>32</cores><threads>1</threads></cpu>"
        "<memory>67108864</memory></node>")


def _registered(cell_url: str, host: str) -> bool:
    try:
        services.get_compute(cell_url, host)
    except errors.NotFound:
        return False
    return True


def test_one_process_registers_three_hosts(tmp_path, conductor, placement, placement_endpoint,
                                           api_db, wait_for):
    node = tmp_path / "node.xml"
    node.write_text(NODE)
    conf = tmp_path / "compute.conf"
    conf.write_text(f"[compute]\nconductor_address = {conductor.address}\n"
                    f"libvirt_uri = test://{node}\nlocal_gb = 100\n"
                    f"[placement_client]\nendpoint = {placement_endpoint}\n")
    names = ["sim-a", "sim-b", "sim-c"]
    agent = subprocess.Popen(
        [str(pathlib.Path(sys.executable).parent / "cellar-compute"), "--config-file",
         str(conf), *(arg for name in names for arg in ("--host", name))],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: {h.host for h in api_hosts.list_all(api_db)} == set(names)
                 and all(_registered(conductor.cell.database_connection, n) for n in names),
                 timeout=60, what="three registered and mapped hosts")
        providers = {}
        node_uuids = []
        for name in names:
            node_uuid = services.get_compute(conductor.cell.database_connection, name).node_uuid
            node_uuids.append(node_uuid)
            wait_for(lambda n=node_uuid: placement.provider(n)
                     and placement.inventories(n)["inventories"], timeout=60,
                     what=f"{name} inventory")
            providers[name] = placement.inventories(node_uuid)["inventories"]
        assert len(set(node_uuids)) == 3
        for inventory in providers.values():
            assert inventory["VCPU"]["total"] == 32
            assert inventory["MEMORY_MB"]["total"] == 65536
            assert inventory["DISK_GB"]["total"] == 100
    finally:
        agent.send_signal(signal.SIGTERM)
        _out, err = agent.communicate(timeout=30)
    assert agent.returncode == 0, err[-2000:]
