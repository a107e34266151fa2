"""A small HTTP client of the placement API, for the scheduler, conductors and agents."""

from __future__ import annotations

import collections
import contextlib
import contextvars
import logging
from collections.abc import Iterator
from typing import Any

import requests
from keystoneauth1 import loading as ks_loading
from keystoneauth1 import session as ks_session
from oslo_config import cfg

from common import context

LOG = logging.getLogger(__name__)
MICROVERSION = "1.28"
_call_counter: contextvars.ContextVar[collections.Counter | None] = \
    contextvars.ContextVar("placement_call_counter", default=None)


@contextlib.contextmanager
def counting_calls() -> Iterator[collections.Counter]:
    """Count the placement calls this thread makes in the block, by method and resource."""
    counter: collections.Counter = collections.Counter()
    token = _call_counter.set(counter)
    try:
        yield counter
    finally:
        _call_counter.reset(token)


class PlacementError(Exception):
    """Placement answered something other than what the call expects."""

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        super().__init__(f"{method} {path} -> {status}: {body[:500]}")
        self.status = status


class GenerationConflict(PlacementError):
    """Another writer changed the provider or consumer first (409)."""


def from_conf(conf: cfg.ConfigOpts) -> PlacementClient:
    """The client ``[placement_client]`` describes: a Keystone service user when its
    ``auth_type`` is set, else the fixed ``token``.
    """
    options = conf.placement_client
    keystone = None
    if options.auth_type:
        auth = ks_loading.load_auth_from_conf_options(conf, "placement_client")
        keystone = ks_session.Session(auth=auth)
    return PlacementClient(options.endpoint, options.token, options.timeout, keystone)


class PlacementClient:
    """Calls placement with a fixed microversion and the current request id.

    It authenticates with a fixed token (noauth2 placement), or, given a keystoneauth
    session, with that session's token, which keystoneauth renews before it expires.
    """

    def __init__(self, endpoint: str, token: str = "admin", timeout: float = 10.0,
                 keystone: ks_session.Session | None = None) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout
        self.keystone = keystone
        self.session = requests.Session()
        self.session.headers.update({
            "X-Auth-Token": token,
            "OpenStack-API-Version": f"placement {MICROVERSION}",
            "Accept": "application/json",
        })

    def _call(self, method: str, path: str, ok: tuple[int, ...], **kwargs) -> requests.Response:
        headers = {"X-OpenStack-Request-Id": context.current_request_id()}
        if self.keystone is not None:
            headers.update(self.keystone.get_auth_headers())
        response = self.session.request(method, self.endpoint + path, timeout=self.timeout,
                                        headers=headers, **kwargs)
        if response.status_code == 401 and self.keystone is not None:
            # A token revoked before its expiry: log in again, once.
            self.keystone.invalidate()
            headers.update(self.keystone.get_auth_headers())
            response = self.session.request(method, self.endpoint + path,
                                            timeout=self.timeout, headers=headers, **kwargs)
        counter = _call_counter.get()
        if counter is not None:
            counter[f"{method} {path.split('/')[1]}"] += 1
        if response.status_code in ok:
            return response
        error = GenerationConflict if response.status_code == 409 else PlacementError
        raise error(method, path, response.status_code, response.text)

    def allocation_candidates(self, resources: dict[str, int], limit: int | None = None,
                              required: str | None = None,
                              member_of: str | None = None) -> dict[str, Any]:
        """GET /allocation_candidates for one group of resources."""
        params: dict[str, Any] = {
            "resources": ",".join(f"{rc}:{n}" for rc, n in sorted(resources.items()) if n)}
        if limit:
            params["limit"] = limit
        if required:
            params["required"] = required
        if member_of:
            params["member_of"] = member_of
        return self._call("GET", "/allocation_candidates", (200,), params=params).json()

    def claim(self, consumer: str, allocations: dict[str, Any], project_id: str,
              user_id: str, consumer_generation: int | None = None) -> None:
        """PUT /allocations/{consumer}; GenerationConflict when the claim lost a race."""
        body = {"allocations": allocations, "project_id": project_id, "user_id": user_id,
                "consumer_generation": consumer_generation}
        self._call("PUT", f"/allocations/{consumer}", (204,), json=body)

    def post_allocations(self, allocations_by_consumer: dict[str, Any]) -> None:
        """POST /allocations: write several consumers' allocations in one transaction."""
        self._call("POST", "/allocations", (204,), json=allocations_by_consumer)

    def allocations(self, consumer: str) -> dict[str, Any]:
        """GET /allocations/{consumer}: {'allocations': {...}, 'consumer_generation': g}."""
        return self._call("GET", f"/allocations/{consumer}", (200,)).json()

    def release(self, consumer: str) -> None:
        """DELETE /allocations/{consumer}; a consumer with none is not an error."""
        self._call("DELETE", f"/allocations/{consumer}", (204, 404))

    def provider(self, uuid: str) -> dict[str, Any] | None:
        """GET /resource_providers/{uuid}, or None if it does not exist."""
        response = self._call("GET", f"/resource_providers/{uuid}", (200, 404))
        return response.json() if response.status_code == 200 else None

    def ensure_provider(self, uuid: str, name: str) -> dict[str, Any]:
        """The provider ``uuid``, created with ``name`` if it does not exist."""
        found = self.provider(uuid)
        if found is not None:
            return found
        try:
            self._call("POST", "/resource_providers", (200, 201),
                       json={"uuid": uuid, "name": name})
        except GenerationConflict:
            LOG.info("provider %s was created concurrently", uuid)
        found = self.provider(uuid)
        if found is None:
            raise PlacementError("GET", f"/resource_providers/{uuid}", 404, "vanished")
        return found

    def inventories(self, uuid: str) -> dict[str, Any]:
        """GET /resource_providers/{uuid}/inventories."""
        return self._call("GET", f"/resource_providers/{uuid}/inventories", (200,)).json()

    def set_inventories(self, uuid: str, inventories: dict[str, dict[str, Any]],
                        attempts: int = 5) -> None:
        """Replace the provider's inventory, re-reading its generation on conflict."""
        for attempt in range(attempts):
            current = self.inventories(uuid)
            if current["inventories"] == inventories:
                return
            body = {"resource_provider_generation": current["resource_provider_generation"],
                    "inventories": inventories}
            try:
                self._call("PUT", f"/resource_providers/{uuid}/inventories", (200,), json=body)
                return
            except GenerationConflict:
                if attempt == attempts - 1:
                    raise

    def provider_usages(self, uuid: str) -> dict[str, int]:
        """GET /resource_providers/{uuid}/usages."""
        path = f"/resource_providers/{uuid}/usages"
        return self._call("GET", path, (200,)).json()["usages"]

    def project_usages(self, project_id: str) -> dict[str, int]:
        """GET /usages?project_id=..."""
        return self._call("GET", "/usages", (200,), params={"project_id": project_id}
                          ).json()["usages"]

    def provider_aggregates(self, uuid: str) -> tuple[list[str], int]:
        """GET /resource_providers/{uuid}/aggregates: the aggregate uuids and the
        provider generation to write them back with."""
        reply = self._call("GET", f"/resource_providers/{uuid}/aggregates", (200,)).json()
        return reply["aggregates"], reply["resource_provider_generation"]

    def change_provider_aggregates(self, uuid: str, add: tuple[str, ...] = (),
                                   remove: tuple[str, ...] = (), attempts: int = 5) -> None:
        """Add and remove aggregate uuids of the provider, keeping the others; a write
        that lost a race with another writer (409) is redone on a fresh read."""
        for attempt in range(attempts):
            current, generation = self.provider_aggregates(uuid)
            wanted = [a for a in current if a not in remove]
            wanted += [a for a in add if a not in wanted]
            if wanted == current:
                return
            body = {"aggregates": wanted, "resource_provider_generation": generation}
            try:
                self._call("PUT", f"/resource_providers/{uuid}/aggregates", (200,),
                           json=body)
                return
            except GenerationConflict:
                LOG.info("aggregates of provider %s changed meanwhile; retrying", uuid)
                if attempt == attempts - 1:
                    raise
