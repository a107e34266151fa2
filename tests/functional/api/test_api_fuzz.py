"""A bounded schemathesis run against the compute API, from its own /openapi.json.

Every operation of the document is fuzzed in-process (WSGI) over the real API and
cell databases, Redis and placement, with valid (positive) and invalid (negative)
requests, as an admin and as a member at the newest microversion (the document the
app serves) and as an admin at 2.1 (the generated 2.1 document). Operations that
take path parameters are fuzzed twice: with generated values (mostly unknown ids)
and with the ids of a real flavor, image, server and project, so the requests reach
past the lookups. Nothing is excluded. The checks: never a 5xx; every 4xx in Nova's
error format; every response carries the request id headers; and the response
conforms to the document (status codes, headers, fault body).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import flask
import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi import checks as openapi_checks

from api_cell.api import microversions, openapi
from tests.functional.api.api_world import ADMIN, ALICE, World

# Examples per operation and mode, with a fixed seed: few enough for the whole run to
# stay well under two minutes on two cores; raise it locally for a deeper search.
MAX_EXAMPLES = 6
REQUEST_ID_HEADERS = ("X-OpenStack-Request-Id", "X-Compute-Request-Id")
# Deletes run last so the real resources stay for the other operations.
_METHOD_ORDER = {"get": 0, "put": 1, "post": 2, "delete": 3}
CONFORMANCE = (openapi_checks.status_code_conformance,
               openapi_checks.response_headers_conformance,
               openapi_checks.response_schema_conformance)


@dataclasses.dataclass
class Findings:
    """What went wrong, once per operation and kind of problem."""

    seen: dict[tuple[str, str], str] = dataclasses.field(default_factory=dict)

    def add(self, operation: str, kind: str, detail: str) -> None:
        self.seen.setdefault((operation, kind), detail)

    def report(self) -> str:
        return "\n".join(f"{op}: {kind}: {detail}" for (op, kind), detail in self.seen.items())


def _real_ids(world: World) -> dict[str, str]:
    """Path parameter values naming real resources the member (alice) owns."""
    world.flavor(flavorid="1")
    image = world.image()
    server = world.instance("cell1", project_id="project-a", user_id="alice")
    return {"flavor_id": "1", "image_id": image.uuid, "server_id": server,
            "project_id": "project-a", "key": "k", "tag": "t"}


def _problems(response: Any) -> list[tuple[str, str]]:
    """(kind, detail) of each way ``response`` breaks the API's contract."""
    status = response.status_code
    found = []
    if status >= 500:
        found.append((f"{status}", response.text[:300]))
    sent = {name.lower() for name in response.headers}
    missing = [name for name in REQUEST_ID_HEADERS if name.lower() not in sent]
    if missing:
        found.append(("no request id", f"{status} without {', '.join(missing)}"))
    if 400 <= status < 500 and not _nova_fault(response.text, status):
        found.append((f"{status} not in Nova's format", response.text[:300]))
    return found


def _nova_fault(text: str, status: int) -> bool:
    try:
        body = json.loads(text)
    except ValueError:
        return False
    if not isinstance(body, dict) or len(body) != 1:
        return False
    fault = next(iter(body.values()))
    return (isinstance(fault, dict) and fault.get("code") == status
            and isinstance(fault.get("message"), str))


def _fuzz(operation: schemathesis.APIOperation, mode: GenerationMode, headers: dict[str, str],
          path_parameters: dict[str, str], findings: Findings) -> None:
    strategy = operation.as_strategy(mode, path_parameters=path_parameters or None)

    @hypothesis.settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None,
                         database=None, phases=[hypothesis.Phase.generate],
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(strategy)
    def run(case: schemathesis.Case) -> None:
        case.headers = {**(case.headers or {}), **headers}
        response = case.call()
        for kind, detail in _problems(response):
            findings.add(operation.label, kind, f"{detail}\n  {case.as_curl_command()}")
        try:
            case.validate_response(response, checks=list(CONFORMANCE))
        except FailureGroup as group:
            for failure in group.exceptions:
                findings.add(operation.label, f"does not conform: {failure.title}",
                             f"{str(failure)[:300]}\n  {case.as_curl_command()}")

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        # Nothing in the operation can be made invalid (no body, no parameter the
        # fixed headers leave open): there is no negative case to send.
        if mode is GenerationMode.POSITIVE or operation.body:
            raise


def _operations(schema: Any) -> list[schemathesis.APIOperation]:
    operations = [result.ok() for result in schema.get_all_operations()]
    return sorted(operations, key=lambda op: _METHOD_ORDER[op.method.lower()])


def _schema(app: flask.Flask, version: microversions.Version) -> Any:
    """The newest version's document as the app serves it; older ones generated."""
    if version == microversions.MAX_VERSION:
        return schemathesis.openapi.from_wsgi("/openapi.json", app)
    schema = schemathesis.openapi.from_dict(openapi.document(version))
    schema.app = app
    return schema


@pytest.mark.parametrize(("token", "version"), [
    (ADMIN, microversions.MAX_VERSION),
    (ALICE, microversions.MAX_VERSION),
    (ADMIN, microversions.MIN_VERSION),
], ids=["admin-latest", "member-latest", "admin-2.1"])
def test_fuzzing_finds_no_server_errors(app: flask.Flask, world: World, token: dict[str, str],
                                        version: microversions.Version) -> None:
    real = _real_ids(world)
    operations = _operations(_schema(app, version))
    assert len(operations) > 60
    findings = Findings()
    headers = {**token, microversions.HEADER: f"{microversions.SERVICE_TYPE} {version}"}
    for operation in operations:
        known = {p.name: real[p.name] for p in operation.path_parameters if p.name in real}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, headers, {}, findings)
            if known:
                _fuzz(operation, mode, headers, known, findings)
    assert not findings.seen, findings.report()


def test_openapi_json_is_public_and_describes_the_served_routes(client: Any) -> None:
    reply = client.get("/openapi.json")
    assert reply.status_code == 200, reply.json
    assert reply.json["openapi"].startswith("3.1")
    assert reply.json["servers"] == [{"url": "http://localhost"}]
    assert "/v2.1/servers/{server_id}/action" in reply.json["paths"]
    assert "/v2.1/images" not in reply.json["paths"]  # gone at 2.36
    assert reply.headers["X-OpenStack-Request-Id"].startswith("req-")


# Regressions: what the fuzzer (and a probe of query and path values) found.


def test_huge_server_group_offset_is_400_not_500(client: Any) -> None:
    reply = client.get("/v2.1/os-server-groups?offset=99999999999999999999", headers=ALICE)
    assert reply.status_code == 400, reply.json
    assert "offset" in reply.json["badRequest"]["message"]
    assert client.get("/v2.1/os-server-groups?offset=2147483647",
                      headers=ALICE).json == {"server_groups": []}


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/v2.1/limits?tenant_id=" + "p" * 256),
    ("GET", "/v2.1/os-quota-sets/" + "p" * 256),
    ("GET", "/v2.1/os-quota-sets/" + "p" * 256 + "/detail"),
    ("PUT", "/v2.1/os-quota-sets/" + "p" * 256),
    ("DELETE", "/v2.1/os-quota-sets/" + "p" * 256),
])
def test_project_id_longer_than_any_column_is_400(client: Any, method: str,
                                                  path: str) -> None:
    reply = client.open(path, method=method, headers=ADMIN,
                        json={"quota_set": {"cores": 5}})
    assert reply.status_code == 400, reply.json
    assert "project id" in reply.json["badRequest"]["message"]
    ok = client.get("/v2.1/limits?tenant_id=" + "p" * 255, headers=ADMIN)
    assert ok.status_code == 200, ok.json


@pytest.mark.parametrize("aggregate_id", ["1²", "١"])
def test_aggregate_id_of_non_ascii_digits_is_400(client: Any, aggregate_id: str) -> None:
    reply = client.get(f"/v2.1/os-aggregates/{aggregate_id}", headers=ADMIN)
    assert reply.status_code == 400, reply.json
    assert "aggregate id" in reply.json["badRequest"]["message"]


def test_console_output_length_beyond_32_bits_is_400(client: Any, world: World) -> None:
    server = world.instance("cell1")
    for length in ("99999999999999999999", 2**31):
        reply = client.post(f"/v2.1/servers/{server}/action", headers=ALICE,
                            json={"os-getConsoleOutput": {"length": length}})
        assert reply.status_code == 400, reply.json
        assert "length" in reply.json["badRequest"]["message"]
