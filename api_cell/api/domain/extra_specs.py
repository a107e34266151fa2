"""Validation of flavor extra specs (2.86), for the namespaces Cellar checks.

Nova validates every namespace it knows. Cellar checks the keys placement requests are
made of (``resources[GROUP]:RC`` with a count, ``trait[GROUP]:TRAIT`` with
``required``/``forbidden``) and the values of the common ``hw:`` keys; a key it does
not know (another namespace, or a newer ``hw:`` key) passes unchecked, so Cellar never
refuses a spec Nova would take.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from api_cell.api import errors

_GROUP = r"([a-zA-Z0-9_-]{1,64})?"
_RESOURCES = re.compile(rf"^resources{_GROUP}:[A-Z0-9_]+$")
_TRAIT = re.compile(rf"^trait{_GROUP}:[a-zA-Z0-9_]+$")
_BOOLEANS = {"1", "0", "t", "f", "true", "false", "on", "off", "y", "n", "yes", "no"}
_CPU_MAP = r"\^?\d+((-\d+)?(,\^?\d+(-\d+)?)?)*"

Check = Callable[[str], bool]


def _integer(minimum: int) -> Check:
    def check(value: str) -> bool:
        try:
            return int(value) >= minimum
        except ValueError:
            return False
    return check


def _boolean(value: str) -> bool:
    return value.strip().lower() in _BOOLEANS


def _one_of(*allowed: str) -> Check:
    return lambda value: value in allowed


def _matching(pattern: str) -> Check:
    compiled = re.compile(pattern)
    return lambda value: compiled.fullmatch(value) is not None


# Values of the hw: keys every recent Nova knows.
_HW: dict[str, Check] = {
    "hw:cpu_policy": _one_of("dedicated", "shared", "mixed"),
    "hw:cpu_thread_policy": _one_of("prefer", "isolate", "require"),
    "hw:emulator_threads_policy": _one_of("isolate", "share"),
    "hw:cpu_realtime": _boolean,
    "hw:cpu_realtime_mask": _matching(_CPU_MAP),
    "hw:cpu_dedicated_mask": _matching(_CPU_MAP),
    "hw:hide_hypervisor_id": _boolean,
    "hw:mem_page_size": _matching(r"(large|small|any|\d+([kKMGT]i?)?(b|bit|B)?)"),
    "hw:numa_nodes": _integer(1),
    "hw:pci_numa_affinity_policy": _one_of("required", "preferred", "legacy", "socket"),
    "hw:cpu_sockets": _integer(1),
    "hw:cpu_cores": _integer(1),
    "hw:cpu_threads": _integer(1),
    "hw:max_cpu_sockets": _integer(1),
    "hw:max_cpu_cores": _integer(1),
    "hw:max_cpu_threads": _integer(1),
    "hw:boot_menu": _boolean,
    "hw:mem_encryption": _boolean,
    "hw:pmu": _boolean,
    "hw:serial_port_count": _integer(0),
    "hw:tpm_model": _one_of("tpm-tis", "tpm-crb"),
    "hw:tpm_version": _one_of("1.2", "2.0"),
    "hw:watchdog_action": _one_of("none", "pause", "poweroff", "reset", "disabled"),
}
_HW_PATTERNS: list[tuple[re.Pattern, Check]] = [
    (re.compile(r"^hw:numa_cpus\.\d+$"), _matching(_CPU_MAP)),
    (re.compile(r"^hw:numa_mem\.\d+$"), _integer(1)),
]


def validate(specs: Mapping[str, str]) -> None:
    """BadRequest naming the first extra spec that is malformed or has a bad value."""
    for name, value in specs.items():
        check = _check_for(name)
        if check is not None and not check(value):
            raise errors.BadRequest(f"Validation failed; '{value}' is not a valid value "
                                    f"for extra spec '{name}'.")


def _check_for(name: str) -> Check | None:
    prefix = name.split(":", 1)[0]
    if re.fullmatch(rf"resources{_GROUP}", prefix):
        _require(_RESOURCES, name)
        return _integer(0)
    if re.fullmatch(rf"trait{_GROUP}", prefix):
        _require(_TRAIT, name)
        return _one_of("required", "forbidden")
    if name in _HW:
        return _HW[name]
    return next((check for pattern, check in _HW_PATTERNS if pattern.match(name)), None)


def _require(pattern: re.Pattern, name: str) -> None:
    if not pattern.fullmatch(name):
        raise errors.BadRequest(f"Validation failed; extra spec '{name}' does not appear "
                                "to be a valid extra spec.")
