-- The columns of a public view with their types, and its geometry type (PostGIS's
-- geometry_columns: GEOMETRY when the view's column is not typed).
SELECT c.column_name, c.data_type,
       (SELECT g.type FROM geometry_columns AS g
        WHERE g.f_table_schema = current_schema() AND g.f_table_name = %(view)s
          AND g.f_geometry_column = 'geom') AS geometry_type
FROM information_schema.columns AS c
WHERE c.table_schema = current_schema() AND c.table_name = %(view)s
ORDER BY c.ordinal_position;
