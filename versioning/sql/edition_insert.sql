INSERT INTO edition (layer_id, edition_date, valid_from, source_name, source_file, checksum,
                     n_features, n_added, n_modified, n_deleted, n_unchanged, n_repaired)
VALUES (%(layer_id)s, %(edition_date)s, %(valid_from)s, %(source_name)s, %(source_file)s,
        %(checksum)s, %(n_features)s, %(added)s, %(modified)s, %(deleted)s, %(unchanged)s,
        %(n_repaired)s)
RETURNING id;
