"""Benchmark our placement against OpenStack Placement, side by side, in one run.

    /work/venv/bin/python bench/placement.py --providers 1000 [--reference] [--big 100000]

* starts OUR service: ``cellar-placement`` (gunicorn, ``--workers``) on a free port,
  over a MariaDB database it creates (``--mysql`` server), migrates (db.migrate) and
  drops at the end;
* with ``--reference``, starts the released openstack-placement through
  ``anchors/placement/start.sh`` (run from /tmp: our package is also called
  ``placement`` and must not shadow it), unless one already answers on 8780;
* runs the anchors' ``load.py`` against both with the same arguments and prints a
  table of both and the ratios; with ``--rounds N``, N times each, alternating (ours,
  then the reference, then ours...), and a last table of the medians of the rounds:
  on a machine whose speed drifts, each service then meets the same moments;
* with ``--big N``: bulk-inserts N providers straight into OUR database (SQL, not
  HTTP: load.py would take hours), times ``GET /allocation_candidates`` with
  ``limit=10`` and reports the RSS of each placement worker.
"""

from __future__ import annotations

import argparse
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

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from db import migrate  # noqa: E402

ANCHORS = pathlib.Path(os.environ.get("ANCHORS", "/work/shared/anchors/placement"))
VENV_BIN = pathlib.Path(sys.executable).parent
HEADERS = {"x-auth-token": "admin", "openstack-api-version": "placement latest"}
ROWS = [("ac_nolimit", "median_ms", "GET a_c, no limit (ms)"),
        ("ac_limit10", "median_ms", "GET a_c, limit=10 (ms)"),
        ("ac_filtered", "median_ms", "GET a_c, trait+member_of (ms)"),
        ("claims_seq", "claims_per_s", "claims/s, sequential"),
        ("claims_par", "claims_per_s", "claims/s, concurrent"),
        ("sched_seq", "per_s", "query+claim/s, sequential"),
        ("sched_par", "per_s", "query+claim/s, concurrent"),
        ("ac_nolimit_after", "median_ms", "GET a_c no limit, with allocations (ms)")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_up(url: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/", timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up")


def start_ours(db_url: str, workers: int, tmp: pathlib.Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    config = tmp / "placement.conf"
    config.write_text(f"[placement_database]\nconnection = {db_url}\n"
                      f"[placement]\nbind_port = {port}\nworkers = {workers}\n")
    log = open(tmp / "placement.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([str(VENV_BIN / "cellar-placement"), "--config-file", str(config)],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_up(url)
    return proc, url


def run_load(url: str, args: argparse.Namespace, out: pathlib.Path) -> dict:
    cmd = [sys.executable, str(ANCHORS / "load.py"), "--url", url,
           "--providers", *map(str, args.providers), "--repeats", str(args.repeats),
           "--claims", str(args.claims), "--concurrency", str(args.concurrency),
           "--create-concurrency", "1", "--out", str(out)]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd="/tmp")
    return json.loads(out.read_text())


def results_by_n(data: dict) -> dict[int, dict]:
    """{providers: {phase: figures}} from load.py's JSON, whatever its nesting."""
    runs = data.get("runs") or data.get("results") or data
    found: dict[int, dict] = {}
    items = runs if isinstance(runs, list) else runs.values()
    for run in items:
        if isinstance(run, dict) and "providers" in run:
            found[int(run["providers"])] = run
    return found


def pick(run: dict, phase: str, key: str):
    aliases = {"claims_seq": ("claims_seq",),
               "claims_par": ("claims_conc", "claims_par"),
               "sched_seq": ("sched_seq",),
               "sched_par": ("sched_conc", "sched_par"),
               "ac_nolimit_after": ("ac_after_claims",)}
    for name in aliases.get(phase, (phase,)):
        value = run.get(name)
        if isinstance(value, dict) and phase == "ac_nolimit_after" and "ac_nolimit" in value:
            value = value["ac_nolimit"]
        if isinstance(value, dict) and key in value:
            return value[key]
    for value in run.values():
        if isinstance(value, dict) and phase in value and key in value[phase]:
            return value[phase][key]
    return None


def print_table(ours: dict, ref: dict | None) -> None:
    for n, run in sorted(results_by_n(ours).items()):
        other = results_by_n(ref).get(n) if ref else None
        print(f"\n{n} providers")
        print(f"{'':42} {'cellar':>10} {'openstack':>10} {'ratio':>8}")
        for phase, key, label in ROWS:
            mine = pick(run, phase, key)
            theirs = pick(other, phase, key) if other else None
            ratio = ""
            if mine and theirs:
                better = theirs / mine if key == "median_ms" else mine / theirs
                ratio = f"{better:.1f}x"
            print(f"{label:42} {mine!s:>10} {theirs!s:>10} {ratio:>8}")


def medians(runs: list[dict]) -> dict:
    """A load.py-shaped result holding, for each table row, the median of ``runs``."""
    merged: list[dict] = []
    counts = sorted(set.intersection(*(set(results_by_n(run)) for run in runs)))
    for n in counts:
        summary: dict = {"providers": n}
        for phase, key, _label in ROWS:
            values = [v for run in runs
                      if (v := pick(results_by_n(run)[n], phase, key)) is not None]
            if not values:
                continue
            value = round(statistics.median(values), 2)
            if phase == "ac_nolimit_after":
                summary["ac_after_claims"] = {"ac_nolimit": {key: value}}
            else:
                summary[phase] = {key: value}
        merged.append(summary)
    return {"runs": merged}


def bulk_providers(db_url: str, count: int) -> str:
    """``count`` root providers like load.py's, inserted directly with executemany.

    Returns the uuid of the last one.
    """
    last = ""
    engine = sa.create_engine(db_url)
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    with engine.begin() as conn:
        start = conn.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM resource_providers")
                             ).scalar() + 1
        for base in range(0, count, 5000):
            ids = range(start + base, start + min(base + 5000, count))
            rows = [{"id": i, "uuid": str(uuid.uuid4()), "name": f"bulk-{i}", "now": now}
                    for i in ids]
            last = rows[-1]["uuid"]
            conn.execute(sa.text(
                "INSERT INTO resource_providers (id, uuid, name, generation, root_provider_id,"
                " created_at) VALUES (:id, :uuid, :name, 1, :id, :now)"), rows)
            rows = []
            for i in ids:
                rows += [{"rp": i, "rc": 0, "total": 32, "res": 0, "max": 32, "ratio": 4.0},
                         {"rp": i, "rc": 1, "total": 131072, "res": 512, "max": 131072,
                          "ratio": 1.5},
                         {"rp": i, "rc": 2, "total": 2000, "res": 10, "max": 2000,
                          "ratio": 1.0}]
            conn.execute(sa.text(
                "INSERT INTO inventories (resource_provider_id, resource_class_id, total,"
                " reserved, min_unit, max_unit, step_size, allocation_ratio, created_at)"
                " VALUES (:rp, :rc, :total, :res, 1, :max, 1, :ratio, :now)"),
                [{**r, "now": now} for r in rows])
            # Logged like any write, so the running workers' indexes pick them up.
            conn.execute(sa.text("INSERT INTO provider_changes (resource_provider_id,"
                                 " usage_only, created_at) VALUES (:rp, 0, :now)"),
                         [{"rp": i, "now": now} for i in ids])
    engine.dispose()
    return last


def time_get(url: str, path: str, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        request = urllib.request.Request(url + path, headers=HEADERS)
        t0 = time.perf_counter()
        urllib.request.urlopen(request, timeout=600).read()
        times.append(time.perf_counter() - t0)
    return times


def worker_rss_mb(proc: subprocess.Popen) -> list[float]:
    out = subprocess.run(["ps", "-o", "pid=,rss=", "--ppid", str(proc.pid)],
                         capture_output=True, text=True).stdout
    return sorted(int(line.split()[1]) / 1024 for line in out.splitlines() if line.strip())


def big_case(url: str, db_url: str, count: int, workers: int, proc) -> None:
    t0 = time.time()
    last = bulk_providers(db_url, count)
    print(f"\nbulk-inserted {count} providers in {time.time() - t0:.1f}s (SQL, not HTTP)")
    path = "/allocation_candidates?resources=VCPU:1,MEMORY_MB:512,DISK_GB:10&limit=10"
    # Every worker loads its index on its first request; warm them all.
    warm = time_get(url, path, workers * 3)
    # The measure is void unless the workers' indexes hold the bulk providers: ask
    # for the last one inserted, several times (requests land on any worker).
    seen = f"/allocation_candidates?resources=VCPU:1&in_tree={last}"
    for _ in range(workers * 4):
        request = urllib.request.Request(url + seen, headers=HEADERS)
        body = json.loads(urllib.request.urlopen(request, timeout=600).read())
        found = [rp for r in body["allocation_requests"] for rp in r["allocations"]]
        if found != [last]:
            raise RuntimeError(f"a worker's index does not hold the bulk providers: {found}")
    print(f"{workers * 4} answers in a row came from indexes holding the bulk providers")
    times = time_get(url, path, 51)
    print(f"first requests (index load) max {max(warm) * 1000:.0f} ms")
    print(f"GET a_c limit=10 at {count} providers: median "
          f"{statistics.median(times) * 1000:.1f} ms, p90 "
          f"{sorted(times)[int(len(times) * 0.9)] * 1000:.1f} ms over {len(times)} requests")
    print("worker RSS (MB):", ", ".join(f"{r:.0f}" for r in worker_rss_mb(proc)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--providers", type=int, nargs="+", default=[1000])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--claims", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--mysql", default="mysql+pymysql://root@127.0.0.1:3306",
                        help="MariaDB server for our database")
    parser.add_argument("--reference", action="store_true",
                        help="also measure OpenStack Placement (anchors start.sh)")
    parser.add_argument("--reference-url", default="http://127.0.0.1:8780")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure each service this many times, alternating, and "
                             "compare the medians")
    parser.add_argument("--big", type=int, default=0,
                        help="then N bulk-inserted providers, limit=10 only, ours only")
    args = parser.parse_args()

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench-placement-"))
    database = f"cellar_bench_{os.getpid()}"
    db_url = f"{args.mysql}/{database}?charset=utf8mb4"
    migrate.ensure_database(db_url)
    migrate.upgrade("placement", db_url)
    proc = None
    try:
        proc, url = start_ours(db_url, args.workers, tmp)
        print(f"ours: {url} ({args.workers} workers), database {database}")
        if args.reference:
            try:
                wait_up(args.reference_url, 1)
            except RuntimeError:
                subprocess.run(["bash", str(ANCHORS / "start.sh")], check=True, cwd="/tmp")
        ours_runs: list[dict] = []
        ref_runs: list[dict] = []
        for index in range(args.rounds):
            ours_runs.append(run_load(url, args, tmp / f"ours-{index + 1}.json"))
            if args.reference:
                ref_runs.append(run_load(args.reference_url, args,
                                         tmp / f"ref-{index + 1}.json"))
            if args.rounds > 1:
                print(f"\nround {index + 1}")
                print_table(ours_runs[-1], ref_runs[-1] if ref_runs else None)
        if args.rounds > 1:
            print(f"\nmedians of {args.rounds} rounds")
        ref = medians(ref_runs) if ref_runs else None
        print_table(medians(ours_runs), ref)
        print(f"\nraw JSON: {tmp}/ours-*.json" + (f", {tmp}/ref-*.json" if ref else ""))
        if args.big:
            big_case(url, db_url, args.big, args.workers, proc)
    finally:
        if proc is not None:
            os.killpg(proc.pid, 15)
            proc.wait(30)
        engine = sa.create_engine(args.mysql + "/")
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{database}`"))
        engine.dispose()


if __name__ == "__main__":
    main()
