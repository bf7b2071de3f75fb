#!/usr/bin/env bash
# The database outage drill: stop PostgreSQL under the running stack, watch the app say so,
# start it again, watch the app recover by itself. Run it on a staging stack before you need it.
#
#   scripts/drill.sh                       # the stack at http://localhost:8080
#   TASKS_URL=http://127.0.0.1:9000 scripts/drill.sh
#
# What must hold, and what the drill measures:
# - /api/ready answers 503 within seconds (a load balancer takes the instance out of rotation)
# - /api/health keeps answering 200 (the backend is alive: restarting it would not help)
# - once PostgreSQL is back, /api/ready answers 200 again without anyone restarting the backend
#   (the same container: its connection pool replaced the dead connections by itself)
# It exits 1 when one of them does not, and always starts the database again.
set -euo pipefail
cd "$(dirname "$0")/.."

url="${TASKS_URL:-http://localhost:8080}"

status() {
    curl --silent --output /dev/null --write-out '%{http_code}' --max-time 5 "$url$1" || true
}

# wait_for STATUS PATH SECONDS: poll PATH until it answers STATUS; say how long it took
wait_for() {
    local started=$SECONDS
    until [ "$(status "$2")" = "$1" ]; do
        if (( SECONDS - started >= $3 )); then
            echo "FAILED: $2 did not answer $1 within $3 s" >&2
            return 1
        fi
        sleep 0.2
    done
    echo "$2 answered $1 after $((SECONDS - started)) s"
}

backend=$(docker compose ps --quiet backend)
wait_for 200 /api/ready 30

echo "stopping the database"
trap 'docker compose start db >/dev/null 2>&1' EXIT  # whatever happens, PostgreSQL comes back
docker compose stop db >/dev/null 2>&1
wait_for 503 /api/ready 10
health=$(status /api/health)
if [ "$health" != 200 ]; then
    echo "FAILED: /api/health answered $health while the database was down: the backend looks dead" >&2
    exit 1
fi
echo "/api/health still answers 200"

echo "starting the database"
docker compose start db >/dev/null 2>&1
trap - EXIT
wait_for 200 /api/ready 60
if [ "$(docker compose ps --quiet backend)" != "$backend" ]; then
    echo "FAILED: the backend container was replaced: the app did not recover by itself" >&2
    exit 1
fi
echo "recovered without a restart of the backend: the drill passed"
