#!/usr/bin/env bash
# Stress test for claims, outside any rolled-back transaction: 8 concurrent clients (pgbench),
# half of them following a batch, each claim a URL, then annotate and validate it in one
# transaction (as the app's POST writes), 250 times, over 2,000 URLs. (Annotating ends the lease, so a URL annotated but not
# yet validated is fair game for the next caller: both writes commit together.) If two clients
# were ever handed the same URL under live leases, the second validation would violate
# flag_url_validated's primary key and pgbench would report an error. Afterwards every URL
# must be annotated exactly once. Needs the throwaway cluster (scripts/cluster) running.
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(scripts/cluster env)"
db=annotate_stress
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db TEMPLATE annotate_fixture"
q -c 'CREATE EXTENSION annotate_ext'
q -c "INSERT INTO public.urls (url, source) SELECT 'stress.example/' || i, 'collector' FROM generate_series(1, 2000) i"
# Clients 1-4 follow a location linked to a batch of half the URLs (they walk, merge, then
# lease); clients 5-8 follow nothing (they walk and lease in one statement). The fold of the
# new follows holds those 1,000 rows for a moment while the first calls run: callers must
# walk past them, not give up (they did, returning no URL).
q -c "INSERT INTO public.us_states (state_iso, state_name) VALUES ('PA', 'Pennsylvania')" \
  -c "INSERT INTO public.batches (strategy, status) VALUES ('manual', 'ready to label')" \
  -c "INSERT INTO public.link_batches__urls (batch_id, url_id)
      SELECT (SELECT min(id) FROM public.batches), id FROM public.urls WHERE id % 2 = 0" \
  -c "INSERT INTO public.link_batches__locations (batch_id, location_id)
      SELECT (SELECT min(id) FROM public.batches), min(id) FROM public.locations" \
  -c "INSERT INTO public.link__locations__user_follows (location_id, user_id)
      SELECT (SELECT min(id) FROM public.locations), u FROM generate_series(1, 4) u"
script=$(mktemp)
cat >"$script" <<'PGB'
\set uid :client_id + 1
SELECT url_id AS claimed FROM annotate.next_url_for_annotation(:uid, claim_for => '10 minutes') \gset
BEGIN;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (:claimed, :uid, 'data source');
INSERT INTO public.flag_url_validated (url_id, type) VALUES (:claimed, 'data source');
COMMIT;
PGB
pgbench -n -c 8 -j 2 -t 250 -f "$script" "$db" >"$script.out" 2>&1 || { cat "$script.out"; echo "stress: pgbench failed" >&2; exit 1; }
rm -f "$script"
grep -E '^(number of (transactions actually processed|failed)|tps)' "$script.out" || true
result=$(q -c "SELECT (SELECT count(*) FROM public.flag_url_validated) || ' ' ||
                      (SELECT count(*) FROM public.annotation__url_type__user) || ' ' ||
                      (SELECT count(DISTINCT url_id) FROM public.annotation__url_type__user) || ' ' ||
                      (SELECT count(*) FROM annotate.verify())")
read -r validated votes distinct problems <<<"$result"
echo "stress: $validated URLs validated, $votes votes on $distinct distinct URLs, verify() problems: $problems"
[ "$validated" = 2000 ] && [ "$votes" = 2000 ] && [ "$distinct" = 2000 ] && [ "$problems" = 0 ] \
    || { echo "stress: a URL was handed out twice or lost" >&2; exit 1; }
psql -X -q -d postgres -c "DROP DATABASE $db"
