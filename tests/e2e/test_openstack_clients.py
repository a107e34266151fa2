"""python-openstackclient, openstacksdk and python-novaclient against a real cellar-aio.

The clients find the cloud only through what cellar-aio prints: the two exports of
its banner, naming the clouds.yaml it wrote. Nothing else is configured: the clients
log in at the compute API's noauth2 identity stub and find every endpoint in the
catalog of the token it gives.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import openstack
import openstack.config
import pytest
from novaclient import client as nova_client

OPENSTACK = pathlib.Path(sys.executable).parent / "openstack"
IMAGE_ID = "5c1f6e2a-4b1e-4f0e-9d55-0a11ce11a700"
IMAGE_NAME = "cellar-tiny"
TIMEOUT = 60.0

# openstacksdk 4.22 warns about itself: it takes its all-None InfluxDB settings for
# configured ones, and its proxies call their own deprecated helpers.
pytestmark = [pytest.mark.filterwarnings("ignore:Support for InfluxDB"),
              pytest.mark.filterwarnings("ignore::openstack.warnings.RemovedInSDK50Warning")]


def wait_for(check: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def exports(aio) -> dict[str, str]:
    """The variables of the ``export`` lines cellar-aio printed, as a user copies them."""
    banner = (aio.state_dir / "aio.out").read_text()
    lines = [line.strip() for line in banner.splitlines() if line.strip().startswith("export ")]
    found = dict(line.removeprefix("export ").split("=", 1) for line in lines)
    assert found == {"OS_CLIENT_CONFIG_FILE": str(aio.state_dir / "clouds.yaml"),
                     "OS_CLOUD": "cellar"}
    return found


@pytest.fixture
def client_env(exports, monkeypatch) -> dict[str, str]:
    """The environment of a shell where the exports ran (also for in-process clients)."""
    for name, value in exports.items():
        monkeypatch.setenv(name, value)
    return {**os.environ, **exports}


class OSC:
    """``openstack ... -f json`` in a shell with the exports."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def run(self, *args: str, admin: bool = False) -> str:
        cloud = ["--os-cloud", "cellar-admin"] if admin else []
        done = subprocess.run([str(OPENSTACK), *cloud, *args], env=self.env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"openstack {' '.join(args)}:\n{done.stderr}"
        return done.stdout

    def json(self, *args: str, admin: bool = False) -> Any:
        return json.loads(self.run(*args, "-f", "json", admin=admin))

    def status(self, server: str) -> str:
        return self.run("server", "show", server, "-c", "status", "-f", "value").strip()


@pytest.fixture
def osc(client_env, aio) -> Iterator[OSC]:
    """The CLI; whatever servers and key pairs a test leaves behind go after it."""
    yield OSC(client_env)
    for server in aio.compute("GET", "/servers").json()["servers"]:
        aio.compute("DELETE", f"/servers/{server['id']}")
    for key in aio.compute("GET", "/os-keypairs").json()["keypairs"]:
        aio.compute("DELETE", f"/os-keypairs/{key['keypair']['name']}")
    wait_for(lambda: not aio.compute("GET", "/servers").json()["servers"],
             "leftover servers deleted")


def test_openstack_cli_runs_a_project_across_two_cells(osc, tmp_path):
    flavor = osc.json("flavor", "create", "--ram", "256", "--vcpus", "1", "--disk", "1",
                      "osc.small", admin=True)
    assert (flavor["name"], flavor["ram"], flavor["vcpus"]) == ("osc.small", 256, 1)
    assert {"m1.tiny", "m1.small", "m1.medium", "osc.small"} <= {
        f["Name"] for f in osc.json("flavor", "list")}

    # No public key given: the client makes the pair and the API imports the public half.
    private_key = tmp_path / "osc-key.pem"
    keypair = osc.json("keypair", "create", "--private-key", str(private_key), "osc-key")
    assert keypair["name"] == "osc-key" and keypair["type"] == "ssh"
    assert private_key.read_text().startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    [listed_key] = osc.json("keypair", "list")
    assert (listed_key["Name"], listed_key["Fingerprint"]) == ("osc-key",
                                                               keypair["fingerprint"])

    group = osc.json("server", "group", "create", "--policy", "anti-affinity", "osc-spread")
    # "policies" until 2.63, "policy" from 2.64: whichever was negotiated.
    assert "anti-affinity" in (group.get("policy"), *group.get("policies", ()))

    # Four hosts, two per cell: four anti-affine servers must use both cells.
    names = [f"osc-{n}" for n in range(4)]
    for name in names:
        created = osc.json("server", "create", "--image", IMAGE_NAME, "--flavor", "osc.small",
                           "--key-name", "osc-key", "--hint", f"group={group['id']}",
                           "--wait", name)
        assert (created["name"], created["status"]) == (name, "ACTIVE")
    listed = osc.json("server", "list")
    assert sorted(s["Name"] for s in listed) == names
    assert {(s["Status"], s["Flavor"]) for s in listed} == {("ACTIVE", "osc.small")}
    # The admin sees hosts; by id, since names resolve within the caller's project.
    hosts = {osc.json("server", "show", s["ID"], admin=True)["OS-EXT-SRV-ATTR:host"]
             for s in listed}
    assert len(hosts) == 4 and {h.split("-")[0] for h in hosts} == {"cell1", "cell2"}

    shown = osc.json("server", "show", "osc-0")
    assert (shown["status"], shown["key_name"], shown["flavor"]["name"]) == (
        "ACTIVE", "osc-key", "osc.small")
    assert shown["image"] == f"{IMAGE_NAME} ({IMAGE_ID})"

    osc.run("server", "stop", "osc-0")
    wait_for(lambda: osc.status("osc-0") == "SHUTOFF", "osc-0 stopped")
    osc.run("server", "start", "osc-0")
    wait_for(lambda: osc.status("osc-0") == "ACTIVE", "osc-0 started")
    osc.run("server", "reboot", "--wait", "osc-0")
    assert osc.status("osc-0") == "ACTIVE"
    osc.run("server", "pause", "osc-0")
    wait_for(lambda: osc.status("osc-0") == "PAUSED", "osc-0 paused")
    osc.run("server", "unpause", "osc-0")
    wait_for(lambda: osc.status("osc-0") == "ACTIVE", "osc-0 unpaused")
    events = osc.json("server", "event", "list", "osc-0")
    assert [e["Action"] for e in events] == [
        "unpause", "pause", "reboot", "start", "stop", "create"]

    hypervisors = osc.json("hypervisor", "list", admin=True)
    assert sorted(h["Hypervisor Hostname"] for h in hypervisors) == [
        "cell1-host1", "cell1-host2", "cell2-host1", "cell2-host2"]
    one = osc.json("hypervisor", "show", "cell2-host1", admin=True)
    assert (one["hypervisor_hostname"], one["state"], one["aggregates"]) == (
        "cell2-host1", "up", [])
    services = osc.json("compute", "service", "list", admin=True)
    assert sorted(s["Host"] for s in services) == sorted(
        h["Hypervisor Hostname"] for h in hypervisors)
    assert {(s["Binary"], s["Status"], s["State"]) for s in services} == {
        ("cellar-compute", "enabled", "up")}
    # No --compute: the token's catalog tells the client there is no volume or
    # network service to ask about.
    assert osc.json("availability", "zone", "list") == [
        {"Zone Name": "nova", "Zone Status": "available"}]

    # One's own project (from the token), and another project for the admin.
    for quota_rows in (osc.json("quota", "show"),
                       osc.json("quota", "show", "demo", admin=True)):
        quota = {q["Resource"]: q["Limit"] for q in quota_rows}
        assert (quota["instances"], quota["cores"], quota["ram"]) == (10, 20, 51200)
    limits = {item["Name"]: item["Value"]
              for item in osc.json("limits", "show", "--absolute")}
    assert (limits["total_instances_used"], limits["total_ram_used"]) == (4, 4 * 256)

    osc.run("server", "delete", "--wait", *names)
    assert osc.json("server", "list") == []
    osc.run("server", "group", "delete", "osc-spread")
    osc.run("keypair", "delete", "osc-key")
    osc.run("flavor", "delete", "osc.small", admin=True)


def test_openstack_cli_uploads_an_image_and_boots_it_by_name(osc, tmp_path):
    disk = tmp_path / "disk.img"
    disk.write_bytes(b"\0" * 65536)
    image = osc.json("image", "create", "--file", str(disk), "--disk-format", "raw",
                     "--container-format", "bare", "--public", "osc-uploaded", admin=True)
    assert (image["name"], image["status"]) == ("osc-uploaded", "active")
    assert "osc-uploaded" in {i["Name"] for i in osc.json("image", "list")}
    created = osc.json("server", "create", "--image", "osc-uploaded", "--flavor", "m1.tiny",
                       "--wait", "osc-from-upload")
    assert (created["status"], created["image"]) == ("ACTIVE",
                                                     f"osc-uploaded ({image['id']})")
    # The list names images by asking the image service for all of them at once.
    [listed] = osc.json("server", "list")
    assert (listed["Name"], listed["Image"]) == ("osc-from-upload", "osc-uploaded")
    osc.run("server", "delete", "--wait", "osc-from-upload")
    osc.run("image", "delete", "osc-uploaded", admin=True)


def test_openstacksdk_boots_lists_and_deletes(client_env, osc):
    conn = openstack.connect(cloud="cellar")
    flavor = conn.compute.find_flavor("m1.tiny", ignore_missing=False)
    server = conn.compute.create_server(name="sdk-1", image_id=IMAGE_ID, flavor_id=flavor.id,
                                        networks="auto")
    server = conn.compute.wait_for_server(server, wait=int(TIMEOUT))
    assert (server.name, server.status, server.project_id) == ("sdk-1", "ACTIVE", "demo")
    assert [(s.name, s.status) for s in conn.compute.servers()] == [("sdk-1", "ACTIVE")]
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, wait=int(TIMEOUT))
    assert list(conn.compute.servers()) == []

    # No public key given: below 2.92 the API makes the pair and returns its private half.
    made = conn.compute.create_keypair(name="sdk-key")
    assert made.private_key.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert conn.compute.get_keypair("sdk-key").fingerprint == made.fingerprint
    conn.compute.delete_keypair("sdk-key")


def test_novaclient_lists_with_the_clouds_yaml_session(client_env, osc, aio):
    region = openstack.config.get_cloud_region(cloud="cellar")
    # No endpoint given: the session's token carries the catalog that names it.
    nova = nova_client.Client("2.1", session=region.get_session())
    assert {"m1.tiny", "m1.small", "m1.medium"} <= {f.name for f in nova.flavors.list()}
    booted = aio.compute("POST", "/servers", json={"server": {
        "name": "nova-1", "flavorRef": "1", "imageRef": IMAGE_ID}})
    assert booted.status_code == 202, booted.text
    [server] = nova.servers.list()
    assert (server.name, server.tenant_id) == ("nova-1", "demo")
    made = nova.keypairs.create("nova-key")
    assert made.private_key.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert [k.name for k in nova.keypairs.list()] == ["nova-key"]
    nova.keypairs.delete("nova-key")
