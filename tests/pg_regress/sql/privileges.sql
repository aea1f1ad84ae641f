-- An app role with the grants from the README: it writes annotations (the queue triggers run
-- with the extension's rights) and calls every read function, and nothing more.
DROP DATABASE IF EXISTS annotate_t_privileges;
CREATE DATABASE annotate_t_privileges TEMPLATE annotate_fixture;
\c annotate_t_privileges
CREATE EXTENSION annotate_ext;
SET client_min_messages = warning;
DROP ROLE IF EXISTS annotate_test_app;
RESET client_min_messages;
CREATE ROLE annotate_test_app LOGIN;

-- The README's GRANTs, verbatim.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO annotate_test_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO annotate_test_app;
GRANT USAGE ON SCHEMA annotate TO annotate_test_app;

SET ROLE annotate_test_app;
SELECT rolsuper FROM pg_roles WHERE rolname = current_user;
INSERT INTO public.batches (id, strategy, status) VALUES (1, 'manual', 'ready to label');
INSERT INTO public.urls (id, url, source, scheme) VALUES (1, 'p.example/1', 'collector', 'https'),
                                                         (2, 'p.example/2', 'collector', 'https');
INSERT INTO public.link_batches__urls (batch_id, url_id) VALUES (1, 1), (1, 2);
INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (2, 7, 'data source');
INSERT INTO public.flag_url_suspended (url_id) VALUES (1);
DELETE FROM public.flag_url_suspended;

SELECT url_id, user_url_type_count FROM annotate.next_url_for_annotation(1, max_urls => 5);
SELECT url_id FROM annotate.next_url_for_anonymous_annotation('00000000-0000-0000-0000-000000000001');
SELECT annotate.next_annotation(1, batch_id => 1)->'next_annotation'->'url_info' AS next_annotation;
SELECT annotate.next_anonymous_annotation('00000000-0000-0000-0000-000000000001')->'next_annotation'->'url_info'->'url_id' AS anonymous;
SELECT annotate.annotation_for_url(1)->'url_info'->'url_id' AS for_url;
SELECT count(*) AS problems FROM annotate.verify();
SELECT annotate.status()->>'queue_rows' AS queue_rows;
SELECT count(*) AS phases FROM annotate.last_timings();
SELECT count(*) AS phases FROM annotate.timing_stats();
SET annotate.selection = snapshot;
SELECT url_id FROM annotate.next_url_for_annotation(1);
RESET annotate.selection;
SELECT url_id AS claimed FROM annotate.next_url_for_annotation(1, claim_for => '1 minute');
SELECT annotate.release_claim(2) AS released;

-- What it may not do.
SELECT * FROM annotate.refresh();
SELECT annotate.reset_timings();
UPDATE annotate.queue SET user_votes = 100;
DELETE FROM annotate.claims;
DELETE FROM annotate.refresh_log;
RESET ROLE;

-- Granted EXECUTE, an operator role can refresh (refresh() runs with its owner's rights).
GRANT EXECUTE ON FUNCTION annotate.refresh(boolean) TO annotate_test_app;
SET ROLE annotate_test_app;
SELECT step FROM annotate.refresh() WHERE step = 'queue';
RESET ROLE;

-- The owner still can, and the queue is exact.
SELECT step FROM annotate.refresh();
SELECT count(*) AS problems FROM annotate.verify();
DROP OWNED BY annotate_test_app;
DROP ROLE annotate_test_app;
