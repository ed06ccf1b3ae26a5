-- The layer at an instant as GeoJSON features, one per line, built by PostgreSQL.
-- (Braces are doubled for the placeholder syntax.) Text is concatenated rather than parsed back into json (ST_AsGeoJSON(...)::json costs a
-- parse per feature). CSV with control characters as quote and delimiter: lines are the
-- JSON text, never quoted.
COPY (
    SELECT '{{"type":"Feature","id":' || to_json(v.fid)::text
        || ',"geometry":' || coalesce(ST_AsGeoJSON({geom}, {decimals}), 'null')
        || ',"properties":' || json_build_object(
            {key_name}, v.fid, {properties},
            'beginLifespanVersion', v.sys_from,
            'endLifespanVersion', CASE WHEN v.sys_to = 'infinity' THEN NULL ELSE v.sys_to END
        )::text || '}}'
    FROM {table} AS v
    WHERE v.sys_from <= {at} AND v.sys_to > {at}
    ORDER BY v.fid
) TO STDOUT (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01');
