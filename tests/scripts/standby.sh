#!/usr/bin/env bash
# Reads on a hot standby, PostgreSQL's own way to scale reads. A real streaming standby of the
# throwaway cluster (pg_basebackup -R -X stream, a second port, the primary's settings with the
# extension and pg_cron preloaded) is started after an app database with data, votes, follows
# and the extension was made. The primary then writes (a validation, a vote that reorders, a new
# manual URL, anonymous votes, a lease) with its folder held off, and the standby must replay
# them (bounded poll, reported) and answer exactly as the primary with those writes unfolded:
# selection for users 1..50 (max_urls 5), anonymous sessions, responses with and without a
# batch and skip, annotation_for_url, verify() (empty on both). Then again after refresh() on
# the primary, live and in snapshot mode. status() and the statistics views answer there,
# status() saying standby, without a transaction id. Leasing, release_claim, refresh, attach,
# detach and reconcile fail there at once with SQLSTATE 25006 and a message naming the function
# (printed). On the primary inside BEGIN READ ONLY: every read function answers as outside it,
# and the same calls fail with 25006 naming the function.
# Always, also on failure: the standby is stopped and its directory removed, the database
# dropped on the primary.
# Needs the throwaway cluster (scripts/cluster; any ANNOTATE_PGDIR/ANNOTATE_PGPORT) running with
# annotate_ext preloaded, and database annotate_fixture. The standby lives in
# ANNOTATE_STANDBY_DIR (default <primary dir>-standby) on ANNOTATE_STANDBY_PORT (default the
# primary's port + 50).
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(scripts/cluster env)"
primary_host=$PGHOST primary_port=$PGPORT
sdir=${ANNOTATE_STANDBY_DIR:-${primary_host%/}-standby}
sport=${ANNOTATE_STANDBY_PORT:-$((primary_port + 50))}
db=annotate_t_standby
PGBIN=$(pg_config --bindir)
fail() { echo "standby: $*" >&2; exit 1; }
# statement_timeout: "at once" means no lock wait; a hang shows as a timeout, not a pass.
q() { PGOPTIONS="-c client_min_messages=warning -c statement_timeout=20s" psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
qp() { q -h "$primary_host" -p "$primary_port" -d "$db" "$@"; }
qs() { q -h "$sdir" -p "$sport" -d "$db" "$@"; }
as_pg() { if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

work=$(mktemp -d)
cleanup() {
    local rc=$?
    set +e
    if [ -f "$sdir/data/PG_VERSION" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$sdir/data" -m fast -w stop >/dev/null 2>&1
        [ "$rc" = 0 ] || { echo "standby: last lines of the standby's log:" >&2; tail -15 "$sdir/server.log" >&2; }
    fi
    rm -rf "$sdir" "$work"
    q -h "$primary_host" -p "$primary_port" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
    exit "$rc"
}
trap cleanup EXIT

# -- can the primary have a standby? --------------------------------------------------------------
preload=$(q -d postgres -c 'SHOW shared_preload_libraries')
[[ ",${preload// /}," == *,annotate_ext,* ]] || fail "the primary does not preload annotate_ext ($preload)"
[ "$(q -d postgres -c "SELECT current_setting('wal_level') IN ('replica', 'logical')")" = t ] \
    || fail "wal_level is $(q -d postgres -c 'SHOW wal_level') on the primary: a standby needs replica"
[ "$(q -d postgres -c "SELECT current_setting('max_wal_senders')::int > 0")" = t ] \
    || fail "max_wal_senders is 0 on the primary: a standby needs at least 1"
[ "$(q -d postgres -c "SELECT count(*) FROM pg_hba_file_rules WHERE type = 'local' AND error IS NULL
                         AND database && '{replication}' AND (user_name && '{all}' OR user_name && '{postgres}')")" -gt 0 ] \
    || fail "the primary's pg_hba.conf has no 'local replication' line for postgres: add 'local replication postgres trust' (or peer) and reload"
[ -e "$sdir" ] && { as_pg "$PGBIN/pg_ctl" -D "$sdir/data" -m immediate -w stop >/dev/null 2>&1 || true; rm -rf "$sdir"; }

# -- an app database with data, votes and follows, on the primary -------------------------------
q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db TEMPLATE annotate_fixture"
scripts/seed S "$db" >/dev/null
qp -c 'CREATE EXTENSION annotate_ext'
qp <<'SQL'
INSERT INTO public.anonymous_sessions (id) VALUES
    ('00000000-0000-0000-0000-0000000000a1'), ('00000000-0000-0000-0000-0000000000a2');
INSERT INTO public.annotation__url_type__user (url_id, user_id, type)
SELECT id, 1 + id % 5, 'data source' FROM public.urls WHERE id % 97 = 0;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type)
SELECT id, 6, 'meta url' FROM public.urls WHERE id % 194 = 0;
INSERT INTO public.annotation__agency__user (agency_id, url_id, user_id)
SELECT 1 + id % 20, id, 2 FROM public.urls WHERE id % 89 = 0;
INSERT INTO public.annotation__record_type__user (url_id, user_id, record_type)
SELECT id, 4, 'Stops' FROM public.urls WHERE id % 61 = 0;
INSERT INTO public.annotation__url_type__anon (url_id, url_type, session_id)
SELECT id, 'meta url', '00000000-0000-0000-0000-0000000000a1' FROM public.urls WHERE id % 83 = 0;
INSERT INTO public.link_batches__locations (batch_id, location_id)
SELECT 1, id FROM public.locations WHERE type = 'Locality' ORDER BY id LIMIT 1;
INSERT INTO public.link__locations__user_follows (location_id, user_id)
SELECT location_id, u FROM public.link_batches__locations, (VALUES (3), (9)) v(u);
INSERT INTO public.flag_url_validated (url_id, type) SELECT id, 'data source' FROM public.urls WHERE id % 13 = 0;
SQL

# -- the standby --------------------------------------------------------------------------------
mkdir -p "$sdir"
chown postgres "$sdir"
started=$(date +%s%N)
as_pg "$PGBIN/pg_basebackup" -h "$primary_host" -p "$primary_port" -U postgres -D "$sdir/data" \
    -R -X stream -c fast --no-sync 2>"$work/basebackup.log" \
    || { cat "$work/basebackup.log" >&2; fail "pg_basebackup failed"; }
# The copy carries the primary's settings (preloads, pg_cron's database, ...); later lines win.
cat >>"$sdir/data/postgresql.conf" <<CONF

# standby of $primary_host:$primary_port (tests/scripts/standby.sh)
port = $sport
unix_socket_directories = '$sdir'
hot_standby = on
CONF
[ -f "$sdir/data/standby.signal" ] || fail "pg_basebackup -R wrote no standby.signal"
as_pg "$PGBIN/pg_ctl" -D "$sdir/data" -l "$sdir/server.log" -w -t 60 start >/dev/null \
    || { tail -20 "$sdir/server.log" >&2; fail "the standby did not start"; }
[ "$(qs -c 'SELECT pg_is_in_recovery()')" = t ] || fail "the copy is not in recovery"
echo "standby: pg_basebackup -R -X stream and start on port $sport in $(ms_since "$started") ms" \
     "(preloads: $(qs -c 'SHOW shared_preload_libraries'))"

# -- writes on the primary after the copy -------------------------------------------------------
# The primary's folder is held off (it try-locks the fold lock, src/locks.rs) so that the
# standby answers with the writes still unfolded, from the queue plus its reader overlay.
PGAPPNAME=annotate_t_standby_hold psql -X -q -h "$primary_host" -p "$primary_port" -d "$db" \
    -c 'BEGIN' -c 'SELECT annotate_internal.take_lock(2, false)' -c 'SELECT pg_sleep(300)' >/dev/null 2>&1 &
release_folds() {
    q -h "$primary_host" -p "$primary_port" -d postgres \
      -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'annotate_t_standby_hold'" >/dev/null
}
for _ in $(seq 100); do
    [ "$(qp -c "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                WHERE a.application_name = 'annotate_t_standby_hold' AND l.locktype = 'userlock' AND l.granted")" = 1 ] && break
    sleep 0.05
done
head_before=$(qp -c "SELECT string_agg(url_id::text, ',') FROM annotate.next_url_for_annotation(20, max_urls => 3)")
qp <<'SQL'
-- a validation: the URL at the head for users without votes or follows leaves the queue
INSERT INTO public.flag_url_validated (url_id, type)
SELECT url_id, 'data source' FROM annotate.next_url_for_annotation(21);
-- a vote that changes the order: the last URL gets three user votes and moves ahead of the rest
INSERT INTO public.annotation__url_type__user (url_id, user_id, type)
SELECT id, u, 'data source' FROM (SELECT max(id) AS id FROM public.urls) m, (VALUES (101), (102), (103)) v(u);
-- a new manual URL in batch 1 (manual URLs come first)
WITH u AS (INSERT INTO public.urls (url, source, scheme) VALUES ('example.org/standby-new', 'manual', 'https')
           RETURNING id)
INSERT INTO public.link_batches__urls (batch_id, url_id) SELECT 1, id FROM u;
INSERT INTO public.annotation__url_type__anon (url_id, url_type, session_id)
SELECT id, 'data source', '00000000-0000-0000-0000-0000000000a2' FROM public.urls WHERE id % 71 = 0;
SQL
# a lease, held by user 7, that the standby must see too
leased=$(qp -c "SELECT url_id FROM annotate.next_url_for_annotation(7, claim_for => '1 hour')")
head_after=$(qp -c "SELECT string_agg(url_id::text, ',') FROM annotate.next_url_for_annotation(20, max_urls => 3)")
[ "$head_before" != "$head_after" ] || fail "the writes did not change user 20's first URLs ($head_after)"

replay() {  # waits until the standby has replayed everything the primary wrote; prints how long
    local lsn t0
    lsn=$(qp -c 'SELECT pg_current_wal_lsn()')
    t0=$(date +%s%N)
    until [ "$(qs -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")" = t ]; do
        [ "$(ms_since "$t0")" -lt 30000 ] \
            || fail "the standby did not replay to $lsn within 30 s (at $(qs -c 'SELECT pg_last_wal_replay_lsn()'))"
        sleep 0.05
    done
    echo "$lsn in $(ms_since "$t0") ms"
}
echo "standby: primary wrote (validation, reordering vote, new manual URL, anonymous votes, lease on URL $leased" \
     "for user 7; user 20's first three $head_before -> $head_after); replayed to $(replay)"

# -- the same answers -------------------------------------------------------------------------------
answers_sql="
SELECT string_agg(line, E'\n' ORDER BY k, line) FROM (
    SELECT 'a' || lpad(u::text, 3, '0') AS k, u || ' ' || coalesce(string_agg(r::text, ' ' ORDER BY r.ordinality), '-') AS line
    FROM generate_series(1, 50) u
    LEFT JOIN LATERAL annotate.next_url_for_annotation(u, max_urls => 5) WITH ORDINALITY r ON true
    GROUP BY u
    UNION ALL
    SELECT 'b' || s, s || ' ' || coalesce(string_agg(r::text, ' ' ORDER BY r.ordinality), '-')
    FROM unnest(ARRAY['00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a2',
                      '00000000-0000-0000-0000-0000000000a3']::uuid[]) s
    LEFT JOIN LATERAL annotate.next_url_for_anonymous_annotation(s, max_urls => 5) WITH ORDINALITY r ON true
    GROUP BY s
    UNION ALL
    SELECT 'c' || s, annotate.next_anonymous_annotation(s)::text
    FROM unnest(ARRAY['00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a3']::uuid[]) s
    UNION ALL
    SELECT 'd' || lpad(u::text, 3, '0'), annotate.next_annotation(u)::text FROM generate_series(1, 10) u
    UNION ALL
    SELECT 'e' || lpad(u::text, 3, '0'), annotate.next_annotation(u, batch_id => 1)::text FROM (VALUES (1), (3), (7), (20)) v(u)
    UNION ALL
    SELECT 'f', annotate.next_annotation(3, skip => 2)::text
    UNION ALL
    SELECT 'g' || lpad(id::text, 6, '0'), annotate.annotation_for_url(id, batch_id => CASE WHEN id % 2 = 0 THEN 1 END)::text
    FROM (SELECT id FROM public.urls WHERE id IN (1, 97, 178, 194, 9999, 10000)
          UNION SELECT max(id) FROM public.urls) i
    UNION ALL
    SELECT 'h', 'verify ' || count(*) FROM annotate.verify()
) s"
# Snapshot mode reads the materialized views (the upstream PR's query, tens of ms a call here):
# fewer callers.
snapshot_sql="
SELECT string_agg(line, E'\n' ORDER BY k, line) FROM (
    SELECT 'a' || lpad(u::text, 3, '0') AS k, u || ' ' || coalesce(string_agg(r::text, ' ' ORDER BY r.ordinality), '-') AS line
    FROM generate_series(1, 10) u
    LEFT JOIN LATERAL annotate.next_url_for_annotation(u, max_urls => 5) WITH ORDINALITY r ON true
    GROUP BY u
    UNION ALL
    SELECT 'c', annotate.next_anonymous_annotation('00000000-0000-0000-0000-0000000000a1')::text
    UNION ALL
    SELECT 'e' || lpad(u::text, 3, '0'), annotate.next_annotation(u, batch_id => 1)::text FROM (VALUES (3), (7)) v(u)
    UNION ALL
    SELECT 'h', 'verify ' || count(*) FROM annotate.verify()
) s"
compare() {  # label, SQL, extra PGOPTIONS: the answers on both servers must be the same text
    PGOPTIONS="-c client_min_messages=warning ${3:-}" psql -X -q -At -v ON_ERROR_STOP=1 \
        -h "$primary_host" -p "$primary_port" -d "$db" -c "$2" >"$work/primary"
    PGOPTIONS="-c client_min_messages=warning ${3:-}" psql -X -q -At -v ON_ERROR_STOP=1 \
        -h "$sdir" -p "$sport" -d "$db" -c "$2" >"$work/standby"
    calls=$(grep -c . "$work/primary")
    grep -q '^verify 0$' "$work/primary" || fail "$1: verify() is not empty on the primary: $(grep '^verify' "$work/primary")"
    if ! cmp -s "$work/primary" "$work/standby"; then
        diff "$work/primary" "$work/standby" | head -20 >&2
        fail "$1: the standby answers differently from the primary (diff above)"
    fi
    grep -qF "standby-new" "$work/primary" || fail "$1: the new manual URL is in no answer"
}
pending=$(qs -c "SELECT annotate.status()->>'pending_writes'")
[ "$pending" -gt 0 ] || fail "no unfolded writes on the standby: the folder was not held off"
compare "unfolded writes" "$answers_sql"
# User 7's lease is replayed too (plain reads ignore leases, SPEC 5; the internal table shows it).
lease_sql="SELECT string_agg(url_id || ' ' || lease_user || ' ' || lease_until, ',') FROM annotate_internal.queue WHERE leased"
[ "$(qs -c "$lease_sql")" = "$(qp -c "$lease_sql")" ] && qs -c "$lease_sql" | grep -q "^$leased 7 " \
    || fail "the standby does not hold user 7's lease on URL $leased as the primary does: $(qs -c "$lease_sql")"
echo "standby: same answers as the primary on $calls lines (users 1..50 x 5 URLs, anonymous sessions, responses" \
     "with and without batch and skip, annotation_for_url) with $pending writes unfolded; user 7's lease" \
     "replayed; verify() empty on both"

# The primary folds (refresh() folds, refreshes the views and records its run): the same again,
# live and in snapshot mode.
release_folds
qp -c 'SELECT count(*) FROM annotate.refresh()' >/dev/null
lag=$(replay)
pending=$(qs -c "SELECT annotate.status()->>'pending_writes'")
[ "$pending" = 0 ] || fail "$pending writes still unfolded on the standby after refresh() on the primary"
compare "snapshot mode" "$snapshot_sql" "-c annotate.selection=snapshot"
snapshot_calls=$calls
compare "after refresh()" "$answers_sql"
last=$(qs -c "SELECT status FROM annotate.refresh_history ORDER BY id DESC LIMIT 1")
[ "$last" = succeeded ] || fail "the standby's refresh_history does not show the primary's refresh() ($last)"
echo "standby: after refresh() on the primary (replayed to $lag): same $calls answer lines live, $snapshot_calls in" \
     "snapshot mode; nothing unfolded; refresh_history replayed"

# -- status() and the statistics, on the standby ----------------------------------------------------
read -r standby_flag xid < <(qs -F ' ' -c "BEGIN; SELECT annotate.status()->>'standby',
                                                           coalesce(pg_current_xact_id_if_assigned()::text, 'none'); COMMIT;")
[ "$standby_flag" = true ] || fail "status()->>'standby' is '$standby_flag' on the standby"
[ "$xid" = none ] || fail "status() assigned transaction id $xid on the standby"
read -r primary_flag xid < <(qp -F ' ' -c "BEGIN; SELECT annotate.status()->>'standby',
                                                           coalesce(pg_current_xact_id_if_assigned()::text, 'none'); COMMIT;")
[ "$primary_flag" = false ] || fail "status()->>'standby' is '$primary_flag' on the primary"
[ "$xid" = none ] || fail "status() assigned transaction id $xid on the primary"
for key in attached last_refresh queue_rows_estimate; do
    qs -c "SELECT annotate.status() ? '$key'" | grep -qx t || fail "status() on the standby has no '$key'"
done
[ "$(qs -c "SELECT annotate.status()->>'attached'")" = "$(qp -c "SELECT annotate.status()->>'attached'")" ] \
    || fail "status() disagrees on 'attached'"
pending=$(qs -c "SELECT annotate.status()->>'pending_writes'")
stats=$(qs -F ' ' -c "SELECT c.calls, c.scope, (SELECT count(*) FROM annotate.timing_stats),
                             (SELECT t.calls FROM annotate.timing_stats t WHERE t.phase = 'total'),
                             (SELECT count(*) FROM annotate.timing_histogram), (SELECT count(*) FROM annotate.last_timings())
                      FROM annotate.call_stats c")
read -r s_calls s_scope s_phases s_total s_hist _ <<<"$stats"
[ "$s_calls" -gt 0 ] && [ "$s_phases" -gt 0 ] && [ "${s_total:-0}" -gt 0 ] \
    || fail "the statistics views on the standby count nothing after its calls: $stats"
echo "standby: status() says standby=true there (false on the primary), no transaction id on either;" \
     "call_stats: $s_calls calls ($s_scope); timing_stats: $s_phases phases, total over $s_total calls;" \
     "timing_histogram: $s_hist rows"

# -- what must fail on the standby, and in a read-only transaction on the primary -----------------
writes=(
    "next_url_for_annotation|SELECT * FROM annotate.next_url_for_annotation(1, claim_for => '1 minute')"
    "next_url_for_anonymous_annotation|SELECT * FROM annotate.next_url_for_anonymous_annotation('00000000-0000-0000-0000-0000000000a3', claim_for => '1 minute')"
    "next_annotation|SELECT annotate.next_annotation(1, claim_for => '1 minute')"
    "next_anonymous_annotation|SELECT annotate.next_anonymous_annotation('00000000-0000-0000-0000-0000000000a3', claim_for => '1 minute')"
    "release_claim|SELECT annotate.release_claim(1, user_id => 1)"
    "refresh|SELECT * FROM annotate.refresh()"
    "attach|SELECT * FROM annotate.attach()"
    "detach|SELECT annotate.detach()"
    "reconcile|SELECT annotate.reconcile()"
)
# Runs one call that must fail; prints SQLSTATE, message and hint; sets `wrong` to what is wrong
# with the outcome (empty when it failed at once with 25006 and a message naming the function).
expect_25006() {  # where (standby|read-only), function, statement, psql connection arguments...
    local where=$1 fn=$2 sql=$3 out state msg hint ms t0 begin=
    shift 3
    [ "$where" = read-only ] && begin='BEGIN READ ONLY; '
    t0=$(date +%s%N)
    wrong=
    if out=$(PGOPTIONS="-c client_min_messages=warning -c statement_timeout=5s" \
             psql -X -q -At -v ON_ERROR_STOP=1 "$@" -c '\set VERBOSITY verbose' -c "$begin$sql" 2>&1); then
        ms=$(ms_since "$t0")
        printf '  %-9s %-34s succeeded: %s (%d ms)\n' "$where" "$fn" "$(tr '\n' ' ' <<<"$out")" "$ms"
        wrong="it succeeded"
        return
    fi
    ms=$(ms_since "$t0")
    state=$(sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\): .*/\1/p' <<<"$out" | head -1)
    msg=$(sed -n 's/^ERROR:  [0-9A-Z]\{5\}: //p' <<<"$out" | head -1)
    hint=$(sed -n 's/^HINT:  //p' <<<"$out" | head -1)
    printf '  %-9s %-34s %s %s%s (%d ms)\n' "$where" "$fn" "$state" "$msg" "${hint:+ | HINT: $hint}" "$ms"
    if [ "$state" != 25006 ]; then wrong="SQLSTATE $state, not 25006"
    elif [[ "$msg" != *"annotate.$fn"* ]]; then wrong="the message does not name annotate.$fn"
    elif [ "$ms" -ge 5000 ]; then wrong="it took $ms ms to fail"
    fi
}
echo "standby: calls that write, on the standby (SQLSTATE, message, hint):"
for w in "${writes[@]}"; do
    expect_25006 standby "${w%%|*}" "${w#*|}" -h "$sdir" -p "$sport" -d "$db"
    [ -z "$wrong" ] || fail "on the standby, ${w%%|*}: $wrong"
done

# The primary, inside BEGIN READ ONLY: the read functions answer as outside it ...
qp -c "BEGIN READ ONLY" -c "$answers_sql" -c "COMMIT" >"$work/readonly"
cmp -s "$work/primary" "$work/readonly" || { diff "$work/primary" "$work/readonly" | head -20 >&2;
    fail "the primary answers differently inside BEGIN READ ONLY (diff above)"; }
ro=$(qp -F ' ' -c "BEGIN READ ONLY" -c "SELECT (annotate.status()->>'standby'), (SELECT count(*) FROM annotate.call_stats),
                         (SELECT count(*) FROM annotate.timing_stats), (SELECT count(*) FROM annotate.timing_histogram),
                         (SELECT count(*) FROM annotate.last_timings()), (SELECT count(*) FROM annotate.refresh_history) >= 0,
                         coalesce(pg_current_xact_id_if_assigned()::text, 'none')" -c "COMMIT")
[ "$(cut -d' ' -f1 <<<"$ro")" = false ] && [ "$(cut -d' ' -f7 <<<"$ro")" = none ] \
    || fail "status() and the statistics inside BEGIN READ ONLY: $ro"
echo "standby: the primary inside BEGIN READ ONLY gives the same $calls answer lines, status() and the statistics" \
     "answer, no transaction id"
# ... and the calls that write fail the same way.
echo "standby: calls that write, on the primary inside BEGIN READ ONLY:"
for w in "${writes[@]}"; do
    fn=${w%%|*}
    expect_25006 read-only "$fn" "${w#*|}" -h "$primary_host" -p "$primary_port" -d "$db"
    [ -z "$wrong" ] || fail "in a read-only transaction, $fn: $wrong"
done

# Nothing leaked into the primary from the failed calls: only user 7's lease is held.
[ "$(qp -c "SELECT count(*) FROM annotate_internal.queue WHERE leased AND lease_until > now()")" = 1 ] \
    || fail "leases other than user 7's are held on the primary"
problems=$(grep -ciE 'FATAL|PANIC|server process .* terminated' "$sdir/server.log" || true)
[ "$problems" = 0 ] || { grep -iE 'FATAL|PANIC|terminated' "$sdir/server.log" | head -5 >&2; fail "the standby's log has $problems FATAL/PANIC lines"; }
echo "standby: no FATAL or PANIC in the standby's log; pg_cron and annotate_ext preloaded there without error"
echo "standby: ok"
