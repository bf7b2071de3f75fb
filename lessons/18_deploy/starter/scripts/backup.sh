#!/usr/bin/env bash
# Back up the Tasks database of the running stack into backups/, and print the file's path.
#
#   scripts/backup.sh                      # from the folder that holds compose.yaml
#   scripts/restore.sh backups/tasks-20260101-020000.dump
set -euo pipefail
cd "$(dirname "$0")/.."

# TODO(18): run pg_dump inside the db container, in PostgreSQL's custom format, as the
#   database's own user ($POSTGRES_USER, $POSTGRES_DB: the container's variables), and write
#   its output to backups/tasks-<UTC date and time>.dump; print that path, alone, last.
#     docker compose exec -T db sh -c '...'  > "$file"
#   -T: no terminal, so the bytes pass through untouched. Write to another name first and
#   rename it when pg_dump succeeded: a failed dump must never look like a backup. And keep
#   the dumps out of git.
echo "backup.sh is not written yet" >&2
exit 1
