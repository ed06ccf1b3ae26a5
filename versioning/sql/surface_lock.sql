-- One writer of a collection's surfaces at a time (until the transaction ends).
SELECT pg_advisory_xact_lock(hashtext('strata.surface'), hashtext(%(collection)s));
