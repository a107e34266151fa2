"""Running a plain (non-HTTP) service process until SIGTERM or Ctrl-C."""

from __future__ import annotations

import signal
import threading


def stop_event_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT, for the main thread to wait on."""
    stop = threading.Event()

    def _stop(_signum, _frame) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    return stop
