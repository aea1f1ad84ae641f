#!/usr/bin/env bash
# No error reaches a client with a Rust backtrace, whatever the server's environment says
# (src/lib.rs): with RUST_BACKTRACE=1 in the server's environment (tests/run starts it so, and
# this checks), PostgreSQL's own error raised inside the extension's Rust code (a lock timeout
# in a selection's statement) and an error the extension raises (a refresh step failing) come
# with their message and no backtrace, at psql's most verbose.
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(scripts/cluster env)"
db=annotate_t_backtrace
q() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
fail() { echo "no_backtrace: $*" >&2; exit 1; }

postmaster=$(head -1 "$PGHOST/data/postmaster.pid" 2>/dev/null || true)
if [ -z "$postmaster" ] || ! tr '\0' '\n' <"/proc/$postmaster/environ" | grep -qx 'RUST_BACKTRACE=1'; then
    fail "the server was not started with RUST_BACKTRACE=1 in its environment: this test would prove nothing (tests/run starts it so)"
fi
q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db TEMPLATE annotate_fixture"
q -d "$db" -c "INSERT INTO public.urls (id, url, source) VALUES (1, 'b.example', 'manual')" -c 'CREATE EXTENSION annotate_ext'

# A session holds the table the calls need; the calls give up after lock_timeout.
q -d "$db" -c 'BEGIN' -c 'LOCK public.urls IN ACCESS EXCLUSIVE MODE' -c 'SELECT pg_sleep(4)' -c 'COMMIT' >/dev/null &
holder=$!
sleep 1
out=$(PGOPTIONS="-c client_min_messages=warning -c lock_timeout=200ms" psql -X -d "$db" \
        -c '\set VERBOSITY verbose' \
        -c 'SELECT * FROM annotate.next_url_for_annotation(1)' \
        -c 'SELECT * FROM annotate.refresh()' 2>&1 || true)
wait "$holder"
echo "$out"
echo "$out" | grep -q '55P03: canceling statement due to lock timeout' || fail "no lock timeout from the selection"
echo "$out" | grep -q 'annotate.refresh: step .* failed: canceling statement due to lock timeout' || fail "no lock timeout from refresh()"
if echo "$out" | grep -qiE 'backtrace|pgrx|^ +[0-9]+: |panic'; then
    fail "an error carried a Rust backtrace"
fi
q -d postgres -c "DROP DATABASE $db"
echo "no_backtrace: ok"
