"""The ``clouds.yaml`` cellar-aio writes, so the OpenStack clients work without a Keystone.

Each cloud is an ordinary keystoneauth ``password`` cloud whose ``auth_url`` is the
compute API's noauth2 identity stub (``/identity/v3``). Logging in there gives a
noauth2 token (``user:project``) and a service catalog listing the identity stub,
compute, placement and image: the clients find every endpoint in it, as in a cloud
with a real Keystone, and take the services missing from it (volume, network) for
ones the cloud does not run, instead of failing on them. noauth2 checks no password;
the file holds one anyway because the plugin needs one.
"""

from __future__ import annotations

import dataclasses
import pathlib

import yaml

FILE_NAME = "clouds.yaml"
MEMBER_CLOUD = "cellar"
ADMIN_CLOUD = "cellar-admin"
# (user, project) of each cloud; user ``admin`` is noauth2's administrator.
MEMBER = ("demo", "demo")
ADMIN = ("admin", "admin")
DOMAIN = "Default"
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


def cloud(endpoints: Endpoints, user: str, project: str) -> dict[str, object]:
    """One ``clouds:`` entry: ``user`` logs in to ``project`` at the identity stub."""
    return {
        "auth_type": "password",
        "auth": {"auth_url": endpoints.identity, "username": user,
                 # noauth2 checks none; the user's name is as good as any.
                 "password": user, "project_name": project,
                 "user_domain_name": DOMAIN, "project_domain_name": DOMAIN},
        "region_name": REGION,
        "interface": "public",
        # Named, so the clients build v3 identity clients without asking.
        "identity_api_version": "3",
    }


def clouds(endpoints: Endpoints) -> dict[str, dict[str, dict[str, object]]]:
    """The whole file: a member of project ``demo`` and an administrator."""
    return {"clouds": {MEMBER_CLOUD: cloud(endpoints, *MEMBER),
                       ADMIN_CLOUD: cloud(endpoints, *ADMIN)}}


def write(state_dir: pathlib.Path, endpoints: Endpoints) -> pathlib.Path:
    """Write ``clouds.yaml`` into ``state_dir``, readable by its owner only; its path."""
    path = state_dir / FILE_NAME
    # Credentials, even if noauth2 ignores them: never readable by others.
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(yaml.safe_dump(clouds(endpoints), sort_keys=False))
    return path


def exports(path: pathlib.Path) -> list[str]:
    """The shell lines that point the clients at ``path`` and its member cloud."""
    return [f"export OS_CLIENT_CONFIG_FILE={path}", f"export OS_CLOUD={MEMBER_CLOUD}"]
