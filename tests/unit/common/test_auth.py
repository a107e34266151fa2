"""The authentication middlewares, the identity they leave, and what each role may do."""

from __future__ import annotations

import pytest
from keystonemiddleware import auth_token
from oslo_config import cfg

from api_cell.api import context as api_context
from api_cell.api import errors as api_errors
from api_cell.api import policies
from common import auth, config
from placement import errors as placement_errors
from placement import policy as placement_policy


def _through_noauth2(environ: dict) -> dict:
    seen: dict = {}

    def app(env: dict, start_response) -> list[bytes]:
        seen.update(env)
        return [b""]

    auth.NoAuth2(app)(environ, lambda *args: None)
    return seen


def _conf(strategy: str = "noauth2") -> cfg.ConfigOpts:
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    conf([], project="cellar", default_config_files=[])
    conf.set_override("auth_strategy", strategy, group="api")
    return conf


def test_noauth2_user_project_token_is_a_member():
    env = _through_noauth2({"HTTP_X_AUTH_TOKEN": "alice:project-a"})
    assert auth.identity(env) == auth.Identity("alice", "project-a", ("member", "reader"))


def test_noauth2_admin_user_is_an_administrator_in_any_project():
    assert auth.identity(_through_noauth2({"HTTP_X_AUTH_TOKEN": "admin"})) == \
        auth.Identity("admin", "admin", ("admin", "member", "reader"))
    assert auth.identity(_through_noauth2({"HTTP_X_AUTH_TOKEN": "admin:demo"})).project_id \
        == "demo"


def test_noauth2_token_without_project_names_the_users_project():
    assert auth.identity(_through_noauth2({"HTTP_X_AUTH_TOKEN": "bob"})).project_id == "bob"


@pytest.mark.parametrize("token", [None, "", "   ", ":project-a"])
def test_noauth2_without_a_user_confirms_nobody(token):
    environ = {} if token is None else {"HTTP_X_AUTH_TOKEN": token}
    assert auth.identity(_through_noauth2(environ)) is None


def test_noauth2_drops_identity_headers_the_client_sent():
    env = _through_noauth2({"HTTP_X_ROLES": "admin", "HTTP_X_IDENTITY_STATUS": "Confirmed",
                            "HTTP_X_USER_ID": "mallory", "HTTP_X_PROJECT_ID": "p",
                            "HTTP_X_SERVICE_ROLES": "service"})
    assert auth.identity(env) is None
    assert "HTTP_X_ROLES" not in env and "HTTP_X_SERVICE_ROLES" not in env
    forged = _through_noauth2({"HTTP_X_AUTH_TOKEN": "mallory:p", "HTTP_X_ROLES": "admin"})
    assert not auth.identity(forged).is_admin


def test_identity_needs_confirmation_and_a_project():
    confirmed = {"HTTP_X_IDENTITY_STATUS": "Confirmed", "HTTP_X_USER_ID": "u",
                 "HTTP_X_PROJECT_ID": "p", "HTTP_X_ROLES": "reader"}
    assert auth.identity(confirmed) == auth.Identity("u", "p", ("reader",))
    assert auth.identity({**confirmed, "HTTP_X_IDENTITY_STATUS": "Invalid"}) is None
    # A domain-scoped Keystone token carries no project.
    assert auth.identity({**confirmed, "HTTP_X_PROJECT_ID": ""}) is None


@pytest.mark.parametrize(("header", "roles"), [
    ("admin", ("admin", "member", "reader")),
    ("Member", ("Member", "reader")),
    ("reader,custom", ("reader", "custom")),
    (" member , admin ,", ("member", "reader", "admin")),
    ("", ()),
])
def test_roles_admin_and_member_imply(header, roles):
    assert auth.expand_roles(header) == roles


def test_wrap_picks_the_strategy():
    def app(environ, start_response):
        return [b""]

    assert isinstance(auth.wrap(app, _conf("noauth2")), auth.NoAuth2)
    keystone = auth.wrap(app, _conf("keystone"))
    assert isinstance(keystone, auth_token.AuthProtocol)
    assert keystone._delay_auth_decision is True


def test_api_context_from_environ_refuses_without_identity():
    with pytest.raises(api_errors.Unauthorized):
        api_context.from_environ({"HTTP_X_IDENTITY_STATUS": "Invalid"}, "req-1")
    ctx = api_context.from_environ(_through_noauth2({"HTTP_X_AUTH_TOKEN": "admin"}), "req-1")
    assert ctx.is_admin and ctx.request_id == "req-1"


def _api_ctx(roles: tuple[str, ...], project: str = "demo") -> api_context.RequestContext:
    return api_context.RequestContext("u1", project, auth.expand_roles(",".join(roles)), "r")


# (rule, reader may, member may, admin may) in the caller's own project.
COMPUTE_CASES = [
    (policies.SERVERS_INDEX, True, True, True),
    (policies.SERVERS_SHOW, True, True, True),
    (policies.SERVERS_CREATE, False, True, True),
    (policies.SERVERS_DELETE, False, True, True),
    (policies.SERVERS_REBOOT, False, True, True),
    (policies.METADATA_INDEX, True, True, True),
    (policies.METADATA_UPDATE, False, True, True),
    (policies.TAGS_SHOW, True, True, True),
    (policies.TAGS_UPDATE_ALL, False, True, True),
    (policies.ACTIONS_LIST, True, True, True),
    (policies.GROUPS_INDEX, True, True, True),
    (policies.GROUPS_CREATE, False, True, True),
    (policies.GROUPS_DELETE, False, True, True),
    (policies.QUOTAS_SHOW, True, True, True),
    (policies.QUOTAS_UPDATE, False, False, True),
    (policies.SERVICES_LIST, False, False, True),
    (policies.HYPERVISORS_LIST, False, False, True),
    (policies.SERVERS_ALL_TENANTS, False, False, True),
    (policies.LIMITS, True, True, True),
]


@pytest.mark.parametrize(("rule", "reader", "member", "admin"), COMPUTE_CASES)
def test_compute_roles(rule, reader, member, admin):
    authorizer = policies.Authorizer(_conf())
    assert authorizer.allowed(_api_ctx(("reader",)), rule) is reader
    assert authorizer.allowed(_api_ctx(("member",)), rule) is member
    assert authorizer.allowed(_api_ctx(("admin",)), rule) is admin


def test_compute_member_of_another_project_is_refused_admin_is_not():
    authorizer = policies.Authorizer(_conf())
    target = {"project_id": "other"}
    assert not authorizer.allowed(_api_ctx(("member",)), policies.SERVERS_SHOW, target)
    assert not authorizer.allowed(_api_ctx(("member",)), policies.SERVERS_DELETE, target)
    assert authorizer.allowed(_api_ctx(("admin",)), policies.SERVERS_DELETE, target)


def _creds(*roles: str, project: str = "demo") -> dict:
    return {"user_id": "u1", "project_id": project,
            "roles": list(auth.expand_roles(",".join(roles)))}


@pytest.mark.parametrize("action", ["placement:resource_providers:create",
                                    "placement:resource_providers:list",
                                    "placement:allocations:update",
                                    "placement:allocation_candidates:list"])
def test_placement_admin_and_service_only(action):
    enforcer = placement_policy.Policy(_conf())
    enforcer.authorize(action, _creds("admin"))
    enforcer.authorize(action, _creds("service"))
    for roles in (("member",), ("reader",)):
        with pytest.raises(placement_errors.Forbidden):
            enforcer.authorize(action, _creds(*roles))


def test_placement_project_reader_sees_its_own_usages_only():
    enforcer = placement_policy.Policy(_conf())
    own, other = {"project_id": "demo"}, {"project_id": "other"}
    enforcer.authorize(placement_policy.PROJECT_USAGES, _creds("reader"), own)
    enforcer.authorize(placement_policy.PROJECT_USAGES, _creds("admin"), other)
    enforcer.authorize(placement_policy.PROJECT_USAGES, _creds("service"), other)
    with pytest.raises(placement_errors.Forbidden):
        enforcer.authorize(placement_policy.PROJECT_USAGES, _creds("member"), other)
