"""Configuration shared by every Cellar process.

Each package registers its own options in its ``conf.py``; this module holds the
options more than one tier reads and the one way every console script loads its
configuration file.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

CONF = cfg.CONF

default_opts = [
    cfg.StrOpt("host", default=socket.gethostname(), sample_default="<hostname>",
               help="Name of this host as other services see it."),
    cfg.StrOpt("state_path", default="/var/lib/cellar",
               help="Directory where a service keeps local state (image cache, files)."),
    cfg.BoolOpt("debug", default=False, help="Log at DEBUG level."),
]

api_database_opts = [
    cfg.StrOpt("connection", secret=True,
               help="SQLAlchemy URL of the global API database, for example "
                    "mysql+pymysql://user:pass@db/cellar_api."),
]

database_opts = [
    cfg.IntOpt("max_pool_size", default=5, min=1,
               help="Connections a process keeps open to each MySQL/MariaDB database it "
                    "uses. A cell conductor uses two (API and cell), so a cloud of many "
                    "cells needs max_connections of roughly processes x 2 x (this + "
                    "max_overflow) on a shared server."),
    cfg.IntOpt("max_overflow", default=10, min=0,
               help="Connections a process may open beyond max_pool_size under load."),
    cfg.IntOpt("pool_timeout", default=30, min=1,
               help="Seconds to wait for a free connection before failing."),
]

placement_database_opts = [
    cfg.StrOpt("connection", secret=True,
               help="SQLAlchemy URL of the placement database. Read by the placement "
                    "service and by cellar-manage db sync."),
]

redis_opts = [
    cfg.StrOpt("url", default="redis://127.0.0.1:6379/0", secret=True,
               help="URL of the Redis server that holds task streams and service liveness."),
    cfg.StrOpt("key_prefix", default="cellar",
               help="Prefix of every Redis key Cellar writes; lets several deployments "
                    "(or test runs) share one Redis."),
]

placement_client_opts = [
    cfg.StrOpt("endpoint", default="http://127.0.0.1:8778",
               help="Base URL of the placement API."),
    cfg.StrOpt("token", default="admin", secret=True,
               help="Token sent to placement when no auth_type is set. With noauth2 "
                    "placement, 'admin' is an administrator."),
    cfg.FloatOpt("timeout", default=10.0, help="Seconds before a placement call gives up."),
]

auth_opts = [
    cfg.StrOpt("auth_strategy", default="noauth2", choices=["noauth2", "keystone"],
               help="How requests to cellar-api and placement are authenticated. "
                    "noauth2 trusts the token 'user:project' (user 'admin' is an "
                    "administrator); keystone has keystonemiddleware validate each token "
                    "with Keystone, configured in the [keystone_authtoken] group of the "
                    "service's file (see doc/auth.rst)."),
]


def grpc_tls_opts(me: str, peers: str) -> list[cfg.Opt]:
    """The mutual-TLS options of a gRPC endpoint (``me``) that talks to ``peers``."""
    return [
        cfg.StrOpt("tls_cert_file",
                   help=f"PEM certificate this {me} presents, as gRPC server and as client. "
                        "With tls_key_file and tls_ca_file set, every gRPC channel uses "
                        "mutual TLS; with none of the three set, channels are plain."),
        cfg.StrOpt("tls_key_file", secret=True, help="PEM private key of tls_cert_file."),
        cfg.StrOpt("tls_ca_file",
                   help="PEM CA certificate(s) that sign the certificates of the peers "
                        f"({peers}); a peer without one is refused."),
    ]


def register_opts(conf: cfg.ConfigOpts = CONF) -> None:
    """Register the shared options on ``conf``."""
    conf.register_opts(default_opts)
    conf.register_opts(api_database_opts, group="api_database")
    conf.register_opts(database_opts, group="database")
    conf.register_opts(placement_database_opts, group="placement_database")
    conf.register_opts(redis_opts, group="redis")
    conf.register_opts(placement_client_opts, group="placement_client")
    # A placement behind Keystone: set auth_type (e.g. password) and its options here,
    # and the client logs in as that service user instead of sending ``token``.
    ks_loading.register_auth_conf_options(conf, "placement_client")
    conf.register_opts(auth_opts, group="api")


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """Options for oslo-config-generator."""
    return [
        ("DEFAULT", default_opts),
        ("api_database", api_database_opts),
        ("database", database_opts),
        ("placement_database", placement_database_opts),
        ("redis", redis_opts),
        ("placement_client", placement_client_opts + _keystone_client_opts()),
        ("api", auth_opts),
    ]


def _keystone_client_opts() -> list[cfg.Opt]:
    """The keystoneauth options of a service user logging in with a password."""
    return (ks_loading.get_auth_common_conf_options()
            + ks_loading.get_auth_plugin_conf_options("password"))


def load(argv: Sequence[str] | None, prog: str, conf: cfg.ConfigOpts = CONF) -> cfg.ConfigOpts:
    """Parse command-line arguments and configuration files into ``conf``."""
    conf(list(argv) if argv is not None else None, project="cellar", prog=prog)
    return conf


register_opts()
