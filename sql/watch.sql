-- The DDL watch: event triggers that keep an attachment whole through the app's migrations.
--
-- * A migration that takes away something annotate_ext reads (renames or drops a table or
--   column, or gives a column a type it cannot read) is refused at DDL time, naming what and
--   the way through: annotate.detach() before the migration, annotate.attach() after it.
-- * Dropping one of the objects attach() made on the app's tables is refused the same way.
-- * A change PostgreSQL follows by itself (an id column retyped from integer to bigint, which
--   rebuilds the indexes on it) is followed: anything that lost its tie is tied again.
-- * During a restore, once the dump has brought back every attached object, the queue is
--   built from the restored tables, so that the restored database answers at once.
-- The functions run with the extension owner's rights (they may tie or build on behalf of
-- whoever runs the DDL); event trigger functions cannot be called directly.

-- Whether the extension is attached, read only when called: a query naming the state table
-- locks it as it is planned, whether or not it reads it (the watch's look at commands it has no
-- business with took a lock any role could hold so, until its transaction ended).
CREATE FUNCTION annotate_internal.attached()
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN (SELECT s.attached FROM annotate_internal.state s);
END
$$;

CREATE FUNCTION annotate_internal.on_ddl_end()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    attached boolean;
    unmet text;
    renamed text;
    messages text;
BEGIN
    IF annotate_internal.in_watch() THEN
        RETURN;   -- DDL of our own, below
    END IF;
    -- Commands in the schemas it reads or made, and those that took a table it reads out of
    -- public (a SET SCHEMA reports the schema the table went to) or public itself away (a
    -- schema's RENAME reports none). Other schemas' DDL is no business of the extension's.
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger_ddl_commands() c
                   WHERE c.schema_name OPERATOR(pg_catalog.=) ANY ('{public,annotate}'::text[])
                      OR (c.command_tag OPERATOR(pg_catalog.=) 'ALTER SCHEMA'
                          AND pg_catalog.to_regnamespace('public') IS NULL)
                      OR (c.command_tag OPERATOR(pg_catalog.=) ANY ('{ALTER TABLE,ALTER VIEW,ALTER MATERIALIZED VIEW}'::text[])
                          AND c.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                          AND EXISTS (SELECT 1 FROM pg_catalog.pg_class k
                                      JOIN annotate_internal.requirements() r
                                        ON r.table_name OPERATOR(pg_catalog.=) k.relname
                                      -- not a TEMP table of the same name (nothing to
                                      -- watch, and any role may make one)
                                      WHERE k.oid OPERATOR(pg_catalog.=) c.objid
                                        AND k.relpersistence OPERATOR(pg_catalog.<>) 't'))
                      -- A trigger on a table of public (a trigger's command reports no schema),
                      -- while attached: its name is the watch's business then (a restore's
                      -- triggers are looked at with the rest of its DDL, as before).
                      OR (c.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_trigger'::pg_catalog.regclass
                          AND EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g
                                      JOIN pg_catalog.pg_class k ON k.oid OPERATOR(pg_catalog.=) g.tgrelid
                                      WHERE g.oid OPERATOR(pg_catalog.=) c.objid
                                        AND annotate_internal.attached()
                                        AND k.relnamespace OPERATOR(pg_catalog.=) pg_catalog.to_regnamespace('public')))
                      -- Statistics of any schema on a table it reads (their expressions).
                      OR (c.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass
                          AND EXISTS (SELECT 1 FROM pg_catalog.pg_statistic_ext s
                                      JOIN pg_catalog.pg_class k ON k.oid OPERATOR(pg_catalog.=) s.stxrelid
                                      JOIN annotate_internal.requirements() r
                                        ON r.table_name OPERATOR(pg_catalog.=) k.relname
                                      WHERE s.oid OPERATOR(pg_catalog.=) c.objid
                                        AND k.relnamespace OPERATOR(pg_catalog.=) pg_catalog.to_regnamespace('public')))
                      -- A table of any schema made an inheritance child of one it reads.
                      OR (c.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                          AND EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i
                                      JOIN pg_catalog.pg_class k ON k.oid OPERATOR(pg_catalog.=) i.inhparent
                                      JOIN annotate_internal.requirements() r
                                        ON r.table_name OPERATOR(pg_catalog.=) k.relname
                                      WHERE i.inhrelid OPERATOR(pg_catalog.=) c.objid
                                        AND k.relnamespace OPERATOR(pg_catalog.=) pg_catalog.to_regnamespace('public')))) THEN
        RETURN;
    END IF;
    SELECT s.attached INTO attached FROM annotate_internal.state s;
    PERFORM annotate_internal.watch_begin();
    IF attached AND pg_catalog.to_regnamespace('public') IS NULL THEN
        RAISE EXCEPTION 'annotate_ext: this change takes away schema public, where annotate_ext reads the application''s tables'
            USING ERRCODE = 'dependent_objects_still_exist',
                  HINT = 'Run SELECT annotate.detach() before this migration and SELECT annotate.attach() after it.';
    END IF;
    IF attached THEN
        SELECT pg_catalog.string_agg(u.problem, '; ') INTO unmet FROM annotate_internal.unmet_requirements() u;
        IF unmet IS NOT NULL THEN
            RAISE EXCEPTION 'annotate_ext: this change takes away what annotate_ext reads: %', unmet
                USING ERRCODE = 'dependent_objects_still_exist',
                      HINT = 'Run SELECT annotate.detach() before this migration and SELECT annotate.attach() after it.';
        END IF;
        renamed := annotate_internal.renamed_objects();
        IF renamed IS NOT NULL THEN
            RAISE EXCEPTION 'annotate_ext: % belongs to annotate_ext, which finds it by its name', renamed
                USING ERRCODE = 'dependent_objects_still_exist',
                      HINT = 'Keep its name. To change what annotate_ext made, run SELECT annotate.detach() first.';
        END IF;
        -- Re-tie what PostgreSQL rebuilt (ALTER COLUMN TYPE recreates the indexes on a column),
        -- quietly: attach() reports its steps as NOTICEs.
        IF EXISTS (SELECT 1 FROM annotate_internal.object_problems() p
                   WHERE p.problem OPERATOR(pg_catalog.=) 'not tied to the extension') THEN
            messages := pg_catalog.current_setting('client_min_messages');
            PERFORM pg_catalog.set_config('client_min_messages', 'warning', true);
            PERFORM * FROM annotate.attach();
            PERFORM pg_catalog.set_config('client_min_messages', messages, true);
        END IF;
        -- A capture trigger enabled again (ENABLE TRIGGER) fires for origin sessions only: set
        -- to fire always again (capture_always()).
        PERFORM annotate_internal.capture_always();
        -- A capture trigger that does not fire (DISABLE TRIGGER, as pg_restore --disable-triggers
        -- and bulk loads do it, or ENABLE REPLICA TRIGGER): the app's writes meanwhile are not
        -- in the queue, and were lost for good once it fired again. A reconcile() is owed, which
        -- the folder makes once every capture trigger fires again (reconcile_owed()).
        IF annotate_internal.capture_off() THEN
            UPDATE annotate_internal.state SET reconcile_owed = pg_catalog.pg_current_xact_id()
            WHERE reconcile_owed IS NULL;
        ELSIF (SELECT s.reconcile_owed IS NOT NULL FROM annotate_internal.state s) THEN
            PERFORM annotate_internal.wake_folder_at_commit();
        END IF;
    ELSIF NOT EXISTS (SELECT 1 FROM annotate_internal.unmet_requirements()) THEN
        IF NOT EXISTS (SELECT 1 FROM annotate_internal.object_problems()) THEN
            -- Not attached, yet every attached object is here, tied: a restore has just brought
            -- back the last of them. Build the queue from the restored tables.
            PERFORM annotate_internal.build_queue();
            PERFORM annotate_internal.wake_folder();
        ELSE
            -- Every table is back, not every object yet: another session of a parallel restore
            -- may be making the last ones, and neither sees the other's before it commits. The
            -- folder looks again once this transaction has committed (attach_restored()).
            PERFORM annotate_internal.wake_folder_at_commit();
        END IF;
    END IF;
    PERFORM annotate_internal.watch_end(false);
END
$$;

CREATE FUNCTION annotate_internal.on_sql_drop()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    attached boolean;
    ours text;
    unmet text;
BEGIN
    IF pg_catalog.to_regclass('annotate_internal.state') IS NULL THEN
        RETURN;
    END IF;
    IF annotate_internal.in_watch() THEN
        RETURN;   -- DDL of our own (attach(), detach())
    END IF;
    SELECT s.attached INTO attached FROM annotate_internal.state s;
    IF NOT attached OR EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger_dropped_objects() d
                               WHERE d.object_type OPERATOR(pg_catalog.=) 'extension') THEN
        RETURN;
    END IF;
    -- The objects attach() made, by the names PostgreSQL reports for them: address_names, the
    -- names as they are (object_identity quotes them, every one under quote_all_identifiers =
    -- on, as the session dropping them has it, and then nothing matched).
    SELECT pg_catalog.string_agg(d.object_identity, ', ') INTO ours
    FROM pg_catalog.pg_event_trigger_dropped_objects() d
    JOIN annotate_internal.attached_objects() o
      ON (o.kind OPERATOR(pg_catalog.=) 'index' AND d.object_type OPERATOR(pg_catalog.=) 'index'
          AND d.address_names OPERATOR(pg_catalog.=) ARRAY['public', o.name])
      OR (o.kind OPERATOR(pg_catalog.=) 'trigger' AND d.object_type OPERATOR(pg_catalog.=) 'trigger'
          AND d.address_names[1:2] OPERATOR(pg_catalog.=) ARRAY['public', o.table_name]
          AND d.address_names[3] OPERATOR(pg_catalog.=) ANY (ARRAY['annotate_capture', 'annotate_capture_insert',
                                                                 'annotate_capture_delete', 'annotate_capture_truncate']))
      OR (o.kind OPERATOR(pg_catalog.=) 'view' AND d.object_type OPERATOR(pg_catalog.=) 'materialized view'
          AND d.address_names OPERATOR(pg_catalog.=) ARRAY['annotate', o.name]);
    SELECT pg_catalog.string_agg(u.problem, '; ') INTO unmet FROM annotate_internal.unmet_requirements() u;
    IF unmet IS NOT NULL THEN
        RAISE EXCEPTION 'annotate_ext: this change takes away what annotate_ext reads: %', unmet
            USING ERRCODE = 'dependent_objects_still_exist',
                  HINT = 'Run SELECT annotate.detach() before this migration and SELECT annotate.attach() after it.';
    END IF;
    IF ours IS NOT NULL THEN
        RAISE EXCEPTION 'annotate_ext: % belongs to annotate_ext, which keeps its queue exact through it', ours
            USING ERRCODE = 'dependent_objects_still_exist',
                  HINT = 'To remove it, run SELECT annotate.detach() (or DROP EXTENSION annotate_ext). '
                         'Alembic: filter annotate_ext''s objects out of autogenerate (see the README).';
    END IF;
END
$$;

CREATE EVENT TRIGGER annotate_ddl_end ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'CREATE TABLE', 'CREATE FOREIGN TABLE', 'ALTER FOREIGN TABLE', 'ALTER SCHEMA',
                 'CREATE STATISTICS', 'ALTER STATISTICS', 'ALTER TYPE', 'CREATE RULE', 'ALTER VIEW', 'CREATE VIEW', 'ALTER INDEX', 'CREATE INDEX',
                 'CREATE TRIGGER', 'ALTER TRIGGER', 'CREATE MATERIALIZED VIEW',
                 'ALTER MATERIALIZED VIEW', 'REFRESH MATERIALIZED VIEW')
    EXECUTE FUNCTION annotate_internal.on_ddl_end();

CREATE EVENT TRIGGER annotate_sql_drop ON sql_drop
    EXECUTE FUNCTION annotate_internal.on_sql_drop();
-- The watch runs under session_replication_role = replica too, as the capture triggers do: a
-- rewrite made there owed no reconcile, and the queue stayed wrong (found by a review).
ALTER EVENT TRIGGER annotate_ddl_end ENABLE ALWAYS;
ALTER EVENT TRIGGER annotate_sql_drop ENABLE ALWAYS;

-- A table the extension reads, rewritten with new values (ALTER COLUMN ... TYPE ... USING,
-- which fires no trigger): what the queue counted of it may have changed, so a reconcile() is
-- owed, which the folder makes once this transaction has committed (an id retyped to bigint
-- rewrites the table too: the reconcile then finds nothing to correct).
CREATE FUNCTION annotate_internal.on_table_rewrite()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.to_regclass('annotate_internal.state') IS NULL OR annotate_internal.in_watch() THEN
        RETURN;
    END IF;
    -- 4: a column's values are rewritten (AT_REWRITE_COLUMN_REWRITE); not a change of
    -- persistence or access method, or a new column's default.
    IF (pg_catalog.pg_event_trigger_table_rewrite_reason() OPERATOR(pg_catalog.&) 4) OPERATOR(pg_catalog.=) 0
       OR NOT (SELECT s.attached FROM annotate_internal.state s)
       OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class k
                      JOIN annotate_internal.requirements() r ON r.table_name OPERATOR(pg_catalog.=) k.relname
                      WHERE k.oid OPERATOR(pg_catalog.=) pg_catalog.pg_event_trigger_table_rewrite_oid()
                        AND k.relnamespace OPERATOR(pg_catalog.=) pg_catalog.to_regnamespace('public')) THEN
        RETURN;
    END IF;
    -- Appended, not an update of the state row: this migration holds the rewritten table, and
    -- waiting for that row (a TRUNCATE under REPEATABLE READ updates it) could deadlock.
    INSERT INTO annotate_internal.reconcile_due DEFAULT VALUES;
    PERFORM annotate_internal.wake_folder_at_commit();
END
$$;

CREATE EVENT TRIGGER annotate_table_rewrite ON table_rewrite
    EXECUTE FUNCTION annotate_internal.on_table_rewrite();
ALTER EVENT TRIGGER annotate_table_rewrite ENABLE ALWAYS;
