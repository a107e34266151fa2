"""Project-scoped URLs: ``/v2.1/{project_id}/servers`` and the like, as Nova serves them.

Clients built from a service catalog whose compute endpoint ends in the project id
(common in older deployments) send every path with it. The path is rewritten to the
unscoped one before routing; the project it named is kept in the environ and must be
the caller's own (checked after authentication).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

# Where the rewrite leaves the project id of the URL.
URL_PROJECT_KEY = "cellar.url_project_id"


class ProjectScopedURLs:
    """WSGI middleware: ``/v2.1/<project>/<rest>`` becomes ``/v2.1/<rest>`` when
    ``<project>`` is not one of the API's own first path segments."""

    def __init__(self, app: Callable, prefix: str, collections: Iterable[str]) -> None:
        self.app = app
        self.prefix = prefix.strip("/")
        self.collections = frozenset(collections)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        parts = environ.get("PATH_INFO", "").split("/", 3)
        if (len(parts) == 4 and parts[1] == self.prefix and parts[2]
                and parts[2] not in self.collections and parts[3]):
            environ[URL_PROJECT_KEY] = parts[2]
            environ["PATH_INFO"] = f"/{self.prefix}/{parts[3]}"
        return self.app(environ, start_response)
