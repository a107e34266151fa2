#!/usr/bin/env bash
# Boot throughput and per-boot cost of the global tier as the number of cells grows.
#
#   bash bench/scale.sh [CELL_COUNTS] [HOSTS_PER_CELL] [SERVERS]
#   bash bench/scale.sh "1 4 16" 64 200
#
# For each cell count: a cellar-aio on MariaDB (127.0.0.1:3306, databases
# cellar_scale_*) and the machine's Redis, HOSTS_PER_CELL simulated hosts per cell
# (one cellar-compute process per cell), then bench/boot.py with the per-build costs.
set -euo pipefail
cd "$(dirname "$0")/.."
counts=${1:-"1 4 16"}
hosts=${2:-64}
servers=${3:-200}
PY=${PY:-.venv/bin/python}
BIN=$(dirname "$PY")
state=$(mktemp -d)

drop_databases() {
    mysql -uroot -N -e "SHOW DATABASES LIKE 'cellar\\_scale\\_%'" | while read -r db; do
        mysql -uroot -e "DROP DATABASE \`$db\`"
    done
}

# 16 cells mean ~40 processes on one MariaDB: more than its default 151 connections.
old_max=$(mysql -uroot -N -e "SELECT @@GLOBAL.max_connections")
mysql -uroot -e "SET GLOBAL max_connections = 2000"
trap 'mysql -uroot -e "SET GLOBAL max_connections = $old_max"' EXIT

for cells in $counts; do
    drop_databases
    rm -rf "$state/aio"
    "$BIN/cellar-aio" --cells "$cells" --hosts-per-cell "$hosts" --hosts-per-agent "$hosts" \
        --host-size 64:262144:2000 --heartbeat-interval 10 --state-dir "$state/aio" \
        --api-port 18774 --placement-port 18778 --redis-url redis://127.0.0.1:6379/0 \
        --key-prefix "scale$cells" \
        --database-url-template 'mysql+pymysql://root@127.0.0.1/cellar_scale_{name}' \
        > "$state/aio.out" 2>&1 &
    aio=$!
    started_at=$(date +%s)
    # cellar-aio itself gives up (and exits) if the hosts are not schedulable in time.
    until grep -q "Cellar is ready" "$state/aio.out"; do
        kill -0 "$aio" 2>/dev/null || { tail -20 "$state/aio.out"; exit 1; }
        sleep 1
    done
    ready_at=$(date +%s)
    printf '{"cells": %s, "hosts": %s, "seconds_to_ready": %s} ' "$cells" \
        "$((cells * hosts))" "$((ready_at - started_at))"
    "$PY" bench/boot.py --api http://127.0.0.1:18774 --servers "$servers" --concurrency 8 \
        --superconductor-log "$state/aio/logs/superconductor.log" || true
    kill -TERM "$aio"
    wait "$aio" || true
    sleep 2
done
drop_databases
rm -rf "$state"
