-- Public incidents (the view never holds the reporter's contact), filtered and paged.
SELECT i.id, i.service_code, i.type_fr, i.type_nl, i.type_en, i.subtype_fr, i.subtype_nl,
       i.subtype_en, i.status, i.description, i.address_string, i.requested_at, i.updated_at,
       i.municipality_fr, i.municipality_nl, i.street_fr, i.street_nl, i.postcode,
       i.agency_fr, i.agency_nl, i.media_url, i.rule,
       ST_X(ST_Transform(i.geom, 4326)) AS lon, ST_Y(ST_Transform(i.geom, 4326)) AS lat
FROM incident_public AS i
WHERE (%(id)s::bigint[] IS NULL OR i.id = ANY(%(id)s::bigint[]))
  AND (%(service_code)s::integer[] IS NULL OR i.service_code = ANY(%(service_code)s::integer[]))
  AND (%(status)s::text IS NULL OR i.status = %(status)s::text)
  AND (%(start)s::timestamptz IS NULL OR i.requested_at >= %(start)s::timestamptz)
  AND (%(end)s::timestamptz IS NULL OR i.requested_at <= %(end)s::timestamptz)
  AND (%(bbox)s::float8[] IS NULL OR i.geom && ST_Transform(ST_MakeEnvelope(
        (%(bbox)s::float8[])[1], (%(bbox)s::float8[])[2], (%(bbox)s::float8[])[3],
        (%(bbox)s::float8[])[4], 4326), 31370))
ORDER BY i.requested_at DESC, i.id DESC
LIMIT %(limit)s OFFSET %(offset)s;
