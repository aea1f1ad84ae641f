-- Records one refresh() run, given as an object (src/ops.rs): started_at, status, concurrent,
-- seconds, rows, steps, and for a failure failed_step, sqlstate and message.
INSERT INTO annotate_internal.refresh_log (started_at, status, concurrent, seconds, rows, steps, failed_step,
                                           sqlstate, message, run_by, application_name)
SELECT (r.o OPERATOR(pg_catalog.->>) 'started_at')::timestamptz,
       r.o OPERATOR(pg_catalog.->>) 'status',
       (r.o OPERATOR(pg_catalog.->>) 'concurrent')::boolean,
       (r.o OPERATOR(pg_catalog.->>) 'seconds')::double precision,
       (r.o OPERATOR(pg_catalog.->>) 'rows')::bigint,
       r.o OPERATOR(pg_catalog.->) 'steps',
       r.o OPERATOR(pg_catalog.->>) 'failed_step',
       r.o OPERATOR(pg_catalog.->>) 'sqlstate',
       r.o OPERATOR(pg_catalog.->>) 'message',
       r.o OPERATOR(pg_catalog.->>) 'run_by',
       r.o OPERATOR(pg_catalog.->>) 'application_name'
FROM (SELECT $1::jsonb AS o) r
