"""Time GET /servers/detail as the number of cells grows, the servers held constant.

    python bench/list.py --cells 2 8 16 --servers 100000 --limit 1000

For each cell count: fresh MariaDB databases (API + cells), the servers spread evenly
over the cells (rows written straight into the databases, as a cloud that has run for
a while would hold them), a real cellar-api under gunicorn, then the median latency of
the first page and of a page deep in the list (by marker). Prints one JSON line per
cell count. A benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

import sqlalchemy as sa

from db import engine as db_engine
from db import migrate
from db.api import cells as api_cells
from db.api.models import InstanceMapping
from db.cell.models import Instance

SERVER = "mysql+pymysql://root@127.0.0.1:3306"
FLAVOR = {"id": "1", "name": "m1.tiny", "vcpus": 1, "ram": 512, "disk": 1, "ephemeral": 0,
          "swap": 0, "extra_specs": {}}
PROJECT = "listbench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def create_databases(tag: str, cells: int) -> tuple[str, list[str]]:
    api_url = f"{SERVER}/listbench_{tag}_api?charset=utf8mb4"
    migrate.upgrade("api", api_url)
    cell_urls = []
    for n in range(1, cells + 1):
        url = f"{SERVER}/listbench_{tag}_cell{n}?charset=utf8mb4"
        migrate.upgrade("cell", url)
        cell_urls.append(url)
    return api_url, cell_urls


def drop_databases(tag: str, cells: int) -> None:
    engine = db_engine.create_engine(SERVER + "/", poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for name in ["api", *(f"cell{n}" for n in range(1, cells + 1))]:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS listbench_{tag}_{name}"))
    engine.dispose()


def fill(api_url: str, cell_urls: list[str], servers: int) -> None:
    """Servers round-robin over the cells, one second apart, newest last."""
    cell_ids = [api_cells.create(api_url, f"cell{n}", url).id
                for n, url in enumerate(cell_urls, 1)]
    start = datetime.datetime(2026, 1, 1)
    mappings: list[dict] = []
    per_cell: list[list[dict]] = [[] for _ in cell_urls]
    for n in range(servers):
        created = start + datetime.timedelta(seconds=n)
        instance_uuid = str(uuid.UUID(int=n + 1))
        slot = n % len(cell_urls)
        mappings.append({"instance_uuid": instance_uuid, "cell_id": cell_ids[slot],
                         "project_id": PROJECT, "user_id": PROJECT, "created_at": created,
                         "queued_for_delete": False})
        per_cell[slot].append({
            "uuid": instance_uuid, "project_id": PROJECT, "user_id": PROJECT,
            "display_name": f"vm{n}", "host": f"cell{slot + 1}-host1",
            "node": f"cell{slot + 1}-host1", "flavor": FLAVOR, "image_ref": "img",
            "vm_state": "active", "power_state": 1, "metadata_items": {},
            "created_at": created, "deleted": 0})
    _insert(api_url, InstanceMapping.__table__, mappings)
    for url, rows in zip(cell_urls, per_cell, strict=True):
        _insert(url, Instance.__table__, rows)


def _insert(url: str, table: sa.Table, rows: list[dict], chunk: int = 5000) -> None:
    engine = db_engine.get_engine(url)
    with engine.begin() as conn:
        for first in range(0, len(rows), chunk):
            conn.execute(table.insert(), rows[first:first + chunk])


def start_api(api_url: str, workdir: pathlib.Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    conf = workdir / "api.conf"
    conf.write_text(f"[api_database]\nconnection = {api_url}\n"
                    f"[compute_api]\nbind_port = {port}\nworkers = 2\nthreads = 4\n"
                    f"[redis]\nkey_prefix = listbench\n")
    process = subprocess.Popen(
        [str(pathlib.Path(sys.executable).parent / "cellar-api"), "--config-file", str(conf)],
        stdout=subprocess.DEVNULL, stderr=open(workdir / "api.log", "w"))  # noqa: SIM115
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/", timeout=1)
        except urllib.error.HTTPError:
            return process, base
        except OSError:
            time.sleep(0.1)
            continue
        return process, base
    process.kill()
    raise SystemExit("cellar-api did not start; see " + str(workdir / "api.log"))


def timed_get(url: str) -> tuple[float, dict]:
    request = urllib.request.Request(url, headers={"X-Auth-Token": f"{PROJECT}:{PROJECT}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as reply:
        body = json.loads(reply.read())
    return time.perf_counter() - started, body


def measure(base: str, limit: int, repeat: int, servers: int) -> dict:
    first_page, deep_page = [], []
    url = f"{base}/v2.1/servers/detail?limit={limit}"
    timed_get(url)
    deep_marker = str(uuid.UUID(int=servers // 2))
    for _ in range(repeat):
        seconds, body = timed_get(url)
        assert len(body["servers"]) == min(limit, servers), len(body["servers"])
        first_page.append(seconds)
        seconds, body = timed_get(f"{url}&marker={deep_marker}")
        deep_page.append(seconds)
    return {"first_page_ms": round(statistics.median(first_page) * 1000, 1),
            "deep_page_ms": round(statistics.median(deep_page) * 1000, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, nargs="+", default=[2, 8, 16])
    parser.add_argument("--servers", type=int, default=100_000)
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    for cells in args.cells:
        tag = f"{os.getpid()}_{cells}"
        with tempfile.TemporaryDirectory() as tmp:
            try:
                api_url, cell_urls = create_databases(tag, cells)
                fill(api_url, cell_urls, args.servers)
                process, base = start_api(api_url, pathlib.Path(tmp))
                try:
                    result = measure(base, args.limit, args.repeat, args.servers)
                finally:
                    process.terminate()
                    process.wait(30)
                print(json.dumps({"cells": cells, "servers": args.servers,
                                  "limit": args.limit, **result}), flush=True)
            finally:
                db_engine.dispose_all()
                drop_databases(tag, cells)
    return 0


if __name__ == "__main__":
    sys.exit(main())
