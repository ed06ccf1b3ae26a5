-- The years of the yearly NO2 means, with how many stations of the stations layer have one.
SELECT y.year, count(*)::integer AS n_stations
FROM no2_annual_mean AS y
WHERE y.no2_ug_m3 IS NOT NULL AND EXISTS (SELECT FROM {stations} AS s WHERE s.fid = y.station)
GROUP BY y.year
ORDER BY y.year;
