-- $1 user_id: the batches linked to a location the user follows (their URLs are
-- followed_by_user), sorted.
SELECT COALESCE(array_agg(DISTINCT bl.batch_id ORDER BY bl.batch_id), '{}')::int4[]
FROM public.link__locations__user_follows fo
JOIN public.link_batches__locations bl ON bl.location_id = fo.location_id
WHERE fo.user_id = $1
