-- Read-only views served as OGC API collections: public incidents and the aggregates an
-- analyst asks for. Each layer is read as it was at the record's date (or at its first
-- edition, for older records).
CREATE OR REPLACE VIEW incident_public AS
SELECT i.id, i.service_code, c.type_fr, c.type_nl, c.type_en, c.subtype_fr, c.subtype_nl,
       c.subtype_en, i.status, i.description, i.address_string, i.requested_at, i.updated_at,
       i.municipality_id, i.municipality_fr, i.municipality_nl, i.district_id, i.street_id,
       i.street_fr, i.street_nl, i.postcode, i.organisation_id, o.name_fr AS agency_fr,
       o.name_nl AS agency_nl, i.rule, i.media_url, i.geom
FROM incident AS i
LEFT JOIN fms_category AS c ON c.category_id = i.service_code
LEFT JOIN fms_organisation AS o ON o.organisation_id = i.organisation_id;
-- statement
CREATE OR REPLACE VIEW incidents_district_month AS
-- counted by district and month (small rows), each row then given the names and geometry of
-- the newest district version its reports fell in
WITH counted AS (
    SELECT d.fid AS district_id, to_char(city_time(i.requested_at), 'YYYY-MM') AS month,
           count(*)::integer AS n_incidents,
           count(*) FILTER (WHERE i.status = 'open')::integer AS n_open,
           max(d.sys_from) AS version_from
    FROM incident AS i
    JOIN {districts} AS d ON ST_Intersects(d.geom, i.geom)
     AND alive_at(d.sys_from, d.sys_to,
                  read_at(i.requested_at, (SELECT min(sys_from) FROM {districts})))
    GROUP BY d.fid, to_char(city_time(i.requested_at), 'YYYY-MM')
)
SELECT c.district_id || '/' || c.month AS id, c.district_id, g.name_fr, g.name_nl, c.month,
       c.n_incidents, c.n_open, g.geom
FROM counted AS c
JOIN {districts} AS g ON g.fid = c.district_id AND g.sys_from = c.version_from;
-- statement
-- materialized (the spatial join of every measure is costly on each read), refreshed with the
-- street links (linking.views.refresh_views)
CREATE MATERIALIZED VIEW no2_district_year AS
WITH yearly AS (
    SELECT y.station, y.year, y.no2_ug_m3, s.geom,
           read_at(city_instant(make_timestamp(y.year, 7, 1, 0, 0, 0)),
                   (SELECT min(sys_from) FROM {districts})) AS at
    FROM no2_annual_mean AS y
    JOIN {stations} AS s ON s.fid = y.station AND s.sys_to = 'infinity'
    WHERE y.no2_ug_m3 IS NOT NULL
), points AS (
    SELECT 2021 AS year, p.no2_ug_m3, p.geom,
           read_at(p.sys_from, (SELECT min(sys_from) FROM {districts})) AS at
    FROM {no2_points} AS p
    WHERE p.sys_to = 'infinity' AND p.no2_ug_m3 IS NOT NULL
), measured AS (
    SELECT 'irceline' AS source, year, no2_ug_m3, geom, at FROM yearly
    UNION ALL
    SELECT 'curieuzenair', year, no2_ug_m3, geom, at FROM points
), averaged AS (  -- by keys only (small rows); then the newest version's names, geometry
    SELECT d.fid AS district_id, m.year, m.source,
           count(*)::integer AS n_measures,
           round(avg(m.no2_ug_m3)::numeric, 2)::double precision AS no2_mean_ug_m3,
           round(max(m.no2_ug_m3)::numeric, 2)::double precision AS no2_max_ug_m3,
           max(d.sys_from) AS version_from
    FROM measured AS m
    JOIN {districts} AS d ON ST_Intersects(d.geom, m.geom) AND d.sys_from <= m.at
     AND d.sys_to > m.at
    GROUP BY d.fid, m.year, m.source
)
SELECT a.district_id || '/' || a.year || '/' || a.source AS id, a.district_id, g.name_fr,
       g.name_nl, a.year, a.source, a.n_measures, a.no2_mean_ug_m3, a.no2_max_ug_m3, g.geom
FROM averaged AS a
JOIN {districts} AS g ON g.fid = a.district_id AND g.sys_from = a.version_from;
-- statement
-- Each station's yearly NO2 mean as a point feature (the EDR collection's items).
CREATE OR REPLACE VIEW no2_station_years AS
SELECT y.station || '/' || y.year AS id, y.station, y.year,
       make_date(y.year, 1, 1) AS year_start, y.no2_ug_m3, s.geom
FROM no2_annual_mean AS y
JOIN {stations} AS s ON s.fid = y.station AND s.sys_to = 'infinity'
WHERE y.no2_ug_m3 IS NOT NULL;
-- statement
CREATE OR REPLACE VIEW worksites_per_street AS
SELECT l.street_id AS id, min(l.street_fr) AS name_fr, min(l.street_nl) AS name_nl,
       count(*)::integer AS n_worksites,
       count(*) FILTER (WHERE l.name_agrees)::integer AS n_name_agrees,
       count(*) FILTER (WHERE l.end_date IS NULL OR l.end_date >= current_date)::integer
           AS n_open,
       (SELECT v.geom FROM {streets} AS v WHERE v.fid = l.street_id
        ORDER BY v.sys_from DESC LIMIT 1) AS geom
FROM worksite_links AS l
WHERE l.street_id IS NOT NULL
GROUP BY l.street_id;
