-- Read first by every selection, in one snapshot: 1 the batches linked to a location user $1
-- follows (SPEC 3.2 key 1; none for an anonymous session, $1 NULL); 2 whether a URL's writes
-- wait to be folded, so that a call finding none (the folder keeps up) reads no more of
-- context.sql than this; 3 whether a follow change does (context_batches.sql).
SELECT ARRAY(SELECT DISTINCT bl.batch_id::integer
             FROM public.link__locations__user_follows fo
             JOIN public.link_batches__locations bl ON bl.location_id OPERATOR(pg_catalog.=) fo.location_id
             WHERE fo.user_id OPERATOR(pg_catalog.=) $1::integer),
       EXISTS (SELECT 1 FROM annotate_internal.queue_delta d
               WHERE d.xid OPERATOR(pg_catalog.>=) (SELECT f.folded_below FROM annotate_internal.fold_state f)),
       EXISTS (SELECT 1 FROM annotate_internal.batch_event e
               WHERE e.xid OPERATOR(pg_catalog.>=) (SELECT f.folded_below FROM annotate_internal.fold_state f))
