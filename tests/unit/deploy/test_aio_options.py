"""cellar-aio's command line and the files it writes."""

from __future__ import annotations

import socket

import libvirt
import pytest

from deploy import aio


def test_defaults_are_two_cells_of_two_hosts():
    args = aio.parse_args([])
    assert (args.cells, args.hosts_per_cell, args.api_port, args.placement_port) == (
        2, 2, 8774, 8778)
    assert args.host_size is None


@pytest.mark.parametrize("bad", ["1:2", "a:b:c", "0:1024:10", "-1:1:1"])
def test_bad_host_size_is_a_usage_error(bad, capsys):
    with pytest.raises(SystemExit) as info:
        aio.parse_args(["--host-size", bad])
    assert info.value.code == 2


def test_zero_cells_is_a_usage_error():
    with pytest.raises(SystemExit):
        aio.parse_args(["--cells", "0"])


def test_host_size_becomes_a_libvirt_test_node(tmp_path):
    settings = aio.libvirt_test_node(tmp_path, (48, 65536, 500))
    assert settings["local_gb"] == "500"
    conn = libvirt.open(settings["libvirt_uri"])
    try:
        _arch, memory_mb, vcpus, *_ = conn.getInfo()
    finally:
        conn.close()
    assert (vcpus, memory_mb) == (48, 65536)


def test_default_hosts_use_test_default(tmp_path):
    assert aio.libvirt_test_node(tmp_path, None) == {"libvirt_uri": "test:///default"}


def test_port_in_use_stops_early():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        with pytest.raises(SystemExit, match="in use"):
            aio.check_ports_free(sock.getsockname()[1])


def test_hosts_per_agent_needs_simulated_host_size(capsys):
    with pytest.raises(SystemExit):
        aio.parse_args(["--hosts-per-agent", "4"])
    assert "--host-size" in capsys.readouterr().err
    args = aio.parse_args(["--hosts-per-agent", "4", "--host-size", "8:8192:100"])
    assert (args.hosts_per_agent, args.host_size) == (4, (8, 8192, 100))
