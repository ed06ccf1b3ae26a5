-- One page of features (or of versions, for an interval) as GeoJSON text built by PostgreSQL.
-- The page's conditions and order are composed by versioning/pages.py (values bound).
-- The page's version ids are found first (by key and lifespan, the covering index answers
-- alone, however deep the offset), then only those rows are read and turned into JSON.
-- A derived layer (a view over several tables) repeats vids: (vid, fid) is its key.
SELECT coalesce(string_agg(page.feature, ',' ORDER BY page.n), ''), count(*),
       (array_agg(page.fid ORDER BY page.n DESC))[1]
FROM (
    SELECT v.fid, {feature} AS feature, ids.n
    FROM (
        SELECT v.vid, v.fid, row_number() OVER () AS n
        FROM (
            SELECT v.vid, v.fid FROM {table} AS v
            WHERE {where}
            ORDER BY {order}
            LIMIT %(limit)s OFFSET %(offset)s
        ) AS v
    ) AS ids
    JOIN {table} AS v ON v.vid = ids.vid AND v.fid = ids.fid
) AS page;
