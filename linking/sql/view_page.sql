-- One page of a public view's rows as GeoJSON text built by PostgreSQL, and how many rows
-- match. The conditions, order and feature are composed by linking/view_pages.py (values
-- bound).
WITH matching AS (
    SELECT v.* FROM {view} AS v WHERE {where}
), page AS (
    SELECT {feature} AS feature, row_number() OVER () AS n
    FROM (SELECT * FROM matching AS v ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s) AS v
)
SELECT coalesce((SELECT string_agg(feature, ',' ORDER BY n) FROM page), ''),
       (SELECT count(*) FROM page), (SELECT count(*) FROM matching);
