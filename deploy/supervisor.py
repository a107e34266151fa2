"""Start child processes, watch them, stop them all together."""

from __future__ import annotations

import logging
import os
import pathlib
import signal
import subprocess
import time
from collections.abc import Sequence

LOG = logging.getLogger(__name__)


class Supervisor:
    """Owns the children of one ``cellar-aio`` run; each logs to its own file."""

    def __init__(self, log_dir: pathlib.Path) -> None:
        self.log_dir = log_dir
        self.children: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: Sequence[str]) -> subprocess.Popen:
        """Start ``argv`` as child ``name``, its output in ``<log_dir>/<name>.log``."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_file = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (child owns it)
        child = subprocess.Popen(list(argv), stdout=log_file, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
        log_file.close()
        self.children[name] = child
        LOG.info("started %s (pid %d)", name, child.pid)
        return child

    def dead(self) -> list[str]:
        """Names of children that have exited."""
        return [name for name, child in self.children.items() if child.poll() is not None]

    def stop_all(self, timeout: float = 15.0) -> None:
        """SIGTERM every child (newest first), then SIGKILL what is left after ``timeout``."""
        for name, child in reversed(list(self.children.items())):
            if child.poll() is None:
                LOG.info("stopping %s", name)
                _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children.values():
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(child, signal.SIGKILL)
                child.wait()


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    # Each child leads its own session, so gunicorn's workers get the signal too.
    try:
        os.killpg(child.pid, signum)
    except ProcessLookupError:
        pass
