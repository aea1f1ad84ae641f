-- Attaching to the app's tables: the indexes the app lacks, the triggers that capture its
-- writes, the upstream PR's materialized views, and the queue built from the tables. Each
-- object made on or over an app table is tied to the extension with ALTER ... DEPENDS ON
-- EXTENSION, so DROP EXTENSION removes exactly these objects and pg_dump writes the ties back.

-- What attach() puts on the app's tables. kind: index | trigger | view; for a trigger, arg is
-- what the capture functions are told (src/triggers.rs), for an index its definition.
CREATE FUNCTION annotate_internal.attached_objects()
RETURNS TABLE (kind text, name text, table_name text, arg text)
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT o.kind, o.name, o.table_name, o.arg
    FROM (VALUES
        -- "Rows of this URL" lookups the app lacks (SPEC 2.3, the "no" rows); (url_id, user_id)
        -- also serves the eligibility probe of annotate_internal.is_done().
        ('index', 'annotate_agency_user_url_id', 'annotation__agency__user', '(url_id, user_id)'),
        ('index', 'annotate_url_type_anon_url_id', 'annotation__url_type__anon', '(url_id)'),
        ('index', 'annotate_record_type_anon_url_id', 'annotation__record_type__anon', '(url_id)'),
        ('index', 'annotate_agency_anon_url_id', 'annotation__agency__anon', '(url_id)'),
        ('index', 'annotate_location_anon_url_id', 'annotation__location__anon', '(url_id)'),
        ('index', 'annotate_agency_auto_subtasks_url_id', 'annotation__agency__auto__subtasks', '(url_id)'),
        ('index', 'annotate_agency_auto_suggestions_subtask_id', 'annotation__agency__auto__suggestions', '(subtask_id)'),
        ('index', 'annotate_name_user_endorsements_suggestion_id', 'annotation__name__user__endorsements', '(suggestion_id)'),
        ('index', 'annotate_name_anon_endorsements_suggestion_id', 'annotation__name__anon__endorsements', '(suggestion_id)'),
        ('index', 'annotate_agency_not_found_url_id', 'link_user_suggestion_agency_not_found', '(url_id)'),
        ('index', 'annotate_location_not_found_url_id', 'link_user_suggestion_location_not_found', '(url_id)'),
        -- A user's followed locations, and the batches linked to a location.
        ('index', 'annotate_user_follows_user_id', 'link__locations__user_follows', '(user_id, location_id)'),
        ('index', 'annotate_batch_locations_location_id', 'link_batches__locations', '(location_id, batch_id)'),
        -- The writes that move the queue (SPEC 3): inserts and deletes statement by statement,
        -- updates row by row, TRUNCATE (annotate_capture_insert, annotate_capture_delete,
        -- annotate_capture, annotate_capture_truncate).
        ('trigger', 'annotate_capture', 'urls', 'urls'),
        ('trigger', 'annotate_capture', 'link_batches__urls', 'batch_link'),
        ('trigger', 'annotate_capture', 'link_batches__locations', 'batch_location'),
        ('trigger', 'annotate_capture', 'link__locations__user_follows', 'follow'),
        ('trigger', 'annotate_capture', 'annotation__url_type__user', 'url_type_user'),
        ('trigger', 'annotate_capture', 'annotation__url_type__anon', 'url_type_anon'),
        ('trigger', 'annotate_capture', 'annotation__url_type__auto', 'url_type_auto'),
        ('trigger', 'annotate_capture', 'flag_url_validated', 'validated'),
        ('trigger', 'annotate_capture', 'flag_url_suspended', 'suspended'),
        ('trigger', 'annotate_capture', 'annotation__agency__user', 'agency_user'),
        ('trigger', 'annotate_capture', 'annotation__record_type__user', 'record_type_user'),
        ('trigger', 'annotate_capture', 'annotation__location__user', 'location_user'),
        ('trigger', 'annotate_capture', 'annotation__agency__anon', 'agency_anon'),
        ('trigger', 'annotate_capture', 'annotation__record_type__anon', 'record_type_anon'),
        ('trigger', 'annotate_capture', 'annotation__location__anon', 'location_anon'),
        ('view', 'url_annotation_count_view', NULL, NULL),
        ('view', 'url_annotation_flags', NULL, NULL)
    ) AS o(kind, name, table_name, arg)
$$;

-- Whether an object is tied to the extension (DEPENDS ON EXTENSION, or a member).
CREATE FUNCTION annotate_internal.is_tied(class pg_catalog.regclass, object_id pg_catalog.oid)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (
        SELECT 1 FROM pg_catalog.pg_depend d
        JOIN pg_catalog.pg_extension e ON e.oid OPERATOR(pg_catalog.=) d.refobjid
        WHERE e.extname OPERATOR(pg_catalog.=) 'annotate_ext'
          AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
          AND d.classid OPERATOR(pg_catalog.=) class
          AND d.objid OPERATOR(pg_catalog.=) object_id
          AND d.deptype OPERATOR(pg_catalog.=) ANY ('{x,e}'::"char"[]))
$$;

-- Whether index `idx` is a plain btree index of public.`table_name` on the columns `columns`
-- ('(a, b)'), read from the catalogs alone: pg_get_indexdef() takes a lock on the index's table,
-- and the DDL watch, which looks at every index on every DDL command of a restore, deadlocked
-- with a parallel pg_restore's jobs (one adding a primary key to a table whose index another's
-- watch was reading, and the other way round).
CREATE FUNCTION annotate_internal.index_is(idx oid, table_name text, columns text)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT COALESCE((
        SELECT x.indrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass('public.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(table_name))
           AND NOT x.indisunique AND x.indexprs IS NULL AND x.indpred IS NULL
           AND x.indnkeyatts OPERATOR(pg_catalog.=) x.indnatts
           AND am.amname OPERATOR(pg_catalog.=) 'btree'
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(x.indoption::pg_catalog.int2[]) AS o(opt)
                           WHERE o.opt OPERATOR(pg_catalog.<>) 0)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(x.indclass::pg_catalog.oid[]) AS c(opc)
                           JOIN pg_catalog.pg_opclass oc ON oc.oid OPERATOR(pg_catalog.=) c.opc
                           WHERE NOT oc.opcdefault)
           AND '(' OPERATOR(pg_catalog.||)
               (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY k.n)
                FROM pg_catalog.unnest(x.indkey::pg_catalog.int2[]) WITH ORDINALITY AS k(attnum, n)
                JOIN pg_catalog.pg_attribute a
                  ON a.attrelid OPERATOR(pg_catalog.=) x.indrelid AND a.attnum OPERATOR(pg_catalog.=) k.attnum)
               OPERATOR(pg_catalog.||) ')' OPERATOR(pg_catalog.=) columns
        FROM pg_catalog.pg_index x
        JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) x.indexrelid
        JOIN pg_catalog.pg_am am ON am.oid OPERATOR(pg_catalog.=) c.relam
        WHERE x.indexrelid OPERATOR(pg_catalog.=) idx), false)
$$;

-- The state of each object attach() makes: ok, or what is wrong with it (missing, not tied,
-- disabled, altered). verify() and status() report the problems; attach() repairs them.
CREATE FUNCTION annotate_internal.object_problems()
RETURNS TABLE (kind text, name text, table_name text, problem text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- pg_get_indexdef() quotes every name under quote_all_identifiers = on: each index read as
-- altered, and attach() (and so refresh()) dropped and rebuilt all of them on every run.
SET quote_all_identifiers = off
AS $$
    SELECT o.kind, o.name, o.table_name, p.problem
    FROM annotate_internal.attached_objects() o
    LEFT JOIN LATERAL (
        SELECT CASE
            WHEN i.oid IS NULL THEN 'missing'
            WHEN NOT annotate_internal.index_is(i.oid, o.table_name, o.arg)
                THEN 'altered: ' OPERATOR(pg_catalog.||) pg_catalog.pg_get_indexdef(i.oid)
            WHEN NOT annotate_internal.is_tied('pg_catalog.pg_class', i.oid) THEN 'not tied to the extension'
        END AS problem
        FROM (SELECT NULL) one
        LEFT JOIN pg_catalog.pg_class i
               ON i.relname OPERATOR(pg_catalog.=) o.name
              AND i.relnamespace OPERATOR(pg_catalog.=) 'public'::pg_catalog.regnamespace
              AND i.relkind OPERATOR(pg_catalog.=) 'i'
        WHERE o.kind OPERATOR(pg_catalog.=) 'index'
        UNION ALL
        SELECT CASE
            WHEN t.oid IS NULL THEN 'missing'
            WHEN t.tgfoid OPERATOR(pg_catalog.<>) 'annotate_internal.capture()'::pg_catalog.regprocedure
              OR t.tgnargs OPERATOR(pg_catalog.<>) 1
              OR pg_catalog.encode(t.tgargs, 'escape') OPERATOR(pg_catalog.<>) (o.arg OPERATOR(pg_catalog.||) E'\\000')
              OR t.tgtype OPERATOR(pg_catalog.<>) 17  -- ROW | AFTER | UPDATE
              OR t.tgqual IS NOT NULL
                THEN 'altered: ' OPERATOR(pg_catalog.||) pg_catalog.pg_get_triggerdef(t.oid)
            WHEN ti.oid IS NULL THEN 'missing its INSERT trigger annotate_capture_insert'
            WHEN ti.tgfoid OPERATOR(pg_catalog.<>) 'annotate_internal.capture_insert()'::pg_catalog.regprocedure
              OR ti.tgnargs OPERATOR(pg_catalog.<>) 1
              OR pg_catalog.encode(ti.tgargs, 'escape') OPERATOR(pg_catalog.<>) (o.arg OPERATOR(pg_catalog.||) E'\\000')
              OR ti.tgtype OPERATOR(pg_catalog.<>) 4  -- STATEMENT | AFTER | INSERT
              OR ti.tgnewtable IS NULL
              OR ti.tgqual IS NOT NULL
                THEN 'altered: ' OPERATOR(pg_catalog.||) pg_catalog.pg_get_triggerdef(ti.oid)
            WHEN td.oid IS NULL THEN 'missing its DELETE trigger annotate_capture_delete'
            WHEN td.tgfoid OPERATOR(pg_catalog.<>) 'annotate_internal.capture_delete()'::pg_catalog.regprocedure
              OR td.tgnargs OPERATOR(pg_catalog.<>) 1
              OR pg_catalog.encode(td.tgargs, 'escape') OPERATOR(pg_catalog.<>) (o.arg OPERATOR(pg_catalog.||) E'\\000')
              OR td.tgtype OPERATOR(pg_catalog.<>) 8  -- STATEMENT | AFTER | DELETE
              OR td.tgoldtable IS NULL
              OR td.tgqual IS NOT NULL
                THEN 'altered: ' OPERATOR(pg_catalog.||) pg_catalog.pg_get_triggerdef(td.oid)
            WHEN tr.oid IS NULL OR tr.tgfoid OPERATOR(pg_catalog.<>)
                 'annotate_internal.capture_truncate()'::pg_catalog.regprocedure
                THEN 'missing its TRUNCATE trigger annotate_capture_truncate'
            WHEN t.tgenabled OPERATOR(pg_catalog.=) 'D' OR ti.tgenabled OPERATOR(pg_catalog.=) 'D'
              OR td.tgenabled OPERATOR(pg_catalog.=) 'D' OR tr.tgenabled OPERATOR(pg_catalog.=) 'D' THEN 'disabled'
            -- ENABLE REPLICA TRIGGER: it fires only where session_replication_role = replica, so
            -- the app's writes go uncaptured. (ENABLE ALWAYS TRIGGER, which fires in both, is
            -- fine: a logical replica's apply worker captures its writes with it.)
            WHEN t.tgenabled OPERATOR(pg_catalog.=) 'R' OR ti.tgenabled OPERATOR(pg_catalog.=) 'R'
              OR td.tgenabled OPERATOR(pg_catalog.=) 'R' OR tr.tgenabled OPERATOR(pg_catalog.=) 'R'
                THEN 'enabled for replication only (ENABLE REPLICA TRIGGER): the app''s writes are not captured'
            WHEN NOT annotate_internal.is_tied('pg_catalog.pg_trigger', t.oid)
              OR NOT annotate_internal.is_tied('pg_catalog.pg_trigger', ti.oid)
              OR NOT annotate_internal.is_tied('pg_catalog.pg_trigger', td.oid)
              OR NOT annotate_internal.is_tied('pg_catalog.pg_trigger', tr.oid) THEN 'not tied to the extension'
        END
        FROM (SELECT NULL) one
        LEFT JOIN pg_catalog.pg_trigger t
               ON t.tgname OPERATOR(pg_catalog.=) o.name
              AND t.tgrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass('public.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(o.table_name))
        LEFT JOIN pg_catalog.pg_trigger ti
               ON ti.tgname OPERATOR(pg_catalog.=) 'annotate_capture_insert'
              AND ti.tgrelid OPERATOR(pg_catalog.=) t.tgrelid
        LEFT JOIN pg_catalog.pg_trigger td
               ON td.tgname OPERATOR(pg_catalog.=) 'annotate_capture_delete'
              AND td.tgrelid OPERATOR(pg_catalog.=) t.tgrelid
        LEFT JOIN pg_catalog.pg_trigger tr
               ON tr.tgname OPERATOR(pg_catalog.=) 'annotate_capture_truncate'
              AND tr.tgrelid OPERATOR(pg_catalog.=) t.tgrelid
        WHERE o.kind OPERATOR(pg_catalog.=) 'trigger'
        UNION ALL
        SELECT CASE
            WHEN m.oid IS NULL THEN 'missing'
            WHEN NOT m.relispopulated THEN 'not populated'
            WHEN NOT annotate_internal.is_tied('pg_catalog.pg_class', m.oid) THEN 'not tied to the extension'
        END
        FROM (SELECT NULL) one
        LEFT JOIN pg_catalog.pg_class m
               ON m.relname OPERATOR(pg_catalog.=) o.name
              AND m.relnamespace OPERATOR(pg_catalog.=) 'annotate'::pg_catalog.regnamespace
              AND m.relkind OPERATOR(pg_catalog.=) 'm'
        WHERE o.kind OPERATOR(pg_catalog.=) 'view'
    ) p ON true
    WHERE p.problem IS NOT NULL
$$;

-- Whether a capture trigger does not fire for the app's writes (disabled, or enabled for
-- replication only): writes meanwhile go uncaptured, and a reconcile() is owed once they all
-- fire again (sql/watch.sql, annotate_internal.reconcile_owed()).
CREATE FUNCTION annotate_internal.capture_off()
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM annotate_internal.object_problems() p
                   WHERE p.kind OPERATOR(pg_catalog.=) 'trigger'
                     AND (p.problem OPERATOR(pg_catalog.=) 'disabled'
                          OR p.problem OPERATOR(pg_catalog.~~) 'enabled for replication only%'))
$$;

-- For the folder (src/fold.rs), which the DDL watch of a restore wakes at each commit once every
-- table is there: attaches as the watch does once every object is there and tied too, seen
-- after the commits. A parallel restore (pg_restore --jobs) made its last objects in several
-- sessions at once, and the watch of each, not seeing the others' yet, left the database
-- unattached. Whether it attached.
CREATE FUNCTION annotate_internal.attach_restored()
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF (SELECT s.attached FROM annotate_internal.state s) THEN
        RETURN false;
    END IF;
    IF EXISTS (SELECT 1 FROM annotate_internal.unmet_requirements())
       OR EXISTS (SELECT 1 FROM annotate_internal.object_problems()) THEN
        RETURN false;
    END IF;
    PERFORM annotate_internal.watch_begin();
    PERFORM annotate_internal.build_queue();
    PERFORM annotate_internal.watch_end(false);
    RETURN true;
END
$$;

-- The extension's triggers and indexes on the app's tables under names not their own (ALTER
-- TRIGGER or ALTER INDEX ... RENAME), as text; NULL when none. attach() and the checks find
-- them by name: a renamed capture trigger went on firing beside the one attach() made again,
-- and every write was counted twice.
CREATE FUNCTION annotate_internal.renamed_objects()
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Tied to the extension (DEPENDS ON EXTENSION): what attach() made, whatever its name now.
    WITH tied AS (
        SELECT d.classid, d.objid FROM pg_catalog.pg_depend d
        WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
          AND d.refobjid OPERATOR(pg_catalog.=) (SELECT e.oid FROM pg_catalog.pg_extension e
                                                 WHERE e.extname OPERATOR(pg_catalog.=) 'annotate_ext')
          AND d.deptype OPERATOR(pg_catalog.=) 'x')
    SELECT pg_catalog.string_agg(x.what, ', ' ORDER BY x.what) FROM (
        SELECT pg_catalog.format('trigger %I on %s', g.tgname, g.tgrelid::pg_catalog.regclass) AS what
        FROM tied t JOIN pg_catalog.pg_trigger g ON g.oid OPERATOR(pg_catalog.=) t.objid
        WHERE t.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_trigger'::pg_catalog.regclass
          AND NOT (g.tgname OPERATOR(pg_catalog.=) ANY ('{annotate_capture,annotate_capture_insert,annotate_capture_delete,annotate_capture_truncate}'::pg_catalog.name[]))
        UNION ALL
        SELECT pg_catalog.format('index %s', k.oid::pg_catalog.regclass)
        FROM tied t JOIN pg_catalog.pg_class k ON k.oid OPERATOR(pg_catalog.=) t.objid
        WHERE t.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
          AND k.relkind OPERATOR(pg_catalog.=) 'i'
          AND NOT (k.relname OPERATOR(pg_catalog.=) ANY (SELECT o.name FROM annotate_internal.attached_objects() o
                                                         WHERE o.kind OPERATOR(pg_catalog.=) 'index'))
    ) x
$$;

-- Sets every capture trigger that fires only where session_replication_role is origin (as
-- CREATE TRIGGER and ENABLE TRIGGER leave one) to fire always: under replica (a logical
-- replica's apply worker, a role's or database's default, a bulk load skipping foreign keys)
-- the app's writes were not captured, and the queue missed them without a sign. How many it
-- set. For attach() and the DDL watch, inside watch_begin().
CREATE FUNCTION annotate_internal.capture_always()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t record;
    n bigint := 0;
BEGIN
    FOR t IN SELECT c.relname, g.tgname
             FROM annotate_internal.attached_objects() o
             JOIN pg_catalog.pg_class c ON c.relname OPERATOR(pg_catalog.=) o.table_name
                                       AND c.relnamespace OPERATOR(pg_catalog.=) pg_catalog.to_regnamespace('public')
             JOIN pg_catalog.pg_trigger g ON g.tgrelid OPERATOR(pg_catalog.=) c.oid
             WHERE o.kind OPERATOR(pg_catalog.=) 'trigger'
               AND g.tgname OPERATOR(pg_catalog.=) ANY ('{annotate_capture,annotate_capture_insert,annotate_capture_delete,annotate_capture_truncate}'::text[])
               AND g.tgenabled OPERATOR(pg_catalog.=) 'O'
             ORDER BY c.relname, g.tgname LOOP
        EXECUTE pg_catalog.format('ALTER TABLE public.%I ENABLE ALWAYS TRIGGER %I', t.relname, t.tgname);
        n := n OPERATOR(pg_catalog.+) 1;
    END LOOP;
    RETURN n;
END
$$;

-- The two views the upstream PR materialized (SPEC 2.5), with the unique indexes REFRESH ...
-- CONCURRENTLY needs. Anon counts are grouped by their own url_id (the PR's fix).
CREATE FUNCTION annotate_internal.create_views()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.to_regclass('annotate.url_annotation_count_view') IS NULL THEN
        CREATE MATERIALIZED VIEW annotate.url_annotation_count_view USING heap AS
        WITH
            auto_agency      AS (SELECT url_id, pg_catalog.count(*) AS n FROM public.annotation__agency__auto__subtasks   GROUP BY url_id),
            auto_location    AS (SELECT url_id, pg_catalog.count(*) AS n FROM public.annotation__location__auto__subtasks GROUP BY url_id),
            auto_record_type AS (SELECT url_id, pg_catalog.count(*) AS n FROM public.annotation__record_type__auto       GROUP BY url_id),
            auto_url_type    AS (SELECT url_id, pg_catalog.count(*) AS n FROM public.annotation__url_type__auto          GROUP BY url_id),
            user_agency      AS (SELECT url_id, pg_catalog.count(*) AS n FROM public.annotation__agency__user            GROUP BY url_id),
            user_location    AS (SELECT url_id, pg_catalog.count(*) AS n FROM public.annotation__location__user          GROUP BY url_id),
            user_record_type AS (SELECT url_id, pg_catalog.count(*) AS n FROM public.annotation__record_type__user       GROUP BY url_id),
            user_url_type    AS (SELECT url_id, pg_catalog.count(*) AS n FROM public.annotation__url_type__user          GROUP BY url_id),
            anon_agency      AS (SELECT url_id, pg_catalog.count(*) AS n FROM public.annotation__agency__anon            GROUP BY url_id),
            anon_location    AS (SELECT url_id, pg_catalog.count(*) AS n FROM public.annotation__location__anon          GROUP BY url_id),
            anon_record_type AS (SELECT url_id, pg_catalog.count(*) AS n FROM public.annotation__record_type__anon       GROUP BY url_id),
            anon_url_type    AS (SELECT url_id, pg_catalog.count(*) AS n FROM public.annotation__url_type__anon          GROUP BY url_id),
            counts AS (
                SELECT u.id AS url_id,
                       COALESCE(a1.n, 0) AS auto_agency_count,
                       COALESCE(a2.n, 0) AS auto_location_count,
                       COALESCE(a3.n, 0) AS auto_record_type_count,
                       COALESCE(a4.n, 0) AS auto_url_type_count,
                       COALESCE(u1.n, 0) AS user_agency_count,
                       COALESCE(u2.n, 0) AS user_location_count,
                       COALESCE(u3.n, 0) AS user_record_type_count,
                       COALESCE(u4.n, 0) AS user_url_type_count,
                       COALESCE(n1.n, 0) AS anon_agency_count,
                       COALESCE(n2.n, 0) AS anon_location_count,
                       COALESCE(n3.n, 0) AS anon_record_type_count,
                       COALESCE(n4.n, 0) AS anon_url_type_count
                FROM public.urls u
                LEFT JOIN auto_agency      a1 ON a1.url_id OPERATOR(pg_catalog.=) u.id
                LEFT JOIN auto_location    a2 ON a2.url_id OPERATOR(pg_catalog.=) u.id
                LEFT JOIN auto_record_type a3 ON a3.url_id OPERATOR(pg_catalog.=) u.id
                LEFT JOIN auto_url_type    a4 ON a4.url_id OPERATOR(pg_catalog.=) u.id
                LEFT JOIN user_agency      u1 ON u1.url_id OPERATOR(pg_catalog.=) u.id
                LEFT JOIN user_location    u2 ON u2.url_id OPERATOR(pg_catalog.=) u.id
                LEFT JOIN user_record_type u3 ON u3.url_id OPERATOR(pg_catalog.=) u.id
                LEFT JOIN user_url_type    u4 ON u4.url_id OPERATOR(pg_catalog.=) u.id
                LEFT JOIN anon_agency      n1 ON n1.url_id OPERATOR(pg_catalog.=) u.id
                LEFT JOIN anon_location    n2 ON n2.url_id OPERATOR(pg_catalog.=) u.id
                LEFT JOIN anon_record_type n3 ON n3.url_id OPERATOR(pg_catalog.=) u.id
                LEFT JOIN anon_url_type    n4 ON n4.url_id OPERATOR(pg_catalog.=) u.id
            )
        SELECT c.*,
               c.auto_agency_count OPERATOR(pg_catalog.+) c.auto_location_count
               OPERATOR(pg_catalog.+) c.auto_record_type_count OPERATOR(pg_catalog.+) c.auto_url_type_count
               OPERATOR(pg_catalog.+) c.user_agency_count OPERATOR(pg_catalog.+) c.user_location_count
               OPERATOR(pg_catalog.+) c.user_record_type_count OPERATOR(pg_catalog.+) c.user_url_type_count
               OPERATOR(pg_catalog.+) c.anon_agency_count OPERATOR(pg_catalog.+) c.anon_location_count
               OPERATOR(pg_catalog.+) c.anon_record_type_count OPERATOR(pg_catalog.+) c.anon_url_type_count
               AS total_anno_count
        FROM counts c;
        CREATE UNIQUE INDEX url_annotation_count_view_url_id ON annotate.url_annotation_count_view (url_id);
    END IF;

    IF pg_catalog.to_regclass('annotate.url_annotation_flags') IS NULL THEN
        CREATE MATERIALIZED VIEW annotate.url_annotation_flags USING heap AS
        SELECT u.id AS url_id,
               EXISTS (SELECT 1 FROM public.annotation__record_type__auto a        WHERE a.url_id OPERATOR(pg_catalog.=) u.id) AS has_auto_record_type_suggestion,
               EXISTS (SELECT 1 FROM public.annotation__url_type__auto a           WHERE a.url_id OPERATOR(pg_catalog.=) u.id) AS has_auto_relevant_suggestion,
               EXISTS (SELECT 1 FROM public.annotation__agency__auto__subtasks a   WHERE a.url_id OPERATOR(pg_catalog.=) u.id) AS has_auto_agency_suggestion,
               EXISTS (SELECT 1 FROM public.annotation__location__auto__subtasks a WHERE a.url_id OPERATOR(pg_catalog.=) u.id) AS has_auto_location_suggestion,
               EXISTS (SELECT 1 FROM public.annotation__record_type__user a        WHERE a.url_id OPERATOR(pg_catalog.=) u.id) AS has_user_record_type_suggestion,
               EXISTS (SELECT 1 FROM public.annotation__url_type__user a           WHERE a.url_id OPERATOR(pg_catalog.=) u.id) AS has_user_relevant_suggestion,
               EXISTS (SELECT 1 FROM public.annotation__agency__user a             WHERE a.url_id OPERATOR(pg_catalog.=) u.id) AS has_user_agency_suggestion,
               EXISTS (SELECT 1 FROM public.annotation__location__user a           WHERE a.url_id OPERATOR(pg_catalog.=) u.id) AS has_user_location_suggestion,
               EXISTS (SELECT 1 FROM public.link_agencies__urls a                  WHERE a.url_id OPERATOR(pg_catalog.=) u.id) AS has_confirmed_agency,
               EXISTS (SELECT 1 FROM public.reviewing_user_url a                   WHERE a.url_id OPERATOR(pg_catalog.=) u.id) AS was_reviewed
        FROM public.urls u;
        CREATE UNIQUE INDEX url_annotation_flags_url_id ON annotate.url_annotation_flags (url_id);
    END IF;
END
$$;

-- Emits one progress line and the row attach() reports for a step: a NOTICE, or an INFO when
-- the step took a second or more (INFO reaches the client even inside CREATE EXTENSION, which
-- hides NOTICEs, so that a long install is seen to move).
CREATE FUNCTION annotate_internal.step_done(what text, started timestamptz, n bigint)
RETURNS TABLE (step text, seconds double precision, rows bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    took double precision := EXTRACT(epoch FROM pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) started);
BEGIN
    IF took OPERATOR(pg_catalog.>=) 1 THEN
        RAISE INFO 'annotate_ext: % done in % s (% rows)', what, pg_catalog.round(took::numeric, 3), n;
    ELSE
        RAISE NOTICE 'annotate_ext: % done in % s (% rows)', what, pg_catalog.round(took::numeric, 3), n;
    END IF;
    RETURN QUERY SELECT what, took, n;
END
$$;

-- Builds the queue from the app's tables in one set-based pass (at attach, and when a restore
-- has brought back every attached object); the number of URLs queued.
--
-- Under REPEATABLE READ or SERIALIZABLE (the caller's, or the database's default) it reads the
-- transaction's snapshot, taken when its first statement began (CREATE EXTENSION, say): before
-- the locks that keep writers out, which it may have waited for. A write committed in between
-- is not in what it reads, and its deltas, if the triggers were there to append any, go with
-- the TRUNCATE. Such a build owes a reconcile(), which the folder makes in READ COMMITTED once
-- this transaction has committed (annotate_internal.reconcile_owed()). Whether a transaction
-- did commit in between cannot be told for those that began after the snapshot without a
-- newer one, so every such build owes one.
CREATE FUNCTION annotate_internal.build_queue()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
    stale boolean := pg_catalog.current_setting('transaction_isolation') OPERATOR(pg_catalog.<>) 'read committed';
    carried_folds bigint;
    carried_rows bigint;
BEGIN
    -- Running leases stay: kept apart, with those a detach() kept, and put back below.
    INSERT INTO annotate_internal.kept_leases (url_id, lease_user, lease_session, lease_until, lease_xid)
    SELECT q.url_id, q.lease_user, q.lease_session, q.lease_until, q.lease_xid FROM annotate_internal.queue q
    WHERE q.leased AND q.lease_until OPERATOR(pg_catalog.>) pg_catalog.now()
    ON CONFLICT (url_id) DO NOTHING;
    TRUNCATE annotate_internal.queue, annotate_internal.batches,
             annotate_internal.queue_delta, annotate_internal.batch_event;
    -- Every transaction that could still add deltas is at or above this snapshot's xmin.
    IF NOT stale THEN
        UPDATE annotate_internal.fold_state
        SET folded_below = pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()),
            folded_at = pg_catalog.clock_timestamp();
    ELSE
        -- A fold committed since the snapshot (the folder folds until the locks are taken) has
        -- changed this row, and an UPDATE of it would fail with 40001: the row is made anew,
        -- its counters as the snapshot saw them, queue_moved taken as whole only from this
        -- transaction on (every resume point is void after a rebuild anyway, src/resume.rs).
        SELECT f.folds, f.rows_folded INTO carried_folds, carried_rows FROM annotate_internal.fold_state f;
        TRUNCATE annotate_internal.fold_state;
        INSERT INTO annotate_internal.fold_state (folded_below, folded_at, folds, rows_folded, moved_from)
        VALUES (pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()), pg_catalog.clock_timestamp(),
                COALESCE(carried_folds, 0), COALESCE(carried_rows, 0), pg_catalog.pg_current_xact_id());
    END IF;
    INSERT INTO annotate_internal.queue (url_id, batch_id, followed_any, is_manual, user_votes, anon_votes,
                                         auto_votes, agency_rows, validated, suspended)
    SELECT * FROM annotate_internal.fresh_queue();
    GET DIAGNOSTICS n = ROW_COUNT;
    UPDATE annotate_internal.queue q
    SET leased = true, lease_user = k.lease_user, lease_session = k.lease_session, lease_until = k.lease_until,
        lease_xid = k.lease_xid
    FROM annotate_internal.kept_leases k
    WHERE q.url_id OPERATOR(pg_catalog.=) k.url_id AND k.lease_until OPERATOR(pg_catalog.>) pg_catalog.now()
      -- A holder who annotated the URL meanwhile (detached, or with a capture trigger off) has
      -- no lease on it any more, as a fold of that annotation would have ended it.
      AND NOT EXISTS (SELECT 1 FROM annotate_internal.is_done(k.url_id, k.lease_user, k.lease_session));
    DELETE FROM annotate_internal.kept_leases;
    INSERT INTO annotate_internal.batches SELECT * FROM annotate_internal.fresh_batches();
    ANALYZE annotate_internal.queue;
    ANALYZE annotate_internal.batches;
    UPDATE annotate_internal.state
    SET attached = true, attached_at = pg_catalog.now(),
        reconcile_owed = CASE WHEN stale THEN pg_catalog.pg_current_xact_id() END;
    IF stale THEN
        -- INFO: CREATE EXTENSION hides NOTICEs.
        RAISE INFO 'annotate_ext: the queue was built from this transaction''s % snapshot, older than its locks: writes committed in between are reconciled after it commits',
            pg_catalog.upper(pg_catalog.current_setting('transaction_isolation'))
            USING HINT = 'The folder does it (annotate.fold_worker); without it, run SELECT annotate.reconcile() after the commit. '
                         'Attach in READ COMMITTED to build from the tables as they are once locked.';
        PERFORM annotate_internal.wake_folder_at_commit();
    END IF;
    RETURN n;
END
$$;

-- Attaches the extension to the app's tables, or repairs what is missing from an attachment
-- (an index or trigger dropped by hand, a view that is gone): each object is made, tied to the
-- extension, and the queue rebuilt from the tables when its capture was interrupted. One row
-- per step done; no rows when everything is in place.
-- Locks what attach() or detach() changes, all or nothing: the app's tables that carry the
-- extension's objects in `app_mode`, the queue's tables in ACCESS EXCLUSIVE mode (LOCK does not
-- take materialized views; only snapshot mode reads them). Each try takes them all with NOWAIT, so that it never holds some of them
-- while waiting for another: the app's transactions take them in their own order, and waiting
-- while holding could deadlock with them. Tries again every 50 ms for up to 60 s (or the
-- caller's lock_timeout, when shorter). The attach lock (src/locks.rs, key 1) is taken with them.
CREATE FUNCTION annotate_internal.lock_attachment(caller text, app_mode text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    app_tables text;
    ours text;
    -- 60 seconds, or the caller's lock_timeout when shorter.
    deadline timestamptz := pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+)
        LEAST(interval '60 seconds',
              COALESCE(NULLIF(pg_catalog.current_setting('lock_timeout'), '0')::interval, interval '60 seconds'));
    holders text;
BEGIN
    SELECT pg_catalog.string_agg(DISTINCT pg_catalog.format('public.%I', o.table_name), ', ') INTO app_tables
    FROM annotate_internal.attached_objects() o
    WHERE o.table_name IS NOT NULL
      AND pg_catalog.to_regclass(pg_catalog.format('public.%I', o.table_name)) IS NOT NULL;
    ours := 'annotate_internal.queue, annotate_internal.batches, annotate_internal.queue_delta, '
            'annotate_internal.batch_event';
    LOOP
        BEGIN
            -- One attach or detach at a time, and no fold meanwhile (src/fold.rs takes it shared;
            -- src/locks.rs), taken with the rest or not at all: a detach() that waited for it
            -- holding the app's tables kept every read and write of the app waiting.
            IF NOT annotate_internal.try_lock(1, false) THEN
                RAISE EXCEPTION USING ERRCODE = 'lock_not_available';
            END IF;
            -- app_mode NULL: the attach lock alone (attach() inside the DDL watch).
            IF app_tables IS NOT NULL AND app_mode IS NOT NULL THEN
                EXECUTE pg_catalog.format('LOCK TABLE %s IN %s MODE NOWAIT', app_tables, app_mode);
            END IF;
            IF app_mode IS NOT NULL THEN
                EXECUTE pg_catalog.format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE NOWAIT', ours);
            END IF;
            RETURN;
        EXCEPTION WHEN lock_not_available THEN
            IF pg_catalog.clock_timestamp() OPERATOR(pg_catalog.>) deadline THEN
                SELECT pg_catalog.string_agg(l.pid::text, ', ') INTO holders FROM pg_catalog.pg_locks l
                WHERE l.locktype OPERATOR(pg_catalog.=) 'userlock' AND l.granted
                  AND l.database OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database d
                                                          WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())
                  AND l.classid OPERATOR(pg_catalog.=) pg_catalog.hashtext('annotate_ext')::pg_catalog.oid
                  AND l.objid OPERATOR(pg_catalog.=) 1 AND l.objsubid OPERATOR(pg_catalog.=) 2;
                RAISE EXCEPTION '%: the application''s tables, or annotate_ext''s attach lock, stayed busy', caller
                    USING ERRCODE = 'lock_not_available',
                          DETAIL = CASE WHEN holders IS NOT NULL
                                        THEN 'The attach lock is held by process ' OPERATOR(pg_catalog.||) holders OPERATOR(pg_catalog.||) '.' END,
                          HINT = 'Long transactions on them show in pg_stat_activity; try again when they end.';
            END IF;
            PERFORM pg_catalog.pg_sleep(0.05);
        END;
    END LOOP;
END
$$;

CREATE FUNCTION annotate.attach()
RETURNS TABLE (step text, seconds double precision, rows bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o record;
    t0 timestamptz;
    n bigint;
    unmet text;
    was_attached boolean;
    rebuild boolean := false;
    in_watch boolean;
BEGIN
    PERFORM annotate_internal.require_primary('annotate.attach');
    SELECT pg_catalog.string_agg(u.problem, '; ') INTO unmet FROM annotate_internal.unmet_requirements() u;
    IF unmet IS NOT NULL THEN
        RAISE EXCEPTION 'annotate.attach: the application''s tables are not as annotate_ext needs them'
            USING ERRCODE = 'undefined_table', DETAIL = unmet OPERATOR(pg_catalog.||) '.',
                  HINT = 'Run the application''s migrations (or load tests/fixtures/app_schema.sql) first.';
    END IF;
    SELECT s.attached INTO was_attached FROM annotate_internal.state s;
    IF was_attached AND NOT EXISTS (SELECT 1 FROM annotate_internal.object_problems()) THEN
        RETURN;   -- nothing to do
    END IF;
    -- Writers of the app's tables wait from here (readers go on until the queue is rebuilt).
    -- Not inside the DDL watch: the app's migration that woke it holds its own locks, and what
    -- is left to do then is to tie objects PostgreSQL rebuilt.
    -- With them, one attach at a time, and no fold while the queue may be rebuilt (src/fold.rs).
    -- Inside the DDL watch, the migration holds its own locks: only the attach lock is taken.
    -- Inside the watch, with nothing to do but tie indexes PostgreSQL rebuilt (a column of
    -- theirs retyped), not even that: it waited for a fold under way, and a migration with a
    -- short lock_timeout failed saying the attach lock stayed busy (found by a review).
    IF NOT annotate_internal.in_watch() THEN
        PERFORM annotate_internal.lock_attachment('annotate.attach', 'SHARE ROW EXCLUSIVE');
    ELSIF EXISTS (SELECT 1 FROM annotate_internal.object_problems() p
                  WHERE NOT (p.kind OPERATOR(pg_catalog.=) 'index'
                             AND p.problem OPERATOR(pg_catalog.=) 'not tied to the extension')) THEN
        PERFORM annotate_internal.lock_attachment('annotate.attach', NULL);
    END IF;
    SELECT s.attached INTO was_attached FROM annotate_internal.state s;
    -- The DDL below is ours: the watch (sql/watch.sql) leaves it alone.
    in_watch := annotate_internal.watch_begin();

    -- Indexes first (they make the build faster), then the capture triggers, which lock out the
    -- app's writes until this transaction ends: the build below then sees every write, and
    -- every later write is captured.
    t0 := pg_catalog.clock_timestamp();
    n := 0;
    FOR o IN SELECT p.* FROM annotate_internal.object_problems() p WHERE p.kind OPERATOR(pg_catalog.=) 'index' LOOP
        IF o.problem OPERATOR(pg_catalog.<>) 'missing' AND o.problem OPERATOR(pg_catalog.<>) 'not tied to the extension' THEN
            EXECUTE pg_catalog.format('DROP INDEX public.%I', o.name);
            o.problem := 'missing';
        END IF;
        IF o.problem OPERATOR(pg_catalog.=) 'missing' THEN
            IF pg_catalog.to_regclass(pg_catalog.format('public.%I', o.name)) IS NOT NULL THEN
                RAISE EXCEPTION 'annotate.attach: public.% exists and is not an index of annotate_ext', o.name
                    USING ERRCODE = 'duplicate_object', HINT = 'Rename it, then attach again.';
            END IF;
            EXECUTE pg_catalog.format('CREATE INDEX %I ON public.%I %s',
                                      o.name, o.table_name,
                                      (SELECT a.arg FROM annotate_internal.attached_objects() a
                                       WHERE a.name OPERATOR(pg_catalog.=) o.name));
        END IF;
        EXECUTE pg_catalog.format('ALTER INDEX public.%I DEPENDS ON EXTENSION annotate_ext', o.name);
        n := n OPERATOR(pg_catalog.+) 1;
    END LOOP;
    IF n OPERATOR(pg_catalog.>) 0 THEN
        RETURN QUERY SELECT * FROM annotate_internal.step_done('indexes', t0, n);
    END IF;

    t0 := pg_catalog.clock_timestamp();
    n := 0;
    FOR o IN SELECT p.*, a.arg FROM annotate_internal.object_problems() p
             JOIN annotate_internal.attached_objects() a
               ON a.kind OPERATOR(pg_catalog.=) p.kind AND a.table_name OPERATOR(pg_catalog.=) p.table_name
             WHERE p.kind OPERATOR(pg_catalog.=) 'trigger' LOOP
        IF o.problem OPERATOR(pg_catalog.<>) 'not tied to the extension' THEN
            -- Missing, disabled or altered: writes may have gone uncaptured.
            rebuild := true;
            -- Every UPDATE fires it (one naming the columns it reads would forbid retyping them);
            -- an update of a column the queue does not read appends nothing.
            EXECUTE pg_catalog.format(
                'CREATE OR REPLACE TRIGGER annotate_capture AFTER UPDATE ON public.%I
                 FOR EACH ROW EXECUTE FUNCTION annotate_internal.capture(%L)',
                o.table_name, o.arg);
            -- Inserts and deletes, the app's bulk writes among them, once per statement: one call
            -- reads every row the statement inserted or deleted and appends their deltas together
            -- (src/triggers.rs).
            EXECUTE pg_catalog.format(
                'CREATE OR REPLACE TRIGGER annotate_capture_insert AFTER INSERT ON public.%I
                 REFERENCING NEW TABLE AS annotate_inserted
                 FOR EACH STATEMENT EXECUTE FUNCTION annotate_internal.capture_insert(%L)',
                o.table_name, o.arg);
            EXECUTE pg_catalog.format(
                'CREATE OR REPLACE TRIGGER annotate_capture_delete AFTER DELETE ON public.%I
                 REFERENCING OLD TABLE AS annotate_deleted
                 FOR EACH STATEMENT EXECUTE FUNCTION annotate_internal.capture_delete(%L)',
                o.table_name, o.arg);
            EXECUTE pg_catalog.format(
                'CREATE OR REPLACE TRIGGER annotate_capture_truncate AFTER TRUNCATE ON public.%I
                 FOR EACH STATEMENT EXECUTE FUNCTION annotate_internal.capture_truncate(%L)',
                o.table_name, o.arg);
        END IF;
        EXECUTE pg_catalog.format('ALTER TRIGGER annotate_capture ON public.%I DEPENDS ON EXTENSION annotate_ext',
                                  o.table_name);
        EXECUTE pg_catalog.format('ALTER TRIGGER annotate_capture_truncate ON public.%I DEPENDS ON EXTENSION annotate_ext',
                                  o.table_name);
        EXECUTE pg_catalog.format('ALTER TRIGGER annotate_capture_insert ON public.%I DEPENDS ON EXTENSION annotate_ext',
                                  o.table_name);
        EXECUTE pg_catalog.format('ALTER TRIGGER annotate_capture_delete ON public.%I DEPENDS ON EXTENSION annotate_ext',
                                  o.table_name);
        n := n OPERATOR(pg_catalog.+) 1;
    END LOOP;
    PERFORM annotate_internal.capture_always();
    IF n OPERATOR(pg_catalog.>) 0 THEN
        RETURN QUERY SELECT * FROM annotate_internal.step_done('triggers', t0, n);
    END IF;

    IF rebuild OR NOT was_attached THEN
        t0 := pg_catalog.clock_timestamp();
        n := annotate_internal.build_queue();
        RETURN QUERY SELECT * FROM annotate_internal.step_done('queue', t0, n);
    END IF;

    t0 := pg_catalog.clock_timestamp();
    n := 0;
    FOR o IN SELECT p.* FROM annotate_internal.object_problems() p WHERE p.kind OPERATOR(pg_catalog.=) 'view' LOOP
        IF o.problem OPERATOR(pg_catalog.=) 'not populated' THEN
            EXECUTE pg_catalog.format('REFRESH MATERIALIZED VIEW annotate.%I', o.name);
        END IF;
        PERFORM annotate_internal.create_views();
        -- Made during CREATE EXTENSION, a view would be a member, which pg_dump leaves to the
        -- install script; but it reads the app's tables, which a restore creates later. So it
        -- is an ordinary object, dumped and restored after them, tied like the indexes.
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                   WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                     AND d.objid OPERATOR(pg_catalog.=) pg_catalog.format('annotate.%I', o.name)::pg_catalog.regclass
                     AND d.deptype OPERATOR(pg_catalog.=) 'e') THEN
            EXECUTE pg_catalog.format('ALTER EXTENSION annotate_ext DROP MATERIALIZED VIEW annotate.%I', o.name);
        END IF;
        EXECUTE pg_catalog.format('ALTER MATERIALIZED VIEW annotate.%I DEPENDS ON EXTENSION annotate_ext', o.name);
        n := n OPERATOR(pg_catalog.+) 1;
    END LOOP;
    IF n OPERATOR(pg_catalog.>) 0 THEN
        -- The views were populated just now: that counts as a refresh of them.
        INSERT INTO annotate_internal.refresh_log (started_at, status, concurrent, seconds, rows, steps, run_by,
                                                   application_name)
        VALUES (t0, 'succeeded', false, EXTRACT(epoch FROM pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) t0),
                n, pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('step', 'views', 'rows', n)),
                pg_catalog."session_user"(), COALESCE(pg_catalog.current_setting('application_name', true), ''));
        RETURN QUERY SELECT * FROM annotate_internal.step_done('views', t0, n);
    END IF;
    PERFORM annotate_internal.watch_end(in_watch);
    -- Pending writes are folded into the queue in the background (src/fold.rs).
    PERFORM annotate_internal.wake_folder();
END
$$;

-- Detaches the extension from the app's tables, for a migration that changes what it reads
-- (see the README): drops its triggers, indexes and views there and empties the queue. The
-- selection functions raise an error until annotate.attach() is run again.
CREATE FUNCTION annotate.detach()
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o record;
    was_attached boolean;
BEGIN
    PERFORM annotate_internal.require_primary('annotate.detach');
    PERFORM annotate_internal.lock_attachment('annotate.detach', 'ACCESS EXCLUSIVE');
    SELECT s.attached INTO was_attached FROM annotate_internal.state s;
    -- Marked first, so that the DDL watch (sql/watch.sql) lets the drops below through.
    UPDATE annotate_internal.state SET attached = false, attached_at = NULL;
    PERFORM annotate_internal.watch_begin();
    FOR o IN SELECT * FROM annotate_internal.attached_objects() LOOP
        IF o.kind OPERATOR(pg_catalog.=) 'index' THEN
            IF pg_catalog.to_regclass(pg_catalog.format('public.%I', o.name)) IS NOT NULL
               AND annotate_internal.is_tied('pg_catalog.pg_class', pg_catalog.format('public.%I', o.name)::pg_catalog.regclass) THEN
                EXECUTE pg_catalog.format('DROP INDEX public.%I', o.name);
            END IF;
        ELSIF o.kind OPERATOR(pg_catalog.=) 'trigger' THEN
            IF pg_catalog.to_regclass(pg_catalog.format('public.%I', o.table_name)) IS NOT NULL THEN
                EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS annotate_capture ON public.%I', o.table_name);
                EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS annotate_capture_truncate ON public.%I', o.table_name);
                EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS annotate_capture_insert ON public.%I', o.table_name);
                EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS annotate_capture_delete ON public.%I', o.table_name);
            END IF;
        ELSE
            EXECUTE pg_catalog.format('DROP MATERIALIZED VIEW IF EXISTS annotate.%I', o.name);
        END IF;
    END LOOP;
    -- Running leases are kept for the attach() that follows (build_queue()).
    INSERT INTO annotate_internal.kept_leases (url_id, lease_user, lease_session, lease_until, lease_xid)
    SELECT q.url_id, q.lease_user, q.lease_session, q.lease_until, q.lease_xid FROM annotate_internal.queue q
    WHERE q.leased AND q.lease_until OPERATOR(pg_catalog.>) pg_catalog.now()
    ON CONFLICT (url_id) DO UPDATE
    SET lease_user = EXCLUDED.lease_user, lease_session = EXCLUDED.lease_session,
        lease_until = EXCLUDED.lease_until, lease_xid = EXCLUDED.lease_xid;
    TRUNCATE annotate_internal.queue, annotate_internal.batches,
             annotate_internal.queue_delta, annotate_internal.batch_event;
    PERFORM annotate_internal.watch_end(false);
    RETURN was_attached;
END
$$;
