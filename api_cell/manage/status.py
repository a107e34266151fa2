"""``cellar-manage status upgrade-check``: is this deployment ready, and if not, why.

Like ``nova-status upgrade check``: every check ends Success, Warning or Failure with
details, and the exit code is the worst of them (0 success, 1 warning, 2 failure, 255
the checks themselves could not run). Reading only: it changes nothing.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import enum
import sys
from collections.abc import Iterable

import sqlalchemy as sa

from api_cell.manage import database, errors, instances, output
from db import engine as db_engine
from db import migrate
from db.api import cells as api_cells
from db.api import hosts as api_hosts
from db.cell import services as cell_services

EXIT_ERROR = 255
MAP_BATCH = 1000


class Code(enum.IntEnum):
    """The result of one check; its value is the exit code it leads to."""

    SUCCESS = 0
    WARNING = 1
    FAILURE = 2

    @property
    def label(self) -> str:
        return self.name.capitalize()


@dataclasses.dataclass(frozen=True)
class Result:
    """One check's name, result and what the operator should know or do."""

    check: str
    code: Code
    details: str = ""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``status upgrade-check``."""
    status = subparsers.add_parser("status", help="deployment health").add_subparsers(
        dest="action", required=True)
    check = status.add_parser(
        "upgrade-check", help="check schemas, cells, hosts and mappings; exit 0 success, "
                              "1 warning, 2 failure, 255 error")
    check.add_argument("--timeout", type=float, default=3.0,
                       help="seconds to wait for each cell database to answer (default 3)")
    check.add_argument("--json", action="store_true", help="print JSON")
    check.set_defaults(func=upgrade_check)


def overall(results: Iterable[Result]) -> Code:
    """The worst result, Success when there is none."""
    return max((r.code for r in results), default=Code.SUCCESS)


def schema_result(revisions: dict[str, tuple[str | None, str | None]]) -> Result:
    """Failure unless every database is at its schema's newest revision.

    ``revisions`` maps a database label to (current, head); current None means empty.
    """
    behind = [f"{label} is at {current or 'no revision'} (newest {head})"
              for label, (current, head) in revisions.items() if current != head]
    if behind:
        return Result("Database schemas", Code.FAILURE,
                      "; ".join(behind) + ". Run: cellar-manage db sync")
    return Result("Database schemas", Code.SUCCESS,
                  f"{len(revisions)} database(s) at the newest revision")


def cells_result(cells: list[api_cells.Cell]) -> list[Result]:
    """Cell0 exists; at least one other cell exists, and one of those is enabled."""
    results = []
    if any(c.is_cell0 for c in cells):
        results.append(Result("Cell0", Code.SUCCESS, "cell0 is mapped"))
    else:
        results.append(Result("Cell0", Code.FAILURE,
                              "no cell0: run cellar-manage db sync (or cell create-cell0)"))
    real = [c for c in cells if not c.is_cell0]
    if not real:
        results.append(Result("Cells", Code.FAILURE, "no cell besides cell0: add one with "
                                                     "cellar-manage cell create"))
    elif all(c.disabled for c in real):
        results.append(Result("Cells", Code.WARNING, "every cell is disabled: no new server "
                                                     "can be placed (cellar-manage cell "
                                                     "enable NAME)"))
    else:
        enabled = sum(not c.disabled for c in real)
        results.append(Result("Cells", Code.SUCCESS, f"{len(real)} cell(s), {enabled} "
                                                     "enabled"))
    return results


def services_result(per_cell: dict[str, list[cell_services.ComputeService]]) -> Result:
    """Warning for a cell without compute hosts, unrecorded or mixed service versions."""
    warnings, notes = [], []
    for name, services in per_cell.items():
        if not services:
            warnings.append(f"cell {name} has no compute host registered")
            continue
        versions = sorted({s.version for s in services})
        unrecorded = [s.host for s in services if not s.version]
        if unrecorded:
            warnings.append(f"cell {name}: no service version recorded for "
                            f"{', '.join(unrecorded)}")
        if len([v for v in versions if v]) > 1:
            warnings.append(f"cell {name} runs compute versions "
                            f"{', '.join(map(str, versions))} (an upgrade in progress?)")
        notes.append(f"cell {name}: {len(services)} host(s), version "
                     f"{'/'.join(map(str, versions))}")
    if warnings:
        return Result("Compute services", Code.WARNING, "; ".join(warnings))
    return Result("Compute services", Code.SUCCESS, "; ".join(notes) or "no cell to check")


def probe(url: str, timeout: float) -> str | None:
    """Why the database at ``url`` did not answer within ``timeout`` s; None if it did."""
    parsed = sa.make_url(url)
    connect_args = {}
    if parsed.drivername.startswith("mysql"):
        # PyMySQL takes whole seconds; a short bound keeps a dead cell from hanging us.
        connect_args = {"connect_timeout": max(1, round(timeout)),
                        "read_timeout": max(1, round(timeout))}
    engine = db_engine.create_engine(parsed, poolclass=sa.pool.NullPool,
                                     connect_args=connect_args)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return None
    except sa.exc.DBAPIError as error:
        return str(error.orig)
    finally:
        engine.dispose()


def reachability(cells: list[api_cells.Cell], timeout: float
                 ) -> tuple[list[api_cells.Cell], Result]:
    """Probe every cell database at once; the reachable cells and the check's result."""
    with concurrent.futures.ThreadPoolExecutor(max(1, min(16, len(cells)))) as pool:
        failures = dict(zip([c.name for c in cells],
                            pool.map(lambda c: probe(c.database_connection, timeout), cells),
                            strict=True))
    down = {name: why for name, why in failures.items() if why}
    reachable = [c for c in cells if c.name not in down]
    if down:
        return reachable, Result("Cell databases reachable", Code.FAILURE, "; ".join(
            f"cell {name} did not answer: {why}" for name, why in down.items()))
    return reachable, Result("Cell databases reachable", Code.SUCCESS,
                             f"{len(cells)} cell database(s) answered")


def _revision(url: str) -> str | None:
    return migrate.current_revision(url)


def _host_mappings_result(api_url: str,
                          per_cell: dict[str, list[cell_services.ComputeService]],
                          cells: dict[str, api_cells.Cell]) -> Result:
    mapped = {h.host: h.cell_uuid for h in api_hosts.list_all(api_url)}
    missing = [f"{s.host} (cell {name})" for name, services in per_cell.items()
               for s in services if mapped.get(s.host) != cells[name].uuid]
    if missing:
        return Result("Host mappings", Code.WARNING,
                      f"{len(missing)} compute host(s) not mapped to their cell: "
                      f"{', '.join(missing[:10])}. Run: cellar-manage host discover")
    return Result("Host mappings", Code.SUCCESS, "every compute host is mapped")


def _instance_mappings_result(api_url: str, cells: list[api_cells.Cell]) -> Result:
    counts = {c.name: sum(len(batch) for batch in
                          instances.unmapped_in_cell(api_url, c, MAP_BATCH)) for c in cells}
    missing = {name: count for name, count in counts.items() if count}
    if missing:
        return Result("Instance mappings", Code.FAILURE, "; ".join(
            f"cell {name} has {count} server(s) without a mapping (cellar-manage "
            f"instance map --cell {name})" for name, count in missing.items()))
    return Result("Instance mappings", Code.SUCCESS, "every live server is mapped")


def run_checks(conf, timeout: float) -> list[Result]:
    """Every check, in the order an operator would fix what they find."""
    api_url = database.require_api_database(conf)
    why = probe(api_url, timeout)
    if why:
        raise errors.Unreachable(f"the API database did not answer: {why}")
    revisions = {"api": (_revision(api_url), migrate.head_revision("api"))}
    results: list[Result] = []
    placement_url = conf.placement_database.connection
    if placement_url:
        why = probe(placement_url, timeout)
        if why:
            results.append(Result("Placement database", Code.FAILURE,
                                  f"did not answer: {why}"))
        else:
            revisions["placement"] = (_revision(placement_url),
                                      migrate.head_revision("placement"))
    else:
        results.append(Result("Placement database", Code.WARNING,
                              "[placement_database] connection is not set here; its "
                              "schema was not checked"))
    if revisions["api"][0] is None:
        # Nothing else can be read from an API database without tables.
        return [schema_result(revisions), *results]
    cells = api_cells.list_all(api_url)
    results += cells_result(cells)
    reachable, reach = reachability(cells, timeout)
    results.append(reach)
    cell_head = migrate.head_revision("cell")
    for cell in reachable:
        revisions[f"cell {cell.name}"] = (_revision(cell.database_connection), cell_head)
    results.insert(0, schema_result(revisions))
    # The per-cell checks read only cells that answer with the current schema.
    ready = [c for c in reachable if revisions[f"cell {c.name}"][0] == cell_head]
    real = [c for c in ready if not c.is_cell0]
    per_cell = {c.name: cell_services.compute_services(c.database_connection) for c in real}
    results.append(services_result(per_cell))
    results.append(_host_mappings_result(api_url, per_cell, {c.name: c for c in real}))
    results.append(_instance_mappings_result(api_url, ready))
    return results


def upgrade_check(conf, args: argparse.Namespace) -> int:
    """Run the checks, print them, and exit with the worst result."""
    try:
        if args.timeout <= 0:
            raise errors.ManageError("--timeout must be positive")
        results = run_checks(conf, args.timeout)
    except Exception as error:  # noqa: BLE001 -- as nova-status, any failure to check is 255
        print(f"error: the checks could not run: {error}", file=sys.stderr)
        return EXIT_ERROR
    rows = [{"check": r.check, "result": r.code.label, "details": r.details}
            for r in results]
    output.emit(rows, ["check", "result", "details"], args.json)
    return int(overall(results))

