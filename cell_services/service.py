"""One cell conductor: its gRPC server for agents and its task-stream workers.

Everything it holds lives on its :class:`Conductor` object, so tests (and
``cellar-aio``) can run several in one process.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading

import redis

from cell_services.operations import InstanceOperations
from cell_services.registry import HostRegistry
from cell_services.servicer import ConductorServicer
from common import liveness, redis_client, tasks, workers
from common.placement_client import PlacementClient
from db import errors
from db.api import cells
from protos import rpc
from protos.compute_client import AgentClient
from protos.conductor.v1 import conductor_pb2_grpc

LOG = logging.getLogger(__name__)

WILDCARDS = ("", "0.0.0.0", "::", "[::]")

# Seconds between two reads of the cell's own mapping, as every process's CellCache.
MAPPING_REFRESH = 2.0
# A cell's conductor key outlives this many announcement intervals.
ALIVE_TTL_INTERVALS = 4


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
    alive_interval: float = 0.5
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
        self.operations = InstanceOperations(self.cell.database_connection, self.agents,
                                             self.placement, api_url=settings.api_url)
        self._follower = threading.Thread(target=self._follow_mapping, daemon=True,
                                          name=f"cell-mapping-{self.cell.name}")
        self._announcer = threading.Thread(target=self._announce, daemon=True,
                                           name=f"conductor-alive-{self.cell.name}")

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
        operations = self.operations
        for index in range(settings.workers):
            consumer = f"{settings.host}-{os.getpid()}-{id(self):x}-{index}"
            # One task at a time, so an idle worker of another conductor gets the next.
            worker = workers.StreamWorker(self.stream, consumer, operations.handle,
                                          self._stopping, settings.task_reclaim_idle, batch=1,
                                          max_deliveries=settings.max_task_deliveries,
                                          give_up=operations.give_up)
            worker.start()
            self._workers.append(worker)
        self._follower.start()
        self._announcer.start()
        LOG.info("conductor of cell %s (%s) serving on %s with %d workers", self.cell.name,
                 self.cell.uuid, self.address, settings.workers)

    def _announce(self) -> None:
        """Tell the global tier, until stopped, that this cell has a conductor working.

        The key lives a few intervals, so one slow round does not mark the cell down,
        and a conductor that dies (or loses Redis) stops vouching for it within
        ``ALIVE_TTL_INTERVALS`` intervals.
        """
        interval = self.settings.alive_interval
        while True:
            try:
                liveness.mark_conductor_up(self.redis, self.settings.key_prefix,
                                           self.cell.uuid, ALIVE_TTL_INTERVALS * interval)
            except redis.RedisError as error:
                LOG.warning("cannot announce the conductor of cell %s: %s", self.cell.name,
                            error)
            if self._stopping.wait(interval):
                return

    def _follow_mapping(self) -> None:
        """Re-read this cell's mapping until stopped, so ``cellar-manage cell update``
        takes effect here within seconds, with no restart."""
        while not self._stopping.wait(MAPPING_REFRESH):
            try:
                self.follow(cells.get(self.settings.api_url, self.cell.uuid))
            except errors.NotFound:
                # Deleted: keep serving what is left until the operator stops us.
                LOG.warning("cell %s (%s) is no longer mapped", self.cell.name,
                            self.cell.uuid)
            except Exception:  # noqa: BLE001 -- the API DB may blink; try next round
                LOG.exception("cannot re-read the mapping of cell %s", self.cell.name)

    def follow(self, current: cells.Cell) -> None:
        """Use the cell's current mapping: its name and its database take effect at once.

        A new queue URL needs a restart: tasks already queued on the old stream would
        be stranded by a silent switch.
        """
        if current == self.cell:
            return
        if current.queue_url != self.cell.queue_url:
            LOG.warning("the task stream of cell %s moved to %s; restart its conductors to "
                        "consume it", current.name, current.queue_url)
        if current.database_connection != self.cell.database_connection:
            LOG.info("the database of cell %s moved; using the new one", current.name)
        self.cell = current
        self.registry.cell = current
        self.operations.cell_url = current.database_connection

    def stop(self, grace: float = 5.0) -> None:
        """Stop taking tasks, finish the ones running, and stop serving."""
        self._stopping.set()
        for worker in self._workers:
            worker.join()
        for thread in (self._follower, self._announcer):
            if thread.is_alive():
                thread.join()
        # The cell's alive key is left to expire: another conductor may vouch for it.
        key = address_key(self.settings.key_prefix, self.cell.uuid)
        # Another conductor of the cell may have published since; leave its address.
        if self.redis.get(key) == self.address:
            self.redis.delete(key)
        self.server.stop(grace).wait()
        self.agents.close()
