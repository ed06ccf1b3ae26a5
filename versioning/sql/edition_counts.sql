UPDATE edition
SET n_added = %(added)s, n_modified = %(modified)s, n_deleted = %(deleted)s,
    n_unchanged = %(unchanged)s
WHERE id = %(edition_id)s;
