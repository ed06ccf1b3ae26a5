-- The surface of a collection valid at an instant: valid_from <= at < valid_to.
SELECT id, collection, valid_from, valid_to, period, source_name, method, cv_rmse, cv_mae,
       n_points, cell_size_m, epsg, bounds, bands, file_name, checksum, metadata, recorded_at
FROM surface
WHERE collection = %(collection)s AND valid_from <= %(at)s AND valid_to > %(at)s
ORDER BY valid_from DESC
LIMIT 1;
