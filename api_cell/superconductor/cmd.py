"""``cellar-superconductor``: consume the build stream and place instances in cells."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Sequence

from api_cell import cell_health
from api_cell import conf as api_conf
from api_cell.scheduler.scheduler import Scheduler
from api_cell.superconductor.builder import Builder
from api_cell.superconductor.cell_migration import TASK_KIND as MIGRATE_KIND
from api_cell.superconductor.cell_migration import CellMover
from common import config, log, placement_client, redis_client, service, tasks, workers
from db import engine as db_engine

LOG = logging.getLogger(__name__)


def make_builder(conf) -> Builder:
    """A Builder wired from configuration."""
    placement = placement_client.from_conf(conf)
    cells = cell_health.cells_from_conf(conf)
    scheduler = Scheduler(placement, redis_client.get(conf.redis.url), conf.redis.key_prefix,
                          cells, conf.scheduler.max_candidates,
                          conf.scheduler.max_claim_attempts, conf.scheduler.host_subset_size,
                          health=cell_health.health_from_conf(conf),
                          default_zone=conf.compute_api.default_availability_zone)
    return Builder(conf.api_database.connection, cells, scheduler, placement, conf.redis.url,
                   conf.redis.key_prefix, recheck_quota=conf.quota.recheck_quota,
                   lease_seconds=3 * conf.superconductor.reclaim_idle_seconds)


def make_mover(builder: Builder, receive_timeout: float) -> CellMover:
    """A CellMover sharing the builder's cells, scheduler and placement client."""
    return CellMover(builder.api_url, builder.cells, builder.scheduler, builder.placement,
                     builder.redis_url, builder.key_prefix, receive_timeout=receive_timeout)


def make_handler(builder: Builder, mover: CellMover) -> Callable[[tasks.Task], None]:
    """What a superconductor worker runs for each task of the build stream."""

    def handle(task: tasks.Task) -> None:
        if task.kind == MIGRATE_KIND:
            mover.handle(task)
            return
        with db_engine.counting_statements() as statements, \
                placement_client.counting_calls() as calls:
            builder.build(task.payload["instance_uuid"], task.request_id)
        # One line per build: what the global tier spent on it (bench/boot.py reads it).
        LOG.info("build cost: statements %s placement %s",
                 json.dumps(dict(statements)), json.dumps(dict(calls)))

    return handle


def make_give_up(builder: Builder) -> Callable[[tasks.Task], None]:
    """What happens to a task of the build stream that failed every delivery."""

    def give_up(task: tasks.Task) -> None:
        if task.kind == MIGRATE_KIND:
            LOG.error("move of %s failed every delivery; left where it is",
                      task.payload.get("instance_uuid"))
            return
        builder.give_up(task.payload["instance_uuid"], task.request_id,
                        f"Build failed {task.deliveries - 1} times; given up.")

    return give_up


def main(argv: Sequence[str] | None = None) -> int:
    """Run the superconductor until SIGTERM/SIGINT."""
    api_conf.register_opts(config.CONF)
    conf = config.load(sys.argv[1:] if argv is None else argv, "cellar-superconductor")
    log.setup("superconductor", conf.debug)
    if not conf.api_database.connection:
        LOG.error("[api_database] connection is not set")
        return 2
    builder = make_builder(conf)
    stop = service.stop_event_on_signals()

    def make_stream() -> tasks.TaskStream:
        return tasks.TaskStream(redis_client.get(conf.redis.url),
                                tasks.build_stream_key(conf.redis.key_prefix),
                                tasks.SUPERCONDUCTOR_GROUP)

    # A move waits for its target cell to spawn the guest; it gives up (and rolls back)
    # before its task could look abandoned to the other workers.
    handle = make_handler(builder, make_mover(
        builder, receive_timeout=0.8 * conf.superconductor.reclaim_idle_seconds))
    workers.start_workers(conf.superconductor.workers, make_stream,
                          f"{conf.host}-{os.getpid()}", handle, stop,
                          conf.superconductor.reclaim_idle_seconds,
                          max_deliveries=conf.superconductor.max_task_deliveries,
                          give_up=make_give_up(builder))
    LOG.info("superconductor running with %d workers", conf.superconductor.workers)
    stop.wait()
    LOG.info("superconductor stopping")
    return 0
