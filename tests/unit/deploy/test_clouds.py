"""The clouds.yaml cellar-aio writes, read back the way the OpenStack clients read it."""

from __future__ import annotations

import configparser
import stat

import openstack.config
import pytest
import yaml

from deploy import aio, clouds

# openstacksdk 4.22 takes its all-None InfluxDB settings for configured ones and warns
# about every cloud it loads.
SDK_INFLUXDB_WARNING = "ignore:Support for InfluxDB"


def endpoints(image_port: int | None = None) -> clouds.Endpoints:
    return clouds.local_endpoints(18774, 18778, image_port)


def test_local_endpoints_name_each_service():
    found = endpoints(19292)
    assert found.compute == "http://127.0.0.1:18774/v2.1"
    assert found.identity == "http://127.0.0.1:18774/identity/v3"
    assert found.placement == "http://127.0.0.1:18778"
    assert found.image == "http://127.0.0.1:19292"


@pytest.mark.parametrize(("name", "user"), [("cellar", "demo"), ("cellar-admin", "admin")])
def test_each_cloud_logs_its_user_in_to_its_project_at_the_identity_stub(tmp_path, name,
                                                                        user):
    path = clouds.write(tmp_path, endpoints(19292))
    entry = yaml.safe_load(path.read_text())["clouds"][name]
    assert entry == {
        "auth_type": "password",
        "auth": {"auth_url": "http://127.0.0.1:18774/identity/v3", "username": user,
                 "password": user, "project_name": user,
                 "user_domain_name": "Default", "project_domain_name": "Default"},
        "region_name": "RegionOne", "interface": "public", "identity_api_version": "3"}


def test_file_is_private_even_when_it_existed(tmp_path):
    (tmp_path / "clouds.yaml").write_text("old")
    (tmp_path / "clouds.yaml").chmod(0o644)
    path = clouds.write(tmp_path, endpoints())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "old" not in path.read_text()


def test_no_endpoint_overrides_the_catalog_gives_them(tmp_path):
    for entry in clouds.clouds(endpoints(19292))["clouds"].values():
        assert not [key for key in entry if key.endswith("endpoint_override")]


@pytest.mark.filterwarnings(SDK_INFLUXDB_WARNING)
def test_openstacksdk_reads_a_v3_password_login(tmp_path):
    path = clouds.write(tmp_path, endpoints(19292))
    config = openstack.config.OpenStackConfig(config_files=[str(path)], vendor_files=[])
    region = config.get_one(cloud="cellar-admin")
    plugin = region.get_auth()
    assert type(plugin).__name__ == "Password"
    assert plugin.auth_url == "http://127.0.0.1:18774/identity/v3"
    assert (plugin._username, plugin._project_name) == ("admin", "admin")
    assert region.get_api_version("identity") == "3"
    assert region.get_region_name() == "RegionOne"
    assert region.get_interface() == "public"


def test_aio_lists_placement_and_image_in_the_identity_stubs_catalog(tmp_path):
    layout = _layout(tmp_path)
    aio.write_config(layout, "k", False, {})
    config = configparser.ConfigParser(interpolation=None)
    config.read(layout.config_file)
    assert (config["catalog"]["placement_endpoint"], config["catalog"]["image_endpoint"]) == (
        "http://127.0.0.1:18778", "http://127.0.0.1:9292")


def test_exports_point_at_the_file_and_the_member_cloud(tmp_path):
    assert clouds.exports(tmp_path / "clouds.yaml") == [
        f"export OS_CLIENT_CONFIG_FILE={tmp_path / 'clouds.yaml'}", "export OS_CLOUD=cellar"]


def _layout(tmp_path) -> aio.Layout:
    return aio.Layout(state_dir=tmp_path, cells=["cell1"], hosts={"cell1": ["h1"]},
                      hosts_per_agent=1, heartbeat_interval=2.0, api_port=18774,
                      placement_port=18778, conductor_ports={"cell1": 1},
                      database_url_template="sqlite:///{state_dir}/{name}.db",
                      redis_url="redis://127.0.0.1:1/0")


def test_the_ready_banner_prints_the_exports(tmp_path):
    layout = _layout(tmp_path)
    path = clouds.write(tmp_path, endpoints())
    lines = [line.strip() for line in aio.banner(layout, path).splitlines()]
    assert all(export in lines for export in clouds.exports(path))
