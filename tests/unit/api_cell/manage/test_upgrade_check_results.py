"""The pure parts of ``cellar-manage status upgrade-check``: results and their worst."""

from api_cell.manage.status import (
    Code,
    Result,
    cells_result,
    overall,
    schema_result,
    services_result,
)
from db.api.cells import CELL0_UUID, Cell
from db.cell.services import ComputeService


def cell(name: str, uuid: str = "", disabled: bool = False) -> Cell:
    return Cell(1, uuid or f"uuid-{name}", name, "sqlite://", None, disabled)


def service(host: str, version: int) -> ComputeService:
    return ComputeService(host, version, False, None)


def test_overall_is_the_worst_result_and_success_when_empty():
    assert overall([]) is Code.SUCCESS
    assert overall([Result("a", Code.WARNING), Result("b", Code.SUCCESS)]) is Code.WARNING
    assert overall([Result("a", Code.WARNING), Result("b", Code.FAILURE)]) is Code.FAILURE
    assert [int(c) for c in Code] == [0, 1, 2]


def test_schema_result_names_each_database_behind():
    assert schema_result({"api": ("h1", "h1")}).code is Code.SUCCESS
    behind = schema_result({"api": ("h1", "h1"), "cell c1": (None, "h2"),
                            "placement": ("p0", "p1")})
    assert behind.code is Code.FAILURE
    assert "cell c1 is at no revision (newest h2)" in behind.details
    assert "placement is at p0 (newest p1)" in behind.details
    assert "api is at" not in behind.details


def test_cells_result_wants_cell0_and_an_enabled_cell():
    codes = [r.code for r in cells_result([cell("cell0", CELL0_UUID), cell("c1")])]
    assert codes == [Code.SUCCESS, Code.SUCCESS]
    assert [r.code for r in cells_result([cell("c1", disabled=True)])] == \
        [Code.FAILURE, Code.WARNING]
    assert [r.code for r in cells_result([cell("cell0", CELL0_UUID)])] == \
        [Code.SUCCESS, Code.FAILURE]


def test_services_result_warns_on_empty_cells_unrecorded_and_mixed_versions():
    assert services_result({"c1": [service("h1", 1), service("h2", 1)]}).code is \
        Code.SUCCESS
    empty = services_result({"c1": []})
    assert (empty.code, empty.details) == (Code.WARNING,
                                           "cell c1 has no compute host registered")
    unrecorded = services_result({"c1": [service("h1", 0)]})
    assert "no service version recorded for h1" in unrecorded.details
    mixed = services_result({"c1": [service("h1", 1), service("h2", 2)]})
    assert mixed.code is Code.WARNING and "versions 1, 2" in mixed.details
