-- The campaign's year (the year of the first edition of its points layer: CurieuzenAir,
-- 2021), with how many points carry a value at the end of that year. A later edition (a
-- correction) changes neither: the campaign's surface is recorded once.
SELECT e.year, (SELECT count(*)::integer FROM {points} AS p
                WHERE p.no2_ug_m3 IS NOT NULL
                  AND alive_at(p.sys_from, p.sys_to,
                               city_instant(make_timestamp(e.year + 1, 1, 1, 0, 0, 0))
                               - interval '1 microsecond')) AS n_points
FROM (SELECT extract(year FROM min(edition_date))::integer AS year
      FROM edition WHERE layer_id = %(layer)s) AS e
WHERE e.year IS NOT NULL;
