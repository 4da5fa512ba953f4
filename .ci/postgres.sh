#!/usr/bin/env bash
# Install (Debian's package), start and prepare a local PostgreSQL for the multi-worker test.
# Prints the storage URL on success; prints nothing and exits 0 when it cannot, so the test
# is skipped with its own message instead of failing CI.
set -u
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null 2>&1 || exit 0
  else
    exit 0
  fi
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if command -v pg_ctlcluster >/dev/null 2>&1; then
  pg_ctlcluster "$version" main start >/dev/null 2>&1 || pg_createcluster "$version" main --start >/dev/null 2>&1 || true
fi
for _ in $(seq 1 20); do
  su postgres -c "psql -Atqc 'select 1'" >/dev/null 2>&1 && break
  sleep 0.5
done
su postgres -c "psql -Atqc 'select 1'" >/dev/null 2>&1 || exit 0
# A role for the current user (peer authentication over the Unix socket) and a fresh database.
me=$(id -un)
su postgres -c "psql -qc \"DO \\\$\\\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='$me') THEN CREATE ROLE \\\"$me\\\" LOGIN SUPERUSER; END IF; END\\\$\\\$\"" >/dev/null 2>&1
su postgres -c "psql -qc 'DROP DATABASE IF EXISTS autofeat_test'" >/dev/null 2>&1
su postgres -c "psql -qc 'CREATE DATABASE autofeat_test OWNER \"$me\"'" >/dev/null 2>&1 || exit 0
echo "postgresql:///autofeat_test?host=/var/run/postgresql"
