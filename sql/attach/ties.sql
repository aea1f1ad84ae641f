-- Tie what attach() made to the extension, so that DROP EXTENSION removes it and nothing else
-- of the app's: views become members (during CREATE EXTENSION they already are; after a
-- restore they are not), and the annotate_* indexes and triggers on app tables get an
-- automatic dependency (ALTER EXTENSION ... ADD has no form for them, hence pg_depend rows).
DO $members$
DECLARE
    v record;
BEGIN
    FOR v IN SELECT c.oid, c.relname, c.relkind
             FROM pg_catalog.pg_class c
             WHERE c.relnamespace = 'annotate'::pg_catalog.regnamespace AND c.relkind IN ('v', 'm')
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                               JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'annotate_ext'
                               WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
                                 AND d.deptype = 'e')
    LOOP
        EXECUTE pg_catalog.format('ALTER EXTENSION annotate_ext ADD %s annotate.%I',
                                  CASE v.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END, v.relname);
    END LOOP;
END
$members$;

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

-- Readable by whoever may enter schema annotate (see sql/finalize.sql).
GRANT SELECT ON annotate.queue_fresh, annotate.queue_diff, annotate.url_annotation_count_view,
                annotate.url_annotation_flags
    TO PUBLIC;
