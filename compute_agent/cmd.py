"""``cellar-compute --host NAME``: the compute agent of one host (or of several).

``--host`` may be given more than once: one process then runs one agent per name,
each with its own hypervisor connection, gRPC server and resource provider. That is
how a scale test simulates many hosts; it needs a hypervisor that gives every
connection a host of its own, as libvirt's test driver does with a node file
(``test:///path/node.xml``), unlike ``test:///default``, which one process shares.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Sequence

from oslo_config import cfg

from common import config, log, placement_client
from compute_agent import conf as agent_conf
from compute_agent.conductor_client import ConductorClient
from compute_agent.image_cache import ImageCache
from compute_agent.resources import AllocationPolicy, ResourceReporter
from compute_agent.service import Agent
from compute_agent.virt.disks import OverlayDisks
from compute_agent.virt.driver import DriverError
from compute_agent.virt.libvirt import LibvirtDriver
from protos import rpc

LOG = logging.getLogger(__name__)

SHARED_HYPERVISOR_URIS = ("test:///default",)

# --host sets host names on the command line; they are stored apart from [DEFAULT] host
# because oslo.config refuses two options with one name.
cli_opts = [cfg.MultiStrOpt("host", dest="cli_hosts", metavar="NAME", default=[],
                            help="Name of a compute host this process serves (default: "
                                 "[DEFAULT] host). Repeat to serve several hosts.")]


def host_names(conf: cfg.ConfigOpts) -> list[str]:
    """The hosts this process serves; ValueError if they cannot each have a hypervisor."""
    hosts = list(dict.fromkeys(conf.cli_hosts)) or [conf.host]
    if len(hosts) > 1 and conf.compute.libvirt_uri in SHARED_HYPERVISOR_URIS:
        raise ValueError(f"{conf.compute.libvirt_uri} is one hypervisor shared by the whole "
                         "process; several --host need a URI with a hypervisor per "
                         "connection, e.g. test:///path/node.xml")
    return hosts


def build_agent(conf: cfg.ConfigOpts, host: str) -> Agent:
    """The agent of ``host``, wired from configuration."""
    compute = conf.compute
    policy = AllocationPolicy(
        cpu_allocation_ratio=compute.cpu_allocation_ratio,
        ram_allocation_ratio=compute.ram_allocation_ratio,
        disk_allocation_ratio=compute.disk_allocation_ratio,
        reserved_host_cpus=compute.reserved_host_cpus,
        reserved_host_memory_mb=compute.reserved_host_memory_mb,
        reserved_host_disk_mb=compute.reserved_host_disk_mb)
    placement = placement_client.from_conf(conf)
    virt = LibvirtDriver(compute.libvirt_uri, host, storage_pool=compute.storage_pool,
                         local_gb=compute.local_gb, shutdown_timeout=compute.shutdown_timeout,
                         virt_type=compute.virt_type,
                         disks=OverlayDisks(compute.instances_dir))
    tls = rpc.TLSFiles.from_options(compute.tls_cert_file, compute.tls_key_file,
                                    compute.tls_ca_file)
    return Agent(host, virt,
                 ConductorClient(compute.conductor_address, compute.rpc_timeout, tls),
                 ResourceReporter(placement, policy), grpc_host=compute.grpc_host,
                 grpc_port=compute.grpc_port, audit_interval=compute.resource_audit_interval,
                 tls=tls, image_cache=_image_cache(compute))


def _image_cache(compute: cfg.ConfigGroup) -> ImageCache | None:
    """The agent's image cache; None without an image service (guests boot diskless)."""
    if not compute.image_endpoint:
        return None
    return ImageCache(compute.image_endpoint, compute.image_cache_dir,
                      token=compute.image_token, timeout=compute.image_timeout)


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
        agents = [build_agent(conf, host) for host in host_names(conf)]
    except (ValueError, DriverError) as error:
        LOG.error("cannot start: %s", error)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    for agent in agents:
        agent.start()
    stop.wait()
    LOG.info("stopping %d agent(s)", len(agents))
    for agent in agents:
        agent.stop()
    return 0
