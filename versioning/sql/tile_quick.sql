-- A small polygon wholly inside a tile, put in tile units without ST_AsMVTGeom, which hands
-- every polygon to wagyu to be made valid (about 2.5 microseconds each, most of a dense
-- tile's time): a triangle or a quadrilateral (at most five points, one ring) whose box
-- lies inside the tile and its buffer, and that is not a sliver (its area is at least SLIVER
-- tile units times the half-perimeter of its box, so that it is wider than any shift of
-- its corners to the grid). It is taken to tile units by the affine map, its corners
-- snapped to the grid, points on a straight line dropped (NULL when nothing is left: the
-- usual way then), and oriented as MVT wants (the outer ring clockwise on the screen:
-- positive area in tile units, whose rows go down), as ST_AsMVTGeom does.
-- The column is a geometry of the query; the box, the map and the sliver factor are bound.
CASE WHEN {column} @ ST_MakeEnvelope(%(inner_xmin)s, %(inner_ymin)s,
                                     %(inner_xmax)s, %(inner_ymax)s, 31370)
      AND ST_NPoints({column}) <= 5
      AND ST_Area({column}) >= %(sliver)s * (ST_XMax({column}) - ST_XMin({column})
                                             + ST_YMax({column}) - ST_YMin({column}))
     THEN ST_ForcePolygonCCW(ST_Simplify(ST_SnapToGrid(
              ST_Affine({column}, %(ta)s, %(tb)s, %(td)s, %(te)s, %(txoff)s, %(tyoff)s), 1),
              0, false))
END
