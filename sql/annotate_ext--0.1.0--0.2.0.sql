-- annotate_ext 0.1.0 -> 0.2.0
--
-- refresh() runs with its owner's rights, so that an operator role granted EXECUTE on it can
-- refresh views it does not own (EXECUTE stays revoked from PUBLIC).
ALTER FUNCTION annotate.refresh(boolean) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
