-- Points of Web Mercator (a grid over a tile and its buffer) in storage CRS, in the order
-- given: the tile's area there, and the affine map that can stand for the projection in it.
SELECT ST_X(p.geom), ST_Y(p.geom)
FROM unnest(%(xs)s::float8[], %(ys)s::float8[]) WITH ORDINALITY AS g(x, y, n),
     LATERAL (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(g.x, g.y), 3857), 31370) AS geom) AS p
ORDER BY g.n;
