-- $1 user_id: the batches linked to a location the user follows (SPEC 3.2 key 1).
SELECT DISTINCT bl.batch_id::integer
FROM public.link__locations__user_follows fo
JOIN public.link_batches__locations bl ON bl.location_id OPERATOR(pg_catalog.=) fo.location_id
WHERE fo.user_id OPERATOR(pg_catalog.=) $1
