"""What a claim costs in round trips, and what the cheaper pool must still get right.

The placement engine (``placement.objects.base.engine``) neither pings a
connection before lending it nor rolls it back after a transaction that ended:
a claim is one read, one compound statement holding the compare-and-swaps and the
writes (``placement.objects.write_batch``), and COMMIT. A connection
the server dropped is replaced and the request run again; policy decisions are
remembered for a second at most.
"""

from __future__ import annotations

import uuid

import pymysql.connections
import pytest
import sqlalchemy as sa
from oslo_policy import policy as oslo_policy

from placement import errors, policy
from placement.objects import base, write_batch

H = {"x-auth-token": "admin", "openstack-api-version": "placement latest"}


def _provider(client, vcpus: int) -> str:
    rp = str(uuid.uuid4())
    assert client.post("/resource_providers", json={"name": rp, "uuid": rp},
                       headers=H).status_code == 200
    assert client.put(f"/resource_providers/{rp}/inventories", headers=H, json={
        "resource_provider_generation": 0,
        "inventories": {"VCPU": {"total": vcpus}}}).status_code == 200
    return rp


def _claim(client, rp: str, consumer: str | None = None, generation=None) -> int:
    return client.put(f"/allocations/{consumer or uuid.uuid4()}", headers=H, json={
        "allocations": {rp: {"resources": {"VCPU": 1}}}, "project_id": "p",
        "user_id": "u", "consumer_generation": generation,
        "consumer_type": "INSTANCE"}).status_code


@pytest.fixture
def commands(monkeypatch) -> list[str]:
    """Every command this process sends to MariaDB (pings included)."""
    sent: list[str] = []
    execute = pymysql.connections.Connection._execute_command
    ping = pymysql.connections.Connection.ping

    def spy_execute(self, command, sql):
        text = sql if isinstance(sql, str) else sql.decode(errors="replace")
        word = text.split(None, 1)[0].upper() if text else f"COMMAND {command}"
        sent.append(word + (" FOR UPDATE" if "FOR UPDATE" in text.upper() else ""))
        return execute(self, command, sql)

    def spy_ping(self, *args, **kwargs):
        sent.append("PING")
        return ping(self, *args, **kwargs)

    monkeypatch.setattr(pymysql.connections.Connection, "_execute_command", spy_execute)
    monkeypatch.setattr(pymysql.connections.Connection, "ping", spy_ping)
    return sent


@pytest.mark.mariadb
def test_a_claim_is_one_read_one_batch_of_writes_and_commit(client, commands,
                                                            checked_claims) -> None:
    rp = _provider(client, 8)
    assert _claim(client, rp) == 204        # creates the project, user and type
    commands.clear()
    assert _claim(client, rp) == 204
    assert commands == ["SELECT", "BEGIN", "COMMIT"]
    # Moving an existing consumer: still one read and one batch; the old allocations go.
    consumer, other = str(uuid.uuid4()), _provider(client, 8)
    assert _claim(client, rp, consumer) == 204
    commands.clear()
    assert _claim(client, other, consumer, generation=1) == 204
    assert commands == ["SELECT", "BEGIN", "COMMIT"]
    shown = client.get(f"/allocations/{consumer}", headers=H).get_json()
    assert list(shown["allocations"]) == [other]
    assert shown["consumer_generation"] == 2


def _candidates(client) -> None:
    """Ask for candidates: the worker's index then holds every provider."""
    assert client.get("/allocation_candidates?resources=VCPU:1",
                      headers=H).status_code == 200


@pytest.mark.mariadb
def test_a_new_consumer_claim_the_index_knows_is_one_round_trip(
        client, commands, placement_db: str) -> None:
    rp = _provider(client, 8)
    assert _claim(client, rp) == 204        # creates the project, user and type
    _candidates(client)
    commands.clear()
    consumer = str(uuid.uuid4())
    assert _claim(client, rp, consumer) == 204
    assert commands == ["BEGIN"]            # BEGIN NOT ATOMIC ... COMMIT; END
    shown = client.get(f"/allocations/{consumer}", headers=H).get_json()
    assert shown["allocations"][rp]["resources"] == {"VCPU": 1}
    assert (shown["consumer_generation"], shown["consumer_type"]) == (1, "INSTANCE")
    usage = client.get(f"/resource_providers/{rp}/usages", headers=H).get_json()
    assert (usage["usages"], usage["resource_provider_generation"]) == ({"VCPU": 2}, 3)
    # The index applied its own claim: the next one needs no refresh either.
    commands.clear()
    assert _claim(client, rp) == 204
    assert commands == ["BEGIN"]


@pytest.mark.mariadb
def test_a_provider_new_to_the_index_is_read_from_the_change_log_first(
        client, commands) -> None:
    assert _claim(client, _provider(client, 8)) == 204
    _candidates(client)
    rp = _provider(client, 8)               # created after the index's last refresh
    commands.clear()
    assert _claim(client, rp) == 204
    # Reads of the change log and the new provider (COMMIT), then the one-statement
    # claim: no checked path, which would end with its own COMMIT.
    assert commands[-2:] == ["COMMIT", "BEGIN"] and "ROLLBACK" not in commands
    commands.clear()
    assert _claim(client, rp) == 204
    assert commands == ["BEGIN"]


def _other_process(placement_db: str, *statements: str, **params) -> None:
    """Run ``statements`` in one transaction of a connection of its own, as another
    placement worker would write behind this worker's index."""
    other = sa.create_engine(placement_db, poolclass=sa.pool.NullPool)
    try:
        with other.begin() as theirs:
            for statement in statements:
                theirs.execute(sa.text(statement), params)
    finally:
        other.dispose()


_THEIR_CLAIM = (
    "UPDATE resource_providers SET generation = generation + 1 WHERE uuid = :rp",
    "INSERT INTO consumers (uuid, project_id, user_id, generation, created_at) "
    "SELECT :consumer, project_id, user_id, 1, created_at FROM consumers LIMIT 1",
    "INSERT INTO allocations (resource_provider_id, consumer_id, resource_class_id, used, "
    "created_at) SELECT id, :consumer, 0, :vcpus, created_at FROM resource_providers "
    "WHERE uuid = :rp")


@pytest.mark.mariadb
def test_claims_of_other_workers_do_not_stop_the_one_round_trip(
        client, commands, placement_db: str) -> None:
    rp = _provider(client, 8)
    assert _claim(client, rp) == 204
    _candidates(client)
    # Another worker claims on the provider after this worker's index read it.
    _other_process(placement_db, *_THEIR_CLAIM, rp=rp, consumer=str(uuid.uuid4()), vcpus=2)
    commands.clear()
    assert _claim(client, rp) == 204
    assert commands == ["BEGIN"]
    usage = client.get(f"/resource_providers/{rp}/usages", headers=H).get_json()
    assert usage["usages"] == {"VCPU": 4}


@pytest.mark.mariadb
def test_room_the_index_still_shows_but_the_database_lacks_is_refused(
        client, commands, placement_db: str) -> None:
    rp = _provider(client, 2)
    assert _claim(client, rp) == 204
    _candidates(client)                       # the index: 1 of 2 used
    _other_process(placement_db, *_THEIR_CLAIM, rp=rp, consumer=str(uuid.uuid4()), vcpus=1)
    commands.clear()
    consumer = str(uuid.uuid4())
    reply = client.put(f"/allocations/{consumer}", headers=H, json={
        "allocations": {rp: {"resources": {"VCPU": 1}}}, "project_id": "p",
        "user_id": "u", "consumer_generation": None, "consumer_type": "INSTANCE"})
    # The database refused the insert; the checked path read and gave the answer.
    assert reply.status_code == 409
    assert "exceed the capacity" in reply.get_json()["errors"][0]["detail"]
    assert commands[:3] == ["BEGIN", "ROLLBACK", "SELECT"]
    assert client.get(f"/allocations/{consumer}", headers=H).get_json()["allocations"] == {}
    usage = client.get(f"/resource_providers/{rp}/usages", headers=H).get_json()
    assert usage["usages"] == {"VCPU": 2}


@pytest.mark.mariadb
@pytest.mark.parametrize("change,status", [
    ("total = 1", 409),                       # shrunk: no room left
    ("max_unit = 1", 400),                    # the amount is now above max_unit
    ("step_size = 3", 400),                   # ... or off the step
])
def test_an_inventory_changed_behind_the_index_is_what_counts(
        client, commands, placement_db: str, change: str, status: int) -> None:
    rp = _provider(client, 8)
    assert _claim(client, rp) == 204
    _candidates(client)
    _other_process(placement_db,
                   "UPDATE resource_providers SET generation = generation + 1 WHERE uuid = :rp",
                   f"UPDATE inventories SET {change} WHERE resource_provider_id = "
                   "(SELECT id FROM resource_providers WHERE uuid = :rp)", rp=rp)
    commands.clear()
    reply = client.put(f"/allocations/{uuid.uuid4()}", headers=H, json={
        "allocations": {rp: {"resources": {"VCPU": 2}}}, "project_id": "p",
        "user_id": "u", "consumer_generation": None, "consumer_type": "INSTANCE"})
    assert reply.status_code == status
    assert commands[:2] == ["BEGIN", "ROLLBACK"]


@pytest.mark.mariadb
@pytest.mark.parametrize("generation_moved", [False, True])
def test_the_check_is_skipped_only_while_the_generation_is_the_index_s(
        client, commands, placement_db: str, generation_moved: bool) -> None:
    """Every writer moves the generation; a write that did not (here, by hand) is
    one the shortcut cannot see: it trusts the index exactly while the generation
    is the one the index read, and the database's own check decides otherwise."""
    rp = _provider(client, 8)
    assert _claim(client, rp) == 204
    _candidates(client)
    bump = "generation = generation + 1" if generation_moved else "generation = generation"
    _other_process(placement_db, f"UPDATE resource_providers SET {bump} WHERE uuid = :rp",
                   "UPDATE inventories SET total = 2 WHERE resource_provider_id = "
                   "(SELECT id FROM resource_providers WHERE uuid = :rp)", rp=rp)
    commands.clear()
    reply = client.put(f"/allocations/{uuid.uuid4()}", headers=H, json={
        "allocations": {rp: {"resources": {"VCPU": 2}}}, "project_id": "p",
        "user_id": "u", "consumer_generation": None, "consumer_type": "INSTANCE"})
    if generation_moved:
        assert reply.status_code == 409
        assert commands[:2] == ["BEGIN", "ROLLBACK"]
    else:
        assert reply.status_code == 204
        assert commands == ["BEGIN"]


@pytest.mark.mariadb
def test_the_ratio_is_the_number_the_checked_path_reads(
        client, commands, placement_db: str) -> None:
    rp = _provider(client, 10)
    assert client.put(f"/resource_providers/{rp}/inventories/VCPU", headers=H, json={
        "resource_provider_generation": 1, "total": 10,
        "allocation_ratio": 0.7}).status_code == 200
    assert _claim(client, rp) == 204
    _candidates(client)
    # Another worker wrote the provider: the statement's own check decides.
    _other_process(placement_db,
                   "UPDATE resource_providers SET generation = generation + 1 WHERE uuid = :rp",
                   rp=rp)
    commands.clear()
    # 10 x 0.7 = 7.000000000000001 as the checked path computes it; the FLOAT column
    # holds 0.69999998..., which would leave 6.99999988 and refuse the seventh unit.
    reply = client.put(f"/allocations/{uuid.uuid4()}", headers=H, json={
        "allocations": {rp: {"resources": {"VCPU": 6}}}, "project_id": "p",
        "user_id": "u", "consumer_generation": None, "consumer_type": "INSTANCE"})
    assert reply.status_code == 204
    assert commands == ["BEGIN"]
    assert _claim(client, rp) == 409


@pytest.mark.mariadb
@pytest.mark.parametrize("body", [
    {"consumer_type": "MIGRATION"},           # a type seen for the first time
    {"project_id": "new-project"},            # an owner seen for the first time
])
def test_owners_seen_first_take_the_checked_path(client, commands, body) -> None:
    rp = _provider(client, 8)
    assert _claim(client, rp) == 204
    _candidates(client)
    consumer = str(uuid.uuid4())
    commands.clear()
    reply = client.put(f"/allocations/{consumer}", headers=H, json={
        "allocations": {rp: {"resources": {"VCPU": 1}}}, "project_id": "p",
        "user_id": "u", "consumer_generation": None, "consumer_type": "INSTANCE", **body})
    assert reply.status_code == 204
    assert commands[:2] == ["BEGIN", "ROLLBACK"] and "SELECT" in commands
    shown = client.get(f"/allocations/{consumer}", headers=H).get_json()
    assert shown["project_id"] == body.get("project_id", "p")
    assert shown["consumer_type"] == body.get("consumer_type", "INSTANCE")


@pytest.mark.mariadb
def test_an_existing_consumer_claiming_as_new_gets_the_generation_conflict(
        client, commands) -> None:
    rp = _provider(client, 8)
    consumer = str(uuid.uuid4())
    assert _claim(client, rp, consumer) == 204
    _candidates(client)
    reply = client.put(f"/allocations/{consumer}", headers=H, json={
        "allocations": {rp: {"resources": {"VCPU": 2}}}, "project_id": "p",
        "user_id": "u", "consumer_generation": None, "consumer_type": "INSTANCE"})
    assert reply.status_code == 409
    assert reply.get_json()["errors"][0]["code"] == "placement.concurrent_update"
    shown = client.get(f"/allocations/{consumer}", headers=H).get_json()
    assert shown["allocations"][rp]["resources"] == {"VCPU": 1}


@pytest.mark.mariadb
def test_a_claim_the_index_finds_too_big_is_answered_by_the_database(
        client, commands) -> None:
    rp = _provider(client, 1)
    _candidates(client)
    # The inventory grows after the index read it: only the database knows.
    assert client.put(f"/resource_providers/{rp}/inventories/VCPU", headers=H, json={
        "resource_provider_generation": 1, "total": 4}).status_code == 200
    commands.clear()
    reply = client.put(f"/allocations/{uuid.uuid4()}", headers=H, json={
        "allocations": {rp: {"resources": {"VCPU": 3}}}, "project_id": "p",
        "user_id": "u", "consumer_generation": None, "consumer_type": "INSTANCE"})
    assert reply.status_code == 204
    assert commands[0] == "SELECT"           # no write was tried from the index


@pytest.mark.mariadb
def test_a_failed_claim_is_rolled_back(client, commands, placement_db: str) -> None:
    rp = _provider(client, 1)
    assert _claim(client, rp) == 204
    commands.clear()
    assert _claim(client, rp) == 409        # no room: nothing may stay half-written
    assert commands[-1] == "ROLLBACK"
    assert _claim(client, _provider(client, 1)) == 204
    with base.engine(placement_db).connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM allocations")).scalar() == 2
        assert conn.execute(sa.text("SELECT COUNT(*) FROM consumers")).scalar() == 2
        # The refused claim took no change id: no gap for the indexes to chase.
        low, high, count = conn.execute(sa.text(
            "SELECT MIN(id), MAX(id), COUNT(*) FROM provider_changes")).one()
    assert high - low + 1 == count


@pytest.mark.mariadb
def test_a_claim_that_lost_a_race_locks_the_providers_and_waits(
        client, commands, monkeypatch, placement_db: str, checked_claims) -> None:
    rp = _provider(client, 8)
    assert _claim(client, rp) == 204
    run = write_batch.WriteBatch.run
    lost = []

    def another_writer_first(batch, conn):
        if not lost:
            # Another placement process commits a claim between our read and our CAS.
            other = sa.create_engine(placement_db, poolclass=sa.pool.NullPool)
            with other.begin() as theirs:
                theirs.execute(sa.text("UPDATE resource_providers SET generation = "
                                       "generation + 1 WHERE uuid = :rp"), {"rp": rp})
            other.dispose()
            lost.append(True)
        run(batch, conn)

    monkeypatch.setattr(write_batch.WriteBatch, "run", another_writer_first)
    commands.clear()
    assert _claim(client, rp) == 204
    assert lost
    # Ours: SELECT, then (theirs: UPDATE, COMMIT), our batch's CAS finds nothing and
    # signals, ROLLBACK; the second attempt starts by locking the provider.
    assert commands.count("SELECT FOR UPDATE") == 1
    locked = commands.index("SELECT FOR UPDATE")
    assert commands[0] == "SELECT" and "UPDATE" in commands[1:locked]
    assert commands[locked - 2:locked] == ["BEGIN", "ROLLBACK"]
    assert commands[locked + 1:] == ["SELECT", "BEGIN", "COMMIT"]


@pytest.mark.mariadb
def test_requests_survive_connections_the_server_dropped(client, placement_db: str) -> None:
    rp = _provider(client, 4)
    assert client.get("/allocation_candidates?resources=VCPU:1", headers=H).status_code == 200
    database = sa.make_url(placement_db).database
    killer = sa.create_engine(placement_db, poolclass=sa.pool.NullPool)
    try:
        with killer.connect() as conn:
            ids = conn.execute(sa.text(
                "SELECT id FROM information_schema.processlist "
                "WHERE db = :db AND id != CONNECTION_ID()"), {"db": database}).scalars().all()
            assert ids
            for thread in ids:
                conn.execute(sa.text(f"KILL {int(thread)}"))
    finally:
        killer.dispose()
    # The pooled connections are dead: the first use of one fails and is retried.
    assert client.get("/allocation_candidates?resources=VCPU:1", headers=H).status_code == 200
    assert _claim(client, rp) == 204


def test_policy_decisions_are_remembered_for_a_second(monkeypatch, placement_conf_for) -> None:
    checker = policy.Policy(placement_conf_for)
    calls = []
    enforce = checker._enforcer.enforce
    monkeypatch.setattr(checker._enforcer, "enforce",
                        lambda *args: calls.append(args[0]) or enforce(*args))
    now = [1000.0]
    monkeypatch.setattr(policy.time, "monotonic", lambda: now[0])
    checker._since = now[0]
    admin = {"user_id": "a", "project_id": "p", "roles": ["admin"]}
    member = {"user_id": "m", "project_id": "p", "roles": ["member"]}
    for _ in range(3):
        checker.authorize("placement:allocations:update", admin)
        with pytest.raises(errors.Forbidden):
            checker.authorize("placement:allocations:update", member)
    assert len(calls) == 2
    # An operator opens the rule to everyone: it applies once the second is over.
    checker._enforcer.set_rules(
        oslo_policy.Rules.from_dict({"placement:allocations:update": "@"}),
        overwrite=False, use_conf=False)
    monkeypatch.setattr(checker._enforcer, "load_rules", lambda *a, **k: None)
    with pytest.raises(errors.Forbidden):
        checker.authorize("placement:allocations:update", member)
    now[0] += policy.DECISION_SECONDS + 0.1
    checker.authorize("placement:allocations:update", member)
    assert len(calls) == 3
