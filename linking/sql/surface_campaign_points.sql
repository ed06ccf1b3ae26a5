-- A campaign's measuring points with a value, as they were at the end of the year asked:
-- one row per point, its value and its place in Lambert 72.
SELECT p.fid::text AS point_id, p.no2_ug_m3, ST_X(p.geom) AS x, ST_Y(p.geom) AS y
FROM {points} AS p
WHERE p.no2_ug_m3 IS NOT NULL
  AND alive_at(p.sys_from, p.sys_to,
               city_instant(make_timestamp(%(year)s + 1, 1, 1, 0, 0, 0))
               - interval '1 microsecond')
ORDER BY p.fid;
