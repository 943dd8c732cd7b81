#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster: initdb in a temp
# directory, pg_ctl start on 127.0.0.1 (a free port), the command with
# INFERD_TEST_POSTGRES set to the cluster's DSN, then stop and remove.
# Uses Debian's postgresql package; as root, the cluster runs as the
# postgres user (initdb refuses root).
#   scripts/postgres.sh go test -count=1 ./monitor/...
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: scripts/postgres.sh COMMAND [ARGS...]" >&2; exit 2; }
bindir=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)
[ -x "${bindir:-}/initdb" ] || { echo "postgres.sh: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/inferd-pg.XXXXXX")
as=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$dir"
  as=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() {
  "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
"${as[@]}" "$bindir/initdb" -D "$dir/data" -U inferd --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
"${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off" start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
export INFERD_TEST_POSTGRES="postgres://inferd@127.0.0.1:$port/postgres?sslmode=disable"
echo "postgres.sh: PostgreSQL on 127.0.0.1:$port ($INFERD_TEST_POSTGRES)" >&2
"$@"
