CREATE TABLE IF NOT EXISTS rd_round (round int, void_rows bigint, pending bigint, depth_u1 int, depth_u2 int, depth_s1 int);
-- The random writes and the comparison loop (tests/scripts/resume_differential.sh; after setup.sql).
SET client_min_messages = warning;

-- A URL, half the time one that some caller annotated (the head of the order, before the
-- callers' points), else any.
CREATE OR REPLACE FUNCTION rd_url() RETURNS int LANGUAGE sql AS $$
    SELECT CASE WHEN random() < 0.5 THEN
        (SELECT url_id FROM (SELECT url_id FROM public.annotation__url_type__user WHERE user_id < 10
                             UNION ALL SELECT url_id FROM public.annotation__record_type__user WHERE user_id < 10
                             UNION ALL SELECT url_id FROM public.annotation__agency__user WHERE user_id < 10
                             UNION ALL SELECT url_id FROM public.annotation__location__user WHERE user_id < 10
                             UNION ALL SELECT url_id FROM public.annotation__record_type__anon
                             UNION ALL SELECT url_id FROM public.annotation__location__anon) x
         ORDER BY random() LIMIT 1)
    ELSE (SELECT id FROM public.urls ORDER BY random() LIMIT 1) END
$$;
CREATE OR REPLACE FUNCTION rd_caller_user() RETURNS int LANGUAGE sql AS $$ SELECT 1 + floor(random() * 5)::int $$;
CREATE OR REPLACE FUNCTION rd_caller_session() RETURNS uuid LANGUAGE sql AS $$
    SELECT md5('s' || (1 + floor(random() * 2)::int))::uuid $$;
-- The URL a caller gets now (its head), or a random one.
CREATE OR REPLACE FUNCTION rd_head_or_url(u int) RETURNS int LANGUAGE sql AS $$
    SELECT COALESCE(CASE WHEN random() < 0.6 THEN
        (SELECT url_id FROM annotate.next_url_for_annotation(u, max_urls => 3) ORDER BY random() LIMIT 1) END, rd_url())
$$;
CREATE OR REPLACE FUNCTION rd_anon_head_or_url(s uuid) RETURNS int LANGUAGE sql AS $$
    SELECT COALESCE(CASE WHEN random() < 0.6 THEN
        (SELECT url_id FROM annotate.next_url_for_anonymous_annotation(s, max_urls => 3) ORDER BY random() LIMIT 1) END, rd_url())
$$;
CREATE OR REPLACE FUNCTION rd_loc_id() RETURNS bigint LANGUAGE sql AS $$ SELECT id FROM rd_loc ORDER BY random() LIMIT 1 $$;

CREATE OR REPLACE FUNCTION rd_kinds() RETURNS text[] LANGUAGE sql AS $$ SELECT ARRAY[
    'vote_caller', 'annotate_caller', 'vote_other', 'unvote_other',
    'del_own_url_type', 'del_own_record_type', 'del_own_agency', 'del_own_location',
    'move_own_annotation', 'reassign_own_annotation',
    'anon_vote', 'anon_annotate', 'anon_del_vote', 'anon_del_own',
    'auto_add', 'auto_del', 'auto_bulk', 'validate', 'unvalidate', 'suspend', 'unsuspend',
    'new_url', 'new_url_nobatch', 'move_batch', 'unlink_batch', 'link_batch',
    'follow', 'unfollow', 'batch_loc_add', 'batch_loc_del', 'delete_url', 'toggle_manual',
    'own_table_swap', 'own_del_and_reannotate',
    'lease_other', 'lease_session', 'lease_caller', 'release', 'auto_bulk_big', 'auto_bulk_big_del',
    -- weighted: callers keep annotating what they get (so their walks keep passing over many),
    -- and take their own annotations back
    'catch_up', 'catch_up', 'catch_up', 'catch_up', 'catch_up', 'catch_up', 'catch_up', 'catch_up', 'catch_up', 'catch_up',
    'del_own_url_type', 'del_own_record_type', 'del_own_agency', 'del_own_location', 'anon_del_own', 'vote_other'] $$;

-- The SQL text of one random write of `kind`, with its values chosen (so the log replays).
CREATE OR REPLACE FUNCTION rd_gen(kind text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    u int := rd_caller_user();
    s uuid := rd_caller_session();
    t text;
    v int;
BEGIN
    CASE kind
    WHEN 'vote_caller' THEN
        RETURN format('INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (%s, %s, ''data source'') ON CONFLICT DO NOTHING',
                      rd_head_or_url(u), u);
    WHEN 'annotate_caller' THEN
        t := (ARRAY['record_type', 'agency', 'location'])[1 + floor(random() * 3)::int];
        RETURN CASE t
            WHEN 'record_type' THEN format('INSERT INTO public.annotation__record_type__user (url_id, user_id, record_type) VALUES (%s, %s, ''Stops'') ON CONFLICT DO NOTHING', rd_head_or_url(u), u)
            WHEN 'agency' THEN format('INSERT INTO public.annotation__agency__user (agency_id, url_id, user_id) VALUES (1, %s, %s) ON CONFLICT DO NOTHING', rd_head_or_url(u), u)
            ELSE format('INSERT INTO public.annotation__location__user (url_id, user_id, location_id) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING', rd_head_or_url(u), u, rd_loc_id()) END;
    WHEN 'vote_other' THEN
        RETURN format('INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (%s, %s, ''meta url'') ON CONFLICT DO NOTHING',
                      rd_url(), 10 + floor(random() * 30)::int);
    WHEN 'unvote_other' THEN
        RETURN (SELECT format('DELETE FROM public.annotation__url_type__user WHERE url_id = %s AND user_id = %s', url_id, user_id)
                FROM public.annotation__url_type__user WHERE user_id >= 10 ORDER BY random() LIMIT 1);
    WHEN 'del_own_url_type' THEN
        RETURN (SELECT format('DELETE FROM public.annotation__url_type__user WHERE url_id = %s AND user_id = %s', url_id, user_id)
                FROM public.annotation__url_type__user WHERE user_id < 10 ORDER BY random() LIMIT 1);
    WHEN 'del_own_record_type' THEN
        RETURN (SELECT format('DELETE FROM public.annotation__record_type__user WHERE url_id = %s AND user_id = %s', url_id, user_id)
                FROM public.annotation__record_type__user WHERE user_id < 10 ORDER BY random() LIMIT 1);
    WHEN 'del_own_agency' THEN
        RETURN (SELECT format('DELETE FROM public.annotation__agency__user WHERE url_id = %s AND user_id = %s', url_id, user_id)
                FROM public.annotation__agency__user WHERE user_id < 10 ORDER BY random() LIMIT 1);
    WHEN 'del_own_location' THEN
        RETURN (SELECT format('DELETE FROM public.annotation__location__user WHERE url_id = %s AND user_id = %s', url_id, user_id)
                FROM public.annotation__location__user WHERE user_id < 10 ORDER BY random() LIMIT 1);
    WHEN 'move_own_annotation' THEN   -- a caller's annotation moves to another URL: the old one is its to get again
        v := rd_url();
        RETURN (SELECT format('UPDATE public.annotation__record_type__user SET url_id = %s WHERE url_id = %s AND user_id = %s AND NOT EXISTS (SELECT 1 FROM public.annotation__record_type__user x WHERE x.url_id = %s AND x.user_id = %s)',
                              v, url_id, user_id, v, user_id)
                FROM public.annotation__record_type__user WHERE user_id < 10 ORDER BY random() LIMIT 1);
    WHEN 'reassign_own_annotation' THEN   -- a caller's annotation becomes another user's
        v := 10 + floor(random() * 30)::int;
        RETURN (SELECT format('UPDATE public.annotation__agency__user SET user_id = %s WHERE id = %s AND NOT EXISTS (SELECT 1 FROM public.annotation__agency__user x WHERE x.user_id = %s AND x.url_id = %s AND x.agency_id IS NOT DISTINCT FROM %s)',
                              v, id, v, url_id, COALESCE(agency_id::text, 'NULL'))
                FROM public.annotation__agency__user WHERE user_id < 10 ORDER BY random() LIMIT 1);
    WHEN 'anon_vote' THEN
        RETURN format('INSERT INTO public.annotation__url_type__anon (url_id, url_type, session_id) VALUES (%s, ''data source'', %L) ON CONFLICT DO NOTHING',
                      CASE WHEN random() < 0.5 THEN rd_anon_head_or_url(s) ELSE rd_url() END,
                      CASE WHEN random() < 0.5 THEN s ELSE md5('s' || (3 + floor(random() * 6)::int))::uuid END);
    WHEN 'anon_annotate' THEN
        t := (ARRAY['record_type', 'agency', 'location'])[1 + floor(random() * 3)::int];
        RETURN CASE t
            WHEN 'record_type' THEN format('INSERT INTO public.annotation__record_type__anon (url_id, record_type, session_id) VALUES (%s, ''Stops'', %L) ON CONFLICT DO NOTHING', rd_anon_head_or_url(s), s)
            WHEN 'agency' THEN format('INSERT INTO public.annotation__agency__anon (url_id, agency_id, session_id) VALUES (%s, 1, %L) ON CONFLICT DO NOTHING', rd_anon_head_or_url(s), s)
            ELSE format('INSERT INTO public.annotation__location__anon (url_id, location_id, session_id) VALUES (%s, %s, %L) ON CONFLICT DO NOTHING', rd_anon_head_or_url(s), rd_loc_id(), s) END;
    WHEN 'anon_del_vote' THEN
        RETURN (SELECT format('DELETE FROM public.annotation__url_type__anon WHERE url_id = %s AND session_id = %L AND url_type = %L', url_id, session_id, url_type)
                FROM public.annotation__url_type__anon ORDER BY session_id IN (md5('s1')::uuid, md5('s2')::uuid) DESC, random() LIMIT 1);
    WHEN 'anon_del_own' THEN
        t := (ARRAY['record_type', 'agency', 'location'])[1 + floor(random() * 3)::int];
        RETURN (SELECT format('DELETE FROM public.annotation__%s__anon WHERE url_id = %s AND session_id = %L', t, x.url_id, x.session_id)
                FROM (SELECT url_id, session_id FROM public.annotation__record_type__anon WHERE t = 'record_type'
                      UNION ALL SELECT url_id, session_id FROM public.annotation__agency__anon WHERE t = 'agency'
                      UNION ALL SELECT url_id, session_id FROM public.annotation__location__anon WHERE t = 'location') x
                ORDER BY random() LIMIT 1);
    WHEN 'auto_add' THEN
        RETURN format('INSERT INTO public.annotation__url_type__auto (url_id, relevant) VALUES (%s, true) ON CONFLICT DO NOTHING', rd_url());
    WHEN 'auto_del' THEN
        RETURN (SELECT format('DELETE FROM public.annotation__url_type__auto WHERE url_id = %s', url_id)
                FROM public.annotation__url_type__auto ORDER BY random() LIMIT 1);
    WHEN 'auto_bulk' THEN
        v := floor(random() * 400)::int;
        RETURN format('INSERT INTO public.annotation__url_type__auto (url_id, relevant) SELECT id, true FROM public.urls WHERE id BETWEEN %s AND %s ON CONFLICT DO NOTHING',
                      v, v + floor(random() * 20)::int);
    WHEN 'validate' THEN
        RETURN format('INSERT INTO public.flag_url_validated (url_id, type) VALUES (%s, ''data source'') ON CONFLICT DO NOTHING', rd_url());
    WHEN 'unvalidate' THEN
        RETURN (SELECT format('DELETE FROM public.flag_url_validated WHERE url_id = %s', url_id) FROM public.flag_url_validated ORDER BY random() LIMIT 1);
    WHEN 'suspend' THEN
        RETURN format('INSERT INTO public.flag_url_suspended (url_id) VALUES (%s) ON CONFLICT DO NOTHING', rd_url());
    WHEN 'unsuspend' THEN
        RETURN (SELECT format('DELETE FROM public.flag_url_suspended WHERE url_id = %s', url_id) FROM public.flag_url_suspended ORDER BY random() LIMIT 1);
    WHEN 'new_url' THEN
        u := (SELECT max(id) + 1 FROM public.urls);
        RETURN format('INSERT INTO public.urls (id, url, source) VALUES (%s, ''rd.example/n%s'', %L); INSERT INTO public.link_batches__urls (batch_id, url_id) VALUES (%s, %s)',
                      u, u, CASE WHEN random() < 0.3 THEN 'manual' ELSE 'collector' END, 1 + floor(random() * 7)::int, u);
    WHEN 'new_url_nobatch' THEN
        u := (SELECT max(id) + 1 FROM public.urls);
        RETURN format('INSERT INTO public.urls (id, url, source) VALUES (%s, ''rd.example/n%s'', %L)',
                      u, u, CASE WHEN random() < 0.3 THEN 'manual' ELSE 'collector' END);
    WHEN 'move_batch' THEN
        v := rd_url();
        RETURN (SELECT format('UPDATE public.link_batches__urls SET batch_id = %s WHERE url_id = %s', 1 + floor(random() * 7)::int, l.url_id)
                FROM public.link_batches__urls l ORDER BY l.url_id = v DESC, random() LIMIT 1);
    WHEN 'unlink_batch' THEN
        RETURN (SELECT format('DELETE FROM public.link_batches__urls WHERE url_id = %s', l.url_id)
                FROM public.link_batches__urls l ORDER BY random() LIMIT 1);
    WHEN 'link_batch' THEN
        RETURN (SELECT format('INSERT INTO public.link_batches__urls (batch_id, url_id) VALUES (%s, %s)', 1 + floor(random() * 7)::int, u.id)
                FROM public.urls u WHERE NOT EXISTS (SELECT 1 FROM public.link_batches__urls l WHERE l.url_id = u.id) ORDER BY random() LIMIT 1);
    WHEN 'follow' THEN
        RETURN format('INSERT INTO public.link__locations__user_follows (location_id, user_id) VALUES (%s, %s) ON CONFLICT DO NOTHING',
                      rd_loc_id(), (ARRAY[1, 3, 4, 50, 60])[1 + floor(random() * 5)::int]);
    WHEN 'unfollow' THEN
        RETURN (SELECT format('DELETE FROM public.link__locations__user_follows WHERE location_id = %s AND user_id = %s', location_id, user_id)
                FROM public.link__locations__user_follows ORDER BY random() LIMIT 1);
    WHEN 'batch_loc_add' THEN
        RETURN format('INSERT INTO public.link_batches__locations (batch_id, location_id) VALUES (%s, %s) ON CONFLICT DO NOTHING',
                      1 + floor(random() * 7)::int, rd_loc_id());
    WHEN 'batch_loc_del' THEN
        RETURN (SELECT format('DELETE FROM public.link_batches__locations WHERE batch_id = %s AND location_id = %s', batch_id, location_id)
                FROM public.link_batches__locations ORDER BY random() LIMIT 1);
    WHEN 'delete_url' THEN
        RETURN format('DELETE FROM public.urls WHERE id = %s', rd_url());
    WHEN 'own_table_swap' THEN   -- one statement pair: an annotation moves from one table to another (still done)
        RETURN (SELECT format('DELETE FROM public.annotation__url_type__user WHERE url_id = %s AND user_id = %s; INSERT INTO public.annotation__location__user (url_id, user_id, location_id) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING',
                              url_id, user_id, url_id, user_id, rd_loc_id())
                FROM public.annotation__url_type__user WHERE user_id < 10 ORDER BY random() LIMIT 1);
    WHEN 'own_del_and_reannotate' THEN   -- taken back and given again in one transaction
        RETURN (SELECT format('DELETE FROM public.annotation__record_type__user WHERE url_id = %s AND user_id = %s; INSERT INTO public.annotation__record_type__user (url_id, user_id, record_type) VALUES (%s, %s, ''Surveys'')',
                              url_id, user_id, url_id, user_id)
                FROM public.annotation__record_type__user WHERE user_id < 10 ORDER BY random() LIMIT 1);
    WHEN 'lease_other' THEN   -- another user leases URLs (plain selection still counts them)
        RETURN CASE WHEN random() < 0.5
            THEN format('SELECT count(*) FROM annotate.next_url_for_annotation(%s, max_urls => %s, claim_for => %L)',
                        9 + floor(random() * 2)::int, 1 + floor(random() * 3)::int, (ARRAY['1 hour', '1 second'])[1 + floor(random() * 2)::int])
            ELSE format('SELECT count(*) FROM annotate.next_url_for_annotation(9, url_id => %s, claim_for => %L)',
                        rd_url(), (ARRAY['1 hour', '1 second'])[1 + floor(random() * 2)::int]) END;
    WHEN 'lease_session' THEN
        RETURN format('SELECT count(*) FROM annotate.next_url_for_anonymous_annotation(%L, max_urls => %s, claim_for => %L)',
                      md5('s5')::uuid, 1 + floor(random() * 2)::int, (ARRAY['1 hour', '1 second'])[1 + floor(random() * 2)::int]);
    WHEN 'lease_caller' THEN   -- a caller leases (a leasing call: no resume point)
        RETURN CASE WHEN random() < 0.7
            THEN format('SELECT count(*) FROM annotate.next_url_for_annotation(%s, max_urls => %s, claim_for => %L)',
                        u, 1 + floor(random() * 2)::int, (ARRAY['1 hour', '1 second'])[1 + floor(random() * 2)::int])
            ELSE format('SELECT count(*) FROM annotate.next_url_for_anonymous_annotation(%L, claim_for => %L)', s, '1 hour') END;
    WHEN 'release' THEN
        RETURN (SELECT format('SELECT annotate.release_claim(%s, user_id => %s, session_id => %s)', q.url_id,
                              COALESCE(q.lease_user::text, 'NULL'), COALESCE(quote_literal(q.lease_session) || '::uuid', 'NULL'))
                FROM annotate_internal.queue q WHERE q.leased ORDER BY random() LIMIT 1);
    WHEN 'auto_bulk_big' THEN
        v := floor(random() * 200)::int;
        RETURN format('INSERT INTO public.annotation__url_type__auto (url_id, relevant) SELECT id, false FROM public.urls WHERE id BETWEEN %s AND %s ON CONFLICT DO NOTHING',
                      v, v + 150 + floor(random() * 250)::int);
    WHEN 'auto_bulk_big_del' THEN
        v := floor(random() * 200)::int;
        RETURN format('DELETE FROM public.annotation__url_type__auto WHERE url_id BETWEEN %s AND %s', v, v + 150 + floor(random() * 250)::int);
    WHEN 'catch_up' THEN   -- a caller annotates the first 1-6 URLs it gets, in one of its four tables
        v := 1 + floor(random() * 12)::int;
        t := (ARRAY['url_type', 'record_type', 'agency', 'location'])[1 + floor(random() * 4)::int];
        IF random() < 0.3 THEN
            RETURN format('INSERT INTO public.annotation__%s__anon (url_id, %s, session_id) SELECT url_id, %s, %L FROM annotate.next_url_for_anonymous_annotation(%L, max_urls => %s) ON CONFLICT DO NOTHING',
                          t, CASE t WHEN 'url_type' THEN 'url_type' WHEN 'record_type' THEN 'record_type' WHEN 'agency' THEN 'agency_id' ELSE 'location_id' END,
                          CASE t WHEN 'url_type' THEN '''data source''' WHEN 'record_type' THEN '''Stops''' WHEN 'agency' THEN '1' ELSE '1' END, s, s, v);
        END IF;
        RETURN format('INSERT INTO public.annotation__%s__user (url_id, user_id, %s) SELECT url_id, %s, %s FROM annotate.next_url_for_annotation(%s, max_urls => %s) ON CONFLICT DO NOTHING',
                      t, CASE t WHEN 'url_type' THEN 'type' WHEN 'record_type' THEN 'record_type' WHEN 'agency' THEN 'agency_id' ELSE 'location_id' END,
                      u, CASE t WHEN 'url_type' THEN '''data source''' WHEN 'record_type' THEN '''Stops''' WHEN 'agency' THEN '1' ELSE '1' END, u, v);
    WHEN 'toggle_manual' THEN
        RETURN format('UPDATE public.urls SET source = CASE WHEN source = ''manual'' THEN ''collector'' ELSE ''manual'' END::public.url_source WHERE id = %s', rd_url());
    END CASE;
END $$;

-- Every caller in two of the four shapes (max_urls 1 or 3, skip 0 or 2): resumed twice (the
-- first call may start from a point kept before the last writes, the second from the
-- first's), then the reference. Writes nothing.
CREATE OR REPLACE FUNCTION rd_compare_all(r int, phase text) RETURNS SETOF rd_cmp LANGUAGE plpgsql AS $$
DECLARE
    c record;
    sh record;
    a int[];
    b int[];
    ref int[];
BEGIN
    FOR c IN SELECT * FROM rd_callers ORDER BY random() LOOP
        FOR sh IN SELECT * FROM (VALUES (1, 0), (3, 0), (1, 2), (3, 2)) v(m, sk) ORDER BY random() LIMIT 2 LOOP
            a := rd_ans(c.user_id, c.session, c.batch, sh.m, sh.sk, true);
            b := rd_ans(c.user_id, c.session, c.batch, sh.m, sh.sk, true);
            ref := rd_ans(c.user_id, c.session, c.batch, sh.m, sh.sk, false);
            RETURN NEXT ROW(r, c.name, sh.m, sh.sk, a, b, ref, phase)::rd_cmp;
        END LOOP;
    END LOOP;
END $$;

-- n_rounds rounds: 1-3 random writes (one transaction, sometimes two), a fold now and then,
-- then every caller in two of the four shapes: resumed twice (the first may start from a
-- point kept before the writes, the second from the first's) against the reference.
CREATE OR REPLACE PROCEDURE rd_run(first_round int, n_rounds int, only_kinds text[] DEFAULT NULL) LANGUAGE plpgsql AS $$
DECLARE
    r int;
    i int;
    kinds text[] := COALESCE(only_kinds, rd_kinds());
    kind text;
    q text;
    n int;
    c record;
    sh record;
    a int[];
    b int[];
    ref int[];
    out rd_cmp[];
    seq int := 0;
    nulls bigint;
BEGIN
    FOR r IN first_round .. first_round + n_rounds - 1 LOOP
        FOR i IN 1 .. 1 + floor(random() * 3)::int LOOP
            kind := kinds[1 + floor(random() * array_length(kinds, 1))::int];
            q := rd_gen(kind);
            IF q IS NULL THEN CONTINUE; END IF;
            EXECUTE q;
            GET DIAGNOSTICS n = ROW_COUNT;
            seq := seq + 1;
            INSERT INTO rd_writes VALUES (r, seq, kind, q, n);
            IF random() < 0.2 THEN COMMIT; END IF;
        END LOOP;
        COMMIT;
        IF random() < 0.35 THEN
            PERFORM annotate_internal.fold_now();
            seq := seq + 1;
            INSERT INTO rd_writes VALUES (r, seq, 'fold_now', 'SELECT annotate_internal.fold_now()', 0);
            COMMIT;
        ELSIF random() < 0.2 THEN
            PERFORM pg_sleep(0.07);     -- the folder's turn
        END IF;
        -- The comparisons: this transaction writes nothing until they are done.
        nulls := (SELECT count(*) FROM annotate_internal.queue_moved WHERE url_id IS NULL);
        out := ARRAY(SELECT x FROM rd_compare_all(r, 'rc') x);
        INSERT INTO rd_cmp SELECT * FROM unnest(out);
        INSERT INTO rd_round
        WITH o AS (SELECT x.url_id, x.n FROM annotate.next_url_for_annotation(777, max_urls => 1000)
                       WITH ORDINALITY x(url_id, url, a, b, c, d, e, f, n))
        SELECT r, nulls, (SELECT count(*) FROM annotate_internal.queue_delta),
               (SELECT o.n - 1 FROM o WHERE o.url_id = (SELECT z.reference[1] FROM unnest(out) z WHERE z.caller = 'u1' AND z.sk = 0 LIMIT 1)),
               (SELECT o.n - 1 FROM o WHERE o.url_id = (SELECT z.reference[1] FROM unnest(out) z WHERE z.caller = 'u2' AND z.sk = 0 LIMIT 1)),
               (SELECT o.n - 1 FROM o WHERE o.url_id = (SELECT z.reference[1] FROM unnest(out) z WHERE z.caller = 's1' AND z.sk = 0 LIMIT 1));
        COMMIT;
        IF r % 10 = 0 THEN
            INSERT INTO rd_verify SELECT r, count(*) FROM annotate.verify();
            COMMIT;
        END IF;
    END LOOP;
END $$;

-- Helpers for the two-session scenarios (resume_differential.sh): n random writes in one
-- transaction (the caller's), logged; comparisons logged through a second connection, so that
-- the comparing transaction itself writes nothing.
CREATE EXTENSION IF NOT EXISTS dblink;
CREATE OR REPLACE FUNCTION rd_write_batch(r int, n int, only_kinds text[] DEFAULT NULL) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    kinds text[] := COALESCE(only_kinds, rd_kinds());
    kind text;
    q text;
    k int;
    done int := 0;
BEGIN
    FOR i IN 1 .. n LOOP
        kind := kinds[1 + floor(random() * array_length(kinds, 1))::int];
        q := rd_gen(kind);
        CONTINUE WHEN q IS NULL;
        EXECUTE q;
        GET DIAGNOSTICS k = ROW_COUNT;
        INSERT INTO rd_writes VALUES (r, 100 + i, kind, q, k);
        done := done + 1;
    END LOOP;
    RETURN done;
END $$;
CREATE OR REPLACE FUNCTION rd_connstr() RETURNS text LANGUAGE sql AS $$
    SELECT format('host=%s port=%s dbname=%s user=%s', current_setting('unix_socket_directories'),
                  current_setting('port'), current_database(), current_user) $$;
-- Compares (rd_compare_all) and logs through connection 'log'; returns the mismatches.
CREATE OR REPLACE FUNCTION rd_compare_log(r int, phase text) RETURNS TABLE (n int, bad int) LANGUAGE plpgsql AS $$
DECLARE
    rows rd_cmp[];
BEGIN
    IF NOT ('log' = ANY (COALESCE(dblink_get_connections(), '{}'))) THEN
        PERFORM dblink_connect('log', rd_connstr());
    END IF;
    rows := ARRAY(SELECT x FROM rd_compare_all(r, phase) x);
    PERFORM dblink_exec('log', format('INSERT INTO rd_cmp SELECT * FROM unnest(%L::rd_cmp[])', rows));
    RETURN QUERY SELECT cardinality(rows),
        (SELECT count(*)::int FROM unnest(rows) x WHERE x.first IS DISTINCT FROM x.reference OR x.second IS DISTINCT FROM x.reference);
END $$;
-- Writes in another session (connection 'w'), committed there, then maybe a fold there.
DROP FUNCTION IF EXISTS rd_remote_writes(int, int, boolean);
CREATE OR REPLACE FUNCTION rd_remote_writes(r int, n int, fold boolean, only_kinds text[] DEFAULT NULL) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT ('w' = ANY (COALESCE(dblink_get_connections(), '{}'))) THEN
        PERFORM dblink_connect('w', rd_connstr());
        PERFORM dblink_exec('w', 'SET lock_timeout = ''3s''');
    END IF;
    PERFORM * FROM dblink('w', format('SELECT rd_write_batch(%s, %s, %L)', r, n, only_kinds)) AS t(x int);
    IF fold THEN
        PERFORM * FROM dblink('w', 'SELECT annotate_internal.fold_now()') AS t(x bigint);
    END IF;
END $$;
