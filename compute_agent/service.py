"""One host's agent: its gRPC server and its loop of registration, heartbeats, audits.

Everything the agent holds lives on its :class:`Agent` object, so one process can run
several agents (for scale tests) as long as each has its own host name.
"""

from __future__ import annotations

import logging
import threading
import time

import requests

from common import context
from common.placement_client import PlacementError
from compute_agent import conductor_client
from compute_agent.image_cache import ImageBackedDriver, ImageCache
from compute_agent.manager import ComputeManager
from compute_agent.resources import ResourceReporter
from compute_agent.servicer import ComputeAgentServicer
from compute_agent.virt.driver import ComputeDriver, DriverError
from protos import rpc
from protos.compute.v1 import compute_pb2_grpc

LOG = logging.getLogger(__name__)

WILDCARDS = ("", "0.0.0.0", "::", "[::]")
MAX_REGISTER_BACKOFF = 30.0


def advertised_address(bind_host: str, port: int, host: str) -> str:
    """host:port others use to reach a server bound to ``bind_host``."""
    return f"{host if bind_host in WILDCARDS else bind_host}:{port}"


class Agent:
    """The compute agent of ``host``."""

    def __init__(self, host: str, virt: ComputeDriver,
                 conductor: conductor_client.ConductorClient, reporter: ResourceReporter,
                 grpc_host: str = "127.0.0.1", grpc_port: int = 0,
                 audit_interval: float = 60.0, rpc_workers: int = 16,
                 tls: rpc.TLSFiles | None = None,
                 image_cache: ImageCache | None = None) -> None:
        self.host = host
        # Guests boot from images fetched through the cache when the agent has one.
        self.virt = virt if image_cache is None else ImageBackedDriver(virt, image_cache)
        self.conductor = conductor
        self.reporter = reporter
        self.grpc_host = grpc_host
        self.grpc_port = grpc_port
        self.audit_interval = audit_interval
        self.tls = tls
        self.server = rpc.server(rpc_workers, f"agent-{host}")
        compute_pb2_grpc.add_ComputeAgentServicer_to_server(
            ComputeAgentServicer(ComputeManager(self.virt)), self.server)
        self.rpc_address = ""
        self.registration: conductor_client.Registration | None = None
        self.registered = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"agent-loop-{host}",
                                        daemon=True)

    def start(self) -> None:
        """Serve gRPC, then register and keep reporting in a background thread."""
        port = rpc.listen(self.server, f"{self.grpc_host}:{self.grpc_port}", self.tls)
        self.server.start()
        self.rpc_address = advertised_address(self.grpc_host, port, self.host)
        LOG.info("agent of %s serving on %s", self.host, self.rpc_address)
        self._thread.start()

    def stop(self, grace: float = 5.0) -> None:
        """Stop reporting, finish the calls in flight, and release the hypervisor."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()
        self.server.stop(grace).wait()
        self.conductor.close()
        self.reporter.close()
        self.virt.close()

    def _run(self) -> None:
        next_audit = 0.0
        while not self._stopping.is_set():
            with context.request_scope(None):
                try:
                    next_audit = self._tick(next_audit)
                except Exception:
                    # The loop is the host's lifeline: log a bug, never let it end.
                    LOG.exception("agent loop of %s failed", self.host)
                    self._stopping.wait(1.0)
            if self.registration is not None:
                self._stopping.wait(self.registration.heartbeat_interval)

    def _tick(self, next_audit: float) -> float:
        """Register if needed, audit if due, heartbeat; returns the next audit time."""
        if self.registration is None:
            if not self._register():
                return next_audit
            next_audit = 0.0  # a (new) node uuid: report to placement at once
        if time.monotonic() >= next_audit:
            # A failed report is retried on the next beat, not a whole audit later.
            ok = self._audit()
            next_audit = time.monotonic() + (
                self.audit_interval if ok else self.registration.heartbeat_interval)
        self._heartbeat()
        return next_audit

    def _register(self) -> bool:
        """Register, retrying with backoff until the conductor answers or we stop."""
        delay = 0.5
        while not self._stopping.is_set():
            try:
                self.registration = self.conductor.register(
                    self.host, self.rpc_address, self.virt.resources())
            except (conductor_client.ConductorError, DriverError) as error:
                LOG.warning("registration of %s failed (%s); retrying in %.1fs",
                            self.host, error, delay)
                self._stopping.wait(delay)
                delay = min(delay * 2, MAX_REGISTER_BACKOFF)
                continue
            LOG.info("%s registered in cell %s as node %s", self.host,
                     self.registration.cell_name, self.registration.node_uuid)
            self.registered.set()
            return True
        return False

    def _heartbeat(self) -> None:
        try:
            self.conductor.heartbeat(self.host, self.registration.node_uuid)
        except conductor_client.NotRegistered:
            LOG.warning("conductor forgot %s; registering again", self.host)
            self.registration = None
        except conductor_client.ConductorError as error:
            LOG.warning("heartbeat of %s failed: %s", self.host, error)

    def _audit(self) -> bool:
        """Re-report inventory and power states; False if something must be retried."""
        ok = True
        try:
            self.reporter.report(self.registration.node_uuid, self.host,
                                 self.virt.resources())
        except (PlacementError, requests.RequestException, DriverError) as error:
            LOG.warning("inventory report of %s failed: %s", self.host, error)
            ok = False
        try:
            self.conductor.report_power_states(self.host, self.virt.power_states())
        except (conductor_client.ConductorError, DriverError) as error:
            LOG.warning("power state report of %s failed: %s", self.host, error)
            ok = False
        return ok
