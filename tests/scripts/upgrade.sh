#!/usr/bin/env bash
# ALTER EXTENSION annotate_ext UPDATE from every released version to the current one. For each
# version of sql/released/versions: its library is built from the commit it was released from
# (scripts/released-build), installed with its install script, and the extension created at
# that version on an app database with data, votes, follows and a lease; then the current
# library is installed back and the extension updated. The updated extension must answer as the
# old one did, verify() must be empty, the lease must survive, and the extension must be the
# same, object for object (functions, relations, ties, members, privileges, comments, settings),
# as a fresh install of the current version.
# Runs its own throwaway cluster without preloading, so that the library can be swapped.
set -euo pipefail
cd "$(dirname "$0")/../.."
export ANNOTATE_PGDIR=/tmp/annotate_ext-upgrade ANNOTATE_PGPORT=54339 ANNOTATE_PRELOAD=none
libdir=$(pg_config --pkglibdir)
extdir="$(pg_config --sharedir)/extension"
current=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
work=$(mktemp -d)
cp "$libdir/annotate_ext.so" "$work/current.so"
# The library is swapped by rename, never rewritten in place: the test runner's cluster has the
# installed file mapped, and overwriting it under a running server crashes that server.
put_library() { cp "$1" "$libdir/.annotate_ext.so.new" && mv -f "$libdir/.annotate_ext.so.new" "$libdir/annotate_ext.so"; }
restore_library() { put_library "$work/current.so"; }
trap 'restore_library; scripts/cluster stop; rm -rf "$work"' EXIT
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# What an installed extension consists of, comparable across databases.
shape() {
    q -d "$1" -c "
        SELECT string_agg(x, E'\n' ORDER BY x) FROM (
            SELECT 'function ' || p.oid::regprocedure || ' ' || pg_get_function_result(p.oid)
                   || ' definer=' || p.prosecdef || ' config=' || coalesce(array_to_string(p.proconfig, ','), '')
                   || ' acl=' || coalesce(p.proacl::text, 'default') || ' ' || md5(p.prosrc)
                   || ' comment=' || coalesce(obj_description(p.oid, 'pg_proc'), '')
            FROM pg_proc p WHERE p.pronamespace IN ('annotate'::regnamespace, 'annotate_internal'::regnamespace)
            UNION ALL
            SELECT 'relation ' || c.oid::regclass || ' ' || c.relkind::text || ' acl=' || coalesce(c.relacl::text, 'default')
                   || ' options=' || coalesce(array_to_string(c.reloptions, ','), '')
                   || ' ' || coalesce(md5(pg_get_viewdef(c.oid)), '') || coalesce(md5(pg_get_indexdef(c.oid)), '')
                   || ' ' || coalesce((SELECT string_agg(a.attname || ':' || a.atttypid::regtype, ',' ORDER BY a.attnum)
                                       FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')
            FROM pg_class c WHERE c.relnamespace IN ('annotate'::regnamespace, 'annotate_internal'::regnamespace)
            UNION ALL
            SELECT 'schema ' || n.nspname || ' acl=' || coalesce(n.nspacl::text, 'default')
            FROM pg_namespace n WHERE n.nspname IN ('annotate', 'annotate_internal')
            UNION ALL
            SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE NOT t.tgisinternal
               AND t.tgfoid IN (SELECT p.oid FROM pg_proc p WHERE p.pronamespace = 'annotate_internal'::regnamespace)
            UNION ALL
            SELECT 'event trigger ' || e.evtname || ' ' || e.evtevent || ' ' || e.evtfoid::regproc || ' '
                   || coalesce(array_to_string(e.evttags, ','), '')
            FROM pg_event_trigger e
            UNION ALL
            SELECT 'tie ' || d.deptype::text || ' ' || pg_describe_object(d.classid, d.objid, 0)
            FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'annotate_ext'
            WHERE d.refclassid = 'pg_extension'::regclass) s(x)"
}

fill() {
    q -d "$1" -c "CREATE DATABASE $2 TEMPLATE annotate_fixture"
    scripts/seed S "$2" >/dev/null
    q -d "$2" <<'SQL'
INSERT INTO public.annotation__url_type__user (url_id, user_id, type)
SELECT id, 1 + id % 5, 'data source' FROM public.urls WHERE id % 97 = 0;
INSERT INTO public.link_batches__locations (batch_id, location_id)
SELECT 1, id FROM public.locations WHERE type = 'Locality' LIMIT 1;
INSERT INTO public.link__locations__user_follows (location_id, user_id)
SELECT location_id, 3 FROM public.link_batches__locations;
SQL
}
answers() {
    q -d "$1" -c "SELECT string_agg(annotate.next_annotation(u, batch_id => CASE WHEN u % 2 = 0 THEN 1 END)::text,
                                    E'\n' ORDER BY u) FROM generate_series(1, 8) u"
}
cluster() {  # start|stop, then (re)create the fixture database
    scripts/cluster stop
    scripts/cluster start
    eval "$(scripts/cluster env)"
    q -d postgres -c 'CREATE DATABASE annotate_fixture'
    q -d annotate_fixture -f tests/fixtures/app_schema.sql
}

cluster
fill postgres annotate_upgrade_fresh
q -d annotate_upgrade_fresh -c 'CREATE EXTENSION annotate_ext'
shape annotate_upgrade_fresh >"$work/fresh"

while read -r from commit; do
    case "$from" in ''|'#'*) continue ;; esac
    so=$(scripts/released-build "$from")
    put_library "$so"
    cp "sql/released/annotate_ext--$from.sql" "$extdir/"
    cluster
    db=annotate_upgrade_from_${from//./_}
    fill postgres "$db"
    q -d "$db" -c "CREATE EXTENSION annotate_ext VERSION '$from'"
    # A lease held across the update (0.2.0 on; 0.1.0 had none).
    leased=$(q -d "$db" -c "SELECT count(*) FROM pg_proc WHERE proname = 'try_claim'")
    [ "$leased" = 1 ] && q -d "$db" -c "SELECT count(*) FROM annotate.next_url_for_annotation(7, claim_for => '1 hour')" >/dev/null
    before=$(answers "$db")

    restore_library
    scripts/cluster restart   # new backends, new library
    q -d "$db" -c 'ALTER EXTENSION annotate_ext UPDATE'
    version=$(q -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'annotate_ext'")
    [ "$version" = "$current" ] || { echo "upgrade from $from: at version $version, not $current" >&2; exit 1; }
    [ "$(answers "$db")" = "$before" ] || { echo "upgrade from $from: answers changed" >&2; exit 1; }
    problems=$(q -d "$db" -c 'SELECT count(*) FROM annotate.verify()')
    [ "$problems" = 0 ] || { q -d "$db" -c 'SELECT * FROM annotate.verify() LIMIT 5' >&2; echo "upgrade from $from: verify() found $problems problems" >&2; exit 1; }
    if [ "$leased" = 1 ]; then
        kept=$(q -d "$db" -c "SELECT count(*) FROM annotate_internal.queue WHERE leased AND lease_user = 7")
        [ "$kept" = 1 ] || { echo "upgrade from $from: the running lease was not carried over" >&2; exit 1; }
        q -d "$db" -c "UPDATE annotate_internal.queue SET leased = false, lease_user = NULL, lease_until = NULL, lease_xid = NULL"
    fi
    shape "$db" >"$work/updated"
    if ! diff "$work/fresh" "$work/updated"; then
        echo "upgrade from $from: the updated extension differs from a fresh $current install (above)" >&2
        exit 1
    fi
    echo "upgrade $from -> $current: same answers, verify() empty, leases kept, identical to a fresh install"
done <sql/released/versions
