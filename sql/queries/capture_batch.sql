-- A follow change, appended by a row trigger (src/triggers.rs): batch $1's locations changed,
-- or who follows location $2 did (the other is NULL).
INSERT INTO annotate_internal.batch_event (xid, batch_id, location_id)
VALUES (pg_catalog.pg_current_xact_id(), $1::integer, $2::integer)
