"""Options of the placement service."""

from __future__ import annotations

from oslo_config import cfg

from common import config as common_config

placement_opts = [
    cfg.HostAddressOpt("bind_host", default="127.0.0.1",
                       help="Address the placement API listens on."),
    cfg.PortOpt("bind_port", default=8778, help="Port the placement API listens on."),
    cfg.IntOpt("workers", default=2, min=1,
               help="Number of gunicorn worker processes serving the placement API."),
    cfg.IntOpt("allocation_conflict_retry_count", default=10, min=1,
               help="How many times a claim is retried internally when another writer "
                    "changed one of its providers first, before answering 409."),
    cfg.BoolOpt("randomize_allocation_candidates", default=False,
                help="Shuffle allocation candidates before the limit of GET "
                     "/allocation_candidates is applied, so that schedulers asking "
                     "with a small limit spread over all fitting providers instead of "
                     "always getting the same first ones. Off: candidates come in a "
                     "stable order (by tree)."),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    """Register the placement options (and the shared ones) on ``conf``."""
    if conf is not common_config.CONF:
        common_config.register_opts(conf)
    conf.register_opts(placement_opts, group="placement")


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """Options for oslo-config-generator."""
    # [placement_database] connection is a shared option (common.config): cellar-manage
    # reads it too, to sync the placement schema.
    return [("placement", placement_opts)]


register_opts(common_config.CONF)
