-- What annotate_ext reads from the application (SPEC section 2): every table and column, by
-- name, and the kind of type it needs. attach() refuses to attach while one is missing, and
-- the DDL watch (sql/watch.sql) refuses a migration that would take one away.

-- kind: 'id' (any integer type), 'text' (any type with a text form), 'string' (a string type,
-- PostgreSQL's own or a domain over one), 'uuid', 'bool', 'number', 'timestamp', 'relation'
-- (the table or view itself). The extension reads urls.url and urls.scheme with its owner's
-- rights and casts them to text: a type of the app's own (an enum) could carry a cast of the
-- app's own, whose function would run with those rights; a string type's cast to text is
-- PostgreSQL's (only a superuser makes a base type, and a domain's casts are its base type's).
CREATE FUNCTION annotate_internal.requirements()
RETURNS TABLE (table_name text, column_name text, kind text)
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.t, r.c, r.k
    FROM (VALUES
        ('urls', NULL, 'relation'), ('urls', 'id', 'id'), ('urls', 'url', 'string'),
        ('urls', 'scheme', 'string'), ('urls', 'trailing_slash', 'bool'), ('urls', 'source', 'text'),
        ('link_batches__urls', NULL, 'relation'), ('link_batches__urls', 'url_id', 'id'),
        ('link_batches__urls', 'batch_id', 'id'),
        ('link_batches__locations', NULL, 'relation'), ('link_batches__locations', 'batch_id', 'id'),
        ('link_batches__locations', 'location_id', 'id'),
        ('link__locations__user_follows', NULL, 'relation'),
        ('link__locations__user_follows', 'location_id', 'id'),
        ('link__locations__user_follows', 'user_id', 'id'),
        ('locations_expanded', NULL, 'relation'), ('locations_expanded', 'id', 'id'),
        ('locations_expanded', 'full_display_name', 'text'),
        ('agencies', NULL, 'relation'), ('agencies', 'id', 'id'), ('agencies', 'name', 'text'),
        ('flag_url_validated', NULL, 'relation'), ('flag_url_validated', 'url_id', 'id'),
        ('flag_url_suspended', NULL, 'relation'), ('flag_url_suspended', 'url_id', 'id'),
        ('reviewing_user_url', NULL, 'relation'), ('reviewing_user_url', 'url_id', 'id'),
        ('link_agencies__urls', NULL, 'relation'), ('link_agencies__urls', 'url_id', 'id'),
        ('url_html_content', NULL, 'relation'), ('url_html_content', 'url_id', 'id'),
        ('url_html_content', 'content_type', 'text'), ('url_html_content', 'content', 'text'),
        ('link_user_suggestion_agency_not_found', NULL, 'relation'),
        ('link_user_suggestion_agency_not_found', 'url_id', 'id'),
        ('link_user_suggestion_location_not_found', NULL, 'relation'),
        ('link_user_suggestion_location_not_found', 'url_id', 'id'),
        ('annotation__url_type__user', NULL, 'relation'), ('annotation__url_type__user', 'url_id', 'id'),
        ('annotation__url_type__user', 'user_id', 'id'), ('annotation__url_type__user', 'type', 'text'),
        ('annotation__url_type__user', 'created_at', 'timestamp'),
        ('annotation__record_type__user', NULL, 'relation'),
        ('annotation__record_type__user', 'url_id', 'id'), ('annotation__record_type__user', 'user_id', 'id'),
        ('annotation__record_type__user', 'record_type', 'text'),
        ('annotation__record_type__user', 'created_at', 'timestamp'),
        ('annotation__agency__user', NULL, 'relation'), ('annotation__agency__user', 'url_id', 'id'),
        ('annotation__agency__user', 'user_id', 'id'), ('annotation__agency__user', 'agency_id', 'id'),
        ('annotation__location__user', NULL, 'relation'), ('annotation__location__user', 'url_id', 'id'),
        ('annotation__location__user', 'user_id', 'id'), ('annotation__location__user', 'location_id', 'id'),
        ('annotation__url_type__anon', NULL, 'relation'), ('annotation__url_type__anon', 'url_id', 'id'),
        ('annotation__url_type__anon', 'session_id', 'uuid'), ('annotation__url_type__anon', 'url_type', 'text'),
        ('annotation__url_type__anon', 'created_at', 'timestamp'),
        ('annotation__record_type__anon', NULL, 'relation'),
        ('annotation__record_type__anon', 'url_id', 'id'), ('annotation__record_type__anon', 'session_id', 'uuid'),
        ('annotation__record_type__anon', 'record_type', 'text'),
        ('annotation__record_type__anon', 'created_at', 'timestamp'),
        ('annotation__agency__anon', NULL, 'relation'), ('annotation__agency__anon', 'url_id', 'id'),
        ('annotation__agency__anon', 'session_id', 'uuid'), ('annotation__agency__anon', 'agency_id', 'id'),
        ('annotation__location__anon', NULL, 'relation'), ('annotation__location__anon', 'url_id', 'id'),
        ('annotation__location__anon', 'session_id', 'uuid'),
        ('annotation__location__anon', 'location_id', 'id'),
        ('annotation__url_type__auto', NULL, 'relation'), ('annotation__url_type__auto', 'url_id', 'id'),
        ('annotation__record_type__auto', NULL, 'relation'), ('annotation__record_type__auto', 'url_id', 'id'),
        ('annotation__agency__auto__subtasks', NULL, 'relation'),
        ('annotation__agency__auto__subtasks', 'id', 'id'), ('annotation__agency__auto__subtasks', 'url_id', 'id'),
        ('annotation__agency__auto__suggestions', NULL, 'relation'),
        ('annotation__agency__auto__suggestions', 'subtask_id', 'id'),
        ('annotation__agency__auto__suggestions', 'agency_id', 'id'),
        ('annotation__agency__auto__suggestions', 'confidence', 'number'),
        ('annotation__location__auto__subtasks', NULL, 'relation'),
        ('annotation__location__auto__subtasks', 'id', 'id'),
        ('annotation__location__auto__subtasks', 'url_id', 'id'),
        ('annotation__location__auto__suggestions', NULL, 'relation'),
        ('annotation__location__auto__suggestions', 'subtask_id', 'id'),
        ('annotation__location__auto__suggestions', 'location_id', 'id'),
        ('annotation__location__auto__suggestions', 'confidence', 'number'),
        ('annotation__name__suggestions', NULL, 'relation'), ('annotation__name__suggestions', 'id', 'id'),
        ('annotation__name__suggestions', 'url_id', 'id'), ('annotation__name__suggestions', 'suggestion', 'text'),
        ('annotation__name__suggestions', 'source', 'text'),
        ('annotation__name__user__endorsements', NULL, 'relation'),
        ('annotation__name__user__endorsements', 'suggestion_id', 'id'),
        ('annotation__name__anon__endorsements', NULL, 'relation'),
        ('annotation__name__anon__endorsements', 'suggestion_id', 'id')
    ) AS r(t, c, k)
$$;

-- Code of a role that is not a superuser, which the planner may run: planning a query on a
-- table, PostgreSQL simplifies the expressions and predicates of its indexes, its CHECK
-- constraints (constraint_exclusion) and its statistics' expressions, running the immutable
-- functions they call on constants with the rights of the role planning; and estimating a
-- condition on a column of a range type (a partial index's predicate, say), it runs the
-- type's subtype_diff, which any role may write (found by a review). annotate_ext plans its
-- queries on the app's tables with its owner's rights (a superuser's), so such a function (its
-- owner may replace its body at any time) would run with them. One row per table and object;
-- read by unmet_requirements() (the DDL watch, attach()) and before anything plans a query on
-- the app's tables (src/access.rs, the folder, verify(), reconcile()): an index made
-- CONCURRENTLY outlives the watch's refusal, invalid, and REINDEX, which no event trigger
-- sees, makes it valid. Each catalog is read by its index on the table or object (this runs
-- again in every backend after an app table's cache entry is invalidated).
CREATE FUNCTION annotate_internal.planner_hazards()
RETURNS TABLE (table_name text, problem text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE t AS MATERIALIZED (
        SELECT k.oid, k.relname::pg_catalog.text AS table_name
        FROM (SELECT DISTINCT q.table_name::pg_catalog.name AS name FROM annotate_internal.requirements() q) n
        JOIN pg_catalog.pg_class k
          ON k.relname OPERATOR(pg_catalog.=) n.name
         AND k.relnamespace OPERATOR(pg_catalog.=) pg_catalog.to_regnamespace('public')),
    objects AS MATERIALIZED (
        SELECT t.table_name, 'pg_catalog.pg_class'::pg_catalog.regclass::pg_catalog.oid AS classid, i.indexrelid AS objid
        FROM t JOIN pg_catalog.pg_index i ON i.indrelid OPERATOR(pg_catalog.=) t.oid
        UNION ALL
        SELECT t.table_name, 'pg_catalog.pg_constraint'::pg_catalog.regclass::pg_catalog.oid, o.oid
        FROM t JOIN pg_catalog.pg_constraint o ON o.conrelid OPERATOR(pg_catalog.=) t.oid
        UNION ALL
        SELECT t.table_name, 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass::pg_catalog.oid, x.oid
        FROM t JOIN pg_catalog.pg_statistic_ext x ON x.stxrelid OPERATOR(pg_catalog.=) t.oid),
    -- Every type a column's values are made of: through domains, arrays, ranges, multiranges
    -- and composite types. Only types made after initdb (oid 16384 on) can carry a function of a
    -- role that is not a superuser.
    made_of AS (
        SELECT t.table_name, a.attname::pg_catalog.text AS column_name, a.atttypid AS typ
        FROM t JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) t.oid
        WHERE a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
          AND a.atttypid OPERATOR(pg_catalog.>=) 16384::pg_catalog.oid
        UNION
        SELECT m.table_name, m.column_name, n.typ
        FROM made_of m
        CROSS JOIN LATERAL (
            SELECT y.typbasetype FROM pg_catalog.pg_type y
            WHERE y.oid OPERATOR(pg_catalog.=) m.typ AND y.typbasetype OPERATOR(pg_catalog.<>) 0
            UNION ALL
            SELECT y.typelem FROM pg_catalog.pg_type y
            WHERE y.oid OPERATOR(pg_catalog.=) m.typ AND y.typelem OPERATOR(pg_catalog.<>) 0
            UNION ALL
            SELECT r.rngsubtype FROM pg_catalog.pg_range r WHERE r.rngtypid OPERATOR(pg_catalog.=) m.typ
            UNION ALL
            SELECT r.rngtypid FROM pg_catalog.pg_range r WHERE r.rngmultitypid OPERATOR(pg_catalog.=) m.typ
            UNION ALL
            SELECT c.atttypid FROM pg_catalog.pg_type y
            JOIN pg_catalog.pg_attribute c ON c.attrelid OPERATOR(pg_catalog.=) y.typrelid
            WHERE y.oid OPERATOR(pg_catalog.=) m.typ AND y.typrelid OPERATOR(pg_catalog.<>) 0
              AND c.attnum OPERATOR(pg_catalog.>) 0 AND NOT c.attisdropped
        ) AS n(typ)
        WHERE n.typ OPERATOR(pg_catalog.>=) 16384::pg_catalog.oid),
    found AS (
        SELECT o.table_name, pg_catalog.pg_describe_object(o.classid, o.objid, 0) AS what, 'calls' AS how, f.oid AS fn
        FROM objects o
        JOIN pg_catalog.pg_depend d
          ON d.classid OPERATOR(pg_catalog.=) o.classid AND d.objid OPERATOR(pg_catalog.=) o.objid
        JOIN pg_catalog.pg_proc f
          ON f.oid OPERATOR(pg_catalog.=) CASE
                 WHEN d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass THEN d.refobjid
                 WHEN d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_operator'::pg_catalog.regclass
                     THEN (SELECT p.oprcode::pg_catalog.oid FROM pg_catalog.pg_operator p
                           WHERE p.oid OPERATOR(pg_catalog.=) d.refobjid)
             END
        UNION
        SELECT m.table_name,
               pg_catalog.format('column %I (made of range type %s)', m.column_name, m.typ::pg_catalog.regtype),
               'has as its subtype_diff or canonical function', f.oid
        FROM made_of m
        JOIN pg_catalog.pg_range r ON r.rngtypid OPERATOR(pg_catalog.=) m.typ
        JOIN pg_catalog.pg_proc f ON f.oid OPERATOR(pg_catalog.=) r.rngsubdiff OR f.oid OPERATOR(pg_catalog.=) r.rngcanonical)
    SELECT x.table_name,
           pg_catalog.format('public.%I: %s %s %s, owned by %s, which is not a superuser: PostgreSQL may run it as annotate_ext plans its queries on the table, with its owner''s rights',
                             x.table_name, x.what, x.how, x.fn::pg_catalog.regprocedure, f.owner::pg_catalog.regrole)
    FROM found x
    CROSS JOIN LATERAL (SELECT p.proowner AS owner FROM pg_catalog.pg_proc p
                        WHERE p.oid OPERATOR(pg_catalog.=) x.fn) f
    WHERE NOT (SELECT a.rolsuper FROM pg_catalog.pg_authid a WHERE a.oid OPERATOR(pg_catalog.=) f.owner)
$$;

-- Every requirement this database does not meet, one line each, in the order above (empty
-- when all are met). Types are judged by category, so an integer id may become bigint and a
-- varchar text, but a renamed or dropped column, or an id turned into text, is a problem.
CREATE FUNCTION annotate_internal.unmet_requirements()
RETURNS TABLE (table_name text, column_name text, problem text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT u.table_name, u.column_name, u.problem FROM (
        SELECT r.table_name, r.column_name, r.n,
               CASE
                   WHEN c.oid IS NULL THEN pg_catalog.format('public.%I is missing', r.table_name)
                   WHEN r.column_name IS NULL AND c.relkind OPERATOR(pg_catalog.=) 'p'
                       THEN pg_catalog.format('public.%I is partitioned, which annotate_ext does not support (its capture triggers would fire for the partitions, and attaching or detaching one changes the table uncaptured)',
                                              r.table_name)
                   WHEN r.column_name IS NULL
                       THEN pg_catalog.format('public.%I is a view, not a table: annotate_ext reads it with its owner''s rights, and would run with them what the view calls',
                                              r.table_name)
                   WHEN a.attnum IS NULL THEN pg_catalog.format('public.%I has no column %I', r.table_name, r.column_name)
                   ELSE pg_catalog.format('public.%I.%I is of type %s, which annotate_ext cannot read as %s',
                                          r.table_name, r.column_name, a.atttypid::pg_catalog.regtype, r.kind)
               END AS problem
        FROM annotate_internal.requirements() WITH ORDINALITY AS r(table_name, column_name, kind, n)
        LEFT JOIN pg_catalog.pg_class c
               ON c.relnamespace OPERATOR(pg_catalog.=) 'public'::pg_catalog.regnamespace
              AND c.relname OPERATOR(pg_catalog.=) r.table_name
              AND c.relkind OPERATOR(pg_catalog.=) ANY ('{r,v,m,p}'::"char"[])
        LEFT JOIN pg_catalog.pg_attribute a
               ON a.attrelid OPERATOR(pg_catalog.=) c.oid AND a.attname OPERATOR(pg_catalog.=) r.column_name
              AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
        LEFT JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid
        WHERE (r.column_name IS NULL AND c.oid IS NULL)
           -- Read as the extension's owner (a superuser), a view would run what it calls with
           -- those rights: only the one view the app has, read with the caller's rights
           -- (sql/queries/location_votes.sql), may be one.
           OR (r.column_name IS NULL AND c.relkind OPERATOR(pg_catalog.<>) 'r'
               AND (r.table_name OPERATOR(pg_catalog.<>) 'locations_expanded' OR c.relkind OPERATOR(pg_catalog.=) 'p'))
           OR (r.column_name IS NOT NULL AND c.oid IS NOT NULL AND a.attnum IS NULL)
           OR (r.column_name IS NOT NULL AND a.attnum IS NOT NULL AND NOT CASE r.kind
                   WHEN 'id' THEN a.atttypid OPERATOR(pg_catalog.=) ANY ('{int2,int4,int8}'::pg_catalog.regtype[])
                   WHEN 'uuid' THEN a.atttypid OPERATOR(pg_catalog.=) 'uuid'::pg_catalog.regtype
                   WHEN 'bool' THEN a.atttypid OPERATOR(pg_catalog.=) 'bool'::pg_catalog.regtype
                   WHEN 'number' THEN t.typcategory OPERATOR(pg_catalog.=) 'N'
                   WHEN 'timestamp' THEN t.typcategory OPERATOR(pg_catalog.=) 'D'
                   WHEN 'string' THEN t.typcategory OPERATOR(pg_catalog.=) 'S'
                   ELSE t.typcategory OPERATOR(pg_catalog.=) ANY ('{S,E}'::"char"[])
               END)
        UNION ALL
        SELECT h.table_name, NULL, 999998, h.problem FROM annotate_internal.planner_hazards() h
        UNION ALL
        -- Inheritance children of a table it reads: the app reads their rows with the
        -- parent's, and no trigger on the parent fires for their writes (a partitioned
        -- table's partitions take its triggers, and are fine).
        SELECT r.table_name, NULL, 999999,
               pg_catalog.format('public.%I has inheritance children (%s), whose rows annotate_ext''s triggers do not see',
                                 r.table_name, pg_catalog.string_agg(i.inhrelid::pg_catalog.regclass::text, ', '))
        FROM (SELECT DISTINCT q.table_name FROM annotate_internal.requirements() q) r
        JOIN pg_catalog.pg_class p ON p.relname OPERATOR(pg_catalog.=) r.table_name
                                  AND p.relnamespace OPERATOR(pg_catalog.=) 'public'::pg_catalog.regnamespace
                                  AND p.relkind OPERATOR(pg_catalog.=) 'r'
        JOIN pg_catalog.pg_inherits i ON i.inhparent OPERATOR(pg_catalog.=) p.oid
        GROUP BY r.table_name
        UNION ALL
        -- A manual URL is one whose source is 'manual' (SPEC 1): an enum that lost that value
        -- (ALTER TYPE ... RENAME VALUE) leaves none.
        SELECT 'urls', 'source', 1000000,
               pg_catalog.format('public.urls.source (%s) has no value %L, which annotate_ext reads as a manual URL''s source',
                                 a.atttypid::pg_catalog.regtype, 'manual')
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) c.oid
        JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid
        WHERE c.relnamespace OPERATOR(pg_catalog.=) 'public'::pg_catalog.regnamespace
          AND c.relname OPERATOR(pg_catalog.=) 'urls' AND a.attname OPERATOR(pg_catalog.=) 'source'
          AND NOT a.attisdropped AND t.typtype OPERATOR(pg_catalog.=) 'e'
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_enum e
                          WHERE e.enumtypid OPERATOR(pg_catalog.=) t.oid AND e.enumlabel OPERATOR(pg_catalog.=) 'manual')
    ) u
    ORDER BY u.n
$$;

-- The tables of the app this database lacks (NULL when none), for the install's message.
CREATE FUNCTION annotate_internal.missing_app_tables()
RETURNS text[]
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.array_agg(u.table_name)
    FROM annotate_internal.unmet_requirements() u
    WHERE u.column_name IS NULL
      AND u.problem OPERATOR(pg_catalog.=) pg_catalog.format('public.%I is missing', u.table_name)
$$;
