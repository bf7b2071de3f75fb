#!/usr/bin/env bash
# Put the backend image just built (`docker compose build backend`) into service without one
# failed request: the new container starts beside the old one, and the old one leaves only once
# the new one is healthy and the proxy knows where it is.
#
#   docker compose build backend && scripts/rolling-update.sh
#
# Why each step (a plain `docker compose up --detach backend` replaces the container in place,
# and for the seconds the new one takes to start, every API call gets the proxy's 503):
# 1. the migrations first: the old code keeps running on the new schema for a while, so a
#    migration must never break the version before it (add a column now, drop one a release later)
# 2. a second backend container from the new image; the old one keeps serving meanwhile
# 3. wait for its healthcheck: a container that does not get healthy is removed again, and the
#    old one never stopped serving (nothing to roll back)
# 4. wait for the proxy: nginx looks `backend` up again every 5 s (`server backend:8000 resolve`
#    and resolver valid=5s in proxy/nginx.conf); until then it does not know the new address
# 5. stop the old one with SIGTERM: gunicorn finishes the requests it has, and nginx sends a
#    request the old one refuses to the next address (proxy_next_upstream)
set -euo pipefail
cd "$(dirname "$0")/.."

old=$(docker compose ps --quiet backend)
if [ "$(echo "$old" | wc -w)" != 1 ]; then
    echo "rolling-update: expected one backend container, found: ${old:-none}" >&2
    exit 1
fi

docker compose run --rm --no-deps migrate
docker compose up --detach --no-deps --no-recreate --scale backend=2 backend
new=$(docker compose ps --quiet backend | grep -v "$old")

wait_healthy() {
    local started=$SECONDS status
    while true; do
        status=$(docker inspect --format '{{.State.Health.Status}}' "$1")
        if [ "$status" = healthy ]; then
            echo "the new backend is healthy after $((SECONDS - started)) s"
            return 0
        fi
        if [ "$status" = unhealthy ] || (( SECONDS - started >= 180 )); then
            echo "rolling-update: the new backend is $status; removing it, the old one keeps serving" >&2
            docker compose logs --tail 20 backend >&2 || true
            docker rm --force "$1" >/dev/null
            return 1
        fi
        sleep 1
    done
}
wait_healthy "$new"

sleep 6  # the proxy's DNS cache (valid=5s): after this, it sends requests to both containers

docker stop --time 30 "$old" >/dev/null  # SIGTERM; gunicorn's graceful_timeout is 8 s
docker rm "$old" >/dev/null
echo "the backend runs the new image: container ${new:0:12} replaced ${old:0:12}"
