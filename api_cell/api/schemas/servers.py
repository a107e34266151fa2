"""Bodies of POST /servers and POST /servers/{id}/action."""

from api_cell.api.schemas import types

INTEGER_FIELDS = ("min_count", "max_count")
TRUE_WORDS = ("True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes", "y",
              "t")
FALSE_WORDS = ("False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no",
               "n", "f")

# The addresses a tenant says the server is reached at (shown, never configured);
# an empty string clears one.
ACCESS_IPV4 = {"type": "string", "format": "ipv4"}
ACCESS_IPV6 = {"type": "string", "format": "ipv6"}

CREATE = types.envelope("server", {
    "type": "object",
    "properties": {
        "name": types.NAME,
        "flavorRef": {"type": ["string", "integer"], "minLength": 1, "maxLength": 1024},
        "imageRef": {"type": "string", "minLength": 1, "maxLength": 1024},
        "metadata": types.METADATA,
        "availability_zone": {"type": "string", "minLength": 1, "maxLength": 255},
        "min_count": types.integer(1),
        "max_count": types.integer(1),
        # Nova's boolean: JSON true/false or one of the words its parser knows.
        "return_reservation_id": {"enum": [True, False, *TRUE_WORDS, *FALSE_WORDS]},
        # Before 2.37 (loosely checked here, in the domain): auto, none, or networks
        # by uuid with a fixed_ip (api_cell/api/domain/networks.py). Every server is
        # in the default security group.
        "networks": {"oneOf": [{"type": "string", "enum": ["auto", "none"]},
                               {"type": "array", "items": {"type": "object"}}]},
        "security_groups": {"type": "array", "items": {
            "type": "object", "properties": {"name": {"type": "string"}}}},
        "OS-DCF:diskConfig": {"type": "string", "enum": ["AUTO", "MANUAL"]},
        "key_name": {"type": "string", "minLength": 1, "maxLength": 255},
        "accessIPv4": ACCESS_IPV4,
        "accessIPv6": ACCESS_IPV6,
        # Kept and shown ("True" or ""); Cellar's agents attach no config drive.
        "config_drive": {"enum": [True, False, *TRUE_WORDS, *FALSE_WORDS]},
        # openstackclient restates imageRef as a mapping of the image to local disk;
        # volumes are not served, so that is the only mapping accepted.
        "block_device_mapping_v2": {"type": "array", "maxItems": 1, "items": {
            "type": "object",
            "properties": {
                "uuid": types.UUID,
                "source_type": {"enum": ["image"]},
                "destination_type": {"enum": ["local"]},
                "boot_index": {"enum": [0, "0"]},
                "delete_on_termination": {"type": "boolean"},
            },
            "required": ["uuid", "source_type"],
            "additionalProperties": False}},
    },
    "required": ["name", "flavorRef", "imageRef"],
    "additionalProperties": False,
})

# Scheduler hints sit beside "server" at the top of the body, under either name.
HINTS = {"type": "object", "properties": {
    "group": types.UUID,
    "same_host": {"oneOf": [types.UUID, {"type": "array", "items": types.UUID}]},
    "different_host": {"oneOf": [types.UUID, {"type": "array", "items": types.UUID}]},
}, "additionalProperties": True}
CREATE = {**CREATE, "properties": {**CREATE["properties"], "os:scheduler_hints": HINTS,
                                   "OS-SCH-HNT:scheduler_hints": HINTS}}

# The query parameters Nova's server lists know (2.75 makes any other one a 400).
LIST_PARAMS = frozenset({
    "user_id", "project_id", "tenant_id", "launch_index", "image_ref", "image",
    "kernel_id", "ramdisk_id", "hostname", "key_name", "power_state", "vm_state",
    "task_state", "host", "node", "flavor", "reservation_id", "launched_at",
    "terminated_at", "availability_zone", "name", "display_name", "description",
    "display_description", "locked_by", "uuid", "root_device_name", "config_drive",
    "access_ip_v4", "access_ip_v6", "auto_disk_config", "progress", "sort_key",
    "sort_dir", "all_tenants", "soft_deleted", "deleted", "status", "changes-since",
    "ip", "ip6", "created_at", "block_device_mapping", "services", "metadata",
    "system_metadata", "info_cache", "security_groups", "pci_devices", "limit",
    "marker", "tags", "tags-any", "not-tags", "not-tags-any"})

# Clients send null; an empty object means the same.
START = {"type": ["null", "object"], "maxProperties": 0}
STOP = START
REBOOT = {
    "type": "object",
    "properties": {"type": {"type": "string",
                            "enum": ["HARD", "Hard", "hard", "SOFT", "Soft", "soft"]}},
    "required": ["type"],
    "additionalProperties": False,
}


# A server tag, as the tags sub-resource takes it (2.26) and create does from 2.52.
TAG = {"type": "string", "minLength": 1, "maxLength": 60, "pattern": r"^[^,/]*$"}
# Certificate ids a guest image's signature must chain to (2.63); null means none.
TRUSTED_CERTIFICATES = {"type": ["array", "null"], "minItems": 1, "maxItems": 50,
                        "uniqueItems": True,
                        "items": {"type": "string", "minLength": 1}}
def hostname(version: tuple[int, int]) -> dict:
    """The guest's hostname (2.90): one DNS label, or a domain name from 2.94."""
    if version >= (2, 94):
        return {"type": "string", "minLength": 1, "maxLength": 255,
                "pattern": r"^[a-zA-Z0-9]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?"
                           r"(\.[a-zA-Z0-9]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?)*$"}
    return {"type": "string", "minLength": 2, "maxLength": 63,
            "pattern": r"^[a-zA-Z0-9]([a-zA-Z0-9_-]*[a-zA-Z0-9])?$"}


# A host or hypervisor name asked for as the destination (2.74).
HOST = {"type": "string", "minLength": 1, "maxLength": 255,
        "pattern": r"^[a-zA-Z0-9-._]*$"}


def create(version: tuple[int, int]) -> dict:
    """The create body at a microversion: ``description`` from 2.19, ``networks``
    required and strictly checked from 2.37 (``tag`` on them 2.32-2.36 and from 2.42),
    ``tags`` from 2.52, ``trusted_image_certificates`` from 2.63, ``host`` and
    ``hypervisor_hostname`` from 2.74, ``hostname`` from 2.90.
    """
    server = dict(CREATE["properties"]["server"])
    properties = dict(server["properties"])
    if version >= (2, 19):
        properties["description"] = {"type": ["string", "null"], "maxLength": 255,
                                     "pattern": r"^[^\x00-\x1f\x7f]*$"}
    if version >= (2, 37):
        item = {"type": "object", "properties": {
            "uuid": types.UUID, "port": {"oneOf": [types.UUID, {"type": "null"}]},
            "fixed_ip": {"type": "string", "minLength": 1, "maxLength": 64}},
            "additionalProperties": False}
        if version >= (2, 42):
            item["properties"]["tag"] = {"type": "string", "minLength": 1,
                                         "maxLength": 60, "pattern": r"^[^,/]*$"}
        properties["networks"] = {"oneOf": [
            {"type": "string", "enum": ["auto", "none"]},
            {"type": "array", "items": item}]}
        server["required"] = [*server["required"], "networks"]
    if version >= (2, 52):
        properties["tags"] = {"type": "array", "items": TAG, "maxItems": 50}
    if version >= (2, 63):
        properties["trusted_image_certificates"] = TRUSTED_CERTIFICATES
    if version >= (2, 74):
        properties["host"] = HOST
        properties["hypervisor_hostname"] = HOST
    if version >= (2, 90):
        properties["hostname"] = hostname(version)
    server["properties"] = properties
    return {**CREATE, "properties": {**CREATE["properties"], "server": server}}


def migrate(version: tuple[int, int]) -> dict:
    """The argument of the ``migrate`` action: null, and from 2.56 also an object whose
    optional ``host`` names the destination (for the actions that serve migrate)."""
    if version < (2, 56):
        return {"type": "null"}
    return {"type": ["object", "null"],
            "properties": {"host": {"oneOf": [HOST, {"type": "null"}]}},
            "additionalProperties": False}


def update(version: tuple[int, int]) -> dict:
    """The body of PUT /servers/{id}: ``name``, ``accessIPv4``, ``accessIPv6``,
    ``description`` from 2.19, ``hostname`` from 2.90.

    Nova's ``OS-DCF:diskConfig`` is refused: Cellar has one disk layout.
    """
    properties: dict = {"name": types.NAME, "accessIPv4": ACCESS_IPV4,
                        "accessIPv6": ACCESS_IPV6}
    if version >= (2, 19):
        properties["description"] = {"type": ["string", "null"], "maxLength": 255,
                                     "pattern": r"^[^\x00-\x1f\x7f]*$"}
    if version >= (2, 90):
        properties["hostname"] = hostname(version)
    return types.envelope("server", {"type": "object", "properties": properties,
                                     "additionalProperties": False})
