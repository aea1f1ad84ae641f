#!/usr/bin/env bash
# ALTER EXTENSION annotate_ext UPDATE from every released version to the current one. Each
# released install script is kept in sql/released/; this installs it next to the current one,
# creates the extension at that version on an app database with data, updates, and checks
# that the answers are unchanged, verify() is empty, and the updated extension is the same,
# object for object, as a fresh install of the current version.
# Needs the throwaway cluster (scripts/cluster) running and database annotate_fixture.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/cluster env)"
extdir="$(pg_config --sharedir)/extension"
current=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# What an installed extension consists of, comparable across databases.
shape() {
    q -d "$1" -c "
        SELECT string_agg(x, E'\n' ORDER BY x) FROM (
            SELECT 'function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') '
                   || pg_get_function_result(p.oid) || ' definer=' || p.prosecdef
                   || ' config=' || coalesce(array_to_string(p.proconfig, ','), '') || ' ' || md5(p.prosrc)
            FROM pg_proc p WHERE p.pronamespace = 'annotate'::regnamespace
            UNION ALL
            SELECT 'relation ' || c.relname || ' ' || c.relkind::text || ' '
                   || coalesce(md5(pg_get_viewdef(c.oid)), '') || coalesce(md5(pg_get_indexdef(c.oid)), '')
            FROM pg_class c WHERE c.relnamespace = 'annotate'::regnamespace
               OR (c.relnamespace = 'public'::regnamespace AND c.relname LIKE 'annotate\_%')
            UNION ALL
            SELECT 'trigger ' || t.tgrelid::regclass || ' ' || pg_get_triggerdef(t.oid)
            FROM pg_trigger t WHERE t.tgname LIKE 'annotate\_%'
            UNION ALL
            SELECT 'member ' || pg_describe_object(d.classid, d.objid, 0)
            FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'annotate_ext'
            WHERE d.deptype = 'e') s(x)"
}

fill() {
    scripts/seed S "$1" >/dev/null
    q -d "$1" -c "INSERT INTO public.annotation__url_type__user (url_id, user_id, type)
                  SELECT id, 1 + id % 5, 'data source' FROM public.urls WHERE id % 97 = 0"
}
answers() {
    q -d "$1" -c "SELECT string_agg(annotate.next_annotation(u)::text, E'\n' ORDER BY u) FROM generate_series(1, 6) u"
}

q -d postgres -c 'DROP DATABASE IF EXISTS annotate_upgrade_fresh' -c 'CREATE DATABASE annotate_upgrade_fresh TEMPLATE annotate_fixture'
fill annotate_upgrade_fresh
q -d annotate_upgrade_fresh -c 'CREATE EXTENSION annotate_ext'
shape annotate_upgrade_fresh >/tmp/annotate_shape_fresh

for script in sql/released/annotate_ext--*.sql; do
    from=$(basename "$script" .sql); from=${from#annotate_ext--}
    cp "$script" "$extdir/"
    db=annotate_upgrade_from_${from//./_}
    q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db TEMPLATE annotate_fixture"
    fill "$db"
    q -d "$db" -c "CREATE EXTENSION annotate_ext VERSION '$from'"
    before=$(answers "$db")
    q -d "$db" -c 'ALTER EXTENSION annotate_ext UPDATE'
    version=$(q -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'annotate_ext'")
    [ "$version" = "$current" ] || { echo "upgrade from $from: at version $version, not $current" >&2; exit 1; }
    [ "$(answers "$db")" = "$before" ] || { echo "upgrade from $from: answers changed" >&2; exit 1; }
    problems=$(q -d "$db" -c 'SELECT count(*) FROM annotate.verify()')
    [ "$problems" = 0 ] || { echo "upgrade from $from: verify() found $problems problems" >&2; exit 1; }
    shape "$db" >/tmp/annotate_shape_updated
    if ! diff /tmp/annotate_shape_fresh /tmp/annotate_shape_updated; then
        echo "upgrade from $from: the updated extension differs from a fresh $current install (above)" >&2
        exit 1
    fi
    q -d postgres -c "DROP DATABASE $db"
    echo "upgrade $from -> $current: same answers, verify() empty, identical to a fresh install"
done
q -d postgres -c 'DROP DATABASE annotate_upgrade_fresh'
rm -f /tmp/annotate_shape_fresh /tmp/annotate_shape_updated
