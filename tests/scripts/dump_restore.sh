#!/usr/bin/env bash
# Dump and restore: an app database with the extension, data, votes, flags, follows and leases
# is dumped in custom and plain formats and restored into empty databases with pg_restore and
# psql, stopping at the first error. With no step after the restore, the restored databases
# must give the same answers for many callers, verify() must be empty, the extension must be
# attached, and DROP EXTENSION must leave the app's catalog as it was before CREATE EXTENSION.
# Needs the throwaway cluster (scripts/cluster) running and database annotate_fixture.
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(scripts/cluster env)"
src=annotate_dump_src
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
for db in $src annotate_dump_custom annotate_dump_plain annotate_dump_parallel; do
    q -d postgres -c "DROP DATABASE IF EXISTS $db"
done
q -d postgres -c "CREATE DATABASE $src TEMPLATE annotate_fixture"
scripts/seed S "$src" >/dev/null
catalog() {  # the app's own objects in schema public, comparable across databases
    q -d "$1" -c "SELECT string_agg(x, E'\n' ORDER BY x) FROM (
        SELECT 'relation ' || c.relname || ' ' || c.relkind::text || ' ' || coalesce(pg_get_indexdef(c.oid), '')
        FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
        UNION ALL
        SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal) s(x)"
}
catalog "$src" >"$work/catalog_before_install"
q -d "$src" -c 'CREATE EXTENSION annotate_ext'
q -d "$src" <<'SQL'
INSERT INTO public.anonymous_sessions (id) VALUES ('00000000-0000-0000-0000-0000000000e1');
INSERT INTO public.annotation__url_type__user (url_id, user_id, type)
SELECT id, 1 + id % 5, 'data source' FROM public.urls WHERE id % 97 = 0;
INSERT INTO public.annotation__agency__user (agency_id, url_id, user_id)
SELECT 1 + id % 20, id, 2 FROM public.urls WHERE id % 89 = 0;
INSERT INTO public.annotation__url_type__anon (url_id, url_type, session_id)
SELECT id, 'meta url', '00000000-0000-0000-0000-0000000000e1' FROM public.urls WHERE id % 83 = 0;
INSERT INTO public.flag_url_validated (url_id, type) SELECT id, 'data source' FROM public.urls WHERE id % 7 = 0;
INSERT INTO public.link_batches__locations (batch_id, location_id)
SELECT 1, id FROM public.locations WHERE type = 'Locality' LIMIT 1;
INSERT INTO public.link__locations__user_follows (location_id, user_id)
SELECT location_id, 3 FROM public.link_batches__locations;
SELECT count(*) FROM annotate.next_url_for_annotation(4, claim_for => '1 hour');
SQL

answers() {  # the same calls on any database, as one text
    q -d "$1" -c "SELECT string_agg(a::text, E'\n' ORDER BY u) FROM (
        SELECT u, annotate.next_annotation(u, batch_id => CASE WHEN u % 2 = 0 THEN 1 END)::text AS a
        FROM generate_series(1, 40) u
        UNION ALL
        SELECT 100, annotate.next_anonymous_annotation('00000000-0000-0000-0000-0000000000e1')::text
        UNION ALL
        SELECT 101, (SELECT array_agg(url_id)::text FROM annotate.next_url_for_annotation(5, max_urls => 25))) s"
}
answers "$src" >"$work/before"

pg_dump -Fc -f "$work/app.dump" "$src"
pg_dump -Fp -f "$work/app.sql" "$src"

check() {  # database, how it was restored[, seconds to wait for the attach]
    local problems attached waited=0
    # A parallel restore makes its last objects in several sessions at once; the DDL watch of
    # each may not see the others' yet, and the folder, woken at their commits, attaches then.
    while [ "$waited" -lt "${3:-0}0" ] && [ "$(q -d "$1" -c "SELECT annotate.status()->>'attached'")" != true ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    answers "$1" >"$work/after"
    problems=$(q -d "$1" -c 'SELECT count(*) FROM annotate.verify()')
    attached=$(q -d "$1" -c "SELECT annotate.status()->>'attached'")
    [ "$attached" = true ] || { echo "dump/restore ($2): not attached after the restore" >&2; exit 1; }
    if ! cmp -s "$work/before" "$work/after"; then
        diff "$work/before" "$work/after" | head -20
        echo "dump/restore ($2): the restored database answers differently" >&2
        exit 1
    fi
    [ "$problems" = 0 ] || { echo "dump/restore ($2): verify() found $problems problems" >&2; exit 1; }
    echo "dump/restore ($2): restored without errors; attached$([ "$waited" -gt 0 ] && echo " $((waited * 100)) ms after the restore, by the folder"); same answers at once for 42 calls; verify() empty"
}

q -d postgres -c 'CREATE DATABASE annotate_dump_custom'
pg_restore --exit-on-error -d annotate_dump_custom "$work/app.dump"
check annotate_dump_custom "pg_dump -Fc | pg_restore"

q -d postgres -c 'CREATE DATABASE annotate_dump_plain'
psql -X -q -v ON_ERROR_STOP=1 -d annotate_dump_plain -f "$work/app.sql" >/dev/null
check annotate_dump_plain "pg_dump -Fp | psql"

# Parallel restores: the DDL watch, which looks at the extension's objects on every DDL command
# of a restore, read index definitions with pg_get_indexdef(), which locks the index's table;
# two jobs deadlocked about one run in two (one adding a primary key while the other's watch
# read an index of that table). Five runs of two jobs each.
for run in 1 2 3 4 5; do
    q -d postgres -c 'DROP DATABASE IF EXISTS annotate_dump_parallel' -c 'CREATE DATABASE annotate_dump_parallel'
    pg_restore --jobs 2 --exit-on-error -d annotate_dump_parallel "$work/app.dump"
    check annotate_dump_parallel "pg_dump -Fc | pg_restore --jobs 2, run $run" 5
done
q -d postgres -c 'DROP DATABASE annotate_dump_parallel'

# Over a database that has the extension (pg_restore --clean): the DDL watch refuses to drop the
# extension's triggers and indexes one by one, as it does for a migration. The documented way:
# detach() first, then --clean --if-exists (what detach() took away is not there to drop).
q -d postgres -c 'CREATE DATABASE annotate_dump_clean'
pg_restore --exit-on-error -d annotate_dump_clean "$work/app.dump"
if pg_restore --clean --exit-on-error -d annotate_dump_clean "$work/app.dump" 2>"$work/clean.err"; then
    echo "dump/restore: pg_restore --clean over an attached database was not refused" >&2
    exit 1
fi
grep -q 'annotate.detach()' "$work/clean.err" || { cat "$work/clean.err" >&2; echo "dump/restore: the refusal names no way through" >&2; exit 1; }
q -d annotate_dump_clean -c 'SELECT count(*) FROM annotate.detach()' >/dev/null
pg_restore --clean --if-exists --exit-on-error -d annotate_dump_clean "$work/app.dump"
check annotate_dump_clean "detach(), then pg_restore --clean --if-exists over it"
q -d postgres -c 'DROP DATABASE annotate_dump_clean'

# The restored extension drops as cleanly as the original: the app's catalog is as it was
# before CREATE EXTENSION (the ties came back with the dump).
for db in annotate_dump_custom annotate_dump_plain; do
    q -d "$db" -c 'DROP EXTENSION annotate_ext'
    catalog "$db" >"$work/catalog_after_drop"
    if ! diff "$work/catalog_before_install" "$work/catalog_after_drop"; then
        echo "dump/restore ($db): DROP EXTENSION left the app's catalog different (above)" >&2
        exit 1
    fi
done
echo "dump/restore: DROP EXTENSION on the restored databases leaves the app's catalog as before the install"
for db in $src annotate_dump_custom annotate_dump_plain; do
    q -d postgres -c "DROP DATABASE $db"
done
