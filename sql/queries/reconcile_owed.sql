-- For the folder, in each round: the reconcile() a queue rebuilt from an older snapshot owes,
-- once the rebuild has committed (sql/verify.sql, annotate_internal.reconcile_owed()); the
-- number of URLs and batches corrected, NULL when none is owed.
SELECT annotate_internal.reconcile_owed()
