#!/usr/bin/env bash
# Scheduling refresh() with pg_cron, both ways the README gives, with real pg_cron runs. The
# throwaway cluster preloads pg_cron with cron.database_name = annotate_cron (scripts/cluster):
#   - in annotate_cron, pg_cron's own database: schedule_refresh() schedules the job, status()
#     shows its schedule and last outcome from cron.job_run_details;
#   - in another database: schedule_refresh() fails with a HINT giving the
#     cron.schedule_in_database call, which is then run from annotate_cron; the runs show in
#     that database's refresh_history and status().
# pg_cron 1.4 runs jobs at minute boundaries: the script polls pg_cron's records (at most 90 s)
# and reports how long it waited.
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(scripts/cluster env)"
q() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
fail() { echo "cron: $*" >&2; exit 1; }
cron_db=annotate_cron other=annotate_t_cron_elsewhere

q -d postgres -c "DROP DATABASE IF EXISTS $other" -c "CREATE DATABASE $other TEMPLATE annotate_fixture"
q -d "$other" -c 'CREATE EXTENSION annotate_ext'
q -d "$cron_db" -c 'DROP EXTENSION IF EXISTS annotate_ext' -c 'DROP EXTENSION IF EXISTS pg_cron' \
  -c 'CREATE EXTENSION pg_cron' -c 'CREATE EXTENSION annotate_ext'

# Elsewhere: the error names pg_cron's database, and its HINT is the call to run there.
hint=$(psql -X -At -d "$other" -c "\\set VERBOSITY verbose" -c "SELECT annotate.schedule_refresh('* * * * *')" 2>&1 || true)
echo "$hint" | grep -q "pg_cron is in database $cron_db, not in this one" || fail "unexpected error: $hint"
call=$(echo "$hint" | sed -n 's/^HINT:  In database [a-z_]* run: //p')
[ -n "$call" ] || fail "no cron.schedule_in_database call in: $hint"
echo "hint: $call"
[ "$(q -d "$other" -c "SELECT annotate.status()->'cron'->>'cron_database'")" = "$cron_db" ] \
    || fail "status() does not say where pg_cron is"
q -d "$cron_db" -c "$call" >/dev/null

# Here: schedule_refresh() schedules in this database.
job=$(q -d "$cron_db" -c "SELECT annotate.schedule_refresh('* * * * *')")
[ "$(q -d "$cron_db" -c "SELECT annotate.status()->'cron'->'job'->>'schedule'")" = '* * * * *' ] \
    || fail "status() does not show the job"
# The same under standard_conforming_strings = off (a legacy app's setting): the job's pattern
# read as an invalid regular expression there, and status() failed.
[ "$(q -d "$cron_db" -c "SET standard_conforming_strings = off" -c "SELECT annotate.status()->'cron'->'job'->>'schedule'")" = '* * * * *' ] \
    || fail "status() does not show the job under standard_conforming_strings = off"

# Both jobs run at the next minute boundary; poll pg_cron's record of each.
started=$(date +%s)
runs() {
    q -d "$cron_db" -c "SELECT count(*) FILTER (WHERE d.status = 'succeeded'),
                               count(*) FILTER (WHERE d.status = 'failed')
                        FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                        WHERE j.jobname LIKE 'annotate_ext refresh %' AND d.database IN ('$cron_db', '$other')
                          AND d.status IN ('succeeded', 'failed')" | tr '|' ' '
}
while :; do
    read -r ok bad < <(runs)
    [ "$bad" = 0 ] || fail "a pg_cron run failed: $(q -d "$cron_db" -c "SELECT return_message FROM cron.job_run_details WHERE status = 'failed'")"
    [ "$ok" -ge 2 ] && break
    [ $(( $(date +%s) - started )) -lt 90 ] || fail "no pg_cron run within 90 s (succeeded: $ok)"
    sleep 1
done
echo "cron: both jobs ran, after waiting $(( $(date +%s) - started )) s"

# Each run is in its database's history, marked as pg_cron's, and status() shows it.
for db in "$cron_db" "$other"; do
    row=$(q -d "$db" -c "SELECT status || ' ' || application_name FROM annotate.refresh_history
                         WHERE application_name = 'pg_cron' ORDER BY id DESC LIMIT 1")
    [ "$row" = "succeeded pg_cron" ] || fail "$db: no pg_cron run in refresh_history ($row)"
    [ "$(q -d "$db" -c "SELECT annotate.status()->'refresh'->>'last_by_pg_cron' IS NOT NULL")" = t ] \
        || fail "$db: status() does not show the pg_cron run"
done
[ "$(q -d "$cron_db" -c "SELECT annotate.status()->'cron'->'job'->'last_run'->>'status'")" = succeeded ] \
    || fail "status() does not show the job's last outcome"

# Unscheduling: here with unschedule_refresh(), there through pg_cron's own function.
[ "$(q -d "$cron_db" -c 'SELECT annotate.unschedule_refresh()')" = t ] || fail "unschedule_refresh() found no job"
[ "$(q -d "$cron_db" -c 'SELECT annotate.unschedule_refresh()')" = f ] || fail "a second unschedule found a job"
q -d "$cron_db" -c "SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname LIKE 'annotate_ext refresh %'" >/dev/null
[ "$(q -d "$cron_db" -c 'SELECT count(*) FROM cron.job')" = 0 ] || fail "jobs left behind"
q -d postgres -c "DROP DATABASE $other"
echo "cron: ok (job $job)"
