#!/usr/bin/env bash
# A real Prometheus scrape of the extension's statistics: Debian's prometheus-postgres-exporter
# (0.11) runs examples/monitoring/queries.yaml as a login role that is only a member of
# pg_monitor, over the cluster's Unix socket, on a free local port. After reset_timings(), a
# known mix of selection calls (some leasing, one with an empty answer) and one refresh(), the
# scraped /metrics must say exactly that: the call counters with the URLs the leasing calls
# returned, the +Inf bucket and _count of the phase-total histogram, every bucket of it as
# annotate.timing_histogram has it, non-decreasing buckets in every phase, _sum and each
# phase's _count as annotate.timing_stats has them, the last refresh as refresh_history has it,
# and no query error in the exporter's metrics or log.
# Prints the extension's metric lines it scraped. The exporter, its database and its role go
# away at exit, also on failure.
# Needs the throwaway cluster (scripts/cluster) running with annotate_ext preloaded, database
# annotate_fixture, and the exporter (bash scripts/setup installs it).
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(scripts/cluster env)"
db=annotate_t_exporter role=annotate_t_exporter
exporter=/usr/bin/prometheus-postgres-exporter
q() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
fail() { echo "exporter: $*" >&2; exit 1; }

[ -x "$exporter" ] || fail "$exporter is missing (Debian package prometheus-postgres-exporter): run 'bash scripts/setup'"

work=$(mktemp -d)
pid=
cleanup() {
    local rc=$?
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "DROP ROLE IF EXISTS $role" || true
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT

q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "DROP ROLE IF EXISTS $role" \
  -c "CREATE DATABASE $db TEMPLATE annotate_fixture" \
  -c "CREATE ROLE $role LOGIN" -c "GRANT pg_monitor TO $role"
scripts/seed S "$db" >/dev/null
q -d "$db" -c 'CREATE EXTENSION annotate_ext'
[ "$(q -d "$db" -c "SELECT scope FROM annotate.call_stats")" = database ] \
    || fail "the statistics are not in shared memory: preload annotate_ext (scripts/cluster does)"

# The calls. Statistics are this database's: nothing else may select in it while this runs.
q -d "$db" -c 'SELECT annotate.reset_timings()' >/dev/null
plain=5 leasing_one=2 batch_urls=4
q -d "$db" -c "SELECT count(annotate.next_annotation(u)) FROM generate_series(1, $plain) u" >/dev/null
leased_one=$(q -d "$db" -c "SELECT count(*) FILTER (WHERE a->'next_annotation' <> 'null')
                            FROM (SELECT annotate.next_annotation(u, claim_for => '10 minutes') a
                                  FROM generate_series(11, 10 + $leasing_one) u) s")
leased_batch=$(q -d "$db" -c "SELECT count(*) FROM annotate.next_url_for_annotation(21, max_urls => $batch_urls,
                                                                                  claim_for => '10 minutes')")
empty=$(q -d "$db" -c "SELECT annotate.next_annotation(22, batch_id => 999999)->>'next_annotation' IS NULL")
[ "$empty" = t ] || fail "next_annotation for an unknown batch was not empty"
[ "$leased_one" = "$leasing_one" ] && [ "$leased_batch" = "$batch_urls" ] \
    || fail "the seed gave fewer URLs than asked ($leased_one of $leasing_one, $leased_batch of $batch_urls)"
next_annotation_calls=$((plain + leasing_one + 1))
selection_calls=$((next_annotation_calls + 1))
leasing_calls=$((leasing_one + 1))
urls_leased=$((leased_one + leased_batch))
q -d "$db" -c 'SELECT count(*) FROM annotate.refresh()' >/dev/null

# The exporter, on a free port of the loopback address, until this script exits.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DATA_SOURCE_NAME="postgresql://$role@:$PGPORT/$db?host=$PGHOST&sslmode=disable" \
    "$exporter" --extend.query-path=examples/monitoring/queries.yaml \
    --web.listen-address="127.0.0.1:$port" --disable-default-metrics --disable-settings-metrics \
    --no-collector.database --no-collector.bgwriter >"$work/exporter.log" 2>&1 &
pid=$!
for _ in $(seq 50); do
    python3 -c 'import sys, urllib.request; open(sys.argv[2], "wb").write(urllib.request.urlopen(sys.argv[1], timeout=5).read())' \
        "http://127.0.0.1:$port/metrics" "$work/metrics" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/exporter.log" >&2; fail "the exporter exited"; }
    sleep 0.2
done
[ -s "$work/metrics" ] || { cat "$work/exporter.log" >&2; fail "no answer on 127.0.0.1:$port/metrics within 10 s"; }
cp "$work/metrics" "$work/scraped"
# Compared without the label every series carries, server="<socket directory>:<port>".
sed -i 's/,server="[^"]*"//; s/{server="[^"]*",/{/; s/{server="[^"]*"}//' "$work/metrics"

# The scrape's own health: connected, our file loaded, every query ran, nothing logged.
value() {  # metric name with its labels as printed before the value, e.g. 'x{phase="total"' or 'x'
    awk -v m="$1" 'substr($0, 1, length(m)) == m && (substr($0, length(m) + 1, 1) ~ /[ ,{}]/) { print $NF; exit }' "$work/metrics"
}
expect() {  # metric, expected value, what it is
    local got
    got=$(value "$1")
    [ "$got" = "$2" ] || fail "$3: $1 is '${got:-missing}', expected $2"
}
expect pg_up 1 "the exporter's connection"
expect pg_exporter_last_scrape_error 0 "a query of queries.yaml failed ($(grep -m1 'err=' "$work/exporter.log" || true))"
expect pg_exporter_user_queries_load_error 0 "queries.yaml did not load"
if grep -E 'level=(warn|error)|err=' "$work/exporter.log" >&2; then fail "the exporter logged the errors above"; fi

# The counters.
expect 'annotate_calls_total{scope="database"' "$selection_calls" "selection calls"
expect 'annotate_calls_empty_answers_total{scope="database"' 1 "empty answers"
expect 'annotate_calls_leasing_total{scope="database"' "$leasing_calls" "leasing calls"
expect 'annotate_calls_urls_leased_total{scope="database"' "$urls_leased" "URLs the leasing calls returned"
expect 'annotate_calls_lease_conflicts_total{scope="database"' 0 "lease conflicts"

# The histograms: phase total counts every next_annotation call, its buckets are the view's,
# its _sum is timing_stats' total; in every phase the buckets never decrease.
expect 'annotate_timing_call_seconds_bucket{phase="total",le="+Inf"' "$next_annotation_calls" "+Inf bucket of phase total"
expect 'annotate_timing_call_seconds_count{phase="total"' "$next_annotation_calls" "_count of phase total"
q -d "$db" -c "SELECT le_seconds, calls FROM annotate.timing_histogram
               WHERE phase = 'total' AND le_seconds <> 'Infinity' ORDER BY le_seconds" \
    | awk -F'|' '{ printf "%.9g %s\n", $1, $2 }' >"$work/buckets_sql"
grep '^annotate_timing_call_seconds_bucket{phase="total",le="[0-9]' "$work/metrics" \
    | sed 's/.*le="\([^"]*\)"} \(.*\)/\1 \2/' | awk '{ printf "%.9g %s\n", $1, $2 }' >"$work/buckets_scraped"
[ "$(wc -l <"$work/buckets_sql")" -gt 20 ] || fail "annotate.timing_histogram has $(wc -l <"$work/buckets_sql") finite bounds for phase total"
diff "$work/buckets_sql" "$work/buckets_scraped" >&2 \
    || fail "the scraped buckets of phase total differ from annotate.timing_histogram (above: < view, > scrape)"
sum_sql=$(q -d "$db" -c "SELECT total_ms / 1000.0 FROM annotate.timing_stats WHERE phase = 'total'")
sum_scraped=$(value 'annotate_timing_call_seconds_sum{phase="total"')
awk -v a="$sum_sql" -v b="$sum_scraped" 'BEGIN { d = a - b; exit !(b != "" && d * d <= 1e-18 + 1e-18 * a * a) }' \
    || fail "_sum of phase total is '$sum_scraped', timing_stats says $sum_sql"
q -d "$db" -c "SELECT phase, calls FROM annotate.timing_stats" | tr '|' ' ' | LC_ALL=C sort >"$work/counts_sql"
grep '^annotate_timing_call_seconds_count{' "$work/metrics" | sed 's/.*phase="\([^"]*\)"} \(.*\)/\1 \2/' \
    | LC_ALL=C sort >"$work/counts_scraped"
[ "$(wc -l <"$work/counts_sql")" = 7 ] || fail "annotate.timing_stats has $(wc -l <"$work/counts_sql") phases, expected 7"
diff "$work/counts_sql" "$work/counts_scraped" >&2 \
    || fail "the scraped _count per phase differs from annotate.timing_stats.calls (above: < view, > scrape)"
grep '^annotate_timing_call_seconds_bucket{' "$work/metrics" \
    | sed 's/.*phase="\([^"]*\)".* \([^ ]*\)$/\1 \2/' \
    | awk '$1 == p && $2 < last { print "phase " $1 ": a bucket of " $2 " after one of " last; bad = 1 }
           { p = $1; last = $2 } END { exit bad }' >&2 \
    || fail "bucket counts decrease"
[ "$(value 'annotate_timing_p95_seconds{phase="total"')" != NaN ] || fail "no p95 for phase total"

# refresh() and the queue.
last_run=$(q -d "$db" -c "SELECT seconds FROM annotate.refresh_history ORDER BY id DESC LIMIT 1")
awk -v a="$last_run" -v b="$(value annotate_refresh_last_run_seconds)" 'BEGIN { exit !(b != "" && a == b + 0) }' \
    || fail "annotate_refresh_last_run_seconds is '$(value annotate_refresh_last_run_seconds)', refresh_history says $last_run"
expect annotate_refresh_last_run_succeeded 1 "the refresh"
expect annotate_refresh_running 0 "a refresh running"
expect annotate_refresh_history_failed_runs 0 "failed refreshes"
[ -n "$(value annotate_refresh_last_success_age_seconds)" ] || fail "no annotate_refresh_last_success_age_seconds"
expect annotate_queue_attached 1 "the attachment"
expect annotate_queue_pending_writes 0 "pending writes"
[ -n "$(value annotate_queue_rows_estimate)" ] || fail "no annotate_queue_rows_estimate"

# What Prometheus got, as scraped; of the buckets only phase total's non-empty ones.
echo "exporter: the extension's series scraped from 127.0.0.1:$port/metrics:"
awk '/^annotate_/ && !(/_bucket\{/ && (!/phase="total"/ || $NF == 0))' "$work/scraped"
echo "exporter: ok (prometheus-postgres-exporter $("$exporter" --version 2>&1 | awk 'NR == 1 { print $3 }'), role in pg_monitor only; $selection_calls selection calls, $next_annotation_calls of next_annotation, $urls_leased URLs leased)"
