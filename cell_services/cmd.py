"""``cellar-conductor --cell NAME``: the conductor of one cell."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Sequence

from oslo_config import cfg

from cell_services import conf as conductor_conf
from cell_services.service import Conductor, ConductorSettings
from common import config, log, placement_client
from db import errors
from protos import rpc

LOG = logging.getLogger(__name__)

# --cell names the cell on the command line; stored apart from [conductor] cell,
# which it overrides.
cli_opts = [cfg.StrOpt("cell", dest="cli_cell", metavar="NAME",
                       help="Name or uuid of the cell to serve (default: [conductor] cell).")]


def settings_from(conf: cfg.ConfigOpts) -> ConductorSettings:
    """Conductor settings from loaded configuration."""
    conductor = conf.conductor
    return ConductorSettings(
        cell=conf.cli_cell or conductor.cell, api_url=conf.api_database.connection,
        redis_url=conf.redis.url, key_prefix=conf.redis.key_prefix, host=conf.host,
        grpc_host=conductor.grpc_host, grpc_port=conductor.grpc_port,
        heartbeat_interval=conductor.heartbeat_interval,
        alive_interval=conductor.alive_interval, workers=conductor.workers,
        agent_timeout=conductor.agent_timeout,
        task_reclaim_idle=conductor.task_reclaim_idle,
        max_task_deliveries=conductor.max_task_deliveries,
        tls=rpc.TLSFiles.from_options(conductor.tls_cert_file, conductor.tls_key_file,
                                      conductor.tls_ca_file))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the conductor until SIGTERM or SIGINT."""
    conf = config.CONF
    conductor_conf.register_opts(conf)
    conf.register_cli_opts(cli_opts)
    config.load(sys.argv[1:] if argv is None else argv, "cellar-conductor", conf)
    log.setup("cellar-conductor", conf.debug)
    try:
        settings = settings_from(conf)
    except ValueError as error:
        LOG.error("[conductor] %s", error)
        return 2
    if not settings.cell or not settings.api_url:
        LOG.error("--cell (or [conductor] cell) and [api_database] connection are required")
        return 2
    placement = placement_client.from_conf(conf)
    try:
        conductor = Conductor(settings, placement)
    except errors.NotFound as error:
        LOG.error("%s", error)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    conductor.start()
    stop.wait()
    LOG.info("stopping")
    conductor.stop()
    return 0
