#!/usr/bin/env bash
# Everything CI checks: lint, generated code and sample config in sync, migrations
# in sync with the models, then unit, functional and end-to-end tests.
# Needs MariaDB on 127.0.0.1:3306 (root, no password) and Redis on 127.0.0.1:6379,
# or CELLAR_TEST_MYSQL_URL / CELLAR_TEST_REDIS_URL pointing elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/bootstrap.sh
PY=.venv/bin/python

echo "== ruff"
.venv/bin/ruff check .
echo "== generated protos match the .proto files"
$PY -m protos.generate --check
echo "== sample config matches the options"
$PY -m tools.genconfig --check
echo "== migrations match the models"
$PY -m tools.check_migrations
echo "== tests"
$PY -m pytest -n "${CELLAR_TEST_WORKERS:-2}" -p no:cacheprovider tests "$@"
