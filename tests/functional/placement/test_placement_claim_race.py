"""Concurrent claims on MariaDB never push a provider past its capacity."""

from __future__ import annotations

import threading
import uuid

import pytest

from placement.app import create_app
from placement.objects import write_batch

ADMIN = {"X-Auth-Token": "admin", "OpenStack-API-Version": "placement 1.28"}
THREADS = 16


def _claim(client, consumer: str, rp: str, vcpus: int) -> int:
    body = {"allocations": {rp: {"resources": {"VCPU": vcpus, "MEMORY_MB": 128}}},
            "project_id": "proj", "user_id": "user", "consumer_generation": None}
    return client.put(f"/allocations/{consumer}", json=body, headers=ADMIN).status_code


def _provider(client, total_vcpu: int) -> str:
    rp = str(uuid.uuid4())
    assert client.post("/resource_providers", json={"name": f"race-{rp}", "uuid": rp},
                       headers=ADMIN).status_code == 200
    inventory = {"resource_provider_generation": 0, "inventories": {
        "VCPU": {"total": total_vcpu}, "MEMORY_MB": {"total": 1_000_000}}}
    assert client.put(f"/resource_providers/{rp}/inventories", json=inventory,
                      headers=ADMIN).status_code == 200
    return rp


@pytest.mark.mariadb
@pytest.mark.parametrize("already_used,vcpus", [(16, 1), (11, 2), (0, 3)])
@pytest.mark.parametrize("from_index", [False, True], ids=["checked", "from-index"])
def test_sixteen_threads_race_for_the_last_units(placement_conf_for, monkeypatch, request,
                                                 already_used, vcpus, from_index):
    """Checked: every claim reads the database (the index path is switched off).
    From index: every racer first tries the index's view (one generation for all);
    the losers of the compare-and-swap go down the checked path."""
    app = create_app(placement_conf_for)
    setup = app.test_client()
    total = 20
    rp = _provider(setup, total)
    for _ in range(already_used):
        assert _claim(setup, str(uuid.uuid4()), rp, 1) == 204
    if from_index:
        assert setup.get("/allocation_candidates?resources=VCPU:1",
                         headers=ADMIN).status_code == 200
    else:
        request.getfixturevalue("checked_claims")
    one_round_trip = []
    commit_alone = write_batch.WriteBatch.commit_alone

    def counted(batch, conn):
        one_round_trip.append(True)
        commit_alone(batch, conn)

    monkeypatch.setattr(write_batch.WriteBatch, "commit_alone", counted)
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []

    def racer() -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(_claim(client, str(uuid.uuid4()), rp, vcpus))

    threads = [threading.Thread(target=racer) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = statuses.count(204)
    assert winners + statuses.count(409) == THREADS, statuses
    assert winners == min(THREADS, (total - already_used) // vcpus)
    usages = setup.get(f"/resource_providers/{rp}/usages", headers=ADMIN).get_json()
    assert usages["usages"]["VCPU"] == already_used + winners * vcpus <= total
    assert usages["resource_provider_generation"] == 1 + already_used + winners
    # From the index, racers try one round trip until one of them finds the provider
    # moved on (the rest then go straight to the checked path); checked, none does.
    assert bool(one_round_trip) == from_index
