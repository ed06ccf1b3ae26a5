-- One page of features (or of versions) as GeoJSON text built by PostgreSQL, when the page's
-- conditions read the rows anyway (a bounding box, a filter, an equality): the rows are read
-- once, ordered and cut, then turned into JSON (features_page.sql reads the page's ids from
-- the covering index first, for pages that can be found without reading rows).
-- The page's conditions and order are composed by versioning/pages.py (values bound).
SELECT coalesce(string_agg(page.feature, ',' ORDER BY page.n), ''), count(*),
       (array_agg(page.fid ORDER BY page.n DESC))[1]
FROM (
    SELECT v.fid, {feature} AS feature, row_number() OVER () AS n
    FROM (
        SELECT v.* FROM {table} AS v
        WHERE {where}
        ORDER BY {order}
        LIMIT %(limit)s OFFSET %(offset)s
    ) AS v
) AS page;
