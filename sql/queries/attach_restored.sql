-- For the folder, each round: attaches a restored database whose last objects another session
-- of a parallel restore made (sql/attach.sql, attach_restored()); whether it did.
SELECT annotate_internal.attach_restored()
