"""The services' placement client logs in to Keystone as a service user.

Placement runs as an HTTP server behind keystonemiddleware; the client is built from
``[placement_client]`` options exactly as cellar-api, the superconductor, conductors
and agents build it.
"""

from __future__ import annotations

import pathlib
import threading
import uuid
from collections.abc import Iterator

import pytest
from oslo_config import cfg
from werkzeug import serving

from common import config, placement_client
from placement import app as placement_app
from placement import conf as placement_conf
from placement.objects import trait
from tests.functional.keystone.conftest import Keystone, _write_service_conf


@pytest.fixture
def keystone_placement_url(keystone: Keystone, placement_db: str,
                           tmp_path: pathlib.Path) -> Iterator[str]:
    """A placement HTTP server on loopback whose middleware asks ``keystone``."""
    path = _write_service_conf(tmp_path / "placement.conf", keystone, {
        "placement_database": {"connection": placement_db}})
    conf = cfg.ConfigOpts()
    placement_conf.register_opts(conf)
    conf([], project="cellar", default_config_files=[str(path)])
    trait._synced.discard(placement_db)
    server = serving.make_server("127.0.0.1", 0, placement_app.create_app(conf),
                                 threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _client_conf(url: str, keystone: Keystone, account: str | None,
                 path: pathlib.Path) -> cfg.ConfigOpts:
    """``[placement_client]`` of a service: a Keystone user, or (None) the fixed token.

    Written to a file, as an operator writes it: keystoneauth registers the options
    of the plugin ``auth_type`` names only when it loads it from there.
    """
    options = {"endpoint": url}
    if account is not None:
        found = keystone.accounts[account]
        options.update(auth_type="password", auth_url=keystone.auth_url,
                       username=found.name, password=found.password,
                       project_name=found.project_name, user_domain_name="Default",
                       project_domain_name="Default")
    path.write_text("[placement_client]\n" + "".join(
        f"{name} = {value}\n" for name, value in options.items()))
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    conf([], project="cellar", default_config_files=[str(path)])
    return conf


def test_service_user_logs_in_and_writes(keystone, keystone_placement_url, tmp_path):
    client = placement_client.from_conf(_client_conf(keystone_placement_url, keystone,
                                                     "cellar", tmp_path / "c.conf"))
    node = str(uuid.uuid4())
    client.ensure_provider(node, "ks-node")
    client.set_inventories(node, {"VCPU": {"total": 4}})
    assert client.allocation_candidates({"VCPU": 1})["allocation_requests"]
    consumer = str(uuid.uuid4())
    client.claim(consumer, {node: {"resources": {"VCPU": 1}}}, "p", "u")
    assert client.provider_usages(node) == {"VCPU": 1}


def test_fixed_token_is_refused_by_keystone_placement(keystone, keystone_placement_url,
                                                     tmp_path):
    client = placement_client.from_conf(_client_conf(keystone_placement_url, keystone, None,
                                                     tmp_path / "c.conf"))
    with pytest.raises(placement_client.PlacementError) as raised:
        client.allocation_candidates({"VCPU": 1})
    assert raised.value.status == 401


def test_a_project_member_is_not_a_service(keystone, keystone_placement_url, tmp_path):
    client = placement_client.from_conf(_client_conf(keystone_placement_url, keystone,
                                                     "demo-member", tmp_path / "c.conf"))
    with pytest.raises(placement_client.PlacementError) as raised:
        client.allocation_candidates({"VCPU": 1})
    assert raised.value.status == 403
