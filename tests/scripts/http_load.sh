#!/usr/bin/env bash
# Load over HTTP: the Python example backend (examples/python: FastAPI on uvicorn, one worker,
# a psycopg pool) on localhost, serving workload S (10k URLs) from a database of its own.
# 8 concurrent clients on keep-alive connections, ANNOTATE_LOAD_SECONDS (default 30) for each
# shape: GET /annotate/all, then GET with claims (2,000 users, each holding a 10-minute lease
# that is never released); before them, one client alone for the unloaded latency. Prints
# requests/s, p50/p95/p99 and the non-2xx counts of each shape, and beside them the extension's
# own call measured in the server: annotate.timing_stats() over the same interval, and pgbench
# running the same SQL with 8 clients. Exits non-zero on any 5xx.
#
# Needs a running cluster with annotate_ext installed: the one the PG* variables name, else
# scripts/cluster's. Makes the virtualenv .venv-examples from examples/python/requirements.txt
# when it is missing or incomplete.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -n "${PGHOST:-}" ] || eval "$(scripts/cluster env)"
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
seconds=${ANNOTATE_LOAD_SECONDS:-30}
venv=${ANNOTATE_VENV:-$PWD/.venv-examples}
db=annotate_http_load
users=2000
short=$(( seconds < 10 ? seconds : 10 ))  # the 1-client shape and pgbench's
work=$(mktemp -d)
server=
cleanup() {
    [ -n "$server" ] && { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
    rm -rf "$work"
}
trap cleanup EXIT
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }

if ! "$venv/bin/python" -c 'import annotate_ext, fastapi, psycopg_pool, uvicorn' 2>/dev/null; then
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r examples/python/requirements.txt
fi

echo "http_load: workload S in database $db"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
q -f tests/fixtures/app_schema.sql
scripts/seed S "$db" >/dev/null
q -c 'CREATE EXTENSION annotate_ext'
scope=$(q -c "SELECT annotate.status() ->> 'timing_scope'")

port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DATABASE_URL="dbname=$db" POOL_MAX_SIZE=8 "$venv/bin/uvicorn" --app-dir examples/python annotate_api:app \
    --host 127.0.0.1 --port "$port" --log-level warning --no-access-log &
server=$!

# The HTTP clients: plain keep-alive HTTP/1.1 over asyncio streams, because the load generator
# shares the machine with the server and an HTTP library would cost more CPU than the server
# itself. One shape per call; reads the extension's timings for the same interval
# (this database's statistics, when the library is preloaded).
"$venv/bin/python" - "$port" "$seconds" "$short" "$users" "dbname=$db" "$scope" >"$work/http.txt" <<'PY'
import asyncio, sys, time
from urllib.parse import urlencode

import psycopg
import annotate_ext

port, seconds, short = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
users, dsn, scope = int(sys.argv[4]), sys.argv[5], sys.argv[6]
CLIENTS = 8


async def get(reader, writer, path, user):
    """One request on an open connection: (status, body length)."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nX-User-Id: {user}\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = next(int(line[15:]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:"))
    await reader.readexactly(length)
    return status


async def ready():
    for _ in range(300):
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            status = await get(reader, writer, "/openapi.json", 1)
            writer.close()
            if status == 200:
                return
        except OSError:
            pass
        await asyncio.sleep(0.1)
    sys.exit("http_load: the server did not start")


async def client(n, path, deadline, latencies, statuses):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = 0
    while time.perf_counter() < deadline:
        user = 1 + (n + CLIENTS * i) % users
        i += 1
        start = time.perf_counter()
        status = await get(reader, writer, path, user)
        latencies.append(time.perf_counter() - start)
        statuses[status] = statuses.get(status, 0) + 1
    writer.close()


def percentile(values, p):
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


async def shape(admin, name, params, clients=CLIENTS, duration=seconds):
    path = "/annotate/all" + ("?" + urlencode(params) if params else "")
    annotate_ext.reset_timings(admin)
    latencies, statuses = [], {}
    start = time.perf_counter()
    deadline = start + duration
    await asyncio.gather(*(client(n, path, deadline, latencies, statuses) for n in range(clients)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    ms = [1000 * percentile(latencies, p) for p in (50, 95, 99)]
    bad = sum(count for status, count in statuses.items() if not 200 <= status < 300)
    five = sum(count for status, count in statuses.items() if status >= 500)
    total = {row["phase"]: row for row in annotate_ext.timing_stats(admin)}.get("total")
    inside = "n/a" if scope != "database" or total is None else \
        f"{total['p50_ms']:.2f} / {total['p95_ms']:.2f} / {total['p99_ms']:.2f}"
    print(f"| {name} | {len(latencies) / elapsed:.0f} | {ms[0]:.2f} / {ms[1]:.2f} / {ms[2]:.2f} | {bad} | {five} | {inside} |")


async def main():
    await ready()
    with psycopg.connect(dsn, autocommit=True) as admin:
        await shape(admin, "GET /annotate/all, 1 client (unloaded latency)", {}, 1, short)
        await shape(admin, "GET /annotate/all", {})
        await shape(admin, "GET with claims (600 s, held)", {"claim_seconds": 600})


asyncio.run(main())
PY

# The same SQL straight to the database, 8 clients, without HTTP (any error fails pgbench).
pgbench_shape() {  # name claim-argument
    cat >"$work/shape.sql" <<PGB
\set uid random(1, $users)
SELECT annotate.next_annotation(:uid$2);
PGB
    pgbench -n -c 8 -j 2 -T "$short" -f "$work/shape.sql" -l --log-prefix="$work/pgb" \
        "$db" >"$work/pgbench.txt" 2>&1 || { cat "$work/pgbench.txt"; exit 1; }
    tps=$(awk '/^tps/ { printf "%.0f", $3 }' "$work/pgbench.txt")
    cat "$work"/pgb.* | awk '{ print $3 / 1000 }' | sort -n >"$work/latency.txt"
    rm -f "$work"/pgb.*
    n=$(wc -l <"$work/latency.txt")
    p() { sed -n "$(( n * $1 / 100 + 1 ))p" "$work/latency.txt"; }
    printf '| %s (pgbench, SQL only) | %s | %.2f / %.2f / %.2f | - | - | - |\n' "$1" "$tps" "$(p 50)" "$(p 95)" "$(p 99)"
}

echo
echo "8 clients unless said; $seconds s per HTTP shape, $short s for the 1-client and pgbench shapes;"
echo "latency in ms; 'in the extension' is annotate.timing_stats() total over the same interval"
echo
echo "| shape | requests/s | p50 / p95 / p99 ms | non-2xx | 5xx | in the extension |"
echo "|---|---|---|---|---|---|"
cat "$work/http.txt"
pgbench_shape "next_annotation" ""
pgbench_shape "next_annotation with claims" ", claim_for => '600 seconds'"

fives=$(awk -F'|' '{ n += $6 } END { print n + 0 }' "$work/http.txt")
[ "$fives" = 0 ] || { echo "http_load: $fives responses with status 5xx" >&2; exit 1; }
