#!/usr/bin/env bash
# Restore the Tasks database of the running stack from a backup made by scripts/backup.sh.
#
#   scripts/restore.sh backups/tasks-20260101-020000.dump
#
# The backend stops first: nothing writes while the tables are replaced (the proxy answers its
# friendly 503 meanwhile), and no connection of its pool keeps statements prepared against the
# tables the restore drops. pg_restore runs inside the db container and reads the dump from
# standard input. --clean --if-exists drops every table the dump holds before it creates it
# again, so the database ends exactly as it was backed up, whatever it holds now (an empty schema
# fresh from the migrations, or the damaged data the restore is for). --single-transaction: all
# of it, or nothing. Then the backend starts again, and the script waits until it is healthy.
set -euo pipefail
cd "$(dirname "$0")/.."

file="${1:?usage: scripts/restore.sh backups/tasks-YYYYmmdd-HHMMSS.dump}"
if [ ! -s "$file" ]; then
    echo "restore: $file does not exist or is empty" >&2
    exit 1
fi

docker compose stop backend
# whatever happens below, the backend comes back (--no-deps: the migrations do not run again)
trap 'docker compose up --detach --wait --no-deps backend' EXIT
docker compose exec -T db sh -c 'pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error \
    --username="$POSTGRES_USER" --dbname="$POSTGRES_DB"' < "$file"
echo "restored $file"
