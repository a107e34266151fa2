"""``cellar-compute --host NAME``: the compute agent of one host."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Sequence

from oslo_config import cfg

from common import config, log
from common.placement_client import PlacementClient
from compute_agent import conf as agent_conf
from compute_agent.conductor_client import ConductorClient
from compute_agent.resources import AllocationPolicy, ResourceReporter
from compute_agent.service import Agent
from compute_agent.virt.driver import DriverError
from compute_agent.virt.libvirt import LibvirtDriver
from protos import rpc

LOG = logging.getLogger(__name__)

# --host sets the host name on the command line; it is stored apart from [DEFAULT] host
# because oslo.config refuses two options with one name.
cli_opts = [cfg.StrOpt("host", dest="cli_host", metavar="NAME",
                       help="Name of this compute host (default: [DEFAULT] host).")]


def build_agent(conf: cfg.ConfigOpts) -> Agent:
    """An agent wired from configuration."""
    compute = conf.compute
    host = conf.cli_host or conf.host
    policy = AllocationPolicy(
        cpu_allocation_ratio=compute.cpu_allocation_ratio,
        ram_allocation_ratio=compute.ram_allocation_ratio,
        disk_allocation_ratio=compute.disk_allocation_ratio,
        reserved_host_cpus=compute.reserved_host_cpus,
        reserved_host_memory_mb=compute.reserved_host_memory_mb,
        reserved_host_disk_mb=compute.reserved_host_disk_mb)
    placement = PlacementClient(conf.placement_client.endpoint, conf.placement_client.token,
                                conf.placement_client.timeout)
    virt = LibvirtDriver(compute.libvirt_uri, host, storage_pool=compute.storage_pool,
                         local_gb=compute.local_gb, shutdown_timeout=compute.shutdown_timeout)
    tls = rpc.TLSFiles.from_options(compute.tls_cert_file, compute.tls_key_file,
                                    compute.tls_ca_file)
    return Agent(host, virt,
                 ConductorClient(compute.conductor_address, compute.rpc_timeout, tls),
                 ResourceReporter(placement, policy), grpc_host=compute.grpc_host,
                 grpc_port=compute.grpc_port, audit_interval=compute.resource_audit_interval,
                 tls=tls)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the agent until SIGTERM or SIGINT."""
    conf = config.CONF
    agent_conf.register_opts(conf)
    conf.register_cli_opts(cli_opts)
    config.load(sys.argv[1:] if argv is None else argv, "cellar-compute", conf)
    log.setup("cellar-compute", conf.debug)
    if not conf.compute.conductor_address:
        LOG.error("[compute] conductor_address is required")
        return 2
    try:
        agent = build_agent(conf)
    except (ValueError, DriverError) as error:
        LOG.error("cannot start: %s", error)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    agent.start()
    stop.wait()
    LOG.info("stopping")
    agent.stop()
    return 0
