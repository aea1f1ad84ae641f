#!/usr/bin/env bash
# Randomized differential test of resume points (src/resume.rs): after random app writes, each
# caller's answer with points (annotate.resume_after = 0, asked twice, so that the second call
# resumes from the point the first kept) must be the answer with none (-1). Callers: users who
# follow nothing, one batch or two (through locations), batch filters, anonymous sessions; max_urls
# 1 and 3, skip 0 and 2. Writes: votes by the callers and by others, the callers' own annotations
# taken back in each table (deleted, moved to another URL or user), anonymous and robot votes
# (bulk too), flags set and cleared, URLs made, linked, moved between batches and deleted, follows
# and batch links changed, leases taken and released, folds; all the while another session folds
# and another asks for the same callers (their points race the main loop's). Then two-session
# scenarios: REPEATABLE READ readers and writers around another session's committed writes (through
# dblink). Fails on any answer that differs and on any verify() problem. Needs the throwaway
# cluster (scripts/cluster) running.
#   RESUME_DIFF_SEED (0.4242), RESUME_DIFF_ROUNDS (120), RESUME_DIFF_RR (12): the seed, rounds of
#   the main loop (each: 1-3 writes, maybe a fold, then every caller and shape), and two-session
#   scenarios.
set -uo pipefail
cd "$(dirname "$0")/../.."
eval "$(scripts/cluster env)"
seed=${RESUME_DIFF_SEED:-0.4242}
rounds=${RESUME_DIFF_ROUNDS:-120}
rr=${RESUME_DIFF_RR:-12}
db=annotate_resume_diff
dir=tests/scripts/resume_differential
q() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db TEMPLATE annotate_fixture" || exit 1
sed "s/SELECT setseed(0.4242);/SELECT setseed($seed);/" "$dir/setup.sql" | q >/dev/null || exit 1
q -f "$dir/procedures.sql" >/dev/null || exit 1

# Another session folding every 0-120 ms, and another asking for the same callers with points
# kept after every walk (the same user in two tabs), while the main loop runs.
psql -X -q -d "$db" -c "DO \$\$ BEGIN FOR i IN 1..100000 LOOP
    EXIT WHEN EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'rd_done');
    PERFORM annotate_internal.fold_now(); COMMIT; PERFORM pg_sleep(random() * 0.12); END LOOP; END \$\$" &
folder=$!
psql -X -q -d "$db" -c "DO \$\$ DECLARE c record; BEGIN FOR i IN 1..1000000 LOOP
    EXIT WHEN EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'rd_done');
    SELECT * INTO c FROM rd_callers ORDER BY random() LIMIT 1;
    PERFORM rd_ans(c.user_id, c.session, c.batch, 1 + floor(random() * 3)::int, floor(random() * 3)::int, true);
    COMMIT; PERFORM pg_sleep(random() * 0.01); END LOOP; END \$\$" &
reader=$!
stop_helpers() {
    psql -X -q -d "$db" -c "SET application_name = rd_done; SELECT pg_sleep(0.3)" >/dev/null
    wait "$folder" "$reader"
}

q -c "SELECT setseed($seed / 2)" -c "CALL rd_run(1, $rounds, NULL)" || { stop_helpers; exit 1; }

# Two-session scenarios: any line printed is a phase with differing answers, or an error.
scenarios=$(
    {
        echo "SELECT setseed($seed / 3);"
        for i in $(seq 1 "$rr"); do
            r=$((100000 + i))
            rc=$([ $((i % 2)) = 0 ] && echo COMMIT || echo ROLLBACK)
            cat <<SQL
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT 'rr_first' AS phase, * FROM rd_compare_log($r, 'rr_first') WHERE bad > 0;
SELECT FROM rd_remote_writes($r, 3, random() < 0.7);
SELECT 'rr_second' AS phase, * FROM rd_compare_log($r, 'rr_second') WHERE bad > 0;
COMMIT;
SELECT 'rc_after_rr' AS phase, * FROM rd_compare_log($r, 'rc_after_rr') WHERE bad > 0;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT 'rrw_before' AS phase, * FROM rd_compare_log($r, 'rrw_before') WHERE bad > 0;
SELECT FROM rd_write_batch($r, 2, ARRAY['del_own_url_type', 'del_own_record_type', 'del_own_agency', 'del_own_location', 'vote_caller', 'annotate_caller', 'anon_annotate', 'anon_del_own']);
SELECT 'rrw_wrote' AS phase, * FROM rd_compare_log($r, 'rrw_wrote') WHERE bad > 0;
SELECT FROM rd_remote_writes($r, 2, true, ARRAY['vote_other', 'unvote_other', 'auto_add', 'auto_del', 'validate', 'unvalidate', 'suspend', 'unsuspend', 'toggle_manual']);
SELECT 'rrw_wrote_remote' AS phase, * FROM rd_compare_log($r, 'rrw_wrote_remote') WHERE bad > 0;
$rc;
SELECT 'after_rrw' AS phase, * FROM rd_compare_log($r, 'after_rrw') WHERE bad > 0;
BEGIN;
SELECT FROM rd_write_batch($r, 2);
SELECT 'rc_wrote' AS phase, * FROM rd_compare_log($r, 'rc_wrote') WHERE bad > 0;
COMMIT;
SELECT 'rc_next' AS phase, * FROM rd_compare_log($r, 'rc_next') WHERE bad > 0;
SQL
        done
    } | psql -X -q -At -d "$db" 2>&1 | grep -v '^$'
)
stop_helpers

read -r comparisons differ writes problems < <(psql -X -q -At -F ' ' -d "$db" -c "
    SELECT (SELECT count(*) FROM rd_cmp),
           (SELECT count(*) FROM rd_cmp WHERE first IS DISTINCT FROM reference OR second IS DISTINCT FROM reference),
           (SELECT count(*) FROM rd_writes),
           (SELECT count(*) FILTER (WHERE problems > 0) FROM rd_verify) + (SELECT count(*) FROM annotate.verify())")
echo "resume_differential: $comparisons comparisons after $writes random writes (seed $seed): $differ differing, $problems verify() problems"
if [ -n "$scenarios" ] || [ "${differ:-1}" != 0 ] || [ "${problems:-1}" != 0 ] || [ "${comparisons:-0}" -lt 1000 ]; then
    [ -n "$scenarios" ] && echo "$scenarios"
    psql -X -d "$db" -c "SELECT c.round, c.caller, c.m, c.sk, c.first, c.second, c.reference, c.phase,
        (SELECT string_agg(w.kind, ',' ORDER BY w.seq) FROM rd_writes w WHERE w.round = c.round) AS writes
        FROM rd_cmp c WHERE c.first IS DISTINCT FROM c.reference OR c.second IS DISTINCT FROM c.reference
        ORDER BY c.round LIMIT 30"
    echo "resume_differential: failed: answers with resume points differ from those without, verify() found problems, or too few comparisons ran (database $db kept)" >&2
    exit 1
fi
psql -X -q -d postgres -c "DROP DATABASE $db"
