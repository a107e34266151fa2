"""The whole placement API: every path, method, handler and first microversion."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from placement.handlers import (
    aggregates,
    allocation_candidates,
    allocations,
    inventories,
    reshaper,
    resource_classes,
    resource_providers,
    root,
    traits,
    usages,
)
from placement.microversion import Version


class Route(NamedTuple):
    """One method on one path, available from ``min_version`` on."""

    path: str
    method: str
    handler: Callable
    min_version: Version = Version(1, 0)


_RP = "/resource_providers/<uuid>"

ROUTES: list[Route] = [
    Route("/", "GET", root.versions),
    Route("/resource_providers", "GET", resource_providers.list_providers),
    Route("/resource_providers", "POST", resource_providers.create_provider),
    Route(_RP, "GET", resource_providers.show_provider),
    Route(_RP, "PUT", resource_providers.update_provider),
    Route(_RP, "DELETE", resource_providers.delete_provider),
    Route(f"{_RP}/inventories", "GET", inventories.list_inventories),
    Route(f"{_RP}/inventories", "PUT", inventories.set_inventories),
    Route(f"{_RP}/inventories", "DELETE", inventories.delete_inventories, Version(1, 5)),
    Route(f"{_RP}/inventories/<resource_class>", "GET", inventories.show_inventory),
    Route(f"{_RP}/inventories/<resource_class>", "PUT", inventories.set_inventory),
    Route(f"{_RP}/inventories/<resource_class>", "DELETE", inventories.delete_inventory),
    Route(f"{_RP}/usages", "GET", usages.provider_usages),
    Route(f"{_RP}/allocations", "GET", allocations.provider_allocations),
    Route(f"{_RP}/aggregates", "GET", aggregates.list_aggregates, Version(1, 1)),
    Route(f"{_RP}/aggregates", "PUT", aggregates.set_aggregates, Version(1, 1)),
    Route(f"{_RP}/traits", "GET", traits.list_provider_traits, Version(1, 6)),
    Route(f"{_RP}/traits", "PUT", traits.set_provider_traits, Version(1, 6)),
    Route(f"{_RP}/traits", "DELETE", traits.delete_provider_traits, Version(1, 6)),
    Route("/resource_classes", "GET", resource_classes.list_classes, Version(1, 2)),
    Route("/resource_classes", "POST", resource_classes.create_class, Version(1, 2)),
    Route("/resource_classes/<name>", "GET", resource_classes.show_class, Version(1, 2)),
    Route("/resource_classes/<name>", "PUT", resource_classes.update_class, Version(1, 2)),
    Route("/resource_classes/<name>", "DELETE", resource_classes.delete_class,
          Version(1, 2)),
    Route("/traits", "GET", traits.list_traits, Version(1, 6)),
    Route("/traits/<name>", "GET", traits.show_trait, Version(1, 6)),
    Route("/traits/<name>", "PUT", traits.create_trait, Version(1, 6)),
    Route("/traits/<name>", "DELETE", traits.delete_trait, Version(1, 6)),
    Route("/allocations", "POST", allocations.post_allocations, Version(1, 13)),
    Route("/allocations/<consumer_uuid>", "GET", allocations.show_allocations),
    Route("/allocations/<consumer_uuid>", "PUT", allocations.set_allocations),
    Route("/allocations/<consumer_uuid>", "DELETE", allocations.delete_allocations),
    Route("/usages", "GET", usages.project_usages, Version(1, 9)),
    Route("/allocation_candidates", "GET", allocation_candidates.list_candidates,
          Version(1, 10)),
    Route("/reshaper", "POST", reshaper.reshape, Version(1, 30)),
]
