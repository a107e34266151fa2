"""POST /reshaper: move inventories and allocations in one transaction (1.30)."""

from __future__ import annotations

import sqlalchemy as sa

from placement.objects import allocation, inventory
from placement.objects.base import run_with_retries


def reshape(url: str, inventories: dict[str, tuple[int, dict[str, dict]]],
            allocations: list[allocation.ConsumerAllocations], attempts: int) -> None:
    """Apply new inventories {provider uuid: (generation, records)} and allocations."""
    run_with_retries(url, lambda conn: _reshape(conn, inventories, allocations), attempts,
                     "Unable to reshape: resource providers changed concurrently.")


def _reshape(conn: sa.Connection, inventories: dict[str, tuple[int, dict[str, dict]]],
             allocations: list[allocation.ConsumerAllocations]) -> None:
    # Classes that move keep their old inventory until the allocations have moved
    # off them, so no step sees allocations without inventory.
    for uuid, (generation, records) in sorted(inventories.items()):
        current = inventory.get_in(conn, uuid)
        inventory.replace_in(conn, uuid, generation, {**current, **records})
    allocation.replace_in(conn, allocations)
    for uuid, (_generation, records) in sorted(inventories.items()):
        inventory.replace_in(conn, uuid, None, records)
