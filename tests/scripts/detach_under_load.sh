#!/usr/bin/env bash
# detach() and attach() while the app works: 8 pgbench clients write (votes, flags, follows, new
# URLs) and read (selection, leases) for ANNOTATE_DDL_SECONDS (default 20) while another session
# detaches and attaches the extension three times. attach() and detach() take their locks all
# or none (annotate_internal.lock_attachment), so neither they nor the app's transactions may
# fail with a deadlock; reads made while detached get the documented error (55000), which the
# read script expects. Afterwards the extension is attached and verify() is empty.
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(scripts/cluster env)"
db=annotate_t_detach
seconds=${ANNOTATE_DDL_SECONDS:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
q() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
fail() { echo "detach_under_load: $*" >&2; exit 1; }

q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db TEMPLATE annotate_fixture"
scripts/seed S "$db" >/dev/null
q -d "$db" <<'SQL'
INSERT INTO public.batches (strategy, status) SELECT 'manual', 'ready to label' FROM generate_series(1, 9);
INSERT INTO public.anonymous_sessions (id) SELECT md5('ddl' || i)::uuid FROM generate_series(1, 50) i;
CREATE EXTENSION annotate_ext;
-- A read as the app makes it, which expects "not attached" while a migration runs.
CREATE FUNCTION public.read_next(u int, leasing boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF leasing THEN
        PERFORM * FROM annotate.next_url_for_annotation(u, claim_for => '1 minute');
    ELSE
        PERFORM annotate.next_annotation(u);
    END IF;
EXCEPTION WHEN object_not_in_prerequisite_state THEN
    NULL;
END $$;
SQL

cat >"$work/read.sql" <<'PGB'
\set u random(1, 300)
SELECT public.read_next(:u, false);
PGB
cat >"$work/lease.sql" <<'PGB'
\set u random(1, 300)
SELECT public.read_next(:u, true);
PGB
cat >"$work/vote.sql" <<'PGB'
\set u random(1, 300)
\set url random(1, 10000)
BEGIN;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (:url, :u, 'data source') ON CONFLICT DO NOTHING;
INSERT INTO public.annotation__agency__user (agency_id, url_id, user_id) VALUES (1 + :u % 20, :url, :u) ON CONFLICT DO NOTHING;
COMMIT;
PGB
cat >"$work/flag.sql" <<'PGB'
\set url random(1, 10000)
INSERT INTO public.flag_url_suspended (url_id) VALUES (:url) ON CONFLICT DO NOTHING;
DELETE FROM public.flag_url_suspended WHERE url_id = (:url * 7) % 10000 + 1;
PGB
cat >"$work/follow.sql" <<'PGB'
\set u random(1, 40)
\set l random(1, 14)
INSERT INTO public.link__locations__user_follows (location_id, user_id) VALUES (:l, :u) ON CONFLICT DO NOTHING;
DELETE FROM public.link__locations__user_follows WHERE location_id = (:l % 14) + 1 AND user_id = (:u % 40) + 1;
PGB
cat >"$work/new_url.sql" <<'PGB'
\set b random(1, 10)
BEGIN;
INSERT INTO public.urls (url, source) VALUES ('ddl.example/' || :client_id || '/' || random(), 'collector');
INSERT INTO public.link_batches__urls (batch_id, url_id) VALUES (:b, currval('public.urls_id_seq'));
COMMIT;
PGB

pgbench -n -c 8 -j 2 -T "$seconds" --max-tries=1 --failures-detailed \
    -f "$work/read.sql@30" -f "$work/lease.sql@10" -f "$work/vote.sql@25" -f "$work/flag.sql@10" \
    -f "$work/follow.sql@10" -f "$work/new_url.sql@15" "$db" >"$work/pgbench.out" 2>&1 &
bench=$!
cycles=0
for i in 1 2 3; do
    sleep $(( seconds / 5 ))
    q -d "$db" -c 'SELECT annotate.detach()' >/dev/null || fail "detach() failed under load (cycle $i)"
    sleep 1
    q -d "$db" -c 'SELECT count(*) FROM annotate.attach()' >/dev/null || fail "attach() failed under load (cycle $i)"
    cycles=$i
done
wait "$bench" || true
grep -E '^tps|^number of (failed|deadlock|serialization)' "$work/pgbench.out" || true
grep -q '^tps' "$work/pgbench.out" && ! grep -qi 'aborted' "$work/pgbench.out" \
    || { cat "$work/pgbench.out" >&2; fail "pgbench did not finish"; }
failed=$(sed -nE 's/^number of failed transactions: ([0-9]+).*/\1/p' "$work/pgbench.out")
[ "${failed:-0}" = 0 ] || fail "the app's transactions failed ($failed) while the extension was detached and attached"
[ "$(q -d "$db" -c 'SELECT attached FROM annotate_internal.state')" = t ] || fail "not attached at the end"
problems=$(q -d "$db" -c 'SELECT count(*) FROM annotate.verify()')
[ "$problems" = 0 ] || fail "verify() reports $problems problems"
echo "detach_under_load: $cycles detach/attach cycles under load, no failed transaction, verify() empty"
q -d postgres -c "DROP DATABASE $db"
