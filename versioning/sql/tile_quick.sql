-- A small polygon wholly inside a tile, put in tile units without ST_AsMVTGeom, which hands
-- every polygon to wagyu to be made valid (about 2.5 microseconds each, most of a dense
-- tile's time). It must be a compact convex quadrilateral (five points, one ring): one whose
-- area is more than the square of its perimeter over 12 sqrt(3) = 20.78..., as no triangle's
-- is. A concave quadrilateral lies inside the triangle of its three other corners, whose
-- perimeter is no longer: it never passes, nor does one close to a triangle (a short side,
-- a flat corner). Its area must be at least MIN_AREA square tile units, so that it is at
-- least three units wide (a convex shape is wider than twice its area over its perimeter),
-- wider than the snapping of its corners to the grid (under a unit each) can fold. Its box
-- must lie inside the tile and its buffer. It is taken to tile units by the affine map, its
-- corners snapped to the grid, points on a straight line dropped (NULL when nothing is left:
-- the usual way then), and wound as MVT wants (the outer ring clockwise on the screen:
-- positive area in tile units, whose rows go down), as ST_AsMVTGeom winds it.
-- The column is a geometry of the query; the box, the map and the bound are bound values.
CASE WHEN {column} @ ST_MakeEnvelope(%(inner_xmin)s, %(inner_ymin)s,
                                     %(inner_xmax)s, %(inner_ymax)s, 31370)
      AND ST_NPoints({column}) = 5
      AND ST_Area({column}) >= %(min_area)s
      AND ST_Area({column}) * 20.78 > ST_Perimeter({column}) ^ 2
     THEN ST_ForcePolygonCCW(ST_Simplify(ST_SnapToGrid(
              ST_Affine({column}, %(ta)s, %(tb)s, %(td)s, %(te)s, %(txoff)s, %(tyoff)s), 1),
              0, false))
END
