"""Options of the cell conductor (``[conductor]``)."""

from __future__ import annotations

from oslo_config import cfg

from common import config as common_config

conductor_opts = [
    cfg.StrOpt("cell",
               help="Name (or uuid) of the cell this conductor serves, as in the API "
                    "database's cell mappings. Required; --cell on the command line "
                    "overrides it."),
    cfg.HostAddressOpt("grpc_host", default="127.0.0.1",
                       help="Address the conductor's gRPC server listens on. When it is a "
                            "wildcard (0.0.0.0 or ::) the conductor publishes [DEFAULT] "
                            "host as its address instead."),
    cfg.PortOpt("grpc_port", default=0,
                help="Port of the conductor's gRPC server; 0 picks a free port. The "
                     "address is published in Redis under <key_prefix>:conductor:<cell "
                     "uuid> either way."),
    cfg.FloatOpt("heartbeat_interval", default=2.0, min=0.1,
                 help="Seconds between the heartbeats agents are told to send; a host is "
                      "considered down after three missed intervals."),
    cfg.FloatOpt("alive_interval", default=0.5, min=0.05,
                 help="Seconds between two announcements in Redis that this cell has a "
                      "conductor taking its tasks. A cell none of whose conductors "
                      "announced itself for four intervals counts as down: new servers "
                      "avoid it and actions on its servers answer 503."),
    cfg.IntOpt("workers", default=4, min=1,
               help="Threads consuming the cell's task stream."),
    cfg.FloatOpt("agent_timeout", default=120.0, min=0.1,
                 help="Seconds before a call to a compute agent gives up (a Spawn "
                      "includes defining and starting the guest)."),
    cfg.FloatOpt("task_reclaim_idle", default=300.0, min=1.0,
                 help="Seconds a task may stay unacknowledged before a worker takes it "
                      "over from the conductor that read it (which presumably died). "
                      "Must exceed the longest task, or live tasks run twice."),
    cfg.IntOpt("max_task_deliveries", default=5, min=1,
               help="A task that failed this many times is given up: its instance goes "
                    "to ERROR with a fault instead of the task being retried forever."),
] + common_config.grpc_tls_opts("conductor", "compute agents")


def register_opts(conf: cfg.ConfigOpts) -> None:
    """Register the conductor's options (and the shared ones) on ``conf``."""
    if conf is not common_config.CONF:
        common_config.register_opts(conf)
    conf.register_opts(conductor_opts, group="conductor")


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """Options for oslo-config-generator."""
    return [("conductor", conductor_opts)]


register_opts(common_config.CONF)
