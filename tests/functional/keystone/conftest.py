"""A real Keystone (the PyPI ``keystone`` server) on loopback, once per test session.

Keystone keeps its data in SQLite and its fernet and credential keys under a
temporary directory, runs under gunicorn on a free 127.0.0.1 port and logs to a file
that is shown when it fails to start. Bootstrap makes the ``admin`` user, the roles
``admin`` > ``member`` > ``reader`` and the identity endpoint; the fixture then adds
the compute, placement and image endpoints, a ``service`` project with the ``cellar``
service user, and the projects ``demo`` (a member and a reader) and ``alt`` (a member).
"""

from __future__ import annotations

import dataclasses
import getpass
import grp
import os
import pathlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import flask.testing
import pytest
import requests
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from oslo_config import cfg

from api_cell import conf as api_conf
from api_cell.api import app as compute_app
from common import config, redis_client
from db.api import cells as db_cells
from placement import app as placement_app
from placement import conf as placement_conf
from placement.objects import trait
from tests.functional.api.api_world import World

REGION = "RegionOne"
ADMIN_PASSWORD = "admin-secret"
USER_PASSWORD = "user-secret"
SERVICE_USER = "cellar"
SERVICE_PASSWORD = "cellar-secret"
# Where the image service would listen; nothing needs to answer there.
IMAGE_URL = "http://127.0.0.1:9292"
START_SECONDS = 60.0
KEYSTONE_MANAGE = pathlib.Path(sys.executable).with_name("keystone-manage")


@dataclasses.dataclass(frozen=True)
class Account:
    """A Keystone user with a role on one project."""

    name: str
    user_id: str
    project_name: str
    project_id: str
    password: str = USER_PASSWORD


@dataclasses.dataclass
class Keystone:
    """A running Keystone and the accounts made in it."""

    url: str
    workdir: pathlib.Path
    accounts: dict[str, Account]

    @property
    def auth_url(self) -> str:
        return f"{self.url}/v3"

    def token(self, account: str) -> str:
        """A fresh project-scoped token of ``account`` (or ``admin``)."""
        return self.session(account).get_token()

    def session(self, account: str) -> ks_session.Session:
        """A keystoneauth session of ``account`` scoped to its project."""
        found = self.accounts[account]
        return _session(self.auth_url, found.name, found.password, found.project_name)

    def authtoken_options(self) -> dict[str, str]:
        """``[keystone_authtoken]`` of a service validating tokens in this Keystone."""
        return {"www_authenticate_uri": self.url, "auth_url": self.url,
                "auth_type": "password", "username": SERVICE_USER,
                "password": SERVICE_PASSWORD, "project_name": "service",
                "user_domain_name": "Default", "project_domain_name": "Default",
                "region_name": REGION}


def _session(auth_url: str, user: str, password: str, project: str) -> ks_session.Session:
    return ks_session.Session(auth=v3.Password(
        auth_url=auth_url, username=user, password=password, project_name=project,
        user_domain_name="Default", project_domain_name="Default"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_conf(workdir: pathlib.Path) -> pathlib.Path:
    conf = workdir / "keystone.conf"
    conf.write_text(
        "[DEFAULT]\n"
        f"log_file = {workdir / 'keystone.log'}\n"
        "[database]\n"
        f"connection = sqlite:///{workdir / 'keystone.db'}\n"
        "[token]\n"
        "provider = fernet\n"
        "[fernet_tokens]\n"
        f"key_repository = {workdir / 'fernet-keys'}\n"
        "[fernet_receipts]\n"
        f"key_repository = {workdir / 'fernet-keys'}\n"
        "[credential]\n"
        f"key_repository = {workdir / 'credential-keys'}\n"
        "[cache]\n"
        "enabled = false\n")
    return conf


def _manage(conf: pathlib.Path, *args: str) -> None:
    """Run keystone-manage; its output goes into the failure message."""
    done = subprocess.run([str(KEYSTONE_MANAGE), "--config-file", str(conf), *args],
                          capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        pytest.fail(f"keystone-manage {args[0]} failed ({done.returncode}):\n"
                    f"{done.stdout}\n{done.stderr}")


def _prepare(workdir: pathlib.Path, url: str) -> pathlib.Path:
    conf = _write_conf(workdir)
    owner = ["--keystone-user", getpass.getuser(),
             "--keystone-group", grp.getgrgid(os.getgid()).gr_name]
    _manage(conf, "db_sync")
    _manage(conf, "fernet_setup", *owner)
    _manage(conf, "credential_setup", *owner)
    _manage(conf, "bootstrap", "--bootstrap-password", ADMIN_PASSWORD,
            "--bootstrap-region-id", REGION, "--bootstrap-public-url", f"{url}/v3",
            "--bootstrap-internal-url", f"{url}/v3")
    return conf


def _log_tail(workdir: pathlib.Path) -> str:
    parts = []
    for name in ("gunicorn.log", "keystone.log"):
        path = workdir / name
        if path.exists():
            parts.append(f"--- {name} ---\n" + path.read_text(errors="replace")[-8000:])
    return "\n".join(parts)


def _wait_ready(process: subprocess.Popen, url: str, workdir: pathlib.Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"keystone exited with {process.returncode}\n{_log_tail(workdir)}")
        try:
            if requests.get(f"{url}/v3", timeout=10).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    pytest.fail(f"keystone did not answer within {START_SECONDS}s\n{_log_tail(workdir)}")


def _serve(conf: pathlib.Path, port: int, workdir: pathlib.Path) -> subprocess.Popen:
    # Keystone parses the process's command line as its own options, so gunicorn
    # gets no arguments: it reads gunicorn.conf.py from its working directory.
    (workdir / "gunicorn.conf.py").write_text(
        f'bind = "127.0.0.1:{port}"\n'
        'workers = 2\n'
        'timeout = 120\n'
        'control_socket_disable = True\n'
        'wsgi_app = "keystone.wsgi.api:application"\n')
    env = {**os.environ, "OS_KEYSTONE_CONFIG_FILES": str(conf)}
    with open(workdir / "gunicorn.log", "wb") as log:
        return subprocess.Popen([sys.executable, "-m", "gunicorn"], env=env, stdout=log,
                                stderr=subprocess.STDOUT, cwd=workdir)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


class _Admin:
    """The few Identity API calls the fixture needs, as the bootstrap admin."""

    def __init__(self, keystone_url: str) -> None:
        self.session = _session(f"{keystone_url}/v3", "admin", ADMIN_PASSWORD, "admin")
        self.base = f"{keystone_url}/v3"

    def create(self, collection: str, key: str, body: dict) -> dict:
        reply = self.session.post(f"{self.base}/{collection}", json={key: body})
        return reply.json()[key]

    def find(self, collection: str, name: str) -> dict | None:
        found = self.session.get(f"{self.base}/{collection}", params={"name": name})
        items = found.json()[collection]
        return items[0] if items else None

    def role_id(self, name: str) -> str:
        role = self.find("roles", name) or self.create("roles", "role", {"name": name})
        return role["id"]

    def grant(self, project_id: str, user_id: str, role: str) -> None:
        self.session.put(f"{self.base}/projects/{project_id}/users/{user_id}/roles/"
                         f"{self.role_id(role)}")

    def project(self, name: str) -> str:
        return self.create("projects", "project", {"name": name, "domain_id": "default"})["id"]

    def user(self, name: str, password: str) -> str:
        return self.create("users", "user", {"name": name, "password": password,
                                             "domain_id": "default"})["id"]

    def endpoint(self, service_type: str, name: str, url: str) -> None:
        service = self.create("services", "service", {"type": service_type, "name": name})
        self.create("endpoints", "endpoint", {"service_id": service["id"], "url": url,
                                              "interface": "public", "region_id": REGION})


def _populate(url: str, compute_url: str, placement_url: str) -> dict[str, Account]:
    admin = _Admin(url)
    admin.endpoint("compute", "nova", compute_url)
    admin.endpoint("placement", "placement", placement_url)
    admin.endpoint("image", "glance", IMAGE_URL)
    service_project = admin.project("service")
    service_user = admin.user(SERVICE_USER, SERVICE_PASSWORD)
    admin.grant(service_project, service_user, "service")
    admin_project = admin.find("projects", "admin")["id"]
    accounts = {"admin": Account("admin", admin.find("users", "admin")["id"], "admin",
                                 admin_project, ADMIN_PASSWORD),
                SERVICE_USER: Account(SERVICE_USER, service_user, "service", service_project,
                                      SERVICE_PASSWORD)}
    projects = {name: admin.project(name) for name in ("demo", "alt")}
    for account, project, role in (("demo-member", "demo", "member"),
                                   ("demo-reader", "demo", "reader"),
                                   ("alt-member", "alt", "member")):
        user_id = admin.user(account, USER_PASSWORD)
        admin.grant(projects[project], user_id, role)
        accounts[account] = Account(account, user_id, project, projects[project])
    return accounts


@pytest.fixture(scope="session")
def keystone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keystone]:
    """A running Keystone with the accounts admin, cellar (service role), demo-member,
    demo-reader and alt-member."""
    workdir = tmp_path_factory.mktemp("keystone")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    conf = _prepare(workdir, url)
    process = _serve(conf, port, workdir)
    try:
        _wait_ready(process, url, workdir)
        accounts = _populate(url, "http://127.0.0.1:8774/v2.1", "http://127.0.0.1:8778")
        yield Keystone(url, workdir, accounts)
    finally:
        _stop(process)


def _write_service_conf(path: pathlib.Path, keystone: Keystone,
                        sections: dict[str, dict[str, str]]) -> pathlib.Path:
    """A service's configuration file with ``[api] auth_strategy = keystone``."""
    sections = {"api": {"auth_strategy": "keystone"},
                "keystone_authtoken": keystone.authtoken_options(), **sections}
    path.write_text("".join(
        f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in options.items())
        for group, options in sections.items()))
    return path


@pytest.fixture(scope="session")
def tokens(keystone: Keystone) -> dict[str, str]:
    """One project-scoped token per account, asked for once per session."""
    return {account: keystone.token(account) for account in keystone.accounts}


@pytest.fixture
def keystone_placement(keystone: Keystone, placement_db: str,
                       tmp_path: pathlib.Path) -> flask.testing.FlaskClient:
    """A test client of the placement app, whose middleware asks ``keystone``."""
    path = _write_service_conf(tmp_path / "placement.conf", keystone, {
        "placement_database": {"connection": placement_db}})
    conf = cfg.ConfigOpts()
    placement_conf.register_opts(conf)
    conf([], project="cellar", default_config_files=[str(path)])
    # The tables were emptied: standard traits must be synced again.
    trait._synced.discard(placement_db)
    return placement_app.create_app(conf).test_client()


@pytest.fixture
def keystone_world(api_db: str, cell_dbs: dict[str, str], redis_url: str,
                   redis_prefix: str, placement_endpoint: str) -> World:
    """cell0, cell1 and cell2 mapped in the API DB, as the compute API tests have them."""
    cells = {"cell0": db_cells.create(api_db, "cell0", cell_dbs["cell0"],
                                      cell_uuid=db_cells.CELL0_UUID)}
    for name in ("cell1", "cell2"):
        cells[name] = db_cells.create(api_db, name, cell_dbs[name])
    world = World(api_db, cells, redis_url, redis_prefix)
    world.placement_endpoint = placement_endpoint
    return world


@pytest.fixture
def keystone_compute(keystone: Keystone, keystone_world: World,
                     tmp_path: pathlib.Path) -> Iterator[flask.testing.FlaskClient]:
    """A test client of the compute API, whose middleware asks ``keystone``."""
    path = _write_service_conf(tmp_path / "cellar-api.conf", keystone, {
        "api_database": {"connection": keystone_world.api_db},
        "redis": {"url": keystone_world.redis_url, "key_prefix": keystone_world.redis_prefix},
        "placement_client": {"endpoint": keystone_world.placement_endpoint},
        "compute_api": {"cell_timeout": "2.0"}})
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    api_conf.register_opts(conf)
    conf([], project="cellar", default_config_files=[str(path)])
    application = compute_app.create_app(conf)
    yield application.test_client()
    application.extensions["cellar"]["backends"].pool.shutdown(wait=True)
    redis_client.close_all()
