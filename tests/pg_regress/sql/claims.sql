-- Claims (leases): claim_for hands each URL to one caller at a time.
DROP DATABASE IF EXISTS annotate_t_claims;
CREATE DATABASE annotate_t_claims TEMPLATE annotate_fixture;
\c annotate_t_claims
CREATE EXTENSION annotate_ext;
INSERT INTO public.anonymous_sessions (id) VALUES ('00000000-0000-0000-0000-0000000000c1');
INSERT INTO public.urls (id, url, source) SELECT i, 'c.example/' || i, 'collector' FROM generate_series(1, 6) i;

-- Without claim_for nothing is leased: two users get the same head.
SELECT (SELECT url_id FROM annotate.next_url_for_annotation(1)) AS user_1,
       (SELECT url_id FROM annotate.next_url_for_annotation(2)) AS user_2;
SELECT count(*) AS leases FROM annotate.claims;

-- With claim_for, the head goes to user 1; user 2 and an anonymous visitor get the next ones.
SELECT url_id AS user_1 FROM annotate.next_url_for_annotation(1, claim_for => '10 minutes');
SELECT url_id AS user_2 FROM annotate.next_url_for_annotation(2, claim_for => '10 minutes');
SELECT url_id AS anonymous FROM annotate.next_url_for_anonymous_annotation('00000000-0000-0000-0000-0000000000c1', claim_for => '10 minutes');
SELECT url_id, user_id, session_id IS NOT NULL AS anonymous, expires_at > now() + interval '9 minutes' AS live
FROM annotate.claims ORDER BY url_id;

-- Asking again (a page refresh) gives the same URL, and extends the lease.
UPDATE annotate.claims SET expires_at = now() + interval '1 minute' WHERE user_id = 1;
SELECT url_id AS user_1_again FROM annotate.next_url_for_annotation(1, claim_for => '10 minutes');
SELECT expires_at > now() + interval '9 minutes' AS extended FROM annotate.claims WHERE user_id = 1;

-- The whole response leases too; max_urls leases several.
SELECT annotate.next_annotation(3, claim_for => '10 minutes')->'next_annotation'->'url_info'->'url_id' AS user_3;
SELECT array_agg(url_id) AS user_4 FROM annotate.next_url_for_annotation(4, max_urls => 2, claim_for => '10 minutes');
SELECT count(*) AS nothing_left FROM annotate.next_url_for_annotation(5, claim_for => '10 minutes');

-- Leases end when released, when the claimant annotates the URL, or when they expire.
SELECT annotate.release_claim(1) AS released, annotate.release_claim(1) AS again;
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (2, 2, 'data source');
UPDATE annotate.claims SET expires_at = now() - interval '1 second' WHERE session_id IS NOT NULL;
SELECT array_agg(url_id) AS free_for_user_5 FROM annotate.next_url_for_annotation(5, max_urls => 6, claim_for => '10 minutes');

-- refresh() deletes ended leases.
UPDATE annotate.claims SET expires_at = now() - interval '1 second' WHERE user_id = 5;
SELECT step, rows FROM annotate.refresh() WHERE step = 'claims';
SELECT url_id, user_id FROM annotate.claims ORDER BY url_id;

-- skip passes over available URLs without leasing them.
DELETE FROM annotate.claims;
SELECT url_id FROM annotate.next_url_for_annotation(6, skip => 2, claim_for => '1 minute');
SELECT url_id, user_id FROM annotate.claims;

-- claim_for must be a positive interval.
SELECT * FROM annotate.next_url_for_annotation(1, claim_for => '-5 minutes');
SELECT * FROM annotate.next_url_for_annotation(1, claim_for => '0 seconds');
SELECT annotate.next_anonymous_annotation('00000000-0000-0000-0000-0000000000c1', claim_for => '-1 day');
