#!/usr/bin/env bash
# Back up the Tasks database of the running stack into backups/, and print the file's path.
#
#   scripts/backup.sh                      # from the folder that holds compose.yaml
#   scripts/restore.sh backups/tasks-20260101-020000.dump
#
# pg_dump runs inside the db container (`docker compose exec -T`: no terminal, so the dump
# passes through untouched), as the database's own user, and writes PostgreSQL's custom format
# (--format=custom): compressed, and pg_restore can restore it whole or table by table. It is a
# consistent snapshot taken while the app keeps running. The file is written under another name
# first and renamed when complete: a failed dump never looks like a backup.
#
# A backup nobody has restored is a hope, not a backup: restore one regularly (the drill).
# backups/ is git-ignored: a dump holds every user's data (and password hashes). Copy it off this
# machine (another disk, object storage): a backup next to the database dies with it.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p backups
file="backups/tasks-$(date -u +%Y%m%d-%H%M%S).dump"
trap 'rm -f "$file.partial"' EXIT

# the container's own variables: single quotes, so that its shell expands them, not ours
docker compose exec -T db sh -c 'pg_dump --format=custom --username="$POSTGRES_USER" --dbname="$POSTGRES_DB"' \
    > "$file.partial"
if [ ! -s "$file.partial" ]; then
    echo "backup: pg_dump wrote nothing" >&2
    exit 1
fi
mv "$file.partial" "$file"
echo "$file"
