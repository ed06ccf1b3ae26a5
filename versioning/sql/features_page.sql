-- One page of features (or of versions, for an interval) as GeoJSON text built by PostgreSQL.
-- {where} and {order} are composed from bound values by versioning/pages.py.
SELECT coalesce(string_agg(page.feature, ',' ORDER BY page.n), ''), count(*),
       (array_agg(page.fid ORDER BY page.n DESC))[1]
FROM (
    SELECT v.fid, {feature} AS feature, row_number() OVER () AS n
    FROM (
        SELECT * FROM {table} AS v
        WHERE {where}
        ORDER BY {order}
        LIMIT %(limit)s OFFSET %(offset)s
    ) AS v
) AS page;
