#!/usr/bin/env bash
# The database outage drill: stop PostgreSQL under the running stack, watch the app say so,
# start it again, watch the app recover by itself.
#
#   scripts/drill.sh                       # the stack at http://localhost:8080
#   TASKS_URL=http://127.0.0.1:9000 scripts/drill.sh
set -euo pipefail
cd "$(dirname "$0")/.."

url="${TASKS_URL:-http://localhost:8080}"

# TODO(18): the drill, exiting 1 as soon as one step fails, and always starting the database
#   again (a trap on EXIT):
#   1. note the backend's container (docker compose ps --quiet backend); /api/ready answers 200
#   2. docker compose stop db; /api/ready answers 503 within 10 s; /api/health still 200
#   3. docker compose start db; /api/ready answers 200 again within 60 s
#   4. the backend is the same container: it recovered without a restart
#   Print how long each wait took: those are the numbers of your runbook.
echo "drill.sh is not written yet (it would drill $url)" >&2
exit 1
