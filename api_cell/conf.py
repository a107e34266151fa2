"""Options of the global tier (API, superconductor, scheduler, cellar-manage)."""

from __future__ import annotations

from oslo_config import cfg

from common import config as common_config
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
    cfg.StrOpt("default_availability_zone", default="nova",
               help="Availability zone of the compute hosts that no host aggregate with "
                    "availability_zone metadata holds. The API, which lists zones and "
                    "checks the zone a new server asks for, and the superconductor, "
                    "which schedules into it and records the zone of the chosen host, "
                    "must agree on it."),
]

# The API calls a compute agent itself for what must answer at once (console output).
agent_rpc_opts = [
    cfg.FloatOpt("timeout", default=10.0,
                 help="Seconds the compute API waits for a compute agent's answer."),
] + common_config.grpc_tls_opts("compute API", "compute agents")

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

quota_opts = [
    cfg.BoolOpt("recheck_quota", default=True,
                help="Count the project's usage again right after a build's claim in "
                     "placement, and fail the build (ERROR, with a quota fault, claim "
                     "released) if instances, cores or RAM are then over the limit. "
                     "Without it, boots that race past the API's check together can "
                     "exceed a quota; with it, each build costs a few more reads of the "
                     "API database and placement."),
]

cell_health_opts = [
    cfg.FloatOpt("probe_interval", default=1.0, min=0.1,
                 help="Seconds between two probes (SELECT 1) of a cell marked down; the "
                      "first probe that answers marks it up again."),
    cfg.IntOpt("probe_timeout", default=1, min=1,
               help="Seconds a probe waits to connect to a down cell's database, and "
                    "again for its answer."),
    cfg.IntOpt("connect_timeout", default=2, min=1,
               help="Seconds the API and the superconductor wait to connect to a cell "
                    "database (MySQL/MariaDB) before they mark the cell down."),
    cfg.IntOpt("io_timeout", default=2, min=1,
               help="Seconds the API and the superconductor wait for a cell database "
                    "(MySQL/MariaDB) to answer a read or take a write before the "
                    "connection counts as lost and the cell is marked down. Keep it "
                    "above the slowest statement they run on a cell."),
]

image_opts = [
    cfg.HostAddressOpt("bind_host", default="127.0.0.1",
                       help="Address the image service (cellar-image) listens on."),
    cfg.PortOpt("bind_port", default=9292, help="Port the image service listens on."),
    cfg.IntOpt("workers", default=2, min=1,
               help="gunicorn worker processes of the image service."),
    cfg.IntOpt("threads", default=4, min=1,
               help="Threads per image service worker; each upload or download holds "
                    "one for as long as it streams."),
    cfg.StrOpt("store_dir", default="$state_path/images",
               help="Directory where the image service keeps image data, one file per "
                    "image. Every process serving the image API must see the same one."),
    cfg.IntOpt("max_image_size", default=1024 ** 4, min=1,
               help="Largest image (bytes) an upload may store; a larger upload is "
                    "refused with 413."),
    cfg.IntOpt("max_limit", default=1000, min=1,
               help="Largest page a list of images returns, whatever limit asks."),
]

# The one provider network servers are attached to (``networks: auto``).
network_opts = [
    cfg.StrOpt("name", default="public",
               help="Name of the provider network: the key of a server's addresses."),
    cfg.StrOpt("uuid", default="7e5c0a3b-9d4f-4e61-8b2a-ce11a7000001",
               help="UUID of the provider network, which a create request may name in "
                    "its networks list."),
    cfg.StrOpt("cidr", default="10.20.0.0/16",
               help="Subnet of the provider network (IPv4 or IPv6), in CIDR notation."),
    cfg.StrOpt("gateway",
               help="Gateway address of the subnet, never given to a server. Defaults "
                    "to the first host address of the subnet."),
    cfg.StrOpt("allocation_start",
               help="First address servers may be given. Defaults to the first host "
                    "address of the subnet that is not the gateway."),
    cfg.StrOpt("allocation_end",
               help="Last address servers may be given. Defaults to the last host "
                    "address of the subnet."),
]

# What the noauth2 identity stub puts in the service catalog of the tokens it issues,
# besides itself and the compute API (which it knows): the clients find every other
# service there, and take a service missing from it for one the cloud does not run.
catalog_opts = [
    cfg.StrOpt("placement_endpoint",
               help="Public URL of the placement service (for example "
                    "http://127.0.0.1:8778), listed in the service catalog of the "
                    "tokens the noauth2 identity stub (POST /identity/v3/auth/tokens) "
                    "issues. Unset: no placement entry, and the clients find no "
                    "placement. Unused with [api] auth_strategy = keystone, where "
                    "Keystone's catalog lists the services."),
    cfg.StrOpt("image_endpoint",
               help="Public URL of the image service (for example "
                    "http://127.0.0.1:9292), listed in the service catalog of the "
                    "tokens the noauth2 identity stub issues. Unset: no image entry. "
                    "Unused with [api] auth_strategy = keystone."),
]


def register_opts(conf: cfg.ConfigOpts = CONF) -> None:
    """Register the global tier's options on ``conf``."""
    conf.register_opts(api_opts, group="compute_api")
    conf.register_opts(agent_rpc_opts, group="compute_api_agents")
    conf.register_opts(scheduler_opts, group="scheduler")
    conf.register_opts(superconductor_opts, group="superconductor")
    conf.register_opts(quota_opts, group="quota")
    conf.register_opts(cell_health_opts, group="cell_health")
    conf.register_opts(image_opts, group="image")
    conf.register_opts(network_opts, group="network")
    conf.register_opts(catalog_opts, group="catalog")


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """Options for oslo-config-generator."""
    return [("compute_api", api_opts), ("compute_api_agents", agent_rpc_opts),
            ("scheduler", scheduler_opts),
            ("superconductor", superconductor_opts), ("quota", quota_opts),
            ("cell_health", cell_health_opts),
            ("image", image_opts), ("network", network_opts),
            ("catalog", catalog_opts)]


register_opts()
