-- The columns of a public view (plain or materialized: information_schema lists no
-- materialized view) with their types, and its geometry type (PostGIS's geometry_columns:
-- GEOMETRY when the view's column is not typed).
SELECT a.attname::text, format_type(a.atttypid, NULL),
       (SELECT g.type FROM geometry_columns AS g
        WHERE g.f_table_schema = current_schema() AND g.f_table_name = %(view)s
          AND g.f_geometry_column = 'geom') AS geometry_type
FROM pg_attribute AS a
WHERE a.attrelid = to_regclass(%(view)s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum;
