"""Authorization rules of the image service, with Glance's defaults in code (oslo.policy).

Visibility is checked before policy: a project never learns that a private image of
another project exists (404). These rules decide what a caller who sees an image may
do with it; an operator overrides them in ``[oslo_policy] policy_file``.
"""

from __future__ import annotations

from oslo_config import cfg
from oslo_policy import policy

from api_cell.api.context import RequestContext
from api_cell.image import errors

ADMIN = "role:admin"
ADMIN_OR_OWNER = "role:admin or project_id:%(owner)s"
ANYONE = "@"

ADD_IMAGE = "add_image"
MODIFY_IMAGE = "modify_image"
DELETE_IMAGE = "delete_image"
UPLOAD_IMAGE = "upload_image"
DOWNLOAD_IMAGE = "download_image"
PUBLICIZE_IMAGE = "publicize_image"
SET_OWNER = "image:set_owner"

RULES = [
    policy.RuleDefault(ADD_IMAGE, ANYONE, "Create an image."),
    policy.RuleDefault(MODIFY_IMAGE, ADMIN_OR_OWNER, "Change an image or its tags."),
    policy.RuleDefault(DELETE_IMAGE, ADMIN_OR_OWNER, "Delete an image."),
    policy.RuleDefault(UPLOAD_IMAGE, ADMIN_OR_OWNER, "Upload an image's data."),
    policy.RuleDefault(DOWNLOAD_IMAGE, ANYONE, "Download the data of an image one sees."),
    policy.RuleDefault(PUBLICIZE_IMAGE, ADMIN, "Make an image public."),
    policy.RuleDefault(SET_OWNER, ADMIN, "Give an image to another project."),
]


class Authorizer:
    """Checks a caller against the image rules; one per application."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.enforcer = policy.Enforcer(conf)
        self.enforcer.register_defaults(RULES)

    def authorize(self, context: RequestContext, rule: str, owner: str | None = None) -> None:
        """Forbidden unless ``rule`` lets the caller act on an image of ``owner``."""
        target = {"owner": owner if owner is not None else context.project_id}
        if not self.enforcer.authorize(rule, target, context.policy_credentials(),
                                       do_raise=False):
            raise errors.Forbidden(f"You are not authorized to complete {rule} action.")


def list_rules() -> list[policy.RuleDefault]:
    """The defaults, for oslopolicy-sample-generator."""
    return list(RULES)
