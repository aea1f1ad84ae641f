-- One change of a URL's queue state, appended by a row trigger (src/triggers.rs) in the
-- writer's transaction: $1 url_id, $2 batch_id and $3 its change (+1 joined, -1 left), $4 the
-- URL itself, $5 manual, $6-$8 user, anonymous and robot url-type votes, $9 agency
-- annotations, $10 validated, $11 suspended, $12/$13 who annotated it (ends their lease).
INSERT INTO annotate_internal.queue_delta (xid, url_id, batch_id, d_batch, d_exists, d_manual, d_user, d_anon,
                                           d_auto, d_agency, d_validated, d_suspended, done_user, done_session)
VALUES (pg_catalog.pg_current_xact_id(), $1::integer, $2::integer, $3::integer, $4::integer, $5::integer,
        $6::integer, $7::integer, $8::integer, $9::integer, $10::integer, $11::integer, $12::integer, $13::uuid)
