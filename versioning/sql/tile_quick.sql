-- A small polygon wholly inside a tile, put in tile units without ST_AsMVTGeom, which hands
-- every polygon to wagyu to be made valid (about 2.5 microseconds each, most of a dense
-- tile's time). It must be a triangle or a convex quadrilateral (at most five points, one
-- ring). A concave quadrilateral lies inside the triangle of its three other corners, whose
-- area is half its box at most, and at most the square of its perimeter (no longer than the
-- quadrilateral's) over 12 sqrt(3) = 20.78...: a quadrilateral with more area than either
-- bound is convex (a compact one at any angle, an elongated one along the axes). Not a
-- sliver (its area is at least SLIVER tile units times the half-perimeter of its box), and
-- its box must lie inside the tile and its buffer. A corner within a tile unit and a half of
-- the line through its neighbours (a short side, a flat corner) is dropped first, so that
-- snapping the corners to the grid (under a unit each) does not carry one across another
-- side: what wagyu would otherwise have to mend. The polygon is then taken to tile units by
-- the affine map, its corners snapped to the grid, points on a straight line dropped (NULL
-- when nothing is left: the usual way then), and wound as MVT wants (the outer ring
-- clockwise on the screen: positive area in tile units, whose rows go down), as
-- ST_AsMVTGeom winds it.
-- The column is a geometry of the query; the box, the maps and the bounds are bound values.
CASE WHEN {column} @ ST_MakeEnvelope(%(inner_xmin)s, %(inner_ymin)s,
                                     %(inner_xmax)s, %(inner_ymax)s, 31370)
      AND ST_NPoints({column}) <= 5
      AND ST_Area({column}) >= %(sliver)s * (ST_XMax({column}) - ST_XMin({column})
                                             + ST_YMax({column}) - ST_YMin({column}))
      AND (ST_NPoints({column}) < 5
           OR ST_Area({column}) > 0.5 * (ST_XMax({column}) - ST_XMin({column}))
                                      * (ST_YMax({column}) - ST_YMin({column}))
           OR ST_Area({column}) * 20.78 > ST_Perimeter({column}) ^ 2)
     THEN ST_ForcePolygonCCW(ST_Simplify(ST_SnapToGrid(
              ST_Affine(ST_Simplify({column}, %(corner)s, true),
                        %(ta)s, %(tb)s, %(td)s, %(te)s, %(txoff)s, %(tyoff)s), 1),
              0, false))
END
