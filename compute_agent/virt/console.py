"""Console logs the agent keeps for its guests.

libvirt's ``test:///default`` hypervisor runs no guest code, so there is no serial
console to read: the driver writes a generated log instead, a boot sequence each
time a guest starts and a line for each power change, so ``os-getConsoleOutput``
answers with something that changes as the guest does. The logs live in the agent's
memory only (an agent restart starts them empty) and each keeps its last
``max_lines`` lines.
"""

from __future__ import annotations

import collections
import threading

MAX_LINES = 1000


def boot_lines(instance_uuid: str, name: str, vcpus: int, memory_mb: int) -> list[str]:
    """What a small Linux guest prints while it boots."""
    return [
        "[    0.000000] Linux version 6.1.0-cellar (cellar@build) #1 SMP",
        f"[    0.000000] Command line: root=/dev/vda console=ttyS0 uuid={instance_uuid}",
        f"[    0.000000] Memory: {memory_mb * 1024}K available",
        f"[    0.010000] smpboot: Allowing {vcpus} CPUs",
        "[    0.500000] Freeing unused kernel memory",
        "[    0.800000] Run /init as init process",
        f"{name or 'server'} login: ",
    ]


class ConsoleLogs:
    """One bounded log per instance uuid; safe to use from several threads."""

    def __init__(self, max_lines: int = MAX_LINES) -> None:
        self.max_lines = max_lines
        self._logs: dict[str, collections.deque[str]] = {}
        self._lock = threading.Lock()

    def write(self, instance_uuid: str, lines: list[str]) -> None:
        """Append ``lines`` to the instance's log."""
        with self._lock:
            log = self._logs.setdefault(instance_uuid,
                                        collections.deque(maxlen=self.max_lines))
            log.extend(lines)

    def tail(self, instance_uuid: str, length: int | None = None) -> str:
        """The last ``length`` lines (all if None), newline-terminated; "" if none."""
        with self._lock:
            lines = list(self._logs.get(instance_uuid, ()))
        if length is not None:
            lines = lines[-length:] if length > 0 else []
        return "".join(line + "\n" for line in lines)

    def forget(self, instance_uuid: str) -> None:
        """Drop the instance's log (its guest is gone)."""
        with self._lock:
            self._logs.pop(instance_uuid, None)
