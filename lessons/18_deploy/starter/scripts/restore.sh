#!/usr/bin/env bash
# Restore the Tasks database of the running stack from a backup made by scripts/backup.sh.
#
#   scripts/restore.sh backups/tasks-20260101-020000.dump
set -euo pipefail
cd "$(dirname "$0")/.."

file="${1:?usage: scripts/restore.sh backups/tasks-YYYYmmdd-HHMMSS.dump}"

# TODO(18): refuse a file that does not exist or is empty; stop the backend (nothing writes
#   meanwhile); pg_restore inside the db container, reading the dump from standard input
#   (docker compose exec -T db ... < "$file"): --clean --if-exists (drop what the dump holds
#   before creating it again), --no-owner, --single-transaction (all or nothing), as
#   $POSTGRES_USER into $POSTGRES_DB; then the backend up again, waiting until it is healthy
#   (docker compose up --detach --wait --no-deps backend), whatever happened (a trap on EXIT).
echo "restore.sh is not written yet: $file was not restored" >&2
exit 1
