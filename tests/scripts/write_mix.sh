#!/usr/bin/env bash
# The app's writes under load, without and with the extension (SPEC 7, Concurrency): 8 pgbench
# clients for ANNOTATE_MIX_SECONDS (default 60) each, every kind of write the app makes (user
# POSTs into the four user tables, anonymous and robot votes, bulk robot votes in descending
# URL order beside bulk suspensions in ascending order, validations, follows and unfollows,
# batch links, new URLs) mixed with selection and leases. The mix is free of deadlocks and
# serialization failures without the extension; with it, the counts must be the same (zero),
# and verify() must be empty afterwards. Prints the throughput of both runs.
# ANNOTATE_MIX_READS=0 leaves selection and leases out of the run with the extension, so that
# both runs make the same writes and their throughput compares (benches/run does that).
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(scripts/cluster env)"
seconds=${ANNOTATE_MIX_SECONDS:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

prepare() {  # database
    q -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1 TEMPLATE annotate_fixture"
    scripts/seed S "$1" >/dev/null
    q -d "$1" <<'SQL'
INSERT INTO public.batches (strategy, status) SELECT 'manual', 'ready to label' FROM generate_series(1, 9);
INSERT INTO public.anonymous_sessions (id) SELECT md5('mix' || i)::uuid FROM generate_series(1, 50) i;
SQL
}

# One file per kind of transaction; pgbench picks among them.
cat >"$work/post.sql" <<'PGB'
\set u random(1, 300)
\set url random(1, 10000)
BEGIN;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (:url, :u, 'data source') ON CONFLICT DO NOTHING;
INSERT INTO public.annotation__record_type__user (url_id, user_id, record_type) VALUES (:url, :u, 'Stops') ON CONFLICT DO NOTHING;
INSERT INTO public.annotation__agency__user (agency_id, url_id, user_id) VALUES (1 + :u % 20, :url, :u) ON CONFLICT DO NOTHING;
INSERT INTO public.annotation__location__user (url_id, user_id, location_id) VALUES (:url, :u, 1) ON CONFLICT DO NOTHING;
COMMIT;
PGB
cat >"$work/anon.sql" <<'PGB'
\set s random(1, 50)
\set url random(1, 10000)
INSERT INTO public.annotation__url_type__anon (url_id, url_type, session_id)
VALUES (:url, 'meta url', md5('mix' || :s)::uuid) ON CONFLICT DO NOTHING;
PGB
cat >"$work/robots.sql" <<'PGB'
\set from random(1, 9900)
BEGIN;
INSERT INTO public.annotation__url_type__auto (url_id, relevant)
SELECT i, true FROM generate_series(:from + 99, :from, -1) i ON CONFLICT DO NOTHING;
DELETE FROM public.annotation__url_type__auto WHERE url_id BETWEEN :from AND :from + 49;
COMMIT;
PGB
cat >"$work/suspend.sql" <<'PGB'
\set from random(1, 9900)
BEGIN;
INSERT INTO public.flag_url_suspended (url_id) SELECT i FROM generate_series(:from, :from + 99) i ON CONFLICT DO NOTHING;
DELETE FROM public.flag_url_suspended WHERE url_id BETWEEN :from AND :from + 99;
COMMIT;
PGB
cat >"$work/validate.sql" <<'PGB'
\set url random(1, 10000)
INSERT INTO public.flag_url_validated (url_id, type) VALUES (:url, 'data source') ON CONFLICT DO NOTHING;
DELETE FROM public.flag_url_validated WHERE url_id = (:url * 7) % 10000 + 1;
PGB
cat >"$work/follow.sql" <<'PGB'
\set u random(1, 40)
\set l random(1, 14)
INSERT INTO public.link__locations__user_follows (location_id, user_id) VALUES (:l, :u) ON CONFLICT DO NOTHING;
DELETE FROM public.link__locations__user_follows WHERE location_id = (:l % 14) + 1 AND user_id = (:u % 40) + 1;
PGB
cat >"$work/links.sql" <<'PGB'
\set b random(1, 10)
\set l random(1, 14)
INSERT INTO public.link_batches__locations (batch_id, location_id) VALUES (:b, :l) ON CONFLICT DO NOTHING;
DELETE FROM public.link_batches__locations WHERE batch_id = (:b % 10) + 1 AND location_id = (:l % 14) + 1;
PGB
cat >"$work/new_url.sql" <<'PGB'
\set b random(1, 10)
BEGIN;
INSERT INTO public.urls (url, source) VALUES ('mix.example/' || :client_id || '/' || random(), 'collector');
INSERT INTO public.link_batches__urls (batch_id, url_id) VALUES (:b, currval('public.urls_id_seq'));
COMMIT;
PGB
cat >"$work/select.sql" <<'PGB'
\set u random(1, 300)
SELECT * FROM annotate.next_url_for_annotation(:u);
PGB
cat >"$work/claim.sql" <<'PGB'
\set u random(1, 300)
SELECT url_id AS leased FROM annotate.next_url_for_annotation(:u, claim_for => '1 minute') \gset
SELECT annotate.release_claim(:leased, user_id => :u);
PGB

run() {  # database, with|without
    local files=(-f "$work/post.sql@20" -f "$work/anon.sql@10" -f "$work/robots.sql@5" -f "$work/suspend.sql@5"
                 -f "$work/validate.sql@10" -f "$work/follow.sql@5" -f "$work/links.sql@5" -f "$work/new_url.sql@10")
    if [ "$2" = with ] && [ "${ANNOTATE_MIX_READS:-1}" = 1 ]; then
        files+=(-f "$work/select.sql@20" -f "$work/claim.sql@10")
    fi
    pgbench -n -c 8 -j 2 -T "$seconds" --max-tries=1 --failures-detailed "${files[@]}" "$1" >"$work/$2.out" 2>&1 || true
    local tps serial dead failed
    tps=$(awk '/^tps/ {print $3; exit}' "$work/$2.out")
    failed=$(sed -nE 's/^number of failed transactions: ([0-9]+).*/\1/p' "$work/$2.out")
    serial=$(sed -nE 's/^number of serialization failures: ([0-9]+).*/\1/p' "$work/$2.out")
    dead=$(sed -nE 's/^number of deadlock failures: ([0-9]+).*/\1/p' "$work/$2.out")
    if [ -z "$tps" ] || grep -q 'aborted' "$work/$2.out"; then
        cat "$work/$2.out" >&2
        echo "write mix ($2): pgbench did not finish" >&2
        exit 1
    fi
    echo "write mix $2 the extension: ${tps} tps, ${failed:-0} failed, ${serial:-0} serialization failures, ${dead:-0} deadlocks"
    # Each kind of transaction's mean latency (pgbench's per-script report), reads included.
    awk '/^SQL script [0-9]+:/ { s = $NF; sub(/.*\//, "", s); sub(/\.sql$/, "", s) }
         /latency average/ && s != "" { print "write mix " s " latency: " $(NF-1) " ms"; s = "" }' "$work/$2.out" \
        | sed "s/^write mix /write mix $2: /"
    eval "${2}_failed=${failed:-0} ${2}_serial=${serial:-0} ${2}_dead=${dead:-0}"
}

prepare annotate_mix_without
run annotate_mix_without without
prepare annotate_mix_with
q -d annotate_mix_with -c 'CREATE EXTENSION annotate_ext'
run annotate_mix_with with
problems=$(q -d annotate_mix_with -c 'SELECT count(*) FROM annotate.verify()')
echo "write mix: verify() after it: $problems problems"
[ "$without_serial" = 0 ] && [ "$without_dead" = 0 ] && [ "$without_failed" = 0 ] \
    || { echo "write mix: the mix itself fails without the extension; fix the mix" >&2; exit 1; }
[ "$with_serial" = "$without_serial" ] && [ "$with_dead" = "$without_dead" ] && [ "$with_failed" = 0 ] \
    || { echo "write mix: the extension added failures" >&2; exit 1; }
[ "$problems" = 0 ] || { echo "write mix: the queue is not exact after it" >&2; exit 1; }
q -d postgres -c 'DROP DATABASE annotate_mix_without' -c 'DROP DATABASE annotate_mix_with'
