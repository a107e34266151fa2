"""The clouds.yaml cellar-aio writes, read back the way the OpenStack clients read it."""

from __future__ import annotations

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


def test_member_and_admin_clouds_carry_their_tokens(tmp_path):
    path = clouds.write(tmp_path, endpoints())
    document = yaml.safe_load(path.read_text())["clouds"]
    assert set(document) == {"cellar", "cellar-admin"}
    assert document["cellar"]["auth"]["token"] == "demo:demo"
    assert document["cellar-admin"]["auth"]["token"] == "admin"
    assert document["cellar"]["auth_type"] == "admin_token"


def test_file_is_private_even_when_it_existed(tmp_path):
    (tmp_path / "clouds.yaml").write_text("old")
    (tmp_path / "clouds.yaml").chmod(0o644)
    path = clouds.write(tmp_path, endpoints())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "old" not in path.read_text()


def test_no_image_endpoint_without_an_image_service(tmp_path):
    document = clouds.clouds(endpoints())
    assert "image_endpoint_override" not in document["clouds"]["cellar"]
    with_image = clouds.clouds(endpoints(19292))
    assert with_image["clouds"]["cellar"]["image_endpoint_override"] == "http://127.0.0.1:19292"


@pytest.mark.filterwarnings(SDK_INFLUXDB_WARNING)
def test_openstacksdk_reads_an_endpoint_per_service_and_the_token(tmp_path):
    path = clouds.write(tmp_path, endpoints(19292))
    config = openstack.config.OpenStackConfig(config_files=[str(path)], vendor_files=[])
    region = config.get_one(cloud="cellar")
    assert region.get_endpoint("compute") == "http://127.0.0.1:18774/v2.1"
    assert region.get_endpoint("placement") == "http://127.0.0.1:18778"
    assert region.get_endpoint("image") == "http://127.0.0.1:19292"
    assert region.get_endpoint("identity") == "http://127.0.0.1:18774/identity/v3"
    assert region.get_api_version("identity") == "3"
    assert region.get_auth().get_token(None) == "demo:demo"
    assert region.get_region_name() == "RegionOne"


def test_exports_point_at_the_file_and_the_member_cloud(tmp_path):
    assert clouds.exports(tmp_path / "clouds.yaml") == [
        f"export OS_CLIENT_CONFIG_FILE={tmp_path / 'clouds.yaml'}", "export OS_CLOUD=cellar"]


def test_the_ready_banner_prints_the_exports(tmp_path):
    layout = aio.Layout(state_dir=tmp_path, cells=["cell1"], hosts={"cell1": ["h1"]},
                        hosts_per_agent=1, heartbeat_interval=2.0, api_port=18774,
                        placement_port=18778, conductor_ports={"cell1": 1},
                        database_url_template="sqlite:///{state_dir}/{name}.db",
                        redis_url="redis://127.0.0.1:1/0")
    path = clouds.write(tmp_path, endpoints())
    lines = [line.strip() for line in aio.banner(layout, path).splitlines()]
    assert all(export in lines for export in clouds.exports(path))
