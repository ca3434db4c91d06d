#!/usr/bin/env bash
# Installs (if needed) and starts a local PostgreSQL 15 with role parat/parat and database parat_test. Idempotent; run as root.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ ! -d /usr/lib/postgresql/15 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if ! pg_lsclusters -h | grep -q '^15 *main'; then
  pg_createcluster 15 main >/dev/null
fi
pg_ctlcluster 15 main start 2>/dev/null || true
for _ in $(seq 1 30); do
  pg_isready -q -h localhost -p 5432 && break
  sleep 1
done
pg_isready -h localhost -p 5432
su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='parat'\"" | grep -q 1 \
  || su postgres -c "psql -q -c \"CREATE ROLE parat LOGIN PASSWORD 'parat'\""
# The backup test restores into a database of its own.
su postgres -c "psql -q -c \"ALTER ROLE parat CREATEDB\""
su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='parat_test'\"" | grep -q 1 \
  || su postgres -c "createdb -O parat parat_test"
echo "PostgreSQL ready: postgres://parat:parat@localhost:5432/parat_test"
