-- Code of a role that is not a superuser which the planner would run planning a query on the
-- app's tables as the extension's owner (sql/requirements.sql, planner_hazards()), as text,
-- NULL when none; and the oids of those tables, whose cache invalidations make the caller
-- (src/access.rs) ask again.
SELECT (SELECT pg_catalog.string_agg(h.problem, '; ') FROM annotate_internal.planner_hazards() h),
       ARRAY(SELECT k.oid::pg_catalog.int8 FROM pg_catalog.pg_class k
             WHERE k.relnamespace OPERATOR(pg_catalog.=) pg_catalog.to_regnamespace('public')
               AND k.relname OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT DISTINCT r.table_name::pg_catalog.name
                                                               FROM annotate_internal.requirements() r)))
