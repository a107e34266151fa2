"""Boot N servers concurrently against a running Cellar and time them to ACTIVE.

    python bench/boot.py --api http://127.0.0.1:8774 --servers 100 --concurrency 8

Prints boots per second (first POST to last ACTIVE) and p50/p99 latency from each
server's POST to the first list in which it shows ACTIVE; deletes the servers after.
With --superconductor-log (cellar-aio writes STATE/logs/superconductor.log) it also
prints what the global tier spent per build: SQL statements in the API database and
in cell databases, and placement calls.
A benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import statistics
import sys
import time
import urllib.error
import urllib.request

IMAGE = "5c1f6e2a-4b1e-4f0e-9d55-0a11ce11a700"


def call(api: str, method: str, path: str, token: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(api + "/v2.1" + path, data=data, method=method, headers={
        "X-Auth-Token": token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            raw = reply.read()
    except urllib.error.HTTPError as error:
        raise SystemExit(f"{method} {path}: {error.code} {error.read()[:500]!r}") from error
    return json.loads(raw) if raw else {}


def lift_quota(api: str, project: str) -> None:
    """Make the benchmark's project unlimited, as an operator would for a load test."""
    unlimited = {"instances": -1, "cores": -1, "ram": -1}
    request = urllib.request.Request(
        f"{api}/v2.1/os-quota-sets/{project}", method="PUT",
        data=json.dumps({"quota_set": unlimited}).encode(),
        headers={"X-Auth-Token": "admin", "Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request, timeout=60).close()
    except urllib.error.HTTPError as error:
        if error.code != 404:
            raise


def build_costs(log_path: str, offset: int) -> dict:
    """Average per-build statements (API DB, cell DBs) and placement calls from the log."""
    builds, api, cells, placement = 0, 0, 0, 0
    with open(log_path) as log:
        log.seek(offset)
        for line in log:
            if "build cost: statements " not in line:
                continue
            statements, calls = line.split("build cost: statements ", 1)[1].split(
                " placement ")
            by_database = json.loads(statements)
            builds += 1
            api += sum(n for db, n in by_database.items() if db.endswith(("_api", "api.db")))
            cells += sum(n for db, n in by_database.items()
                         if not db.endswith(("_api", "api.db")))
            placement += sum(json.loads(calls).values())
    if not builds:
        return {}
    return {"builds_logged": builds, "api_db_statements_per_build": round(api / builds, 2),
            "cell_db_statements_per_build": round(cells / builds, 2),
            "placement_calls_per_build": round(placement / builds, 2)}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", default="http://127.0.0.1:8774")
    parser.add_argument("--servers", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--flavor", default="1")
    parser.add_argument("--image", default=IMAGE)
    parser.add_argument("--token", default="bench:bench")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--superconductor-log", help="log of the superconductor(s)")
    args = parser.parse_args()
    log_offset = os.path.getsize(args.superconductor_log) if args.superconductor_log else 0

    lift_quota(args.api, args.token.split(":")[-1])
    posted: dict[str, float] = {}

    def boot(n: int) -> None:
        started = time.monotonic()
        reply = call(args.api, "POST", "/servers", args.token, {"server": {
            "name": f"bench-{n}", "flavorRef": args.flavor, "imageRef": args.image}})
        posted[reply["server"]["id"]] = started

    first = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
        list(pool.map(boot, range(args.servers)))
    active: dict[str, float] = {}
    errors: set[str] = set()
    deadline = first + args.timeout
    while len(active) + len(errors) < len(posted) and time.monotonic() < deadline:
        listing = call(args.api, "GET", "/servers/detail?limit=1000", args.token)["servers"]
        now = time.monotonic()
        for server in listing:
            if server["id"] in posted and server["id"] not in active:
                if server["status"] == "ACTIVE":
                    active[server["id"]] = now
                elif server["status"] == "ERROR":
                    errors.add(server["id"])
        time.sleep(0.05)
    last = max(active.values(), default=first)
    latencies = [active[i] - posted[i] for i in active]
    result = {
        "servers": args.servers, "concurrency": args.concurrency,
        "active": len(active), "error": len(errors),
        "boots_per_second": round(len(active) / (last - first), 1) if active else 0,
        "p50_seconds": round(statistics.median(latencies), 3) if latencies else None,
        "p99_seconds": round(percentile(latencies, 0.99), 3) if latencies else None,
    }
    if args.superconductor_log:
        result.update(build_costs(args.superconductor_log, log_offset))
    print(json.dumps(result))
    with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
        list(pool.map(lambda i: call(args.api, "DELETE", f"/servers/{i}", args.token), posted))
    return 0 if len(active) == args.servers else 1


if __name__ == "__main__":
    sys.exit(main())
