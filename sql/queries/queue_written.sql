-- A statement other than the extension's own writes annotate_internal.queue (src/triggers.rs,
-- queue_written): logged as a change that reaches many rows, which voids every resume point
-- recorded before it (src/resume.rs).
INSERT INTO annotate_internal.queue_moved (url_id) VALUES (NULL)
