"""The arithmetic of api_cell.quota: checks, the recheck's own share, and both counts.

The API DB is replaced by fixed answers and placement by a small fake, so only the
counting itself is under test.
"""

from __future__ import annotations

import pytest

from api_cell import quota
from common.placement_client import PlacementError

LIMITS = {"instances": 3, "cores": 4, "ram": 2048, "key_pairs": 100}


class FakePlacement:
    """Project usages and, per consumer, whether it holds allocations."""

    def __init__(self, usages: dict[str, int], claimed: set[str], fail: bool = False) -> None:
        self.usages = usages
        self.claimed = claimed
        self.fail = fail
        self.asked: list[str] = []

    def project_usages(self, project_id: str) -> dict[str, int]:
        if self.fail:
            raise PlacementError("GET", "/usages", 503, "down")
        return self.usages

    def allocations(self, consumer: str) -> dict:
        self.asked.append(consumer)
        held = {"rp": {"resources": {"VCPU": 1}}} if consumer in self.claimed else {}
        return {"allocations": held}


@pytest.fixture
def api_db(monkeypatch):
    """An API DB of 5 live mappings, 3 of them build requests (b1, b2, b3)."""
    state = {"mapped": 5, "builds": ["b1", "b2", "b3"],
             "pending": {"VCPU": 3, "MEMORY_MB": 1536}, "limits": {}}
    monkeypatch.setattr(quota.api_instances, "count_for_project",
                        lambda url, project: state["mapped"])
    monkeypatch.setattr(quota.api_instances, "pending_resources",
                        lambda url, project: state["pending"])
    monkeypatch.setattr(quota.api_instances, "build_page",
                        lambda url, limit, project, before: [
                            (None, uuid) for uuid in state["builds"]] if before is None
                        else [])
    monkeypatch.setattr(quota.api_instances, "get_builds",
                        lambda url, uuids: {u: object() for u in uuids
                                            if u in state["builds"]})
    monkeypatch.setattr(quota.db_quotas, "limits", lambda url, project: state["limits"])
    return state


def test_check_passes_up_to_the_limit():
    quota.check(LIMITS, {"instances": 2, "cores": 3, "ram": 1024},
                {"instances": 1, "cores": 1, "ram": 1024})


def test_check_names_the_first_resource_over_in_novas_wording():
    with pytest.raises(quota.QuotaExceeded) as caught:
        quota.check(LIMITS, {"instances": 1, "cores": 3, "ram": 4096},
                    {"instances": 1, "cores": 2, "ram": 512})
    error = caught.value
    assert (error.resource, error.limit, error.used, error.requested) == ("cores", 4, 3, 2)
    assert str(error) == "Quota exceeded for cores: Requested 2, but already used 3 of 4 cores"


def test_negative_or_missing_limit_is_unlimited():
    quota.check({"instances": -1}, {"instances": 10 ** 6, "cores": 10 ** 6},
                {"instances": 5, "cores": 5})


def test_zero_limit_refuses_any_request():
    with pytest.raises(quota.QuotaExceeded, match="Requested 1, but already used 0 of 0"):
        quota.check({"instances": 0}, {}, {"instances": 1})


def test_others_takes_the_builds_own_share_out_of_the_count():
    assert quota.others({"instances": 3, "cores": 4, "ram": 2048},
                        {"instances": 1, "cores": 2, "ram": 512}) == {
        "instances": 2, "cores": 2, "ram": 1536}


def test_others_never_goes_below_zero():
    assert quota.others({"instances": 0, "cores": 1}, {"instances": 1, "cores": 2}) == {
        "instances": 0, "cores": 0}


def test_limits_are_the_projects_own_over_the_defaults(api_db):
    api_db["limits"] = {"cores": 7}
    limits = quota.limits("url", "proj")
    assert limits["cores"] == 7
    assert limits["instances"] == quota.DEFAULTS["instances"]
    assert limits["floating_ips"] == quota.NETWORK_DEFAULTS["floating_ips"]


def test_api_usage_adds_unclaimed_build_requests_to_placement(api_db):
    placement = FakePlacement({"VCPU": 2, "MEMORY_MB": 1024, "DISK_GB": 9}, set())
    assert quota.usage("url", placement, "proj") == quota.Usage(
        instances=5, cores=5, ram=2560)


def test_usage_unknown_without_placement_or_its_answer(api_db):
    with pytest.raises(quota.UsageUnknown, match="not configured"):
        quota.usage("url", None, "proj")
    with pytest.raises(quota.UsageUnknown, match="did not answer"):
        quota.usage("url", FakePlacement({}, set(), fail=True), "proj")


def test_claimed_usage_counts_only_builds_that_hold_a_claim(api_db):
    # b1 is the build rechecking, b2 claimed too, b3 has not claimed yet.
    placement = FakePlacement({"VCPU": 4, "MEMORY_MB": 2048}, {"b1", "b2"})
    counted = quota.claimed_usage("url", placement, "proj", claimed="b1", instance_limit=4)
    assert counted == quota.Usage(instances=4, cores=4, ram=2048)
    assert sorted(placement.asked) == ["b2", "b3"]


def test_claimed_usage_looks_up_no_claim_while_all_mappings_fit(api_db):
    placement = FakePlacement({"VCPU": 4, "MEMORY_MB": 2048}, set())
    assert quota.claimed_usage("url", placement, "proj", instance_limit=5).instances == 5
    assert quota.claimed_usage("url", placement, "proj").instances == 5
    assert placement.asked == []


def test_claimed_usage_keeps_a_build_placed_while_counting(api_db, monkeypatch):
    placement = FakePlacement({"VCPU": 1, "MEMORY_MB": 512}, set())
    # None of the three holds a claim, but b3 was placed (in cell0) before the last
    # read: the two placed mappings and b3 count, b1 and b2 do not.
    monkeypatch.setattr(quota.api_instances, "get_builds",
                        lambda url, uuids: {u: object() for u in uuids if u != "b3"})
    assert quota.claimed_usage("url", placement, "proj", instance_limit=0).instances == 3


def test_recheck_passes_a_build_exactly_at_the_limit(api_db):
    api_db.update(mapped=3, builds=["b1"], limits={"instances": 3, "cores": 4})
    placement = FakePlacement({"VCPU": 4, "MEMORY_MB": 1024}, {"b1"})
    quota.recheck_server("url", placement, "proj", "b1", {"VCPU": 2, "MEMORY_MB": 512})


def test_recheck_does_not_count_build_requests_without_a_claim(api_db):
    # Four mappings for a limit of three, but b2 has not claimed yet: b1 gets through.
    api_db.update(mapped=4, builds=["b1", "b2"], limits={"instances": 3})
    placement = FakePlacement({"VCPU": 3, "MEMORY_MB": 768}, {"b1"})
    quota.recheck_server("url", placement, "proj", "b1", {"VCPU": 1, "MEMORY_MB": 256})
    assert placement.asked == ["b2"]


def test_recheck_of_a_project_without_server_limits_counts_nothing(api_db):
    api_db["limits"] = {"instances": -1, "cores": -1, "ram": -1}
    placement = FakePlacement({}, set(), fail=True)
    quota.recheck_server("url", placement, "proj", "b1", {"VCPU": 1, "MEMORY_MB": 256})
    assert placement.asked == []


def test_recheck_reports_what_the_others_use(api_db):
    api_db.update(mapped=3, builds=["b1", "b2"], limits={"instances": 10, "cores": 3})
    placement = FakePlacement({"VCPU": 4, "MEMORY_MB": 1024}, {"b1", "b2"})
    with pytest.raises(quota.QuotaExceeded) as caught:
        quota.recheck_server("url", placement, "proj", "b1", {"VCPU": 2, "MEMORY_MB": 512})
    assert str(caught.value) == ("Quota exceeded for cores: Requested 2, but already used "
                                 "2 of 3 cores")
