-- Every surface of a collection (or of all when the collection is null), oldest first.
SELECT id, collection, valid_from, valid_to, period, source_name, method, cv_rmse, cv_mae,
       n_points, cell_size_m, epsg, bounds, bands, file_name, checksum, metadata, recorded_at
FROM surface
WHERE %(collection)s::text IS NULL OR collection = %(collection)s
ORDER BY collection, valid_from;
