-- The yearly NO2 means of the stations near a point (within %(within_m)s metres) or inside an
-- area, for the years asked; one row per station, nearest first. Stations as they are now.
-- An area is tested in longitude / latitude, as given: one as large as the world has no
-- shape in Lambert 72 (it was the stations in none of it).
WITH q AS (
    SELECT g AS lonlat, ST_Transform(g, 31370) AS geom
    FROM (SELECT ST_GeomFromText(%(wkt)s, 4326) AS g) AS given
)
SELECT s.fid AS station, ST_X(ST_Transform(s.geom, 4326)) AS lon,
       ST_Y(ST_Transform(s.geom, 4326)) AS lat,
       CASE WHEN %(area)s THEN 0 ELSE ST_Distance(s.geom, q.geom) END AS distance_m,
       array_agg(y.year ORDER BY y.year) AS years,
       array_agg(y.no2_ug_m3 ORDER BY y.year) AS no2
FROM {stations} AS s
CROSS JOIN q
JOIN no2_annual_mean AS y ON y.station = s.fid
WHERE s.sys_to = 'infinity'
  AND y.no2_ug_m3 IS NOT NULL
  AND y.year BETWEEN %(first_year)s AND %(last_year)s
  AND CASE WHEN %(area)s THEN ST_Intersects(ST_Transform(s.geom, 4326), q.lonlat)
           ELSE ST_DWithin(s.geom, q.geom, %(within_m)s) END
GROUP BY s.fid, s.geom, q.geom
ORDER BY distance_m, s.fid;
