#!/usr/bin/env bash
# Put the backend image just built (`docker compose build backend`) into service without one
# failed request: the new container starts beside the old one, and the old one leaves only once
# the new one is healthy and the proxy knows where it is.
#
#   docker compose build backend && scripts/rolling-update.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# TODO(18): the update, exiting 1 as soon as a step fails, the old container serving until the end:
#   1. note the backend's container (docker compose ps --quiet backend): there must be exactly one
#   2. run the migrations (docker compose run --rm --no-deps migrate)
#   3. a second backend beside it, from the new image, the old one left as it is:
#      docker compose up --detach --no-deps --no-recreate --scale backend=2 backend
#   4. wait until the new container is healthy (docker inspect --format '{{.State.Health.Status}}');
#      if it turns unhealthy, remove it and exit 1: the old one never stopped serving
#   5. give the proxy time to learn the new address (proxy/nginx.conf: resolver valid=5s)
#   6. stop the old container (docker stop: SIGTERM, so gunicorn finishes what it serves), remove it
echo "rolling-update.sh is not written yet" >&2
exit 1
