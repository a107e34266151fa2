"""Concurrent claims on MariaDB never push a provider past its capacity."""

from __future__ import annotations

import threading
import uuid

import pytest

from placement.app import create_app
from placement.objects import provider_index, write_batch

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
@pytest.mark.parametrize("mode", ["checked", "one-index", "index-per-racer"])
def test_sixteen_threads_race_for_the_last_units(placement_conf_for, monkeypatch, request,
                                                 already_used, vcpus, mode):
    """Checked: every claim reads the database (the one-round-trip path is off).
    One index: the racers share this process's index, which counts each claim
    committed. Index per racer: as if each racer were another worker, whose index
    read the provider before the race: all of them believe there is room, so the
    database alone decides, in the one-round-trip statements."""
    app = create_app(placement_conf_for)
    setup = app.test_client()
    total = 20
    rp = _provider(setup, total)
    # The project and user exist before the race: a racer seeing them first would
    # take the checked path to create them.
    assert _claim(setup, str(uuid.uuid4()), _provider(setup, 1), 1) == 204
    for _ in range(already_used):
        assert _claim(setup, str(uuid.uuid4()), rp, 1) == 204
    if mode == "checked":
        request.getfixturevalue("checked_claims")
    else:
        assert setup.get("/allocation_candidates?resources=VCPU:1",
                         headers=ADMIN).status_code == 200
    own = threading.local()
    if mode == "index-per-racer":
        monkeypatch.setattr(provider_index, "for_url", lambda _url: own.index)
    committed = []
    commit_alone = write_batch.WriteBatch.commit_alone

    def counted(batch, conn, **kwargs):
        commit_alone(batch, conn, **kwargs)
        committed.append(True)

    monkeypatch.setattr(write_batch.WriteBatch, "commit_alone", counted)
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []

    def racer() -> None:
        client = app.test_client()
        if mode == "index-per-racer":
            own.index = provider_index.ProviderIndex(
                placement_conf_for.placement_database.connection)
            own.index.refresh()
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
    if mode == "index-per-racer":
        # Every winner got there in one round trip: none needed the checked path.
        assert len(committed) == winners
    else:
        assert bool(committed) == (mode == "one-index" and winners > 0)
