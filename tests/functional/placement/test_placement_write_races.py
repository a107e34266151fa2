"""Concurrent writes to different providers never fail with a 500 on MariaDB."""

from __future__ import annotations

import threading
import uuid

from placement.app import create_app

ADMIN = {"X-Auth-Token": "admin", "OpenStack-API-Version": "placement 1.19"}
THREADS = 16
ROUNDS = 5


def _provider(client) -> str:
    rp = str(uuid.uuid4())
    reply = client.post("/resource_providers", json={"name": f"w-{rp}", "uuid": rp},
                        headers=ADMIN)
    assert reply.status_code == 201, reply.get_data(as_text=True)
    return rp


def _race(app, work) -> list[int]:
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []

    def racer(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        for round_ in range(ROUNDS):
            statuses.append(work(client, index, round_))

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_concurrent_traits_and_aggregates_on_different_providers(placement_conf_for):
    app = create_app(placement_conf_for)
    setup = app.test_client()
    providers = [_provider(setup) for _ in range(THREADS)]
    shared_aggregate = str(uuid.uuid4())
    assert setup.put("/traits/CUSTOM_RACE", headers=ADMIN).status_code in (201, 204)

    def work(client, index: int, round_: int) -> int:
        rp = providers[index]
        generation = client.get(f"/resource_providers/{rp}", headers=ADMIN
                                ).get_json()["generation"]
        if round_ % 2:
            body = {"aggregates": [shared_aggregate, str(uuid.uuid4())],
                    "resource_provider_generation": generation}
            return client.put(f"/resource_providers/{rp}/aggregates", json=body,
                              headers=ADMIN).status_code
        body = {"traits": ["CUSTOM_RACE", "HW_CPU_X86_AVX2"],
                "resource_provider_generation": generation}
        return client.put(f"/resource_providers/{rp}/traits", json=body,
                          headers=ADMIN).status_code

    statuses = _race(app, work)
    assert set(statuses) <= {200, 409}, sorted(set(statuses))
    assert statuses.count(200) >= THREADS


def test_concurrent_provider_creation(placement_conf_for):
    app = create_app(placement_conf_for)

    def work(client, index: int, round_: int) -> int:
        rp = str(uuid.uuid4())
        return client.post("/resource_providers", json={"name": f"c-{rp}", "uuid": rp},
                           headers=ADMIN).status_code

    statuses = _race(app, work)
    assert set(statuses) == {201}, sorted(set(statuses))
