"""/v2.1/os-migrations (admin)"""

from __future__ import annotations

from api_cell.api import errors, policies, request
from api_cell.api.domain import migrations, server_filters
from api_cell.api.views import links
from api_cell.api.views import migrations as view

# Filters on a column's exact value, and the microversion that brings each.
_EXACT = {"instance_uuid": "2.1", "source_compute": "2.1", "status": "2.1",
          "migration_type": "2.1", "user_id": "2.80", "project_id": "2.80"}
# Known but without effect: hidden migrations are never listed.
_IGNORED = {"hidden"}


def index() -> dict:
    """GET /os-migrations: filters, and from 2.59 paging and changes-since (any unknown
    parameter is then 400), changes-before from 2.66, user_id/project_id from 2.80."""
    request.authorize(policies.MIGRATIONS_INDEX)
    paged = request.at_least("2.59")
    if paged:
        _refuse_unknown()
    query = request.query()
    wanted = migrations.Query(
        exact={name: query[name] for name, since in _EXACT.items()
               if name in query and request.at_least(since)},
        host=query.get("host"),
        changes_since=_time("changes-since") if paged else None,
        changes_before=_time("changes-before") if request.at_least("2.66") else None,
        limit=request.int_param("limit") if paged else None,
        marker=query.get("marker") if paged else None)
    if wanted.changes_since and wanted.changes_before and \
            wanted.changes_since > wanted.changes_before:
        raise errors.BadRequest("The value of changes-since must be less than or equal "
                                "to changes-before.")
    found = migrations.list_page(request.backends(), wanted)
    version = tuple(request.version())
    document: dict = {"migrations": [view.migration(m, version) for m in found]}
    if paged and found and wanted.limit is not None and len(found) == wanted.limit:
        document["migrations_links"] = links.next_page(
            request.base_url(), "os-migrations", query, found[-1].uuid)
    return document


def _known() -> set[str]:
    known = {"host", "limit", "marker", "changes-since", *_IGNORED}
    known |= {name for name, since in _EXACT.items() if request.at_least(since)}
    if request.at_least("2.66"):
        known.add("changes-before")
    return known


def _refuse_unknown() -> None:
    unknown = sorted(set(request.query()) - _known())
    if unknown:
        raise errors.BadRequest(f"Invalid input for query parameters {unknown[0]}. "
                                "Additional properties are not allowed.")


def _time(name: str):
    text = request.query().get(name)
    return None if text is None else server_filters.parse_time(name, text)
