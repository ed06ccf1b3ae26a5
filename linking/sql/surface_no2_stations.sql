-- The IRCEL-CELINE stations with a yearly NO2 mean for the year asked, where each station was
-- in the stations layer as it was on 1 July of that year (or at its first version, for older
-- years): one row per station, its value and its place in Lambert 72.
WITH at AS (
    SELECT read_at(city_instant(make_timestamp(%(year)s, 7, 1, 0, 0, 0)),
                   (SELECT min(sys_from) FROM {stations})) AS at
)
SELECT y.station, y.no2_ug_m3, ST_X(s.geom) AS x, ST_Y(s.geom) AS y
FROM no2_annual_mean AS y
JOIN {stations} AS s ON s.fid = y.station
CROSS JOIN at
WHERE y.year = %(year)s AND y.no2_ug_m3 IS NOT NULL
  AND alive_at(s.sys_from, s.sys_to, at.at)
ORDER BY y.station;
