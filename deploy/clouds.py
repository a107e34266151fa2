"""The ``clouds.yaml`` cellar-aio writes, so the OpenStack clients work without a Keystone.

keystoneauth's ``admin_token`` plugin sends a fixed token and asks no identity service
for a catalog; with noauth2 that token (``user:project`` or ``admin``) is all the API
needs. The plugin would send every request to its one endpoint, so each service gets
its own ``<service>_endpoint_override``. openstackclient still builds an identity v3
client for some commands (``server list``) and looks projects up by name
(``quota show demo``): the compute API's noauth2 identity stub answers those.
"""

from __future__ import annotations

import dataclasses
import pathlib

import yaml

FILE_NAME = "clouds.yaml"
MEMBER_CLOUD = "cellar"
ADMIN_CLOUD = "cellar-admin"
MEMBER_TOKEN = "demo:demo"
ADMIN_TOKEN = "admin"
REGION = "RegionOne"


@dataclasses.dataclass(frozen=True)
class Endpoints:
    """Where each service of one deployment answers; ``image`` only if one runs."""

    compute: str
    identity: str
    placement: str
    image: str | None = None


def local_endpoints(api_port: int, placement_port: int,
                    image_port: int | None = None) -> Endpoints:
    """The endpoints of services listening on 127.0.0.1 (cellar-aio)."""
    api = f"http://127.0.0.1:{api_port}"
    return Endpoints(compute=f"{api}/v2.1", identity=f"{api}/identity/v3",
                     placement=f"http://127.0.0.1:{placement_port}",
                     image=f"http://127.0.0.1:{image_port}" if image_port else None)


def cloud(endpoints: Endpoints, token: str) -> dict[str, object]:
    """One ``clouds:`` entry that authenticates with ``token`` and needs no catalog."""
    entry: dict[str, object] = {
        "auth_type": "admin_token",
        "auth": {"endpoint": endpoints.compute, "token": token},
        "region_name": REGION,
        "interface": "public",
        # Named, so the clients skip discovering the version and build a v3 client.
        "identity_api_version": "3",
        "identity_endpoint_override": endpoints.identity,
        "compute_endpoint_override": endpoints.compute,
        "placement_endpoint_override": endpoints.placement,
    }
    if endpoints.image:
        entry["image_endpoint_override"] = endpoints.image
    return entry


def clouds(endpoints: Endpoints) -> dict[str, dict[str, dict[str, object]]]:
    """The whole file: a member of project ``demo`` and an administrator."""
    return {"clouds": {MEMBER_CLOUD: cloud(endpoints, MEMBER_TOKEN),
                       ADMIN_CLOUD: cloud(endpoints, ADMIN_TOKEN)}}


def write(state_dir: pathlib.Path, endpoints: Endpoints) -> pathlib.Path:
    """Write ``clouds.yaml`` into ``state_dir``, readable by its owner only; its path."""
    path = state_dir / FILE_NAME
    # The tokens are this cloud's credentials: never let the file be readable by others.
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(yaml.safe_dump(clouds(endpoints), sort_keys=False))
    return path


def exports(path: pathlib.Path) -> list[str]:
    """The shell lines that point the clients at ``path`` and its member cloud."""
    return [f"export OS_CLIENT_CONFIG_FILE={path}", f"export OS_CLOUD={MEMBER_CLOUD}"]
