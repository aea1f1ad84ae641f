-- The URLs the caller may not be given: annotated by user $1 in any of the four user tables,
-- or by session $2 in any of the four anonymous tables (the other argument is NULL).
SELECT a.url_id FROM public.annotation__url_type__user a    WHERE a.user_id = $1
UNION ALL SELECT a.url_id FROM public.annotation__agency__user a      WHERE a.user_id = $1
UNION ALL SELECT a.url_id FROM public.annotation__location__user a    WHERE a.user_id = $1
UNION ALL SELECT a.url_id FROM public.annotation__record_type__user a WHERE a.user_id = $1
UNION ALL SELECT a.url_id FROM public.annotation__url_type__anon a    WHERE a.session_id = $2
UNION ALL SELECT a.url_id FROM public.annotation__agency__anon a      WHERE a.session_id = $2
UNION ALL SELECT a.url_id FROM public.annotation__location__anon a    WHERE a.session_id = $2
UNION ALL SELECT a.url_id FROM public.annotation__record_type__anon a WHERE a.session_id = $2
