// SPDX-License-Identifier: EUPL-1.2
// The map blocks of pygeoapi's HTML pages, as Strata overrides them
// (services/templates/pygeoapi/): MapLibre GL JS served by Strata, on Strata's own basemap
// of the page's date (/tiles, time-aware vector tiles), the page's GeoJSON drawn on top.
// Nothing is fetched from another host. window.pageMap is the map (for tests).

import { Map, NavigationControl } from '../vendor/maplibre-gl/maplibre-gl.mjs';
import { BACKGROUND, BASEMAP_TILES, basemapLayers, vectorSource } from '../viewer/basemap.js';

const BRUSSELS = [4.24, 50.76, 4.48, 50.92];
const IS_POLYGON = ['match', ['geometry-type'], ['Polygon', 'MultiPolygon'], true, false];
const IS_POINT = ['match', ['geometry-type'], ['Point', 'MultiPoint'], true, false];

function extend(box, coordinates) {
  if (typeof coordinates[0] === 'number') {
    box[0] = Math.min(box[0], coordinates[0]);
    box[1] = Math.min(box[1], coordinates[1]);
    box[2] = Math.max(box[2], coordinates[0]);
    box[3] = Math.max(box[3], coordinates[1]);
  } else {
    for (const c of coordinates) extend(box, c);
  }
  return box;
}

/** The lon/lat box of GeoJSON features (null when none has a geometry). */
export function boundsOf(features) {
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  for (const f of features) if (f.geometry) extend(box, f.geometry.coordinates);
  return Number.isFinite(box[0]) ? box : null;
}

function boxFeature(bbox) {
  const [w, s, e, n] = bbox;
  return { type: 'Feature', properties: {},
    geometry: { type: 'Polygon', coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] } };
}

/** A map in `container`: the basemap of `date` (today when empty), then `features`
 * (GeoJSON features, lon/lat) or else the outline of `bbox`; fitted to what it shows.
 * `link(properties)`, when given, is the page a click on a feature opens. */
export async function pageMap(container, { date = null, features = [], bbox = null,
  link = null } = {}) {
  let tilejson = {};
  try {
    // the page's language: the credits in it
    const lang = encodeURIComponent(document.documentElement.lang || 'en');
    const answer = await fetch(`${BASEMAP_TILES}?f=tilejson&lang=${lang}`);
    if (answer.ok) tilejson = await answer.json();
  } catch { /* the map then has no basemap range: the defaults */ }
  const shown = features.length ? features : (bbox ? [boxFeature(bbox)] : []);
  const style = {
    version: 8,
    sources: {
      basemap: vectorSource(BASEMAP_TILES, date ? { datetime: date } : {}, tilejson),
      page: { type: 'geojson', data: { type: 'FeatureCollection', features: shown } },
    },
    layers: [BACKGROUND, ...basemapLayers(),
      { id: 'page-fill', type: 'fill', source: 'page', filter: IS_POLYGON,
        paint: { 'fill-color': '#1f5fa8', 'fill-opacity': features.length ? 0.2 : 0.05 } },
      { id: 'page-line', type: 'line', source: 'page',
        filter: ['!', IS_POINT],
        paint: { 'line-color': '#1f5fa8', 'line-width': 2 } },
      { id: 'page-point', type: 'circle', source: 'page', filter: IS_POINT,
        paint: { 'circle-color': '#1f5fa8', 'circle-radius': 5, 'circle-stroke-color': '#fff',
          'circle-stroke-width': 1 } }],
  };
  const box = boundsOf(shown) || tilejson.bounds || BRUSSELS;
  const map = new Map({
    container, style, bounds: [[box[0], box[1]], [box[2], box[3]]],
    fitBoundsOptions: { padding: 30, maxZoom: 16 }, attributionControl: { compact: true },
  });
  map.addControl(new NavigationControl({ showCompass: false }));
  if (link) {
    // a click on a feature opens its page (of the same date)
    map.on('click', ['page-fill', 'page-line', 'page-point'], (event) => {
      const target = event.features[0] && link(event.features[0].properties);
      if (target) window.location.href = target;
    });
  }
  window.pageMap = map;
  return map;
}
