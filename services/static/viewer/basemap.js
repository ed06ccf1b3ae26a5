// SPDX-License-Identifier: EUPL-1.2
// The basemap drawn under every map of Strata (the viewer at /map and the map blocks of the
// HTML pages): the region, its municipalities, districts and streets as they were on the
// map's date, from Strata's own multi-layer vector tiles (/tiles). No text is drawn, so no
// glyphs (no font) are needed from anywhere. Its lines are solid and its fills have no
// antialiased edge (the outlines are line layers): each dash or edge kind is one more WebGL
// program to compile before the first map, ~50 ms each in software WebGL (no GPU).

export const BASEMAP_TILES = '/tiles/WebMercatorQuad';
export const BACKGROUND = { id: 'background', type: 'background',
  paint: { 'background-color': '#e8edf1' } };

/** A vector source of Strata's tiles: `tiles` a path like /tiles/WebMercatorQuad, `query`
 * the tile URLs' parameters (datetime=...), `tilejson` its TileJSON (zoom range, bounds). */
export function vectorSource(tiles, query, tilejson = {}) {
  const search = new URLSearchParams(query).toString();
  const source = {
    type: 'vector',
    tiles: [`${window.location.origin}${tiles}/{z}/{y}/{x}${search ? `?${search}` : ''}`],
    minzoom: tilejson.minzoom ?? 0,
    maxzoom: tilejson.maxzoom ?? 22,
  };
  if (Array.isArray(tilejson.bounds)) source.bounds = tilejson.bounds;
  if (tilejson.attribution) source.attribution = tilejson.attribution;
  return source;
}

/** The basemap's style layers, drawing the source named `source`. The lines of the layers
 * in `shown` (ids of the basemap's layers the map draws itself on top, at the same date) are
 * not drawn twice: the worker builds no geometry for them and the map draws them once. */
export function basemapLayers(source = 'basemap', shown = []) {
  const src = { source };
  const hidden = { layout: { visibility: 'none' } };
  return [
    { id: 'base-region', type: 'fill', ...src, 'source-layer': 'region',
      paint: { 'fill-color': '#f4f2ed', 'fill-antialias': false } },
    { id: 'base-districts', type: 'line', ...src, 'source-layer': 'districts',
      paint: { 'line-color': '#d6d0c4', 'line-width': 0.6 } },
    { id: 'base-streets', type: 'line', ...src, 'source-layer': 'streets',
      paint: { 'line-color': '#c4c4c4',
        'line-width': ['interpolate', ['linear'], ['zoom'], 11, 0.4, 16, 3] } },
    { id: 'base-municipalities', type: 'line', ...src, 'source-layer': 'municipalities',
      paint: { 'line-color': '#8c8270', 'line-width': 1.2 } },
    { id: 'base-region-line', type: 'line', ...src, 'source-layer': 'region',
      paint: { 'line-color': '#6b604d', 'line-width': 2 } },
  ].map((layer) => (layer.type === 'line' && shown.includes(layer['source-layer'])
    ? { ...layer, ...hidden } : layer));
}
