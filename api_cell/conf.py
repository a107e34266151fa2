"""Options of the global tier (API, superconductor, scheduler, cellar-manage)."""

from __future__ import annotations

from oslo_config import cfg

from common.config import CONF

api_opts = [
    cfg.HostAddressOpt("bind_host", default="127.0.0.1",
                       help="Address the compute API listens on."),
    cfg.PortOpt("bind_port", default=8774, help="Port the compute API listens on."),
    cfg.IntOpt("workers", default=2, min=1, help="gunicorn worker processes of the API."),
    cfg.IntOpt("threads", default=4, min=1, help="Threads per API worker."),
    cfg.IntOpt("max_limit", default=1000, min=1,
               help="Largest page a list of servers returns, whatever limit asks."),
    cfg.FloatOpt("cell_timeout", default=2.0,
                 help="Seconds a read waits for one cell before it reports the cell down."),
    cfg.StrOpt("public_endpoint",
               help="Base URL clients use to reach the API, for links. Defaults to the "
                    "URL of the request."),
]

scheduler_opts = [
    cfg.IntOpt("max_candidates", default=100, min=1,
               help="Allocation candidates asked of placement per scheduling request."),
    cfg.IntOpt("max_claim_attempts", default=5, min=1,
               help="Claims tried, best host first, before a build fails with no valid "
                    "host."),
    cfg.IntOpt("host_subset_size", default=1, min=1,
               help="Pick at random among this many best-weighed hosts, so concurrent "
                    "schedulers spread instead of racing for the same host."),
]

superconductor_opts = [
    cfg.IntOpt("workers", default=4, min=1,
               help="Threads of one superconductor process consuming the build stream."),
    cfg.IntOpt("reclaim_idle_seconds", default=60, min=1,
               help="A build task unacked this long is taken over by another worker."),
    cfg.IntOpt("max_task_deliveries", default=5, min=1,
               help="A build that failed this many times is given up: the server goes "
                    "to ERROR in cell0 with a fault instead of being retried forever."),
]


def register_opts(conf: cfg.ConfigOpts = CONF) -> None:
    """Register the global tier's options on ``conf``."""
    conf.register_opts(api_opts, group="compute_api")
    conf.register_opts(scheduler_opts, group="scheduler")
    conf.register_opts(superconductor_opts, group="superconductor")


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """Options for oslo-config-generator."""
    return [("compute_api", api_opts), ("scheduler", scheduler_opts),
            ("superconductor", superconductor_opts)]


register_opts()
