"""Run every YAML scenario in gabbits/ against a fresh placement database.

A small runner of YAML HTTP scenarios, in the spirit of upstream's gabbi files.

A file holds ``defaults`` (headers for every request) and ``tests``, a list of steps::

    - name: create a provider
      method: POST
      url: /resource_providers
      headers: {openstack-api-version: placement 1.20}
      data: {name: host1, uuid: $RP1}       # an object is sent as JSON
      status: 200
      response_json_paths: {$.name: host1}
      response_json_lengths: {$.traits: 3}
      response_headers: {location: /resource_providers/$RP1}
      response_strings: [host1]

``$NAME`` (capitals) is a fresh uuid per file; ``$RESPONSE['<path>']`` is a value of
the previous response. Paths: ``$.a.b[0]["key with $VARS"]``.
"""

from __future__ import annotations

import json
import pathlib
import re
import uuid
from typing import Any

import flask.testing
import pytest
import yaml

_VAR = re.compile(r"\$([A-Z][A-Z0-9_]*)")
_RESPONSE = re.compile(r"\$RESPONSE\['([^']+)'\]")
_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[\"([^\"]*)\"\]")


class Scenario:
    """One YAML file run against one client."""

    def __init__(self, path: pathlib.Path, client: flask.testing.FlaskClient) -> None:
        self.doc = yaml.safe_load(path.read_text())
        self.client = client
        self.vars: dict[str, str] = {}
        self.last: Any = None

    def run(self) -> None:
        """Run every step; an AssertionError names the failing step."""
        for step in self.doc["tests"]:
            try:
                self._step(step)
            except AssertionError as exc:
                raise AssertionError(f"step {step['name']!r}: {exc}") from None

    def _sub(self, value: Any) -> Any:
        if isinstance(value, str):
            value = _RESPONSE.sub(lambda m: str(lookup(self.last, self._sub(m.group(1)))),
                                  value)
            return _VAR.sub(lambda m: self.vars.setdefault(m.group(1), str(uuid.uuid4())),
                            value)
        if isinstance(value, dict):
            return {self._sub(k): self._sub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._sub(v) for v in value]
        return value

    def _step(self, step: dict) -> None:
        headers = {**self.doc.get("defaults", {}).get("headers", {}),
                   **step.get("headers", {})}
        headers = {k: v for k, v in self._sub(headers).items() if v is not None}
        kwargs: dict[str, Any] = {"headers": headers}
        if "data" in step:
            data = self._sub(step["data"])
            kwargs["data"] = data if isinstance(data, str) else json.dumps(data)
            headers.setdefault("content-type", "application/json")
        response = self.client.open(self._sub(step["url"]), method=step.get("method", "GET"),
                                    **kwargs)
        text = response.get_data(as_text=True)
        assert response.status_code == step.get("status", 200), \
            f"status {response.status_code}: {text[:500]}"
        if response.status_code >= 400:
            # Every error carries the Placement error body.
            body = json.loads(text)
            assert body["errors"][0]["status"] == response.status_code
            assert body["errors"][0]["request_id"].startswith("req-")
        self.last = json.loads(text) if text and response.is_json else None
        self._check(step, response, text)

    def _check(self, step: dict, response, text: str) -> None:
        for name, expected in self._sub(step.get("response_headers", {})).items():
            assert response.headers.get(name) == expected, \
                f"header {name}: {response.headers.get(name)!r} != {expected!r}"
        for fragment in self._sub(step.get("response_strings", [])):
            assert fragment in text, f"{fragment!r} not in {text[:500]}"
        for path, expected in self._sub(step.get("response_json_paths", {})).items():
            found = lookup(self.last, path)
            assert found == expected, f"{path}: {found!r} != {expected!r}"
        for path, expected in self._sub(step.get("response_json_lengths", {})).items():
            found = lookup(self.last, path)
            assert len(found) == expected, f"len({path}) = {len(found)} != {expected}"


def lookup(data: Any, path: str) -> Any:
    """The value at ``path`` (``$.a[0]["k"]``); AssertionError when it is absent."""
    assert path.startswith("$"), f"bad path {path}"
    rest = path[1:]
    position = 0
    while position < len(rest):
        match = _TOKEN.match(rest, position)
        assert match is not None, f"bad path {path} at {rest[position:]}"
        key = match.group(1) if match.group(1) is not None else match.group(3)
        try:
            data = data[int(match.group(2))] if match.group(2) is not None else data[key]
        except (KeyError, IndexError, TypeError):
            raise AssertionError(f"{path} not found in {json.dumps(data)[:300]}") from None
        position = match.end()
    return data

GABBITS = sorted((pathlib.Path(__file__).parent / "gabbits").glob("*.yaml"))


@pytest.mark.mariadb
@pytest.mark.parametrize("path", GABBITS, ids=[p.stem for p in GABBITS])
def test_scenario(path: pathlib.Path, client) -> None:
    Scenario(path, client).run()
