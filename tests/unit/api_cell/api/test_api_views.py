"""View builders and the pure parts of the server domain."""

from __future__ import annotations

import datetime

from api_cell.api.domain import records, servers
from api_cell.api.views import flavors as flavor_view
from api_cell.api.views import links
from api_cell.api.views import servers as server_view
from api_cell.api.views import versions as version_view
from db.api.flavors import FlavorRecord

BASE = "http://api.example:8774/"
FLAVOR = FlavorRecord("1", "m1.tiny", 512, 1, 1, 2, 1536, 1.0, False, True, None,
                      {"hw:cpu_policy": "shared"})


def _server(**changes):
    fields = dict(uuid="u-1", name="web", project_id="p", user_id="u", vm_state="active",
                  task_state=None, power_state=1, flavor={"id": "1"}, image_ref="img",
                  metadata={"k": "v"}, availability_zone=None, host="h1", node="h1",
                  created_at=datetime.datetime(2024, 1, 2, 3, 4, 5), updated_at=None)
    fields.update(changes)
    return records.Server(**fields)


def test_resources_count_swap_on_disk_rounded_up():
    assert servers.resources(FLAVOR) == {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 5}


def test_resources_leave_out_zero_amounts():
    volume_backed = FlavorRecord("2", "v", 256, 1, 0, 0, 0, 1.0, False, True, None, {})
    assert servers.resources(volume_backed) == {"VCPU": 1, "MEMORY_MB": 256}


def test_flavor_snapshot_keeps_everything_a_server_needs():
    assert servers.flavor_snapshot(FLAVOR) == {
        "id": "1", "name": "m1.tiny", "vcpus": 1, "ram": 512, "disk": 1, "ephemeral": 2,
        "swap": 1536, "extra_specs": {"hw:cpu_policy": "shared"}}


def test_flavor_detail_shape():
    view = flavor_view.detail(FLAVOR, BASE)
    assert view["links"][0] == {"rel": "self",
                                "href": "http://api.example:8774/v2.1/flavors/1"}
    assert view["links"][1]["href"] == "http://api.example:8774/flavors/1"
    assert view["OS-FLV-EXT-DATA:ephemeral"] == 2 and view["swap"] == 1536


def test_server_detail_shape():
    view = server_view.detail(_server(task_state="rebooting"), BASE)
    assert view["status"] == "REBOOT"
    assert view["created"] == view["updated"] == "2024-01-02T03:04:05Z"
    assert view["flavor"] == {"id": "1", "links": [
        {"rel": "bookmark", "href": "http://api.example:8774/flavors/1"}]}
    assert view["image"]["id"] == "img"
    assert view["hostId"] == server_view.host_id("p", "h1") != ""
    assert "OS-EXT-SRV-ATTR:host" not in view and "fault" not in view
    assert server_view.detail(_server(), BASE, show_host=True)["OS-EXT-SRV-ATTR:host"] == "h1"


def test_server_detail_with_fault_and_without_image():
    fault = records.Fault(500, "boom", datetime.datetime(2024, 1, 1))
    view = server_view.detail(_server(vm_state="error", fault=fault, image_ref=None), BASE)
    assert view["status"] == "ERROR" and view["image"] == ""
    assert view["fault"] == {"code": 500, "message": "boom", "created": "2024-01-01T00:00:00Z"}


def test_unknown_server_is_minimal_in_every_view():
    created = datetime.datetime(2024, 1, 1)
    unknown = records.UnknownServer("u-9", project_id="p", user_id="u", created_at=created)
    summary = server_view.summary(unknown, BASE)
    assert set(summary) == {"id", "status", "links"} and summary["status"] == "UNKNOWN"
    listed = server_view.detail(unknown, BASE, version=(2, 69))
    assert set(listed) == {"id", "status", "links", "tenant_id", "created"}
    assert listed["tenant_id"] == "p" and listed["created"] == "2024-01-01T00:00:00Z"


def test_unknown_server_shown_alone_adds_its_request_spec():
    shown = records.UnknownServer("u-9", project_id="p", user_id=None,
                                  created_at=datetime.datetime(2024, 1, 1),
                                  flavor={"id": "1", "name": "tiny", "vcpus": 1, "ram": 64,
                                          "disk": 1}, image_ref="img-1")
    view = server_view.detail(shown, BASE, version=(2, 69))
    assert set(view) == {"id", "status", "links", "tenant_id", "created", "image", "flavor",
                         "OS-EXT-AZ:availability_zone", "OS-EXT-STS:power_state", "user_id"}
    assert view["flavor"]["original_name"] == "tiny" and view["image"]["id"] == "img-1"
    assert view["user_id"] == "UNKNOWN" and view["OS-EXT-AZ:availability_zone"] == "UNKNOWN"
    assert server_view.detail(shown, BASE, version=(2, 71),
                              server_groups=["g"])["server_groups"] == ["g"]


def test_next_link_keeps_the_query_and_replaces_the_marker():
    [link] = links.next_page(BASE, "servers/detail", {"limit": "2", "marker": "old"}, "new")
    assert link == {"rel": "next",
                    "href": "http://api.example:8774/v2.1/servers/detail?limit=2&marker=new"}


def test_version_document():
    document = version_view.show(BASE)["version"]
    assert document["links"][0]["href"] == "http://api.example:8774/v2.1/"
    assert document["media-types"][0]["base"] == "application/json"
