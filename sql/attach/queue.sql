-- The live queue over the app's tables: the views it is checked against, its contents (built
-- in one set-based pass when empty, reconciled otherwise), its indexes, and the triggers that
-- keep it current. Idempotent: after a restore the indexes and triggers are already there.

-- What a queue row must be, computed from the base tables. verify() and reconcile_queue()
-- compare against it; nothing on the request path reads it.
CREATE OR REPLACE VIEW annotate.queue_fresh AS
SELECT u.id AS url_id,
       lb.batch_id,
       COALESCE(fb.followed, false) AS followed_any,
       u.source = 'manual'::public.url_source AS is_manual,
       COALESCE(vu.n, 0)::int AS user_votes,
       COALESCE(va.n, 0)::int AS anon_votes,
       COALESCE(vr.n, 0)::int AS auto_votes,
       (v.url_id IS NOT NULL) AS validated,
       (s.url_id IS NOT NULL) AS suspended
FROM public.urls u
LEFT JOIN public.link_batches__urls lb ON lb.url_id = u.id
LEFT JOIN (SELECT DISTINCT bl.batch_id, true AS followed
           FROM public.link_batches__locations bl
           JOIN public.link__locations__user_follows fo ON fo.location_id = bl.location_id) fb
       ON fb.batch_id = lb.batch_id
LEFT JOIN (SELECT url_id, count(*) AS n FROM public.annotation__url_type__user GROUP BY url_id) vu ON vu.url_id = u.id
LEFT JOIN (SELECT url_id, count(*) AS n FROM public.annotation__url_type__anon GROUP BY url_id) va ON va.url_id = u.id
LEFT JOIN (SELECT url_id, count(*) AS n FROM public.annotation__url_type__auto GROUP BY url_id) vr ON vr.url_id = u.id
LEFT JOIN public.flag_url_validated v ON v.url_id = u.id
LEFT JOIN public.flag_url_suspended s ON s.url_id = u.id;

-- Each URL whose queue row differs from a fresh computation, with both rows (either NULL
-- when the URL is on one side only).
CREATE OR REPLACE VIEW annotate.queue_diff AS
SELECT f AS fresh, q AS queued
FROM annotate.queue_fresh f
FULL JOIN annotate.queue q ON q.url_id = f.url_id
WHERE q.url_id IS NULL OR f.url_id IS NULL
   OR (q.batch_id, q.followed_any, q.is_manual, q.user_votes, q.anon_votes, q.auto_votes, q.validated, q.suspended)
      IS DISTINCT FROM
      (f.batch_id, f.followed_any, f.is_manual, f.user_votes, f.anon_votes, f.auto_votes, f.validated, f.suspended);

-- Built in one set-based pass, indexes after the data.
DO $fill$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM annotate.queue) THEN
        INSERT INTO annotate.queue SELECT * FROM annotate.queue_fresh;
    ELSE
        PERFORM annotate.reconcile_queue();
    END IF;
END
$fill$;

-- The selection order over eligible URLs (SPEC 3.2 keys 2-5; key 1 is per caller).
CREATE INDEX IF NOT EXISTS queue_order ON annotate.queue
    (followed_any DESC, is_manual DESC, user_votes DESC, anon_votes DESC, auto_votes DESC, url_id)
    INCLUDE (batch_id)
    WHERE NOT validated AND NOT suspended;
-- The same order inside one batch (followed_any is a property of the batch), and batch lookups.
CREATE INDEX IF NOT EXISTS queue_batch_order ON annotate.queue
    (batch_id, is_manual DESC, user_votes DESC, anon_votes DESC, auto_votes DESC, url_id)
    INCLUDE (validated, suspended, followed_any);

ANALYZE annotate.queue;

-- Attach: insert, update and delete triggers with transition tables, and a truncate trigger.
DO $attach$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('urls',                          'on_url_change',            NULL),
        ('link_batches__urls',            'on_batch_link_change',     NULL),
        ('link_batches__locations',       'on_batch_location_change', NULL),
        ('link__locations__user_follows', 'on_follow_change',         NULL),
        ('annotation__url_type__user',    'on_vote_change',           'user'),
        ('annotation__url_type__anon',    'on_vote_change',           'anon'),
        ('annotation__url_type__auto',    'on_vote_change',           'auto'),
        ('flag_url_validated',            'on_flag_change',           'validated'),
        ('flag_url_suspended',            'on_flag_change',           'suspended')
    ) AS v(tab, fn, arg)
    LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER annotate_queue_ins AFTER INSERT ON public.%I
                        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
                        EXECUTE FUNCTION annotate.%I(%L)', t.tab, t.fn, t.arg);
        EXECUTE format('CREATE OR REPLACE TRIGGER annotate_queue_upd AFTER UPDATE ON public.%I
                        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
                        EXECUTE FUNCTION annotate.%I(%L)', t.tab, t.fn, t.arg);
        EXECUTE format('CREATE OR REPLACE TRIGGER annotate_queue_del AFTER DELETE ON public.%I
                        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
                        EXECUTE FUNCTION annotate.%I(%L)', t.tab, t.fn, t.arg);
        EXECUTE format('CREATE OR REPLACE TRIGGER annotate_queue_trunc AFTER TRUNCATE ON public.%I
                        FOR EACH STATEMENT EXECUTE FUNCTION annotate.on_truncate()', t.tab);
    END LOOP;
END
$attach$;
