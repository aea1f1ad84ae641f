-- Snapshot mode (SPEC 3.4): the eligible URLs for one caller in selection order, with vote
-- counts from annotate.url_annotation_count_view as of the last refresh (missing = 0) and
-- every filter and follow read live. An O(N) sort, as in the upstream change.
--   $1 user_id int4    (NULL for an anonymous caller)
--   $2 session_id uuid (NULL for a user)
--   $3 batch_id int4   (NULL: any batch, or none)
--   $4 url_id int4     (NULL: any URL)
--   $5 max_urls int8, $6 skip int8
SELECT u.id AS url_id,
       u.scheme::text AS scheme,
       u.url,
       u.trailing_slash,
       f.followed_by_any_user,
       u.source = 'manual'::public.url_source AS is_manual,
       c.user_url_type_count,
       c.anon_url_type_count,
       c.auto_url_type_count,
       f.followed_by_user
FROM public.urls u
LEFT JOIN public.link_batches__urls lb ON lb.url_id = u.id
CROSS JOIN LATERAL (
    SELECT EXISTS (SELECT 1
                   FROM public.link_batches__locations bl
                   JOIN public.link__locations__user_follows fo ON fo.location_id = bl.location_id
                   WHERE bl.batch_id = lb.batch_id AND fo.user_id = $1) AS followed_by_user,
           EXISTS (SELECT 1
                   FROM public.link_batches__locations bl
                   JOIN public.link__locations__user_follows fo ON fo.location_id = bl.location_id
                   WHERE bl.batch_id = lb.batch_id) AS followed_by_any_user
) f
LEFT JOIN annotate.url_annotation_count_view v ON v.url_id = u.id
CROSS JOIN LATERAL (
    SELECT COALESCE(v.user_url_type_count, 0) AS user_url_type_count,
           COALESCE(v.anon_url_type_count, 0) AS anon_url_type_count,
           COALESCE(v.auto_url_type_count, 0) AS auto_url_type_count
) c
WHERE ($3::int4 IS NULL OR lb.batch_id = $3)
  AND ($4::int4 IS NULL OR u.id = $4)
  AND NOT EXISTS (SELECT 1 FROM public.flag_url_suspended s WHERE s.url_id = u.id)
  AND NOT EXISTS (SELECT 1 FROM public.flag_url_validated s WHERE s.url_id = u.id)
  AND ($1::int4 IS NULL OR NOT (
           EXISTS (SELECT 1 FROM public.annotation__url_type__user a    WHERE a.url_id = u.id AND a.user_id = $1)
        OR EXISTS (SELECT 1 FROM public.annotation__agency__user a      WHERE a.url_id = u.id AND a.user_id = $1)
        OR EXISTS (SELECT 1 FROM public.annotation__location__user a    WHERE a.url_id = u.id AND a.user_id = $1)
        OR EXISTS (SELECT 1 FROM public.annotation__record_type__user a WHERE a.url_id = u.id AND a.user_id = $1)))
  AND ($2::uuid IS NULL OR NOT (
           EXISTS (SELECT 1 FROM public.annotation__url_type__anon a    WHERE a.url_id = u.id AND a.session_id = $2)
        OR EXISTS (SELECT 1 FROM public.annotation__agency__anon a      WHERE a.url_id = u.id AND a.session_id = $2)
        OR EXISTS (SELECT 1 FROM public.annotation__location__anon a    WHERE a.url_id = u.id AND a.session_id = $2)
        OR EXISTS (SELECT 1 FROM public.annotation__record_type__anon a WHERE a.url_id = u.id AND a.session_id = $2)))
ORDER BY f.followed_by_user DESC,
         f.followed_by_any_user DESC,
         is_manual DESC,
         c.user_url_type_count DESC,
         c.anon_url_type_count DESC,
         c.auto_url_type_count DESC,
         u.id
LIMIT $5 OFFSET $6
