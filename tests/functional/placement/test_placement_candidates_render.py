"""GET /allocation_candidates: the fast paths answer exactly what the plain code did.

The handler writes its JSON from fragments (per-provider summaries kept on the
index, joined strings) and the search takes a shortcut for trees of one provider.
Here every microversion from 1.10 and a spread of queries over nested trees, full
providers, traits, aggregates and (optionally) a sharing provider are answered and
compared, byte for byte, with the plain construction: dicts built per request
(the code the fragments replaced) and ``json.dumps``; and the shortcut's
candidates with those of the general search. Summaries must follow usage (a
claim) and class renames.
"""

from __future__ import annotations

import json
import urllib.parse
import uuid

import pytest

from placement import microversion
from placement.context import RequestContext
from placement.handlers import allocation_candidates as handler
from placement.objects import candidates as cand_obj
from placement.objects import provider_index

AGG1 = "7a1c4a8e-0000-4000-8000-0000000000a1"
AGG2 = "7a1c4a8e-0000-4000-8000-0000000000a2"
ADMIN = {"x-auth-token": "admin"}


def _h(version: str) -> dict:
    return {**ADMIN, "openstack-api-version": f"placement {version}"}


class _World:
    def __init__(self, client) -> None:
        self.client = client

    def provider(self, inventories: dict, traits=(), aggregates=(), parent=None) -> str:
        rp = str(uuid.uuid4())
        body = {"name": rp, "uuid": rp}
        if parent:
            body["parent_provider_uuid"] = parent
        r = self.client.post("/resource_providers", json=body, headers=_h("1.39"))
        assert r.status_code == 200, r.data
        generation = 0
        if inventories:
            r = self.client.put(f"/resource_providers/{rp}/inventories", headers=_h("1.39"),
                                json={"resource_provider_generation": generation,
                                      "inventories": inventories})
            assert r.status_code == 200, r.data
            generation = r.get_json()["resource_provider_generation"]
        if traits:
            r = self.client.put(f"/resource_providers/{rp}/traits", headers=_h("1.39"),
                                json={"resource_provider_generation": generation,
                                      "traits": list(traits)})
            assert r.status_code == 200, r.data
            generation = r.get_json()["resource_provider_generation"]
        if aggregates:
            r = self.client.put(f"/resource_providers/{rp}/aggregates", headers=_h("1.39"),
                                json={"resource_provider_generation": generation,
                                      "aggregates": list(aggregates)})
            assert r.status_code == 200, r.data
        return rp

    def claim(self, allocations: dict) -> None:
        r = self.client.put(f"/allocations/{uuid.uuid4()}", headers=_h("1.39"), json={
            "allocations": {rp: {"resources": res} for rp, res in allocations.items()},
            "project_id": "p", "user_id": "u", "consumer_generation": None,
            "consumer_type": "INSTANCE"})
        assert r.status_code == 204, r.data


def _build(client, sharing: bool) -> tuple[_World, dict[str, str]]:
    w = _World(client)
    w.client.put("/traits/CUSTOM_FAST", headers=_h("1.39"))
    w.client.put("/resource_classes/CUSTOM_WIDGET", headers=_h("1.39"))
    host = {"VCPU": {"total": 8, "allocation_ratio": 2.0, "max_unit": 8},
            "MEMORY_MB": {"total": 4096, "reserved": 512},
            "DISK_GB": {"total": 100, "reserved": 10, "step_size": 5}}
    ids = {
        "plain": w.provider(host, ["HW_CPU_X86_AVX2"], [AGG1]),
        "fast": w.provider(host, ["HW_CPU_X86_AVX2", "CUSTOM_FAST"], [AGG2]),
        "small": w.provider({"VCPU": {"total": 1}, "MEMORY_MB": {"total": 256}}),
        "full": w.provider(host, ["STORAGE_DISK_SSD"], [AGG1, AGG2]),
        "widget": w.provider({**host, "CUSTOM_WIDGET": {"total": 4}}, ["CUSTOM_FAST"]),
    }
    ids["root"] = w.provider({"DISK_GB": {"total": 500}}, ["HW_CPU_X86_SSE42"], [AGG1])
    ids["numa0"] = w.provider({"VCPU": {"total": 4}, "MEMORY_MB": {"total": 2048}},
                              ["CUSTOM_FAST"], parent=ids["root"])
    ids["numa1"] = w.provider({"VCPU": {"total": 4}, "MEMORY_MB": {"total": 2048}},
                              parent=ids["root"])
    if sharing:
        ids["shared"] = w.provider({"DISK_GB": {"total": 1000}},
                                   ["MISC_SHARES_VIA_AGGREGATE"], [AGG1])
    w.claim({ids["full"]: {"VCPU": 8}})
    w.claim({ids["full"]: {"VCPU": 8}})
    w.claim({ids["plain"]: {"VCPU": 3, "MEMORY_MB": 1024}})
    w.claim({ids["numa0"]: {"VCPU": 2}, ids["root"]: {"DISK_GB": 20}})
    return w, ids


# (first microversion, query string)
QUERIES = [
    (10, "resources=VCPU:1"),
    (10, "resources=VCPU:1,MEMORY_MB:512,DISK_GB:10"),
    (10, "resources=VCPU:2,MEMORY_MB:256"),
    (10, "resources=DISK_GB:10"),
    (10, "resources=VCPU:1,CUSTOM_WIDGET:1"),
    (16, "resources=VCPU:1,MEMORY_MB:512&limit=2"),
    (17, "resources=VCPU:1&required=CUSTOM_FAST"),
    (22, "resources=VCPU:1&required=!CUSTOM_FAST"),
    (21, "resources=VCPU:1,MEMORY_MB:512,DISK_GB:10&required=HW_CPU_X86_AVX2"
         f"&member_of={AGG1}"),
    (21, f"resources=VCPU:1&member_of=in:{AGG1},{AGG2}"),
    (32, f"resources=VCPU:1&member_of=!{AGG2}"),
    (25, "resources=VCPU:1&resources1=MEMORY_MB:256&group_policy=none"),
    (25, "resources1=VCPU:1&resources2=VCPU:1&group_policy=isolate"),
    (25, "resources1=VCPU:1,MEMORY_MB:128&required1=CUSTOM_FAST&group_policy=none"),
    (31, "resources=VCPU:1&in_tree=$root"),
    (35, "resources=VCPU:1&root_required=HW_CPU_X86_SSE42"),
    (36, "resources_A=VCPU:1&resources_B=MEMORY_MB:128&group_policy=none"
         "&same_subtree=_A,_B"),
    (36, "resources=VCPU:1&required=CUSTOM_FAST"),
    (39, "resources=VCPU:1&required=in:CUSTOM_FAST,STORAGE_DISK_SSD"),
]


def _ctx(minor: int, db_url: str) -> RequestContext:
    return RequestContext(request_id="req", user_id=None, project_id=None, roles=["admin"],
                          version=microversion.Version(1, minor), db_url=db_url, policy=None)


def _plain_body(ctx: RequestContext, found: cand_obj.Candidates) -> str:
    """The answer built as before the fragments: dicts per request, then json.dumps."""
    providers = found.providers
    uuid_of = {pid: p.uuid for pid, p in providers.items()}
    requests = []
    for allocations, mappings in found.requests:
        if not ctx.at_least(12):
            requests.append({"allocations": [
                {"resource_provider": {"uuid": uuid_of[p]}, "resources": r}
                for p, r in sorted(allocations.items())]})
            continue
        body: dict = {"allocations": {uuid_of[p]: {"resources": r}
                                      for p, r in sorted(allocations.items())}}
        if ctx.at_least(34):
            body["mappings"] = {s: [uuid_of[p] for p in ps]
                                for s, ps in sorted(mappings.items())}
        requests.append(body)
    summaries = {}
    for pid in found.summaries:
        p = providers[pid]
        entry: dict = {"resources": {
            found.rc_names[rc]: {"capacity": int(inv.capacity), "used": p.used.get(rc, 0)}
            for rc, inv in p.inventory.items()
            if found.summary_classes is None or rc in found.summary_classes}}
        if ctx.at_least(17):
            entry["traits"] = sorted(p.traits)
        if ctx.at_least(29):
            entry["parent_provider_uuid"] = providers[p.parent_id].uuid if p.parent_id else None
            entry["root_provider_uuid"] = providers[p.root_id].uuid
        summaries[p.uuid] = entry
    return json.dumps({"allocation_requests": requests, "provider_summaries": summaries})


def _compare_everything(client, db_url: str, ids: dict[str, str]) -> int:
    """Every query at every microversion it exists in; returns how many had candidates."""
    answered = 0
    for first, text in QUERIES:
        text = text.replace("$root", ids["root"])
        for minor in range(max(first, 10), 40):
            response = client.get(f"/allocation_candidates?{text}", headers=_h(f"1.{minor}"))
            assert response.status_code == 200, (minor, text, response.data)
            ctx = _ctx(minor, db_url)
            params = urllib.parse.parse_qs(text, keep_blank_values=True)
            request = handler.parse_request(ctx, params)
            plain = cand_obj.find(db_url, request, render=lambda f, ctx=ctx: _plain_body(ctx, f))
            assert response.get_data(as_text=True) == plain, (minor, text)
            answered += bool(json.loads(plain)["allocation_requests"])
    return answered


@pytest.mark.mariadb
@pytest.mark.parametrize("sharing", [False, True])
def test_fragments_write_what_json_dumps_wrote(client, placement_db: str, sharing) -> None:
    w, ids = _build(client, sharing)
    assert _compare_everything(client, placement_db, ids) > 300
    # Usage changes: the cached summaries of the claimed providers must follow.
    before = client.get("/allocation_candidates?resources=VCPU:1",
                        headers=_h("1.39")).get_json()["provider_summaries"]
    w.claim({ids["fast"]: {"VCPU": 5, "DISK_GB": 20}})
    after = client.get("/allocation_candidates?resources=VCPU:1",
                       headers=_h("1.39")).get_json()["provider_summaries"]
    assert before[ids["fast"]]["resources"]["VCPU"]["used"] == 0
    assert after[ids["fast"]]["resources"]["VCPU"]["used"] == 5
    assert after[ids["fast"]]["resources"]["DISK_GB"]["used"] == 20
    _compare_everything(client, placement_db, ids)
    # A renamed class (1.2 to 1.6) is renamed in the cached summaries too.
    r = client.put("/resource_classes/CUSTOM_WIDGET", headers=_h("1.2"),
                   json={"name": "CUSTOM_GADGET"})
    assert r.status_code == 200, r.data
    body = client.get("/allocation_candidates?resources=VCPU:1",
                      headers=_h("1.39")).get_json()["provider_summaries"]
    assert "CUSTOM_GADGET" in body[ids["widget"]]["resources"]
    assert "CUSTOM_WIDGET" not in body[ids["widget"]]["resources"]


@pytest.mark.mariadb
def test_lone_provider_shortcut_finds_what_the_general_search_finds(
        client, placement_db: str, monkeypatch) -> None:
    _w, ids = _build(client, sharing=False)
    for first, text in QUERIES:
        text = text.replace("$root", ids["root"])
        for minor in (max(first, 10), 29, 39):
            if minor < first:
                continue
            path = f"/allocation_candidates?{text}"
            fast = client.get(path, headers=_h(f"1.{minor}")).get_data(as_text=True)
            monkeypatch.setattr(cand_obj._Finder, "_lone_candidate",
                                lambda self, p: pytest.fail("shortcut used"))
            monkeypatch.setattr(cand_obj._Finder, "lone_shortcut", False)
            general = client.get(path, headers=_h(f"1.{minor}")).get_data(as_text=True)
            monkeypatch.undo()
            assert fast == general, (minor, text)
    # The shortcut was taken at all (else this test compares the general path to itself).
    calls = []
    original = cand_obj._Finder._lone_candidate
    monkeypatch.setattr(cand_obj._Finder, "_lone_candidate",
                        lambda self, p: calls.append(p) or original(self, p))
    client.get("/allocation_candidates?resources=VCPU:1", headers=_h("1.39"))
    assert len(calls) >= 4
    assert provider_index.for_url(placement_db).full_loads >= 1
