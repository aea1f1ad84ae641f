-- $1 user_id: how many URLs the user annotated, counted up to a cap ($2), to choose between
-- probing each candidate and hashing the whole set.
SELECT count(*) FROM (
    SELECT 1 FROM public.annotation__url_type__user a WHERE a.user_id = $1
    UNION ALL
    SELECT 1 FROM public.annotation__agency__user a WHERE a.user_id = $1
    LIMIT $2
) capped
