"""The in-memory candidate index: fresh from other connections, never trusted by claims."""

from __future__ import annotations

import gc
import uuid

import pytest
import sqlalchemy as sa

from db import engine as db_engine
from placement.objects import allocation, inventory, provider_index

H = {"x-auth-token": "admin", "openstack-api-version": "placement latest"}
Q = "/allocation_candidates?resources=VCPU:1"


def _provider(client, vcpus: int) -> str:
    rp = str(uuid.uuid4())
    assert client.post("/resource_providers", json={"name": rp, "uuid": rp},
                       headers=H).status_code == 200
    assert client.put(f"/resource_providers/{rp}/inventories", headers=H, json={
        "resource_provider_generation": 0,
        "inventories": {"VCPU": {"total": vcpus}}}).status_code == 200
    return rp


def _claim(client, rp: str, vcpus: int) -> int:
    return client.put(f"/allocations/{uuid.uuid4()}", headers=H, json={
        "allocations": {rp: {"resources": {"VCPU": vcpus}}}, "project_id": "p",
        "user_id": "u", "consumer_generation": None,
        "consumer_type": "INSTANCE"}).status_code


def _found(client, query: str = Q) -> list[str]:
    body = client.get(query, headers=H).get_json()
    return [rp for request in body["allocation_requests"] for rp in request["allocations"]]


@pytest.fixture
def other_engine(placement_db: str):
    """A second engine: what another placement process would use."""
    engine = sa.create_engine(placement_db, poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()


@pytest.mark.mariadb
def test_index_sees_writes_of_another_connection(client, other_engine) -> None:
    rp = _provider(client, 2)
    assert _found(client) == [rp]
    # Another process fills the provider and then gives it more inventory.
    with other_engine.begin() as conn:
        allocation.replace_in(conn, [allocation.ConsumerAllocations(
            str(uuid.uuid4()), {rp: {"VCPU": 2}}, "p", "u", None, "INSTANCE")])
    assert _found(client) == []
    with other_engine.begin() as conn:
        records = inventory.get_in(conn, rp)
        records["VCPU"]["total"] = 3
        inventory.replace_in(conn, rp, None, records)
    assert _found(client) == [rp]
    body = client.get(Q, headers=H).get_json()
    assert body["provider_summaries"][rp]["resources"]["VCPU"] == {"capacity": 3, "used": 2}


def _fill(conn, rp: str) -> None:
    # Owners of its own: the two transactions must not wait on each other's rows.
    allocation.replace_in(conn, [allocation.ConsumerAllocations(
        str(uuid.uuid4()), {rp: {"VCPU": 1}}, str(uuid.uuid4()), str(uuid.uuid4()), None)])


@pytest.mark.mariadb
def test_index_sees_a_change_that_commits_out_of_order(client, other_engine) -> None:
    first, second = _provider(client, 1), _provider(client, 1)
    assert sorted(_found(client)) == sorted([first, second])
    # Transaction A logs its change first but commits after B, which logged later.
    late = other_engine.connect()
    trans = late.begin()
    try:
        _fill(late, second)
        with other_engine.begin() as conn:
            _fill(conn, first)
        assert _found(client) == [second]
        trans.commit()
    finally:
        late.close()
    # The index asked again for the id it had seen missing.
    assert _found(client) == []


@pytest.mark.mariadb
def test_stale_index_cannot_overallocate(client, monkeypatch, placement_db: str) -> None:
    rp = _provider(client, 2)
    assert _found(client) == [rp]
    # Freeze the index: it keeps believing the provider is empty.
    monkeypatch.setattr(provider_index.ProviderIndex, "refresh", lambda self: None)
    assert _claim(client, rp, 2) == 204
    assert _found(client) == [rp]          # stale advice...
    assert _claim(client, rp, 1) == 409    # ...that the claim refuses
    monkeypatch.undo()
    assert _found(client) == []
    with db_engine.get_engine(placement_db).begin() as conn:
        used = conn.execute(sa.text("SELECT SUM(used) FROM allocations")).scalar()
    assert used == 2


@pytest.mark.mariadb
def test_index_reloads_after_the_log_is_emptied(client, placement_db: str) -> None:
    rp = _provider(client, 1)
    assert _found(client) == [rp]
    with db_engine.get_engine(placement_db).begin() as conn:
        for table in ("provider_changes", "inventories", "resource_providers"):
            conn.execute(sa.text(f"DELETE FROM {table}"))
    assert _found(client) == []


@pytest.mark.mariadb
@pytest.mark.parametrize("randomize", [False, True])
def test_randomize_allocation_candidates(client, placement_conf_for, randomize) -> None:
    placement_conf_for.set_override("randomize_allocation_candidates", randomize,
                                    group="placement")
    providers = [_provider(client, 4) for _ in range(6)]
    firsts = {_found(client, Q + "&limit=1")[0] for _ in range(25)}
    if randomize:
        assert len(firsts) > 1
        assert sorted(_found(client)) == sorted(providers)
    else:
        assert firsts == {providers[0]}


@pytest.mark.mariadb
def test_a_big_index_is_frozen_out_of_the_garbage_collector(client, monkeypatch,
                                                            placement_db: str) -> None:
    rp = _provider(client, 1)
    index = provider_index.for_url(placement_db)
    monkeypatch.setattr(provider_index, "FREEZE_MIN_PROVIDERS", 1)
    gc.unfreeze()
    try:
        with index.lock:
            index._loaded = False              # as in a new worker: a full load
            index.refresh()
        assert gc.get_freeze_count() > 0
        provider = index.providers[index.by_uuid[rp]]
        assert not any(provider is o for o in gc.get_objects())   # not walked any more
        assert _found(client) == [rp]
    finally:
        gc.unfreeze()
