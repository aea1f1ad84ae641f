-- The two views the upstream PR materialized (SPEC 2.5), with their unique indexes so that
-- REFRESH ... CONCURRENTLY works. Anon counts are grouped by their own url_id (the PR's fix).

CREATE MATERIALIZED VIEW IF NOT EXISTS annotate.url_annotation_count_view AS
WITH
    auto_agency      AS (SELECT url_id, count(*) AS n FROM public.annotation__agency__auto__subtasks   GROUP BY url_id),
    auto_location    AS (SELECT url_id, count(*) AS n FROM public.annotation__location__auto__subtasks GROUP BY url_id),
    auto_record_type AS (SELECT url_id, count(*) AS n FROM public.annotation__record_type__auto       GROUP BY url_id),
    auto_url_type    AS (SELECT url_id, count(*) AS n FROM public.annotation__url_type__auto          GROUP BY url_id),
    user_agency      AS (SELECT url_id, count(*) AS n FROM public.annotation__agency__user            GROUP BY url_id),
    user_location    AS (SELECT url_id, count(*) AS n FROM public.annotation__location__user          GROUP BY url_id),
    user_record_type AS (SELECT url_id, count(*) AS n FROM public.annotation__record_type__user       GROUP BY url_id),
    user_url_type    AS (SELECT url_id, count(*) AS n FROM public.annotation__url_type__user          GROUP BY url_id),
    anon_agency      AS (SELECT url_id, count(*) AS n FROM public.annotation__agency__anon            GROUP BY url_id),
    anon_location    AS (SELECT url_id, count(*) AS n FROM public.annotation__location__anon          GROUP BY url_id),
    anon_record_type AS (SELECT url_id, count(*) AS n FROM public.annotation__record_type__anon       GROUP BY url_id),
    anon_url_type    AS (SELECT url_id, count(*) AS n FROM public.annotation__url_type__anon          GROUP BY url_id),
    counts AS (
        SELECT u.id AS url_id,
               COALESCE(a1.n, 0)  AS auto_agency_count,
               COALESCE(a2.n, 0)  AS auto_location_count,
               COALESCE(a3.n, 0)  AS auto_record_type_count,
               COALESCE(a4.n, 0)  AS auto_url_type_count,
               COALESCE(u1.n, 0)  AS user_agency_count,
               COALESCE(u2.n, 0)  AS user_location_count,
               COALESCE(u3.n, 0)  AS user_record_type_count,
               COALESCE(u4.n, 0)  AS user_url_type_count,
               COALESCE(n1.n, 0)  AS anon_agency_count,
               COALESCE(n2.n, 0)  AS anon_location_count,
               COALESCE(n3.n, 0)  AS anon_record_type_count,
               COALESCE(n4.n, 0)  AS anon_url_type_count
        FROM public.urls u
        LEFT JOIN auto_agency      a1 ON a1.url_id = u.id
        LEFT JOIN auto_location    a2 ON a2.url_id = u.id
        LEFT JOIN auto_record_type a3 ON a3.url_id = u.id
        LEFT JOIN auto_url_type    a4 ON a4.url_id = u.id
        LEFT JOIN user_agency      u1 ON u1.url_id = u.id
        LEFT JOIN user_location    u2 ON u2.url_id = u.id
        LEFT JOIN user_record_type u3 ON u3.url_id = u.id
        LEFT JOIN user_url_type    u4 ON u4.url_id = u.id
        LEFT JOIN anon_agency      n1 ON n1.url_id = u.id
        LEFT JOIN anon_location    n2 ON n2.url_id = u.id
        LEFT JOIN anon_record_type n3 ON n3.url_id = u.id
        LEFT JOIN anon_url_type    n4 ON n4.url_id = u.id
    )
SELECT c.*,
       c.auto_agency_count + c.auto_location_count + c.auto_record_type_count + c.auto_url_type_count
     + c.user_agency_count + c.user_location_count + c.user_record_type_count + c.user_url_type_count
     + c.anon_agency_count + c.anon_location_count + c.anon_record_type_count + c.anon_url_type_count
       AS total_anno_count
FROM counts c;

CREATE UNIQUE INDEX IF NOT EXISTS url_annotation_count_view_url_id ON annotate.url_annotation_count_view (url_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS annotate.url_annotation_flags AS
SELECT u.id AS url_id,
       EXISTS (SELECT 1 FROM public.annotation__record_type__auto a        WHERE a.url_id = u.id) AS has_auto_record_type_suggestion,
       EXISTS (SELECT 1 FROM public.annotation__url_type__auto a           WHERE a.url_id = u.id) AS has_auto_relevant_suggestion,
       EXISTS (SELECT 1 FROM public.annotation__agency__auto__subtasks a   WHERE a.url_id = u.id) AS has_auto_agency_suggestion,
       EXISTS (SELECT 1 FROM public.annotation__location__auto__subtasks a WHERE a.url_id = u.id) AS has_auto_location_suggestion,
       EXISTS (SELECT 1 FROM public.annotation__record_type__user a        WHERE a.url_id = u.id) AS has_user_record_type_suggestion,
       EXISTS (SELECT 1 FROM public.annotation__url_type__user a           WHERE a.url_id = u.id) AS has_user_relevant_suggestion,
       EXISTS (SELECT 1 FROM public.annotation__agency__user a             WHERE a.url_id = u.id) AS has_user_agency_suggestion,
       EXISTS (SELECT 1 FROM public.annotation__location__user a           WHERE a.url_id = u.id) AS has_user_location_suggestion,
       EXISTS (SELECT 1 FROM public.link_agencies__urls a                  WHERE a.url_id = u.id) AS has_confirmed_agency,
       EXISTS (SELECT 1 FROM public.reviewing_user_url a                   WHERE a.url_id = u.id) AS was_reviewed
FROM public.urls u;

CREATE UNIQUE INDEX IF NOT EXISTS url_annotation_flags_url_id ON annotate.url_annotation_flags (url_id);

-- The views were built just now: that counts as a refresh for status().
INSERT INTO annotate.refresh_log (seconds, concurrent)
SELECT EXTRACT(epoch FROM pg_catalog.clock_timestamp() - pg_catalog.statement_timestamp()), false;
