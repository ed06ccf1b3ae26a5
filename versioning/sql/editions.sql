SELECT e.layer_id, e.edition_date, e.valid_from, e.source_name, e.source_file, e.checksum,
       e.n_features, e.n_added, e.n_modified, e.n_deleted, e.n_unchanged, e.n_repaired,
       e.imported_at
FROM edition AS e
WHERE %(layer_id)s::text IS NULL OR e.layer_id = %(layer_id)s
ORDER BY e.layer_id, e.edition_date;
