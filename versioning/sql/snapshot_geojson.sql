-- The layer at an instant as GeoJSON features (versioning.reading.feature_sql), one per line.
-- CSV with control characters as quote and delimiter: lines are the JSON text, never quoted.
COPY (
    SELECT {feature}
    FROM {table} AS v
    WHERE v.sys_from <= {at} AND v.sys_to > {at}
    ORDER BY v.fid
) TO STDOUT (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01');
