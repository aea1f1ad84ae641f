-- Snapshot mode (SPEC 3.4): the eligible URLs in the upstream PR's order, counts as of the last
-- refresh. $1 user_id, $2 session_id, $3 batch filter, $4 url filter, $5 how many, $6 skip.
SELECT * FROM annotate_internal.snapshot_candidates($1::integer, $2::uuid, $3::integer, $4::integer, $5::bigint, $6::bigint)
