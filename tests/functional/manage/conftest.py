"""Helpers of the cellar-manage tests: a configuration file and a way to run commands."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from api_cell.manage import cmd as manage


@pytest.fixture
def manage_conf(tmp_path, api_db, placement_db) -> str:
    """A configuration file naming the test's API and placement databases."""
    path = tmp_path / "manage.conf"
    path.write_text(f"[api_database]\nconnection = {api_db}\n"
                    f"[placement_database]\nconnection = {placement_db}\n")
    return str(path)


@pytest.fixture
def cellar_manage(manage_conf) -> Callable[..., int]:
    """Run ``cellar-manage --config-file <manage_conf> ARGS...``; its exit code."""
    def run(*args: str) -> int:
        return manage.main(["--config-file", manage_conf, *args])
    return run


@pytest.fixture
def fresh_database(database_url) -> Callable[[], str]:
    """Factory: the URL of a new, empty (unmigrated) MariaDB database."""
    return lambda: database_url(f"m_{uuid.uuid4().hex[:8]}")
