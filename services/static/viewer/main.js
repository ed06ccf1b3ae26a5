// SPDX-License-Identifier: EUPL-1.2
// The viewer at /map: the map of a date from Strata's time-aware vector tiles, two dates
// compared (side by side or swipe) with the changes coloured by action and counted, a
// feature's versions, and the download URLs. Plain ES modules, no build step; MapLibre GL JS
// is vendored (services/static/vendor/maplibre-gl, see scripts/vendor-frontend.sh).
//
// The state lives in the query string (layers, date, compare, mode, changes, lang) and the
// view in the hash (#zoom/lat/lon), so that a link shows the same map.
//
// For tests: window.map (the map of `date`), window.mapB (the map of `compare`), and
// window.strataViewer.rendered(), a promise of every pending update and then of each map's
// next `idle` event; strataViewer.firstIdleMs is the time of the first complete map.

import {
  Map as MapLibreMap, NavigationControl, ScaleControl, prewarm,
} from '../vendor/maplibre-gl/maplibre-gl.mjs';
import { BACKGROUND, BASEMAP_TILES, basemapLayers, vectorSource } from './basemap.js';
import {
  LANGS, LANGUAGE_NAMES, LOCALES, MAPLIBRE, STRINGS, formatter, pickLanguage, translate,
} from './i18n.js';

const config = JSON.parse(document.getElementById('strata-config').textContent);
const LAYER = Object.fromEntries(config.layers.map((l, i) => [l.id, { ...l, index: i }]));
const BRUSSELS = [[4.24, 50.76], [4.48, 50.92]];
// layer colours (none close to the colours of the actions); while comparing, layers are grey
const PALETTE = ['#1f5fa8', '#8e44ad', '#6d4c41', '#00838f', '#3949ab', '#2c3e50', '#b7950b',
  '#7b1fa2', '#e84393', '#455a64', '#0277bd'];
const COMPARED = '#8a8a8a';
const ACTION_COLOUR = ['match', ['get', 'action'], 'added', '#1a9850', 'modified', '#f39c12',
  'deleted', '#d73027', '#888888'];
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86400000;
const MAX_ROWS = 200;

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
};

// ---------------------------------------------------------------- state and the URL

/** The Brussels calendar date (YYYY-MM-DD) of an instant (versions carry UTC instants), by
 * default now. */
function brusselsDate(instant = Date.now()) {
  return formatter('DateTimeFormat', 'sv-SE', { timeZone: 'Europe/Brussels' })
    .format(new Date(instant));
}

/** The Brussels wall-clock time (HH:MM:SS) of an instant. */
function brusselsTime(instant) {
  return formatter('DateTimeFormat', 'sv-SE', { timeZone: 'Europe/Brussels', hour: '2-digit',
    minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(new Date(instant));
}

function readState() {
  const q = new URLSearchParams(window.location.search);
  const date = q.get('date');
  const compare = q.get('compare');
  const changes = q.get('changes');
  return {
    layers: (q.get('layers') ?? config.default_layers.join(',')).split(',').filter((id) => id in LAYER),
    date: ISO_DATE.test(date || '') ? date : brusselsDate(),
    compare: ISO_DATE.test(compare || '') ? compare : null,
    mode: q.get('mode') === 'swipe' ? 'swipe' : 'side',
    changes: changes in LAYER ? changes : null,
    lang: pickLanguage(q.get('lang'), navigator.languages),
    surface: Object.hasOwn(config.surface.collections, q.get('surface') || '') ? q.get('surface') : null,
    feature: featureOf(q.get('feature')),
  };
}

/** ``layer:key`` (the feature whose panel is open) as {id, key}; null if not a layer's. */
function featureOf(text) {
  const at = (text || '').indexOf(':');
  const id = at > 0 ? text.slice(0, at) : '';
  if (!(id in LAYER) || text.length <= at + 1) return null;
  // layer:key, or layer:key@date when the panel shows another date than the map's
  const [, key, date] = text.slice(at + 1).match(/^(.*?)(?:@(\d{4}-\d{2}-\d{2}))?$/);
  return key ? { id, key, date: date || null } : null;
}

const state = readState();

function writeState() {
  const q = new URLSearchParams();
  q.set('layers', state.layers.join(','));
  q.set('date', state.date);
  if (state.compare) {
    q.set('compare', state.compare);
    q.set('mode', state.mode);
    const changesShown = changesLayerId(); // the layer whose changes are shown, as shown
    if (changesShown) q.set('changes', changesShown);
  }
  if (state.surface) q.set('surface', state.surface);
  if (selected) { // its panel open, and its date when it is not the map's
    const other = selected.date && selected.date !== state.date ? `@${selected.date}` : '';
    q.set('feature', `${selected.id}:${selected.key}${other}`);
  }
  q.set('lang', state.lang);
  const query = q.toString().replaceAll('%2C', ',');
  const url = `${window.location.pathname}?${query}${window.location.hash}`;
  // another date (or date compared with) is a step Back can return from; a slider being
  // dragged is one step, taken when it is let go; the rest (panels, language) is replaced
  const view = `${state.date}|${state.compare || ''}`;
  if (written !== null && view !== written && !restoring && !sliding) {
    window.history.pushState(null, '', url);
  } else {
    window.history.replaceState(null, '', url);
  }
  if (!sliding) written = view;
}

let written = null; // the date and the date compared with of the history's current entry
let restoring = false; // Back / Forward being applied: the history has that entry already
let sliding = false; // the date slider held by the pointer

/** Back / Forward: the dates of that entry, without a reload. */
function restoreFromHistory() {
  const next = readState();
  restoring = true;
  try {
    if (next.compare !== state.compare) track(setCompare(next.compare));
    if (next.date !== state.date) track(setDate(next.date));
  } finally {
    restoring = false;
  }
}

const t = (key, vars) => translate(state.lang, key, vars);

function formatDate(iso) {
  if (!iso) return '';
  const [y, m, d] = iso.split('-').map(Number);
  const day = new Date(Date.UTC(2000, m - 1, d));
  day.setUTCFullYear(y); // Date.UTC reads years 0 to 99 as 1900 to 1999
  return formatter('DateTimeFormat', LOCALES[state.lang], { dateStyle: 'medium', timeZone: 'UTC' })
    .format(day);
}

function formatNumber(n) {
  return formatter('NumberFormat', LOCALES[state.lang]).format(n);
}

// ---------------------------------------------------------------- the API

const fetched = new Map();

/** GET a JSON document of this service (once per path); errors carry the API's hint. */
function getJSON(path) {
  if (!fetched.has(path)) {
    // no extra header: the request must match the page's <link rel=preload> to reuse it
    const promise = fetch(path).catch(() => { // no answer at all (the network, the service)
      throw new Error(t('unreachable'));
    }).then(async (r) => {
      if (!r.ok) throw new Error(await errorText(path, r));
      return r.json();
    });
    promise.catch(() => fetched.delete(path));
    fetched.set(path, promise);
  }
  return fetched.get(path);
}

/** What an error answer says, in the page's language: asked again with `lang` when it was
 * answered in another (the request had no `lang`, to match its preload). */
async function errorText(path, response) {
  const said = async (r) => {
    const body = await r.json();
    return body.hint ? `${body.description} (${body.hint})` : body.description;
  };
  try {
    if ((response.headers.get('Content-Language') || state.lang) !== state.lang) {
      const url = new URL(path, window.location.href);
      url.searchParams.set('lang', state.lang);
      const again = await fetch(url);
      if (!again.ok) return await said(again);
    }
    return await said(response);
  } catch { // not the one error shape
    return `HTTP ${response.status}`;
  }
}

/** A path of the API as the planner knows it: "the editions of Streets". */
function named(path) {
  const [, , id] = path.split('?')[0].split('/');
  const layer = title(id);
  if (path.startsWith('/tiles/')) return t('what_basemap');
  if (path === '/collections') return t('what_layers');
  if (path.includes('/editions')) return t('what_editions', { layer });
  if (path.includes('/tiles/')) return t('what_tiles', { layer });
  return path;
}

const editions = {}; // layer id -> editions (oldest first), once loaded
const tilejson = {}; // "lang path" -> TileJSON of a tiles path (zoom range, bounds, credits)
let titles = {}; // layer id -> title in state.lang

function tilesPath(id) { return `/collections/${id}/tiles/WebMercatorQuad`; }

async function loadEditions(id) {
  if (editions[id]) return editions[id];
  const path = `/collections/${id}/editions`;
  try {
    editions[id] = (await getJSON(`${path}?f=json`)).editions;
    cleared(path);
  } catch (error) { // said, and asked again the next time they are needed
    showError(named(path), error, path);
    return [];
  }
  return editions[id];
}

/** A tiles path's TileJSON in the page's language (its credits), once loaded. */
const tilejsonKey = (path) => `${state.lang} ${path}`; // each language keeps its own
const tilejsonOf = (path) => tilejson[tilejsonKey(path)];

async function loadTileJSON(path) {
  const key = tilejsonKey(path); // as asked: a language switched meanwhile keeps its own
  if (tilejson[key]) return tilejson[key];
  try {
    tilejson[key] = await getJSON(`${path}?f=tilejson&lang=${state.lang}`);
    cleared(path);
  } catch (error) { // said, and asked again the next time it is needed
    showError(named(path), error, path);
    return {};
  }
  return tilejson[key];
}

async function loadTitles() {
  try {
    const body = await getJSON(`/collections?f=json&lang=${state.lang}`);
    titles = Object.fromEntries(body.collections.map((c) => [c.id, c.title]));
    cleared('/collections');
  } catch (error) {
    showError(named('/collections'), error, '/collections');
  }
}

/** Everything the maps of the current state need, fetched in parallel. */
function loadFor(ids) {
  return Promise.all([
    loadTileJSON(BASEMAP_TILES), ...config.basemap.map(loadEditions),
    ...ids.flatMap((id) => [loadTileJSON(tilesPath(id)), loadEditions(id)]),
  ]);
}

const title = (id) => titles[id] || id;

// ---------------------------------------------------------------- the NO2 surface

// each surface collection (/collections/no2_surface, ..._curieuzenair: extent, surfaces), by
// the kind of surface (state.surface), once loaded
const surfaceInfos = {};
const surfaceCollection = () => config.surface.collections[state.surface];

async function loadSurface() {
  if (state.surface && !surfaceInfos[state.surface]) {
    try {
      surfaceInfos[state.surface] = await getJSON(`/collections/${surfaceCollection()}?f=json&lang=en`);
      cleared('surface');
    } catch (error) { // no surface built (yet): said, and the map is drawn without it
      showError(t('surfaces'), error, 'surface');
      state.surface = null;
      writeState();
    }
  }
}

/** The surface valid on `date` (a year's mean is valid from 1 January to 1 January). */
function surfaceFor(date) {
  const info = surfaceInfos[state.surface];
  if (!info) return null;
  return info.surfaces.find((s) => s.valid_from.slice(0, 10) <= date
    && date < s.valid_to.slice(0, 10)) || null;
}

/** The image source of the surface of `date`: a PNG in EPSG:3857 of the collection's extent
 * (services/routes/coverages.py, map_picture), placed by its four corners. */
function surfaceSource(date) {
  const surface = surfaceFor(date);
  if (!surface) return null;
  const [w, s, e, n] = surfaceInfos[state.surface].extent.spatial.bbox[0];
  const query = new URLSearchParams({ datetime: `${surface.period}-07-01`, bbox: `${w},${s},${e},${n}`, width: '800' });
  return {
    type: 'image',
    url: `${window.location.origin}/collections/${surfaceCollection()}/map?${query.toString().replaceAll('%2C', ',')}`,
    coordinates: [[w, n], [e, n], [e, s], [w, s]],
  };
}

function rampGradient() {
  const ramp = config.surface.ramp;
  const top = ramp.at(-1)[0];
  return `linear-gradient(to right, ${ramp.map(([v, c]) => `${c} ${(100 * v) / top}%`).join(', ')})`;
}

function renderSurfacePanel() {
  const top = config.surface.ramp.at(-1)[0];
  $('surface-toggle').checked = Boolean(state.surface);
  $('surface-legend').hidden = !state.surface;
  if (state.surface) $('surface-source').value = state.surface;
  const campaign = state.surface === 'no2-curieuzenair';
  $('surface-note').textContent = t(campaign ? 'surface_derived_campaign' : 'surface_derived');
  document.documentElement.style.setProperty('--ramp', rampGradient());
  $('mark-who').style.left = `${(100 * config.surface.who) / top}%`;
  $('mark-eu').style.left = `${(100 * config.surface.eu) / top}%`;
  $('mark-who').title = t('surface_who');
  $('mark-eu').title = t('surface_eu');
  $('ramp-min').textContent = `0 ${t('surface_unit')}`;
  $('ramp-max').textContent = `≥ ${formatNumber(top)} ${t('surface_unit')}`;
  const surface = surfaceFor(state.date);
  const known = surfaceInfos[state.surface] ? surfaceInfos[state.surface].surfaces : [];
  $('surface-year').textContent = surface
    ? t(campaign ? 'surface_year_campaign' : 'surface_year', { year: surface.period })
    : (known.length ? t('surface_none', { first: known[0].period, last: known.at(-1).period }) : '');
}

async function toggleSurface(on) {
  state.surface = on ? $('surface-source').value : null;
  writeState();
  await loadSurface();
  renderSurfacePanel();
  await updateMaps();
}

// ---------------------------------------------------------------- dates of the tiles

/** The date of the newest edition at or before `date` among these layers' editions: the map
 * of `date` is the map of that day (same tiles, cached: they never change), so sliding
 * within an edition's span redraws from the browser's cache. Before any edition: `date`. */
function tileDate(ids, date) {
  let best = null;
  for (const id of ids) {
    if (!editions[id]) return date; // not known (yet): ask for the date itself
    for (const e of editions[id]) if (e.date <= date && (best === null || e.date > best)) best = e.date;
  }
  return best ?? date;
}

function shownEditions() {
  const ids = state.layers.length ? state.layers : config.basemap;
  // an edition once, though a derived layer lists its sources' (administrativeunit: the
  // municipalities' and the region's)
  const seen = new Set();
  return ids.flatMap((id) => (editions[id] || []).map((e) => ({ ...e, of: e.layer || id })))
    .filter((e) => !seen.has(`${e.of}|${e.date}`) && seen.add(`${e.of}|${e.date}`))
    .sort((a, b) => a.date.localeCompare(b.date) || a.of.localeCompare(b.of));
}

// ---------------------------------------------------------------- the style

function tileSource(path, tiles, query) {
  return vectorSource(tiles, query, tilejsonOf(path));
}

const NOTHING = ['boolean', false];
const IS_POLYGON = ['match', ['geometry-type'], ['Polygon', 'MultiPolygon'], true, false];
const IS_LINE = ['match', ['geometry-type'], ['LineString', 'MultiLineString'], true, false];
const IS_POINT = ['match', ['geometry-type'], ['Point', 'MultiPoint'], true, false];

/** Style layers drawing one source of features (of one layer's geometry type). */
function drawLayers(prefix, sourceId, sourceLayer, geometry, colour, opacity) {
  const base = { source: sourceId, 'source-layer': sourceLayer };
  const any = !/Polygon|LineString|Point/.test(geometry);
  const out = [];
  if (any || /Polygon/.test(geometry)) {
    out.push({ id: `${prefix}-fill`, type: 'fill', ...base, filter: IS_POLYGON,
      paint: { 'fill-color': colour, 'fill-opacity': opacity, 'fill-antialias': false } });
    out.push({ id: `${prefix}-outline`, type: 'line', ...base, filter: IS_POLYGON,
      paint: { 'line-color': colour, 'line-width': 1.5 } });
  }
  if (any || /LineString/.test(geometry)) {
    out.push({ id: `${prefix}-line`, type: 'line', ...base, filter: IS_LINE,
      paint: { 'line-color': colour,
        'line-width': ['interpolate', ['linear'], ['zoom'], 11, 1, 16, 4] } });
  }
  if (any || /Point/.test(geometry)) {
    out.push({ id: `${prefix}-point`, type: 'circle', ...base, filter: IS_POINT,
      paint: { 'circle-color': colour, 'circle-radius': 4, 'circle-stroke-color': '#fff',
        'circle-stroke-width': 1 } });
  }
  return out;
}

function highlightLayers(id) {
  const base = { source: `layer-${id}`, 'source-layer': id, filter: NOTHING };
  return [
    { id: `hl-${id}-line`, type: 'line', ...base,
      paint: { 'line-color': '#ffcc00', 'line-width': 4 } },
    { id: `hl-${id}-point`, type: 'circle', ...base,
      paint: { 'circle-color': '#ffcc00', 'circle-radius': 7 } },
  ];
}

function changesLayerId() {
  if (state.changes && state.layers.includes(state.changes)) return state.changes;
  return state.layers[0] || null;
}

function comparedDates() {
  return [state.date, state.compare].sort();
}

function buildStyle(date, withChanges) {
  const sources = {
    basemap: tileSource(BASEMAP_TILES, BASEMAP_TILES, { datetime: tileDate(config.basemap, date) }),
  };
  const layers = [BACKGROUND, ...basemapLayers('basemap', state.layers)];
  const surface = state.surface ? surfaceSource(date) : null;
  if (surface) {
    sources.surface = surface;
    layers.push({ id: 'surface', type: 'raster', source: 'surface',
      paint: { 'raster-opacity': 0.7, 'raster-fade-duration': 0 } });
  }
  const cid = withChanges ? changesLayerId() : null;
  for (const id of state.layers) {
    sources[`layer-${id}`] = tileSource(tilesPath(id), tilesPath(id),
      { datetime: tileDate([id], date) });
    layers.push(...drawLayers(`layer-${id}`, `layer-${id}`, id, LAYER[id].geometry,
      cid ? COMPARED : PALETTE[LAYER[id].index % PALETTE.length], 0.12));
  }
  if (cid) {
    // the earlier map shows what was deleted or modified, the later one what was added or
    // modified
    const [from, to] = comparedDates();
    sources.changes = tileSource(tilesPath(cid), `/collections/${cid}/changes/tiles/WebMercatorQuad`,
      { from, to });
    const shown = date === from && from !== to ? ['deleted', 'modified'] : ['added', 'modified'];
    layers.push(...drawLayers('changes', 'changes', cid, LAYER[cid].geometry, ACTION_COLOUR, 0.45)
      .map((layer) => ({ ...layer, filter: ['all', layer.filter,
        ['match', ['get', 'action'], shown, true, false]] })));
  }
  for (const id of state.layers) layers.push(...highlightLayers(id));
  return { version: 8, sources, layers };
}

// ---------------------------------------------------------------- the maps

let mapA = null;
let mapB = null;
const pending = new Set();

/** Keep track of an update until it is done (strataViewer.rendered waits for them). An
 * update that fails is said until one succeeds. */
function track(promise) {
  pending.add(promise);
  promise.then(() => cleared('update'), (error) => showError('', error, 'update'))
    .finally(() => pending.delete(promise));
  return promise;
}

function expectIdle(map) {
  map.strataIdle = new Promise((resolve) => map.once('idle', resolve));
}

function makeMap(container, date, withChanges, style = buildStyle(date, withChanges)) {
  const map = new MapLibreMap({
    container,
    style,
    bounds: BRUSSELS,
    fitBoundsOptions: { padding: 10 },
    hash: container === 'map-a',
    attributionControl: { compact: true },
    locale: MAPLIBRE[state.lang],
    dragRotate: false,
    pitchWithRotate: false,
  });
  map.strataDate = date;
  map.strataChanges = withChanges;
  map.on('style.load', () => { map.strataStyleReady = true; });
  // credits that would cover the scale bar fold behind their (i) button, which shows them
  // again: once the map has drawn its sources (their credits are in), and at each resize
  map.once('idle', () => fitCredits(map));
  map.on('resize', () => fitCredits(map));
  map.addControl(new NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new ScaleControl(), 'bottom-left');
  map.on('click', (event) => track(onClick(map, event)));
  map.on('error', (event) => showError(t('map_of', { date: formatDate(map.strataDate) }),
    event.error || new Error('map error'), `map:${container}`));
  expectIdle(map);
  return map;
}

/** Fold a map's credits when, shown, they would cover its scale bar (a narrow map). */
function fitCredits(map) {
  const credits = map.getContainer().querySelector('.maplibregl-ctrl-attrib');
  const scale = map.getContainer().querySelector('.maplibregl-ctrl-scale');
  if (!credits || !scale || !credits.classList.contains('maplibregl-compact-show')) return;
  const c = credits.getBoundingClientRect();
  const s = scale.getBoundingClientRect();
  if (c.left < s.right && s.left < c.right && c.top < s.bottom && s.top < c.bottom) {
    credits.classList.remove('maplibregl-compact-show');
  }
}

/** Bring a map to `date` (and its changes layer): new tiles where the date's edition
 * differs; a rebuilt style where the layers differ. */
function refresh(map, date, withChanges) {
  cleared(`map:${map.getContainer().id}`); // its tiles are asked again: said again if they fail
  map.strataDate = date;
  map.strataChanges = withChanges;
  const style = buildStyle(date, withChanges);
  expectIdle(map);
  if (!map.strataStyleReady) { // still loading its first style: start again from this one
    map.setStyle(style);
    return;
  }
  const current = map.getStyle();
  const same = current
    && JSON.stringify(Object.keys(current.sources).sort()) === JSON.stringify(Object.keys(style.sources).sort())
    && Object.entries(style.sources).every(([id, s]) => current.sources[id].attribution === s.attribution)
    && JSON.stringify(current.layers.map((l) => l.id)) === JSON.stringify(style.layers.map((l) => l.id));
  if (same) {
    let changed = false;
    for (const [id, source] of Object.entries(style.sources)) {
      if (source.type === 'image') {
        if (current.sources[id].url !== source.url) {
          map.getSource(id).updateImage({ url: source.url, coordinates: source.coordinates });
          changed = true;
        }
        continue;
      }
      if (JSON.stringify(current.sources[id].tiles) !== JSON.stringify(source.tiles)) {
        map.getSource(id).setTiles(source.tiles);
        changed = true;
      }
    }
    if (!changed) map.triggerRepaint(); // nothing to fetch: the next frame is complete
  } else {
    map.setStyle(style, { diff: true });
  }
}

function syncMaps(a, b) {
  let moving = false;
  const follow = (from, to) => () => {
    if (moving || !mapB) return;
    moving = true;
    to.jumpTo({ center: from.getCenter(), zoom: from.getZoom(), bearing: from.getBearing(),
      pitch: from.getPitch() });
    moving = false;
  };
  a.on('move', follow(a, b));
  b.on('move', follow(b, a));
}

let swipeX = null;

function layoutMaps() {
  const maps = $('maps');
  const comparing = Boolean(state.compare);
  maps.className = comparing ? state.mode : 'single';
  $('map-b').hidden = !comparing;
  $('swipe-handle').hidden = !(comparing && state.mode === 'swipe');
  const width = maps.clientWidth;
  if (swipeX === null || swipeX > width) swipeX = width / 2;
  $('map-b').style.clipPath = comparing && state.mode === 'swipe'
    ? `inset(0 0 0 ${swipeX}px)` : '';
  placeHandle();
  for (const map of [mapA, mapB]) {
    if (map) {
      expectIdle(map);
      map.resize();
      map.triggerRepaint();
    }
  }
}

/** The swipe handle where the swipe is, its value said as a share of the width (0-100) to
 * assistive technology, as a slider's. */
function placeHandle() {
  const handle = $('swipe-handle');
  handle.style.left = `${swipeX}px`;
  const width = $('maps').clientWidth || 1;
  const share = Math.round((100 * swipeX) / width);
  handle.setAttribute('aria-valuemin', '0');
  handle.setAttribute('aria-valuemax', '100');
  handle.setAttribute('aria-valuenow', String(share));
  handle.setAttribute('aria-valuetext', `${share} %`);
}

function setupSwipe() {
  const handle = $('swipe-handle');
  const move = (event) => {
    const box = $('maps').getBoundingClientRect();
    swipeX = Math.max(0, Math.min(box.width, event.clientX - box.left));
    $('map-b').style.clipPath = `inset(0 0 0 ${swipeX}px)`;
    placeHandle();
  };
  handle.addEventListener('pointerdown', (event) => {
    handle.setPointerCapture(event.pointerId);
    handle.addEventListener('pointermove', move);
  });
  handle.addEventListener('pointerup', (event) => {
    handle.releasePointerCapture(event.pointerId);
    handle.removeEventListener('pointermove', move);
  });
  handle.addEventListener('keydown', (event) => {
    const box = $('maps').getBoundingClientRect();
    const to = { ArrowLeft: swipeX - 20, ArrowDown: swipeX - 20, ArrowRight: swipeX + 20,
      ArrowUp: swipeX + 20, Home: 0, End: box.width }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    move({ clientX: box.left + to });
  });
}

/** Bring the maps to the state: a second map while comparing, the tiles of the dates. */
async function updateMaps(initial = false) {
  await loadFor(state.layers);
  if (!mapA) return; // the first map is still to be made: start() makes it from the state then
  const comparing = Boolean(state.compare);
  let made = false;
  if (comparing && !mapB) {
    $('map-b').hidden = false;
    layoutMaps();
    mapB = makeMap('map-b', state.compare, true);
    mapB.jumpTo({ center: mapA.getCenter(), zoom: mapA.getZoom() });
    syncMaps(mapA, mapB);
    window.mapB = mapB;
    made = true;
  } else if (!comparing && mapB) {
    mapB.remove();
    mapB = null;
    window.mapB = null;
  }
  layoutMaps();
  if (!initial) refresh(mapA, state.date, comparing);
  if (mapB && !made) refresh(mapB, state.compare, true);
  renderSurfacePanel();
  labelMaps();
}

/** Each map's date on it; while comparing below the zoom the changes are drawn from, that
 * zoom too, where the planner looks (the panel says it further down). */
function labelMaps() {
  const note = $('changes-zoom').hidden ? '' : ` · ${$('changes-zoom').textContent}`;
  $('label-a').textContent = formatDate(state.date) + (state.compare ? note : '');
  $('label-b').textContent = state.compare ? formatDate(state.compare) + note : '';
}

// ---------------------------------------------------------------- panels

/** MapLibre's controls, in the page's language (its `locale` is read once, at creation). */
function translateControls() {
  const words = { ...MAPLIBRE.en, ...MAPLIBRE[state.lang] };
  const english = { 'maplibregl-ctrl-zoom-in': ['NavigationControl.ZoomIn', 'Zoom in'],
    'maplibregl-ctrl-zoom-out': ['NavigationControl.ZoomOut', 'Zoom out'],
    'maplibregl-ctrl-attrib-button': ['AttributionControl.ToggleAttribution', 'Toggle attribution'] };
  for (const [css, [key, fallback]] of Object.entries(english)) {
    for (const button of document.getElementsByClassName(css)) {
      button.title = words[key] || fallback;
      button.setAttribute('aria-label', words[key] || fallback);
    }
  }
}

function applyStaticStrings() {
  translateControls();
  document.documentElement.lang = state.lang;
  document.title = t('title');
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  $('swipe-handle').setAttribute('aria-label', t('swipe_handle'));
  $('date-slider').setAttribute('aria-label', t('date'));
  // the pages it links to open in the language chosen here
  $('dashboard-link').href = `/dashboard?lang=${state.lang}`;
  $('api-link').href = `/?lang=${state.lang}`;
  const select = $('lang-select');
  select.replaceChildren(...LANGS.map((l) => el('option', { value: l, textContent: LANGUAGE_NAMES[l],
    selected: l === state.lang })));
}

function renderLayerList() {
  $('layer-list').replaceChildren(...config.layers.map((layer) => {
    const box = el('input', { type: 'checkbox', value: layer.id, checked: state.layers.includes(layer.id) });
    box.dataset.layer = layer.id;
    box.addEventListener('change', () => track(toggleLayer(layer.id, box.checked)));
    const swatch = el('i');
    swatch.style.background = PALETTE[LAYER[layer.id].index % PALETTE.length];
    const item = el('li', {}, el('label', {}, box, ' ', swatch, title(layer.id)),
      el('span', { className: 'zoom-note' }));
    item.dataset.layer = layer.id;
    return item;
  }));
  markZoomRange();
}

/** Layers shown but not tiled at this zoom (their TileJSON's range) say from which zoom on. */
function markZoomRange() {
  const zoom = mapA ? mapA.getZoom() : null;
  for (const item of $('layer-list').children) {
    const tj = tilejsonOf(tilesPath(item.dataset.layer));
    const out = zoom !== null && state.layers.includes(item.dataset.layer) && tj
      && tj.minzoom !== undefined && zoom < tj.minzoom;
    // a date before the layer's first edition: nothing of it is drawn, said by the layer
    const first = (editions[item.dataset.layer] || []).map((e) => e.date).sort()[0];
    const early = state.layers.includes(item.dataset.layer) && first && state.date < first;
    item.classList.toggle('out-of-zoom', Boolean(out || early));
    item.lastChild.textContent = early ? ` (${t('no_edition_before', { date: formatDate(first) })})`
      : out ? ` (${t('zoom_in', { zoom: tj.minzoom })})` : '';
  }
  // the changes compared are drawn from the layer's zoom: said where they are read
  const cid = state.compare ? changesLayerId() : null;
  const tj = cid ? tilejsonOf(tilesPath(cid)) : null;
  const hidden = !(zoom !== null && tj && tj.minzoom !== undefined && zoom < tj.minzoom);
  $('changes-zoom').hidden = hidden;
  $('changes-zoom').textContent = hidden ? '' : `${title(cid)}: ${t('zoom_in', { zoom: tj.minzoom })}`;
  labelMaps();
}

let sliderStart = 0; // ms of the slider's 0

function dayOf(iso) { return Date.parse(`${iso}T00:00:00Z`); }
function isoOf(ms) { return new Date(ms).toISOString().slice(0, 10); }

function renderDatePanel() {
  const list = shownEditions();
  const dates = list.map((e) => e.date);
  const first = dates.length ? dates[0] : state.date;
  const last = [brusselsDate(), ...dates, state.date, state.compare || ''].sort().at(-1);
  const start = [isoOf(dayOf(first) - 365 * DAY_MS), state.date, state.compare || '9999'].sort()[0];
  sliderStart = dayOf(start);
  const slider = $('date-slider');
  slider.min = 0;
  slider.max = Math.round((dayOf(last) - sliderStart) / DAY_MS);
  slider.value = Math.round((dayOf(state.date) - sliderStart) / DAY_MS);
  $('edition-ticks').replaceChildren(...[...new Set(dates)].map((d) => el('option',
    { value: String(Math.round((dayOf(d) - sliderStart) / DAY_MS)), label: d })));
  $('date-input').value = state.date;
  $('date-label').textContent = formatDate(state.date);
  // per layer whose editions are listed (a derived layer's sources each), the one in force
  const newest = {};
  for (const e of list) {
    if (e.date <= state.date && (!newest[e.of] || e.date > newest[e.of])) newest[e.of] = e.date;
  }
  const inForce = new Set(state.layers.length
    ? Object.entries(newest).map(([of, date]) => `${of}@${date}`) : []);
  $('edition-list').replaceChildren(...list.map((e) => {
    const layerTitle = title(e.layer);
    const button = el('button', { type: 'button' },
      el('span', { className: 'when', textContent: formatDate(e.date) }), ' ',
      el('span', { textContent: t('edition_of', { layer: layerTitle }) }),
      el('span', { className: 'counts', textContent: t('counts', {
        added: formatNumber(e.added), modified: formatNumber(e.modified), deleted: formatNumber(e.deleted) })
        + ` · ${t(e.features === 1 ? 'features_count_one' : 'features_count',
          { n: formatNumber(e.features) })}` }));
    button.dataset.date = e.date;
    button.addEventListener('click', () => track(setDate(e.date)));
    const item = el('li', {}, button);
    if (inForce.has(`${e.of}@${e.date}`)) {
      item.className = 'in-force';
      item.title = t('in_force');
    }
    return item;
  }));
  if (state.layers.length && !list.length) { // layers of no edition at all (yet)
    $('edition-list').append(el('li', { className: 'note', textContent: t('no_editions') }));
  } else if (state.layers.length && [...inForce].every((key) => !dates.includes(key.split('@')[1]))) {
    $('edition-list').append(el('li', { className: 'note', textContent: t('no_edition_yet') }));
  }
  if (state.date > brusselsDate()) { // what the map of a date to come is
    $('edition-list').append(el('li', { className: 'note', textContent: t('future_date') }));
  }
  const pick = $('compare-editions');
  pick.replaceChildren(el('option', { value: '', textContent: t('compare_pick') }),
    ...[...new Set(dates)].map((d) => el('option', { value: d, textContent: formatDate(d) })));
}

/** The slider's day, snapped to an edition when within a few days of one. */
function sliderDate(snap = true) {
  const slider = $('date-slider');
  const day = Number(slider.value);
  if (!snap) return isoOf(sliderStart + day * DAY_MS);
  const tolerance = Math.max(3, Math.round(Number(slider.max) / 60));
  let best = null;
  for (const e of shownEditions()) {
    const at = Math.round((dayOf(e.date) - sliderStart) / DAY_MS);
    if (Math.abs(at - day) <= tolerance && (best === null || Math.abs(at - day) < Math.abs(best - day))) best = at;
  }
  return isoOf(sliderStart + (best ?? day) * DAY_MS);
}

function renderComparePanel() {
  const on = Boolean(state.compare);
  $('compare-on').checked = on;
  $('compare-input').value = state.compare || '';
  $(`mode-${state.mode}`).checked = true;
  $('changes').hidden = !on || !changesLayerId();
  $('changes-layer').replaceChildren(...state.layers.map((id) => el('option',
    { value: id, textContent: title(id), selected: id === changesLayerId() })));
  markZoomRange();
}

let changesSeq = 0;

async function loadChanges() {
  const cid = changesLayerId();
  const table = $('changes-counts');
  if (!state.compare || !cid) {
    table.dataset.state = 'idle';
    cleared('changes');
    return;
  }
  const seq = ++changesSeq;
  const [from, to] = comparedDates();
  const url = `/collections/${cid}/changes?${new URLSearchParams({ from, to, f: 'json' })}`;
  $('changes-title').textContent = t('changes_between', { from: formatDate(from), to: formatDate(to) });
  table.dataset.state = 'loading';
  table.dataset.url = url;
  for (const cell of table.querySelectorAll('[data-count]')) cell.textContent = '…';
  $('changes-list').tBodies[0].replaceChildren();
  $('changes-more').textContent = t('loading');
  let changes;
  try {
    changes = (await getJSON(url))['strata.diff/v1'].changes;
  } catch (error) {
    if (seq !== changesSeq) return;
    table.dataset.state = 'error';
    $('changes-more').textContent = '';
    showError(t('what_changes', { layer: title(cid), from: formatDate(from), to: formatDate(to) }),
      error, 'changes');
    return;
  }
  if (seq !== changesSeq) return;
  cleared('changes');
  const counts = { added: 0, modified: 0, deleted: 0 };
  for (const change of changes) counts[change.action] += 1;
  counts.total = changes.length;
  for (const [action, n] of Object.entries(counts)) {
    const cell = table.querySelector(`[data-count="${action}"]`);
    cell.textContent = formatNumber(n);
    cell.dataset.value = String(n);
  }
  const nameKey = state.lang === 'nl' ? 'name_nl' : 'name_fr';
  $('changes-list').tBodies[0].replaceChildren(...changes.slice(0, MAX_ROWS).map((change) => {
    const props = (change.new || change.old).properties;
    const key = String(change.id);
    // the feature as it was on the side where it exists (a deletion: before), as a page to
    // open elsewhere; a plain click opens it in the feature panel, the comparison kept
    const at = change.action === 'deleted' ? from : to;
    const link = el('a', { textContent: key, href: `/collections/${cid}/items/${
      encodeURIComponent(key)}?${new URLSearchParams({ f: 'html', datetime: at, lang: state.lang })}` });
    link.addEventListener('click', (event) => {
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      selected = { id: cid, key, date: at };
      setHighlight(cid, LAYER[cid].key, key);
      track(showFeature());
    });
    return el('tr', {}, el('td', { className: `action ${change.action}`, textContent: t(change.action) }),
      el('td', {}, link), el('td', { textContent: props[nameKey] ?? props.name_fr ?? props.name ?? '' }));
  }));
  $('changes-more').textContent = changes.length === 0 ? t('no_change')
    : changes.length > MAX_ROWS ? t('more_rows', { n: formatNumber(changes.length - MAX_ROWS) }) : '';
  table.dataset.state = 'ready';
}

let downloadPicked = false; // the planner chose the download's layer (else it follows the map)

/** The layer the download panel offers unless the planner chose one: the map's (while
 * comparing, the layer whose changes are shown). */
function downloadLayer() {
  return (state.compare ? changesLayerId() : state.layers[0]) || config.layers[0].id;
}

// the formats by their names (the URL's f= beside), as GIS software names them
const FORMAT_NAMES = { gpkg: 'GeoPackage', geojson: 'GeoJSON', fgb: 'FlatGeobuf',
  shp: 'Shapefile (zip)', csv: 'CSV (WKT)', json: 'JSON', jsonl: 'JSON Lines' };

function formatName(name) {
  return FORMAT_NAMES[name] ? `${FORMAT_NAMES[name]} (${name})` : name;
}

function renderDownloadPanel() {
  const layer = $('dl-layer');
  const chosen = (downloadPicked && layer.value) || downloadLayer();
  layer.replaceChildren(...config.layers.map((l) => el('option', { value: l.id, textContent: title(l.id),
    selected: l.id === chosen })), el('option', { value: '__all__', textContent: t('all_layers'),
    selected: chosen === '__all__' }));
  const format = $('dl-format');
  const f = format.value || 'gpkg';
  format.replaceChildren(...config.formats.map((name) => el('option', { value: name,
    textContent: formatName(name), selected: name === f })));
  const changeFormat = $('dl-change-format');
  const cf = changeFormat.value || 'gpkg';
  changeFormat.replaceChildren(...config.change_formats.map((name) => el('option',
    { value: name, textContent: formatName(name), selected: name === cf })));
  const crs = $('dl-crs');
  const c = crs.value;
  crs.replaceChildren(el('option', { value: '', textContent: t('crs_default') }),
    ...config.crs.map((x) => el('option', { value: x.id,
      textContent: `${STRINGS[state.lang][`crs:${x.id}`] || x.title} (${x.id})`,
      selected: x.id === c })));
  updateDownloadLinks();
}

function followDates() {
  $('dl-date').value = state.date;
  const [from, to] = state.compare ? comparedDates() : [state.date, brusselsDate()].sort();
  $('dl-from').value = from;
  $('dl-to').value = to;
}

function updateDownloadLinks() {
  const id = $('dl-layer').value;
  const all = id === '__all__';
  const date = $('dl-date').value || state.date;
  const crs = $('dl-crs').value;
  for (const option of $('dl-format').options) option.disabled = all && option.value !== 'gpkg';
  if (all) $('dl-format').value = 'gpkg';
  const query = { date, f: $('dl-format').value };
  if (crs) query.crs = crs;
  const map = $('dl-map');
  map.href = `${all ? '/download' : `/collections/${id}/download`}?${new URLSearchParams(query)}`;
  map.textContent = `${t('download_map', { date: formatDate(date) })} (${all ? t('all_layers') : title(id)})`;
  const changes = $('dl-changes');
  const changesOf = all ? (changesLayerId() || config.layers[0].id) : id;
  const [from, to] = [$('dl-from').value, $('dl-to').value].sort();
  const cq = { from, to, f: $('dl-change-format').value };
  if (crs) cq.crs = crs;
  changes.href = `/collections/${changesOf}/changes?${new URLSearchParams(cq)}`;
  changes.textContent = `${t('download_changes', { from: formatDate(from), to: formatDate(to) })}`
    + ` (${title(changesOf)})`;
}

// ---------------------------------------------------------------- a clicked feature

let selected = null; // {id, key, map}

function setHighlight(layerId, keyName, keyValue) {
  for (const map of [mapA, mapB]) {
    if (!map) continue;
    // the outline is drawn at the next frame: rendered() waits for it (a repaint, so that
    // an unchanged filter still ends in an idle event)
    expectIdle(map);
    map.triggerRepaint();
    for (const id of state.layers) {
      const filter = id === layerId
        ? ['==', ['to-string', ['get', keyName]], String(keyValue)] : NOTHING;
      // the outline of a line or polygon, the circle of a point (a circle layer would ring
      // every corner of a polygon)
      for (const [suffix, kind] of [['line', ['!', IS_POINT]], ['point', IS_POINT]]) {
        if (map.getLayer(`hl-${id}-${suffix}`)) {
          map.setFilter(`hl-${id}-${suffix}`, filter === NOTHING ? NOTHING : ['all', kind, filter]);
        }
      }
    }
  }
}

async function onClick(map, event) {
  let target = map;
  if (mapB && state.mode === 'swipe' && map === mapB && event.point.x < swipeX) target = mapA;
  const styleLayers = state.layers.flatMap((id) => ['fill', 'line', 'point']
    .map((s) => `layer-${id}-${s}`)).filter((id) => target.getLayer(id));
  const hits = target.queryRenderedFeatures(event.point, { layers: styleLayers });
  if (!hits.length) return;
  const hit = hits[0];
  const id = hit.sourceLayer;
  const keyName = LAYER[id].key;
  const key = hit.properties[keyName] ?? hit.id;
  selected = { id, key, date: target.strataDate };
  setHighlight(id, keyName, key);
  await showFeature();
}

async function showFeature() {
  if (!selected) return;
  writeState(); // a link sent opens with this panel
  const { id, key, date } = selected;
  const panel = $('feature-panel');
  const opened = panel.hidden;
  panel.hidden = false;
  // in sight when it opens (on a phone the panels stack under the map)
  if (opened && panel.getBoundingClientRect().top > window.innerHeight) panel.scrollIntoView();
  $('feature-title').textContent = t('loading');
  $('feature-layer').textContent = title(id);
  $('feature-at').textContent = t('properties_at', { date: formatDate(date) });
  const base = `/collections/${id}/items/${encodeURIComponent(key)}`;
  const [feature, versions, queryables] = await Promise.all([
    getJSON(`${base}?${new URLSearchParams({ datetime: date })}`).catch(() => null),
    // a key no version has (a mistyped link): no history, the panel says it is not there
    getJSON(`${base}/versions`).catch(() => ({ features: [] })),
    // the properties' titles in the page's language (their names when it cannot be had)
    getJSON(`/collections/${id}/queryables?f=json&lang=${state.lang}`).catch(() => null),
  ]);
  const titles = queryables ? queryables.properties || {} : {};
  const props = feature ? feature.properties : {};
  const nameKey = state.lang === 'nl' ? 'name_nl' : 'name_fr';
  $('feature-title').textContent = props[nameKey] || props.name_fr || props.name || String(key);
  const rows = Object.entries(props).map(([name, value]) => {
    let text = value;
    if (value !== null && typeof value === 'object') text = JSON.stringify(value).slice(0, 300);
    // a lifespan's instant is the day of an edition in Brussels, as the rest of the page
    // writes it (the UTC instant of 2015-07-20 is 2015-07-19T22:00Z); named in the language
    const lifespan = name.endsWith('LifespanVersion');
    if (lifespan && typeof value === 'string') text = formatDate(brusselsDate(value));
    // titled as /queryables titles it; the page's own words only when that is not to be had
    const label = el('th', { textContent: (titles[name] && titles[name].title)
      || (lifespan ? t(`prop:${name}`) : name) });
    label.title = name; // the name the data and the API use
    return el('tr', {}, label, el('td', { textContent: text ?? '' }));
  });
  $('feature-properties').tBodies[0].replaceChildren(...(feature ? rows
    : [el('tr', {}, el('td', { textContent: t('not_on_map', { date: formatDate(date) }) }))]));
  $('feature-versions').replaceChildren(...versions.features.map((version) => {
    const begin = version.properties.beginLifespanVersion;
    const end = version.properties.endLifespanVersion;
    const from = brusselsDate(begin);
    const to = end ? brusselsDate(end) : null;
    const alive = from <= date && (to === null || date < to);
    const span = to ? t('version_span', { from: formatDate(from), to: formatDate(to) })
      : t('version_since', { from: formatDate(from) });
    // the page of the version as of its first day (its edition's date: the page says the
    // date asked, and 2021-02-04T23:00:00Z read as the day before), or its first instant
    const asOf = brusselsTime(begin) === '00:00:00' ? from : begin;
    const open = el('a', { textContent: t('version_open'),
      href: `${base}?${new URLSearchParams({ datetime: asOf, f: 'html', lang: state.lang })}` });
    open.dataset.version = version.id;
    const show = el('button', { type: 'button', textContent: t('version_show') });
    show.addEventListener('click', () => track(setDate(from)));
    const item = el('li', {}, el('span', { textContent: span }), ' ', open, ' ', show);
    if (alive) {
      item.className = 'current';
      item.title = t('version_current');
    }
    return item;
  }));
}

// ---------------------------------------------------------------- actions

async function setDate(date) {
  if (!ISO_DATE.test(date)) return;
  state.date = date;
  writeState();
  renderDatePanel();
  followDates();
  updateDownloadLinks();
  if (selected) selected.date = date;
  await updateMaps();
  await Promise.all([loadChanges(), selected ? showFeature() : null]);
}

async function setCompare(date) {
  state.compare = date && ISO_DATE.test(date) ? date : null;
  writeState();
  renderComparePanel();
  renderDatePanel();
  followDates();
  renderDownloadPanel();
  await updateMaps();
  await loadChanges();
}

async function toggleLayer(id, on) {
  const chosen = new Set(state.layers);
  if (on) chosen.add(id); else chosen.delete(id);
  state.layers = config.layers.map((l) => l.id).filter((l) => chosen.has(l));
  writeState();
  await loadFor(state.layers);
  markZoomRange();
  renderDatePanel();
  renderComparePanel();
  renderDownloadPanel();
  await updateMaps();
  await loadChanges();
}

async function setLanguage(lang) {
  state.lang = lang;
  writeState();
  applyStaticStrings();
  showStatus();
  await loadTitles();
  renderAll();
  if (mapA) await updateMaps();
  await Promise.all([loadChanges(), selected ? showFeature() : null]);
}

function renderAll() {
  renderLayerList();
  renderSurfacePanel();
  renderDatePanel();
  renderComparePanel();
  renderDownloadPanel();
  followDates();
  updateDownloadLinks();
}

let errors = 0; // every error said (the tests want none)
// what failed (a key: a document's path, a map, an update) -> what to say, until it works
// again: the status line says the latest of them, or the time of the first map
const standing = new Map();

function showStatus() {
  const status = $('status');
  const said = [...standing.values()].pop();
  status.className = said ? 'error' : '';
  status.textContent = said ? t('error', said)
    : (viewer.firstIdleMs === undefined ? '' : t('first_map', { ms: viewer.firstIdleMs }));
}

function showError(what, error, key = what) {
  errors += 1;
  standing.delete(key); // the latest said last
  standing.set(key, { what: what || '?', why: error.message || String(error) });
  showStatus();
  console.error(what, error); // eslint-disable-line no-console
}

/** What failed under `key` works again: it is no longer said. */
function cleared(key) {
  if (standing.delete(key)) showStatus();
}

function wire() {
  $('lang-select').addEventListener('change', (e) => track(setLanguage(e.target.value)));
  $('surface-toggle').addEventListener('change', (e) => track(toggleSurface(e.target.checked)));
  $('surface-source').addEventListener('change', () => track(toggleSurface(true)));
  let frame = null;
  // dragged, the slider snaps to an edition near the pointer; stepped by the keyboard (an
  // arrow: a day), it goes where it is sent, or it could never leave an edition's day
  let byKeys = false;
  // Page Up / Page Down go to the next / previous edition, Home / End to the first / last
  $('date-slider').addEventListener('keydown', (event) => {
    byKeys = true;
    const dates = [...new Set(shownEditions().map((e) => e.date))];
    if (!dates.length || !['PageUp', 'PageDown', 'Home', 'End'].includes(event.key)) return;
    event.preventDefault();
    const date = { Home: dates[0], End: dates.at(-1),
      PageUp: dates.find((d) => d > state.date) ?? dates.at(-1),
      PageDown: dates.findLast((d) => d < state.date) ?? dates[0] }[event.key];
    track(setDate(date));
  });
  $('date-slider').addEventListener('pointerdown', () => { byKeys = false; sliding = true; });
  $('date-slider').addEventListener('change', () => { // let go: one step in the history
    if (!sliding) return;
    sliding = false;
    if (frame) cancelAnimationFrame(frame);
    track(setDate(sliderDate(!byKeys)));
  });
  $('date-slider').addEventListener('input', () => {
    const date = sliderDate(!byKeys);
    $('date-label').textContent = formatDate(date);
    if (frame) cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => track(setDate(date)));
  });
  // a date typed in: the map follows once the typing pauses (each digit of a year typed
  // is a valid date on its way: years 2, 20, 201 before 2016)
  let typed = null; // the date waiting for the typing to pause: its timer, and to drop it
  $('date-input').addEventListener('change', (e) => {
    if (typed) {
      clearTimeout(typed.timer);
      typed.resolve(false);
    }
    const value = e.target.value;
    track(new Promise((resolve) => {
      typed = { resolve, timer: setTimeout(() => resolve(true), 400) };
    }).then((go) => (go ? setDate(value) : null)));
  });
  $('compare-on').addEventListener('change', (e) => {
    if (!e.target.checked) return track(setCompare(null));
    const later = shownEditions().map((x) => x.date).find((d) => d > state.date);
    return track(setCompare($('compare-input').value || later || brusselsDate()));
  });
  $('compare-input').addEventListener('change', (e) => track(setCompare(e.target.value)));
  $('compare-editions').addEventListener('change', (e) => {
    if (e.target.value) track(setCompare(e.target.value));
  });
  for (const radio of document.querySelectorAll('input[name="mode"]')) {
    radio.addEventListener('change', (e) => {
      state.mode = e.target.value;
      writeState();
      layoutMaps();
    });
  }
  $('changes-layer').addEventListener('change', (e) => {
    state.changes = e.target.value;
    writeState();
    renderDownloadPanel();
    markZoomRange();
    track(updateMaps().then(loadChanges));
  });
  $('dl-layer').addEventListener('change', () => { downloadPicked = true; });
  $('skip-changes').addEventListener('click', () => $('dl-layer').focus());
  for (const id of ['dl-layer', 'dl-date', 'dl-format', 'dl-crs', 'dl-from', 'dl-to', 'dl-change-format']) {
    $(id).addEventListener('change', updateDownloadLinks);
  }
  $('feature-close').addEventListener('click', () => {
    $('feature-panel').hidden = true;
    selected = null;
    writeState();
    setHighlight(null);
    for (const map of [mapA, mapB]) if (map) map.resize();
  });
  setupSwipe();
  window.addEventListener('resize', layoutMaps);
  window.addEventListener('popstate', restoreFromHistory);
}

async function start() {
  performance.mark('strata-start');
  const titlesLoaded = loadTitles();
  const documents = Promise.all([loadFor(state.layers), loadSurface()]);
  prewarm(); // the map's workers start while the documents arrive
  applyStaticStrings();
  wire();
  // The documents are on their way since the page's preloads: usually here already. The
  // map is made with its whole style, so that its worker asks for the tiles while the main
  // thread waits for the WebGL context and the first shaders (in software rendering, a few
  // hundred milliseconds).
  await documents;
  await loadFor(state.layers); // what the planner changed meanwhile (layers, language), if anything
  performance.mark('strata-documents');
  mapA = makeMap('map-a', state.date, Boolean(state.compare));
  window.map = mapA;
  mapA.on('zoomend', markZoomRange);
  performance.mark('strata-map-created');
  mapA.once('idle', () => {
    viewer.firstIdleMs = Math.round(performance.now());
    showStatus();
  });
  renderAll(); // the titles may not be there yet: again once they are
  await updateMaps(true);
  if (state.feature) { // a link with a feature's panel open: open it, outlined
    selected = { ...state.feature, date: state.feature.date || state.date };
    const { id, key } = selected;
    const outline = () => setHighlight(id, LAYER[id].key, key);
    if (state.layers.includes(id)) {
      if (mapA.isStyleLoaded()) outline(); else mapA.once('load', outline);
    }
  }
  writeState();
  await titlesLoaded;
  renderAll();
  await Promise.all([loadChanges(), selected ? showFeature() : null]);
}

const viewer = {
  state,
  firstIdleMs: undefined,
  /** Resolves once every pending update is done and each map has drawn completely. */
  async rendered() {
    while (pending.size) await Promise.allSettled([...pending]);
    await Promise.all([mapA, mapB].filter(Boolean).map((m) => m.strataIdle));
  },
  errors: () => errors,
};
window.strataViewer = viewer;
track(start());
