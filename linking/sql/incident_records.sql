-- Every public incident as a record to link: its public fields, its geometry (EPSG:31370).
SELECT i.id, i.service_code, i.status, i.requested_at, ST_AsBinary(i.geom) AS geom
FROM incident_public AS i
ORDER BY i.id;
