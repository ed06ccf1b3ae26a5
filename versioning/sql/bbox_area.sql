-- A bounding box's area in storage CRS (versioning/pages.py bbox_sql: its edges densified,
-- projected) and an axis-aligned rectangle inside it: its envelope smaller by 2 % of its size
-- on each side, kept only when it lies inside the area with a margin of 10 cm more (beyond the
-- float4 rounding of the boxes the operator @ compares, 3 cm at most in Lambert 72), NULL
-- otherwise (a flat box, a box bent by its projection). A feature whose box lies in that
-- rectangle meets the area: no exact test is needed for it.
SELECT ST_AsBinary(a.area),
       CASE WHEN ST_Contains(a.area, ST_Expand(r.inner, 0.1)) THEN ST_AsBinary(r.inner) END
FROM (SELECT {area} AS area) AS a,
LATERAL (SELECT ST_Expand(ST_Envelope(a.area), -0.02 * (ST_XMax(a.area) - ST_XMin(a.area)),
                          -0.02 * (ST_YMax(a.area) - ST_YMin(a.area))) AS inner) AS r;
