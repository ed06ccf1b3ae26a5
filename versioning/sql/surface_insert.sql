-- Record one surface (every value bound).
INSERT INTO surface (collection, valid_from, valid_to, period, source_name, method, cv_rmse,
                     cv_mae, n_points, cell_size_m, epsg, bounds, bands, file_name, checksum,
                     metadata)
VALUES (%(collection)s, %(valid_from)s, %(valid_to)s, %(period)s, %(source_name)s,
        %(method)s, %(cv_rmse)s, %(cv_mae)s, %(n_points)s, %(cell_size_m)s, %(epsg)s,
        %(bounds)s, %(bands)s, %(file_name)s, %(checksum)s, %(metadata)s)
RETURNING id;
