#!/usr/bin/env bash
# Leasing while a fold holds rows. A fold locks the queue rows it folds until it commits, and a
# lease passes over rows another transaction holds. When that would change the answer (the
# call would come back short, or pass over a URL ahead of one it leased: the caller's own
# lease, say), the call waits for the fold to end and takes those rows again. A fold is held
# open here by a session of its own (fold_now() in a transaction block), as the folder's is for
# the milliseconds a fold takes. Three cases:
#   1. every URL the caller could get is held: it gets them once the fold commits, not nothing;
#   2. the caller's own lease is held: asking again gives that URL, not the next one, and the
#      next one is not left leased;
#   3. under REPEATABLE READ the call does not wait (the fold's rows could not be locked in its
#      snapshot): it answers with what it could lease.
# Needs the throwaway cluster (scripts/cluster) running. Turns annotate.fold_worker off for its
# run, so that only the held fold folds, and back on (its default) when done.
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(scripts/cluster env)"
db=annotate_lease_fold
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
folder() { psql -X -q -d postgres -c "ALTER SYSTEM $1" -c 'SELECT pg_reload_conf()' >/dev/null; }
folder 'SET annotate.fold_worker = off'
trap "folder 'RESET annotate.fold_worker'" EXIT
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db TEMPLATE annotate_fixture"
q -c 'CREATE EXTENSION annotate_ext'
q -c "INSERT INTO public.urls (id, url, source) SELECT i, 'fold-wait.example/' || i, 'collector' FROM generate_series(1, 3) i" \
  -c "SELECT annotate_internal.fold_now() >= 0" >/dev/null
fail() { echo "lease_fold_wait: $*" >&2; exit 1; }

# Folds what is pending in a transaction held open for $1 seconds, in the background; returns
# once the fold holds its rows (the fold lock is taken and the deltas are gone from its view).
hold_fold() {
    q -c "BEGIN" -c "SELECT annotate_internal.fold_now()" -c "SELECT pg_catalog.pg_sleep($1)" -c "COMMIT" >/dev/null &
    holder=$!
    for _ in $(seq 200); do
        held=$(q -c "SELECT count(*) FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
                     WHERE l.locktype = 'advisory' AND l.objid = 2 AND l.granted AND a.query LIKE '%pg_sleep%'")
        [ "$held" = 1 ] && return 0
        sleep 0.01
    done
    fail "the fold was not held"
}

# 1. Every URL is held by the fold (robot votes on all three are being folded).
q -c "INSERT INTO public.annotation__url_type__auto (url_id, relevant) SELECT i, true FROM generate_series(1, 3) i"
hold_fold 1
locked=$(q -c "SELECT count(*) FROM (SELECT 1 FROM annotate_internal.queue FOR UPDATE SKIP LOCKED) s")
[ "$locked" = 0 ] || fail "case 1: the fold holds $((3 - locked)) of the 3 rows only"
got=$(q -c "SELECT string_agg(url_id::text, ',' ORDER BY url_id) FROM annotate.next_url_for_annotation(1, max_urls => 3, claim_for => '10 minutes')")
wait "$holder"
[ "$got" = "1,2,3" ] || fail "case 1: a lease while a fold held every URL got '$got', expected 1,2,3 once the fold ended"
echo "lease_fold_wait: case 1 ok (all held: leased $got after the fold)"
q -c "UPDATE annotate_internal.queue SET leased = false, lease_user = NULL, lease_session = NULL, lease_until = NULL, lease_xid = NULL WHERE leased"

# An anonymous vote on URL $1: a write whose fold rewrites the URL's queue row (and ends no
# user's lease).
anon_vote() {
    q -c "INSERT INTO public.anonymous_sessions (id) VALUES ('$2')" \
      -c "INSERT INTO public.annotation__url_type__anon (url_id, url_type, session_id) VALUES ($1, 'meta url', '$2')"
}

# 2. User 2 holds a lease on the head; the fold holds that row only (an anonymous vote on it).
own=$(q -c "SELECT url_id FROM annotate.next_url_for_annotation(2, claim_for => '10 minutes')")
anon_vote "$own" 00000000-0000-0000-0000-000000000002
hold_fold 1
again=$(q -c "SELECT string_agg(url_id::text, ',') FROM annotate.next_url_for_annotation(2, claim_for => '10 minutes')")
wait "$holder"
[ "$again" = "$own" ] || fail "case 2: asking again while a fold held the caller's lease got '$again', expected its own $own"
leases=$(q -c "SELECT string_agg(url_id::text, ',' ORDER BY url_id) FROM annotate_internal.queue WHERE leased")
[ "$leases" = "$own" ] || fail "case 2: leases held afterwards: '$leases', expected $own only"
echo "lease_fold_wait: case 2 ok (own lease $own kept, no other URL left leased)"

# 3. REPEATABLE READ: no wait; the held row is passed over.
q -c "UPDATE annotate_internal.queue SET leased = false, lease_user = NULL, lease_session = NULL, lease_until = NULL, lease_xid = NULL WHERE leased"
anon_vote "$own" 00000000-0000-0000-0000-000000000003
hold_fold 2
start=$(date +%s%N)
rr=$(q -c "BEGIN ISOLATION LEVEL REPEATABLE READ" \
       -c "SELECT string_agg(url_id::text, ',') FROM annotate.next_url_for_annotation(3, max_urls => 3, claim_for => '10 minutes')" \
       -c "COMMIT")
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
wait "$holder"
[ "$elapsed_ms" -lt 1000 ] || fail "case 3: under REPEATABLE READ the call took $elapsed_ms ms (it waited for the fold)"
case ",$rr," in *",$own,"*) fail "case 3: got the held URL $own under REPEATABLE READ: '$rr'" ;; esac
[ -n "$rr" ] || fail "case 3: got nothing under REPEATABLE READ"
echo "lease_fold_wait: case 3 ok (REPEATABLE READ: $rr in $elapsed_ms ms, no wait)"

problems=$(q -c "SELECT count(*) FROM annotate.verify()")
[ "$problems" = 0 ] || fail "verify() reports $problems problems"
psql -X -q -d postgres -c "DROP DATABASE $db"
