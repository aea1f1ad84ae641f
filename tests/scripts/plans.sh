#!/usr/bin/env bash
# Plan shapes under hostile settings (SPEC 6, README "Performance"). Every statement the
# request path runs (sql/queries/) is prepared and explained as the extension runs it: a
# generic plan, under the settings the public functions run under (src/guc.rs), with
# every host setting that could derail it set against it first (JIT at cost 0, custom plans,
# random_page_cost 100, index scans and nested loops off, tiny work_mem, collapse limits 1,
# ...), on workload M (100,000 URLs: realistic statistics; on tiny tables a whole scan is a fair plan). A statement fails if its plan would JIT-compile, sorts more
# than 1,000 estimated rows, scans any table but the extension's one-row ones sequentially or by
# bitmap, reads a whole index of a table of more than 1,000 rows (an index scan with no
# condition, the queue's walks aside), reads the kept backlog of unfolded writes again for every
# row of another set (a nested loop over a Materialize of it), or reads the index of every live lease (lease ends)
# other than to find or end the leases that ran out. The same check without the pins must find violations, or it proves nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(scripts/cluster env)"
db=annotate_t_plans
q() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
fail() { echo "plans: $*" >&2; exit 1; }

statements=(state context_start context context_batches pending_detail walk_order walk_resume walk_resume_more walk_batches walk_batch_resume walk_batch_resume_more walk_in
            walk_order_anon walk_resume_anon walk_resume_more_anon walk_batches_anon walk_batch_resume_anon
            walk_batch_resume_more_anon walk_in_anon walk_url own_leases lease_check lease_expire lease walk_lease walk_lease_anon lease_undo release url
            html_content url_type_votes record_type_votes agency_votes location_votes agency_not_found
            location_not_found name_votes batch_info batch_info_folded folds_done leases_due own_new_urls folder_running capture capture_batch)
hostile="jit=on jit_above_cost=0 jit_inline_above_cost=0 jit_optimize_above_cost=0
         plan_cache_mode=force_custom_plan random_page_cost=100 seq_page_cost=0.001 cpu_index_tuple_cost=1
         enable_indexscan=off enable_indexonlyscan=off enable_nestloop=off enable_sort=on enable_seqscan=on
         enable_bitmapscan=on enable_hashjoin=on enable_mergejoin=on work_mem=64kB from_collapse_limit=1
         join_collapse_limit=1 geqo_threshold=2 effective_cache_size=8kB"

q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db TEMPLATE annotate_fixture"
scripts/seed M "$db" >/dev/null
q -d "$db" -c 'CREATE EXTENSION annotate_ext' -c 'ANALYZE'
# Statistics taken while 300 callers held a lease each, all ending at once, then 1,000 leases
# of 10 callers (at S, 10,000 URLs, as the benchmark does it): estimates that made the
# caller's-own-leases statement walk every live lease (queue_lease_expiry, a whole scan of a
# partial index the planner took for near-empty) instead of the caller's entries.
leases_db=annotate_t_plans_leases
q -d postgres -c "DROP DATABASE IF EXISTS $leases_db" -c "CREATE DATABASE $leases_db TEMPLATE annotate_fixture"
scripts/seed S "$leases_db" >/dev/null
q -d "$leases_db" -c 'CREATE EXTENSION annotate_ext' -c 'ANALYZE' \
           -c "SELECT count(*) FROM generate_series(1, 300) g,
                 LATERAL annotate.next_url_for_annotation(700000 + g, claim_for => '1 hour')" \
           -c 'ANALYZE annotate_internal.queue' \
           -c "UPDATE annotate_internal.queue SET leased = false, lease_user = NULL, lease_session = NULL,
                      lease_until = NULL, lease_xid = NULL WHERE leased" \
           -c "SELECT count(*) FROM generate_series(1, 10) g,
                 LATERAL annotate.next_url_for_annotation(710000 + g, max_urls => 100, claim_for => '1 hour')" \
           -c 'VACUUM annotate_internal.queue' >/dev/null

# The settings each function of the request path runs under (src/guc.rs), applied below.
pins=$(q -d "$db" -c "SELECT array_to_string(annotate_internal.request_planning(), ' ')")
[ -n "$pins" ] || fail "annotate_internal.request_planning() is empty"

# Each function applies them for the whole of its call: under the hostile settings, every
# statement a call runs is planned under them (auto_explain prints each nested statement's
# settings that differ from PostgreSQL's defaults, and its JIT use).
calls=("SELECT count(*) FROM annotate.next_url_for_annotation(1)"
       "SELECT count(*) FROM annotate.next_url_for_annotation(1, max_urls => 5, claim_for => '1 minute')"
       "SELECT count(*) FROM annotate.next_url_for_anonymous_annotation(md5('plans')::uuid)"
       "SELECT annotate.next_annotation(1, 1) IS NOT NULL"
       "SELECT annotate.next_anonymous_annotation(md5('plans')::uuid) IS NOT NULL"
       "SELECT annotate.annotation_for_url(1, 1) IS NOT NULL"
       "SELECT annotate.release_claim(1, user_id => 1)")
# explained BEFORE SQL...: runs BEFORE as it is, then the statements SQL with every statement,
# nested ones too, explained by auto_explain (with its settings and JIT use) under the hostile
# settings, in one session; prints the log.
explained() {
    { echo "$1"; shift
      echo "LOAD 'auto_explain';"
      echo "SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on;"
      echo "SET auto_explain.log_level = notice; SET auto_explain.log_settings = on;"
      for s in $hostile; do echo "SET ${s%%=*} = '${s#*=}';"; done
      printf '%s\n' "$@"; } | PGOPTIONS="-c client_min_messages=notice" psql -X -q -v ON_ERROR_STOP=1 -d "$db" 2>&1
}
# verdict TEXT SETTINGS (from explained's log on stdin): "explained bad", the statements
# explained other than the one whose text holds TEXT (the caller's own), and those of them
# planned without one of SETTINGS (awk regexes, separated by ";") or JIT-compiled.
verdict() {
    awk -v skip="$1" -v need="$2" '
        function check(   i, n, r) {
            if (!seen || index(query, skip)) return
            total++
            n = split(need, r, ";")
            for (i = 1; i <= n; i++) if (settings !~ r[i]) { bad++; return }
            if (jit) bad++
        }
        /duration: .* plan:/ { check(); seen = 1; query = ""; settings = ""; jit = 0; next }
        /Query Text:/ { query = $0 }
        /^Settings:/ { settings = $0 }
        /^JIT:/ { jit = 1 }
        END { check(); print total + 0, bad + 0 }'
}
for call in "${calls[@]}"; do
    out=$(explained "" "$call;") || { echo "$out" >&2; fail "$call failed"; }
    read -r total bad <<<"$(echo "$out" | verdict "$call" \
        "plan_cache_mode = .force_generic_plan.;enable_sort = .off.;enable_seqscan = .off.;jit = .off.")"
    [ "$total" -gt 0 ] || { echo "$out" >&2; fail "$call: no statement of its own was explained"; }
    [ "$bad" = 0 ] || { echo "$out" >&2; fail "$call: $bad of its $total statements ran without the request path's settings"; }
done
echo "plans: ${#calls[@]} calls under hostile settings: every statement they ran was planned under the request path's"
# A fold, whoever runs it (the folder takes the database's settings too), is never JIT-compiled:
# its statements' costs grow with the backlog, past any jit_above_cost.
out=$(explained "INSERT INTO public.annotation__url_type__auto (url_id, relevant)
                 SELECT i, true FROM generate_series(1, 500) i ON CONFLICT DO NOTHING;" \
                "SELECT annotate_internal.fold_now() >= 0;") || { echo "$out" >&2; fail "fold_now() failed"; }
read -r folds bad <<<"$(echo "$out" | verdict fold_now "jit = .off.")"
[ "$folds" -gt 0 ] || { echo "$out" >&2; fail "fold_now(): none of the fold's statements was explained"; }
[ "$bad" = 0 ] || { echo "$out" >&2; fail "fold_now(): $bad of its $folds statements may JIT-compile"; }
echo "plans: a fold under hostile settings: $folds statements, none JIT-compiled"
# check(statement text, settings): one line per violation in its generic plan.
for d in "$db" "$leases_db"; do q -d "$d" <<'SQL'
CREATE FUNCTION public.plan_violations(name text, body text, settings text[]) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    s text;
    args text;
    plan jsonb;
BEGIN
    FOREACH s IN ARRAY settings LOOP
        PERFORM set_config(split_part(s, '=', 1), substr(s, strpos(s, '=') + 1), true);
    END LOOP;
    EXECUTE 'PREPARE plan_check AS ' || body;
    SELECT string_agg('NULL::' || t::text, ', ') INTO args
    FROM pg_prepared_statements p, unnest(p.parameter_types) t WHERE p.name = 'plan_check';
    EXECUTE 'EXPLAIN (FORMAT JSON, VERBOSE) EXECUTE plan_check' || COALESCE('(' || args || ')', '') INTO plan;
    DEALLOCATE plan_check;
    IF plan->0 ? 'JIT' THEN
        RETURN NEXT 'JIT-compiles';
    END IF;
    -- Sequential or bitmap scans of anything but the extension's one-row tables.
    RETURN QUERY
    SELECT DISTINCT n->>'Node Type' || ' on ' || (n->>'Schema') || '.' || (n->>'Relation Name')
    FROM jsonb_path_query(plan, 'strict $.**') n
    WHERE jsonb_typeof(n) = 'object'
      AND n->>'Node Type' IN ('Seq Scan', 'Bitmap Heap Scan', 'Tid Range Scan')
      AND n->>'Relation Name' NOT IN ('state', 'fold_state', 'health');
    -- Index scans with no condition of a table of more than 1,000 rows, outside the queue
    -- (whose walks stop at their LIMIT): a scan of a whole index, as when the planner walks a
    -- primary key for its order rather than sort the few rows an index condition finds.
    RETURN QUERY
    SELECT DISTINCT 'full ' || (n->>'Node Type') || ' on ' || (n->>'Schema') || '.' || (n->>'Relation Name')
    FROM jsonb_path_query(plan, 'strict $.**') n
    JOIN pg_class c ON c.oid = to_regclass(quote_ident(n->>'Schema') || '.' || quote_ident(n->>'Relation Name'))
    WHERE jsonb_typeof(n) = 'object'
      AND n->>'Node Type' IN ('Index Scan', 'Index Only Scan')
      AND NOT n ? 'Index Cond'
      AND n->>'Relation Name' <> 'queue'
      AND c.reltuples > 1000;
    -- The index of lease ends holds every live lease: only the statements that look for and end
    -- the leases that ran out may read it (from its start, up to now()).
    RETURN QUERY
    SELECT DISTINCT 'reads every live lease (' || (n->>'Index Name') || ')'
    FROM jsonb_path_query(plan, 'strict $.**') n
    WHERE jsonb_typeof(n) = 'object' AND n->>'Index Name' = 'queue_lease_expiry'
      AND name NOT IN ('lease_check', 'lease_expire', 'leases_due');
    -- Writes not folded yet kept and read again for every row of another set (a nested loop
    -- whose inner side is a Materialize over queue_delta or batch_event): quadratic in the
    -- backlog, as context.sql's join of the backlog's URLs with their batch moves was (0.6 s
    -- a call at 8,000 pending writes).
    RETURN QUERY
    SELECT DISTINCT 'nested loop over the kept backlog (' || (n->'Plans'->1->'Plans'->0->>'Node Type') || ')'
    FROM jsonb_path_query(plan, 'strict $.**') n
    WHERE jsonb_typeof(n) = 'object' AND n->>'Node Type' = 'Nested Loop'
      AND n->'Plans'->1->>'Node Type' = 'Materialize'
      AND jsonb_path_exists(n->'Plans'->1,
              'strict $.** ? (@."Relation Name" == "queue_delta" || @."Relation Name" == "batch_event")');
    -- Sorts of more than a page of rows: a walk sorts nothing but the few rows it was handed.
    RETURN QUERY
    SELECT DISTINCT n->>'Node Type' || ' of ' || (n->>'Plan Rows') || ' estimated rows'
    FROM jsonb_path_query(plan, 'strict $.**') n
    WHERE jsonb_typeof(n) = 'object' AND n->>'Node Type' IN ('Sort', 'Incremental Sort')
      AND (n->>'Plan Rows')::float8 > 1000;
END
$$;
SQL
done

check() {  # pinned (true|false), host settings[, database]: prints "statement: violation" lines
    for name in "${statements[@]}"; do
        q -d "${3:-$db}" -v body="$(cat "sql/queries/$name.sql")" -v hostile="$(echo $2)" -v name="$name" \
          -v pinned="$1" <<'SQL' || echo "$name: could not be checked"
BEGIN;
SELECT :'name' || ': ' || v
FROM public.plan_violations(:'name', :'body', string_to_array(:'hostile', ' ') ||
         CASE WHEN :pinned THEN annotate_internal.request_planning()
              ELSE '{plan_cache_mode=force_generic_plan}'::text[] END) v;
ROLLBACK;
SQL
    done
}

# Under the hostile settings, and under PostgreSQL's stock costs (where the planner's ties
# between near-empty partial indexes fall otherwise).
protected=$(check true "$hostile"; check true "" | sed 's/^/(stock costs) /'
            check true "" "$leases_db" | sed 's/^/(stock costs, lease statistics) /')
control=$(check false "$hostile")
echo "without the pinned settings, under the hostile ones: $(echo "$control" | grep -c . || true) violations, e.g.:"
echo "$control" | head -5 | sed 's/^/  /'
[ -n "$control" ] || fail "the check found nothing even without the pins: it cannot fail"
if [ -n "$protected" ]; then
    echo "$protected" >&2
    fail "request-path statements that JIT-compile, sort or scan (above), with the pins applied"
fi
echo "plans: ${#statements[@]} statements: no JIT, no large sort, no sequential, bitmap or whole-index scan"
q -d postgres -c "DROP DATABASE $db" -c "DROP DATABASE $leases_db"
