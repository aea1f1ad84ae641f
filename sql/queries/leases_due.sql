-- Whether any lease has run out and is not ended yet, as a new snapshot sees it, and how many
-- folds have been made: a leasing call inside a transaction block waiting for the folder to
-- end them (src/fold.rs, expire_leases_by_folder()).
SELECT EXISTS (SELECT 1 FROM annotate_internal.queue e
               WHERE e.leased AND e.lease_until OPERATOR(pg_catalog.<=) pg_catalog.now()),
       (SELECT f.folds FROM annotate_internal.fold_state f)
