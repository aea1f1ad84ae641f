-- Tie what the extension put on app tables (annotate_* indexes and triggers) to the extension
-- with an automatic dependency, so that DROP EXTENSION removes them and nothing else of the
-- app's. ALTER EXTENSION ... ADD has no form for indexes or triggers, hence the pg_depend rows.
INSERT INTO pg_catalog.pg_depend (classid, objid, objsubid, refclassid, refobjid, refobjsubid, deptype)
SELECT o.classid, o.objid, 0, 'pg_catalog.pg_extension'::pg_catalog.regclass, e.oid, 0, 'a'
FROM (SELECT 'pg_catalog.pg_class'::pg_catalog.regclass AS classid, i.oid AS objid
      FROM pg_catalog.pg_class i
      WHERE i.relnamespace = 'public'::pg_catalog.regnamespace AND i.relkind = 'i'
        AND i.relname LIKE 'annotate\_%'
      UNION ALL
      SELECT 'pg_catalog.pg_trigger'::pg_catalog.regclass, t.oid
      FROM pg_catalog.pg_trigger t
      JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
      WHERE c.relnamespace = 'public'::pg_catalog.regnamespace AND t.tgname LIKE 'annotate\_%') o
JOIN pg_catalog.pg_extension e ON e.extname = 'annotate_ext'
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = o.classid AND d.objid = o.objid
                    AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.refobjid = e.oid);
