"""One cell conductor: its gRPC server for agents and its task-stream workers.

Everything it holds lives on its :class:`Conductor` object, so tests (and
``cellar-aio``) can run several in one process.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading

from cell_services.agent_client import AgentClient
from cell_services.operations import InstanceOperations
from cell_services.registry import HostRegistry
from cell_services.servicer import ConductorServicer
from common import redis_client, tasks, workers
from common.placement_client import PlacementClient
from db.api import cells
from protos import rpc
from protos.conductor.v1 import conductor_pb2_grpc

LOG = logging.getLogger(__name__)

WILDCARDS = ("", "0.0.0.0", "::", "[::]")


def address_key(prefix: str, cell_uuid: str) -> str:
    """Redis key holding the host:port of a cell's conductor."""
    return f"{prefix}:conductor:{cell_uuid}"


@dataclasses.dataclass(frozen=True)
class ConductorSettings:
    """What a conductor needs to know, from configuration."""

    cell: str
    api_url: str
    redis_url: str
    key_prefix: str
    host: str
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 0
    heartbeat_interval: float = 2.0
    workers: int = 4
    agent_timeout: float = 120.0
    task_reclaim_idle: float = 300.0
    max_task_deliveries: int = 5
    rpc_workers: int = 16
    tls: rpc.TLSFiles | None = None


class Conductor:
    """The conductor of one cell."""

    def __init__(self, settings: ConductorSettings, placement: PlacementClient) -> None:
        self.settings = settings
        self.placement = placement
        self.cell = cells.get(settings.api_url, settings.cell)
        self.redis = redis_client.get(settings.redis_url)
        self.agents = AgentClient(settings.agent_timeout, settings.tls)
        self.registry = HostRegistry(self.cell, settings.api_url, self.redis,
                                     settings.key_prefix, settings.heartbeat_interval)
        self.stream = tasks.cell_stream(self.cell.queue_url, settings.redis_url,
                                        settings.key_prefix, self.cell.uuid)
        self.server = rpc.server(settings.rpc_workers, "conductor-rpc")
        conductor_pb2_grpc.add_ConductorServicer_to_server(ConductorServicer(self.registry),
                                                          self.server)
        self.address = ""
        self._stopping = threading.Event()
        self._workers: list[workers.StreamWorker] = []

    def start(self) -> None:
        """Serve agents, publish the address, and start consuming the cell's tasks."""
        settings = self.settings
        port = rpc.listen(self.server, f"{settings.grpc_host}:{settings.grpc_port}",
                          settings.tls)
        self.server.start()
        host = settings.host if settings.grpc_host in WILDCARDS else settings.grpc_host
        self.address = f"{host}:{port}"
        self.redis.set(address_key(settings.key_prefix, self.cell.uuid), self.address)
        self.stream.ensure_group()
        operations = InstanceOperations(self.cell.database_connection, self.agents,
                                        self.placement)
        for index in range(settings.workers):
            consumer = f"{settings.host}-{os.getpid()}-{id(self):x}-{index}"
            # One task at a time, so an idle worker of another conductor gets the next.
            worker = workers.StreamWorker(self.stream, consumer, operations.handle,
                                          self._stopping, settings.task_reclaim_idle, batch=1,
                                          max_deliveries=settings.max_task_deliveries,
                                          give_up=operations.give_up)
            worker.start()
            self._workers.append(worker)
        LOG.info("conductor of cell %s (%s) serving on %s with %d workers", self.cell.name,
                 self.cell.uuid, self.address, settings.workers)

    def stop(self, grace: float = 5.0) -> None:
        """Stop taking tasks, finish the ones running, and stop serving."""
        self._stopping.set()
        for worker in self._workers:
            worker.join()
        key = address_key(self.settings.key_prefix, self.cell.uuid)
        # Another conductor of the cell may have published since; leave its address.
        if self.redis.get(key) == self.address:
            self.redis.delete(key)
        self.server.stop(grace).wait()
        self.agents.close()
