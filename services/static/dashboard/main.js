// SPDX-License-Identifier: EUPL-1.2
// The dashboard at /dashboard: its panels drawn with Chart.js (vendored, window.Chart) from
// Strata's own aggregate collections, read as JSON (every page of items, following `next`).
// Each panel shows its figures in a table (data-* attributes hold the raw values) and offers
// them as CSV, built here from the same rows: what is drawn is what is downloaded.
//
// The state lives in the query string (reports, works, no2: each panel's year; source; lang).
// window.strataDashboard.rendered() resolves once every pending update is done;
// strataDashboard.firstRenderMs is the time (from navigation) of the first complete render.

import { LANGS, LOCALES, LANGUAGE_NAMES, formatter, pickLanguage } from '../viewer/i18n.js';
import { translate } from './i18n.js';
import { Map as MapLibreMap, NavigationControl } from '../vendor/maplibre-gl/maplibre-gl.mjs';
import { BACKGROUND, vectorSource } from '../viewer/basemap.js';

const config = JSON.parse(document.getElementById('strata-config').textContent);
const { Chart } = window;
const $ = (id) => document.getElementById(id);
const PALETTE = ['#1f5fa8', '#d95f02', '#1b9e77', '#7570b3', '#e7298a', '#66a61e', '#e6ab02',
  '#a6761d', '#666666', '#17becf', '#bcbd22', '#8c564b', '#9467bd'];
const OPEN_COLOUR = '#d95f02';
const CLOSED_COLOUR = '#1b9e77';
const EU_COLOUR = '#b00020';
const WHO_COLOUR = '#e6ab02';

// ---------------------------------------------------------------- state and the URL

function readState() {
  const q = new URLSearchParams(window.location.search);
  const year = (name) => (/^(19|20)\d\d$/.test(q.get(name) || '') ? Number(q.get(name)) : null);
  return {
    reports: year('reports'),
    works: year('works'),
    no2: year('no2'),
    source: config.sources.includes(q.get('source')) ? q.get('source') : config.sources[0],
    lang: pickLanguage(q.get('lang'), navigator.languages),
  };
}

const state = readState();

function writeState() {
  const q = new URLSearchParams();
  for (const name of ['reports', 'works', 'no2']) if (state[name]) q.set(name, state[name]);
  q.set('source', state.source);
  q.set('lang', state.lang);
  window.history.replaceState(null, '', `${window.location.pathname}?${q}`);
  $('map-link').href = `/map?lang=${state.lang}`;
}

const t = (key, vars) => translate(state.lang, key, vars);
const formatNumber = (n) => formatter('NumberFormat', LOCALES[state.lang]).format(n);

function monthName(month) { // 'YYYY-MM' -> 'janv. 2024'
  const [y, m] = month.split('-').map(Number);
  return formatter('DateTimeFormat', LOCALES[state.lang], { month: 'short', year: 'numeric', timeZone: 'UTC' })
    .format(new Date(Date.UTC(y, m - 1, 1)));
}

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

// ---------------------------------------------------------------- the API

/** Every feature's properties of a collection's items, page after page (same origin). */
async function allItems(collection, params = {}) {
  // the form services/routes/dashboard.py preloads: the first page's parameters, then these
  const q = new URLSearchParams({ ...config.first_page, ...params });
  let path = `/collections/${collection}/items?${q}`;
  const rows = [];
  while (path) {
    const r = await fetch(path); // eslint-disable-line no-await-in-loop
    if (!r.ok) {
      let why = `HTTP ${r.status}`;
      try {
        const body = await r.json(); // eslint-disable-line no-await-in-loop
        why = body.hint ? `${body.description} (${body.hint})` : body.description;
      } catch { /* not our error shape */ }
      throw new Error(why);
    }
    const body = await r.json(); // eslint-disable-line no-await-in-loop
    for (const f of body.features) rows.push(f.properties);
    const next = (body.links || []).find((l) => l.rel === 'next');
    path = next ? (({ pathname, search }) => pathname + search)(new URL(next.href)) : null;
  }
  return rows;
}

// ---------------------------------------------------------------- CSV

function csvCell(value) {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A CSV of rows (objects) with these columns, as an object URL for a download link. */
const csvUrls = new Map();
function setCsv(panel, columns, rows, filename) {
  const text = [columns, ...rows.map((r) => columns.map((c) => r[c]))]
    .map((line) => line.map(csvCell).join(',')).join('\r\n') + '\r\n';
  if (csvUrls.has(panel)) URL.revokeObjectURL(csvUrls.get(panel));
  const href = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  csvUrls.set(panel, href);
  const link = $(panel).querySelector('a.csv');
  link.href = href;
  link.download = filename;
}

// ---------------------------------------------------------------- charts

const charts = {};

function draw(panel, chartConfig, height) {
  if (charts[panel]) charts[panel].destroy();
  const box = $(panel).querySelector('.chart');
  if (height) box.style.height = `${height}px`;
  charts[panel] = new Chart(box.querySelector('canvas'), {
    ...chartConfig,
    options: { animation: false, responsive: true, maintainAspectRatio: false, ...chartConfig.options },
  });
}

function limitLines(labels) { // the EU limit and the WHO guideline, as flat line datasets
  return [['eu_limit', config.eu_limit, EU_COLOUR], ['who_guideline', config.who_guideline, WHO_COLOUR]]
    .map(([key, v, colour]) => ({
      type: 'line', label: t(key, { v }), data: labels.map(() => v), borderColor: colour,
      backgroundColor: colour, borderDash: [6, 4], borderWidth: 2, pointRadius: 0,
    }));
}

function fillTable(panel, rows, cells) {
  $(panel).querySelector('.figures tbody').replaceChildren(...rows.map((row) => {
    const tr = el('tr');
    for (const [key, value, shown] of cells(row)) {
      const td = el('td', { textContent: shown ?? value });
      td.dataset.key = key;
      td.dataset.value = value ?? '';
      if (typeof value === 'number') td.className = 'n';
      tr.append(td);
    }
    return tr;
  }));
}

function yearOptions(panel, years, chosen) {
  const select = $(panel).querySelector('select.year');
  select.replaceChildren(...years.map((y) => el('option', { value: y, textContent: y, selected: y === chosen })));
}

function showEmpty(panel, empty) {
  $(panel).querySelector('.empty').hidden = !empty;
  $(panel).querySelector('.chart').hidden = empty;
}

const nameOf = (row) => (state.lang === 'nl' ? row.name_nl || row.name_fr : row.name_fr || row.name_nl);
const yearsOf = (values) => [...new Set(values)].sort((a, b) => a - b);
const monthsOf = (year) => Array.from({ length: 12 }, (_, i) => `${year}-${String(i + 1).padStart(2, '0')}`);

// ---------------------------------------------------------------- the panels

const data = { families: {} }; // collection rows, loaded once; families by language

function renderReports() {
  const rows = data.reports;
  const years = yearsOf(rows.map((r) => Number(r.month.slice(0, 4))));
  if (!state.reports || !years.includes(state.reports)) state.reports = years.at(-1) ?? null;
  yearOptions('reports', years, state.reports);
  const shown = rows.filter((r) => Number(r.month.slice(0, 4)) === state.reports)
    .sort((a, b) => a.month.localeCompare(b.month) || String(a.district_id).localeCompare(String(b.district_id)));
  const months = state.reports ? monthsOf(state.reports) : [];
  const sum = (month, f) => shown.filter((r) => r.month === month).reduce((s, r) => s + f(r), 0);
  draw('reports', {
    type: 'bar',
    data: {
      labels: months.map(monthName),
      datasets: [
        { label: t('open'), data: months.map((m) => sum(m, (r) => r.n_open)), backgroundColor: OPEN_COLOUR },
        { label: t('closed'), data: months.map((m) => sum(m, (r) => r.n_incidents - r.n_open)), backgroundColor: CLOSED_COLOUR },
      ],
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
  });
  showEmpty('reports', !shown.length);
  fillTable('reports', shown, (r) => [['district_id', r.district_id, `${nameOf(r)} (${r.district_id})`],
    ['month', r.month, monthName(r.month)], ['n_incidents', r.n_incidents, formatNumber(r.n_incidents)],
    ['n_open', r.n_open, formatNumber(r.n_open)]]);
  setCsv('reports', ['id', 'district_id', 'name_fr', 'name_nl', 'month', 'n_incidents', 'n_open'], shown,
    `incidents_district_month_${state.reports}.csv`);
}

/** Worksites active during each month of the year: started by its last day, not ended
 * before its first. One without an end date (drafts, requests in preparation) has no known
 * period: not counted. */
function activePerMonth(rows, year) {
  return monthsOf(year).map((month) => {
    const first = `${month}-01`;
    const [y, m] = month.split('-').map(Number);
    const last = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
    const n = rows.filter((r) => r.start_date && r.end_date && r.start_date <= last
      && r.end_date >= first).length;
    return { month, n_active: n };
  });
}

function renderWorks() {
  const rows = data.works;
  const years = yearsOf(rows.filter((r) => r.start_date).map((r) => Number(r.start_date.slice(0, 4))));
  const thisYear = new Date().getFullYear();
  if (!state.works || !years.includes(state.works)) {
    state.works = years.includes(thisYear) ? thisYear : years.at(-1) ?? null;
  }
  yearOptions('works', years, state.works);
  const shown = state.works ? activePerMonth(rows, state.works) : [];
  draw('works', {
    type: 'bar',
    data: {
      labels: shown.map((r) => monthName(r.month)),
      datasets: [{ label: t('active_works'), data: shown.map((r) => r.n_active), backgroundColor: PALETTE[0] }],
    },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  showEmpty('works', !shown.length);
  fillTable('works', shown, (r) => [['month', r.month, monthName(r.month)],
    ['n_active', r.n_active, formatNumber(r.n_active)]]);
  setCsv('works', ['month', 'n_active'], shown, `worksites_active_per_month_${state.works}.csv`);
}

function renderNo2() {
  const rows = data.no2.filter((r) => r.source === state.source);
  const years = yearsOf(rows.map((r) => r.year));
  if (!state.no2 || !years.includes(state.no2)) state.no2 = years.at(-1) ?? null;
  yearOptions('no2', years, state.no2);
  $('no2-source').replaceChildren(...config.sources.map((s) => el('option', {
    value: s, textContent: t(`source:${s}`), selected: s === state.source })));
  const shown = rows.filter((r) => r.year === state.no2)
    .sort((a, b) => b.no2_mean_ug_m3 - a.no2_mean_ug_m3 || String(a.district_id).localeCompare(String(b.district_id)));
  const labels = shown.map(nameOf);
  draw('no2', {
    type: 'bar',
    data: {
      labels,
      datasets: [{ label: t('mean'), data: shown.map((r) => r.no2_mean_ug_m3), backgroundColor: PALETTE[0] },
        ...limitLines(labels)],
    },
    options: { indexAxis: 'y', scales: { x: { beginAtZero: true, title: { display: true, text: t('no2_axis') } },
      y: { ticks: { autoSkip: false } } } },
  }, Math.max(280, 60 + 16 * shown.length));
  showEmpty('no2', !shown.length);
  fillTable('no2', shown, (r) => [['district_id', r.district_id, `${nameOf(r)} (${r.district_id})`],
    ['n_measures', r.n_measures, formatNumber(r.n_measures)],
    ['no2_mean_ug_m3', r.no2_mean_ug_m3, formatNumber(r.no2_mean_ug_m3)],
    ['no2_max_ug_m3', r.no2_max_ug_m3, formatNumber(r.no2_max_ug_m3)]]);
  setCsv('no2', ['id', 'district_id', 'name_fr', 'name_nl', 'year', 'source', 'n_measures',
    'no2_mean_ug_m3', 'no2_max_ug_m3'], shown, `no2_district_year_${state.no2}_${state.source}.csv`);
}

function renderStations() {
  const rows = [...data.stations].sort((a, b) => a.station.localeCompare(b.station) || a.year - b.year);
  const years = yearsOf(rows.map((r) => r.year));
  const labels = years.length ? Array.from({ length: years.at(-1) - years[0] + 1 }, (_, i) => years[0] + i) : [];
  const stations = [...new Set(rows.map((r) => r.station))];
  draw('stations', {
    type: 'line',
    data: {
      labels,
      datasets: [...stations.map((station, i) => {
        const byYear = new Map(rows.filter((r) => r.station === station).map((r) => [r.year, r.no2_ug_m3]));
        return { label: station, data: labels.map((y) => byYear.get(y) ?? null), borderColor: PALETTE[i % PALETTE.length],
          backgroundColor: PALETTE[i % PALETTE.length], pointRadius: 2, borderWidth: 1.5, spanGaps: false };
      }), ...limitLines(labels)],
    },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: t('no2_axis') } } },
      plugins: { legend: { labels: { boxWidth: 12 } } } },
  }, 340);
  showEmpty('stations', !rows.length);
  setCsv('stations', ['id', 'station', 'year', 'no2_ug_m3'], rows, 'no2_station_series.csv');
}

/** Road works active during the works panel's year, per commune (worksite_links' municipality
 * at the worksite's start date): the same rule as per month, over the whole year. */
function renderCommunes() {
  const year = state.works;
  const counts = new Map();
  for (const r of data.works) {
    if (!(year && r.start_date && r.end_date && r.start_date <= `${year}-12-31`
      && r.end_date >= `${year}-01-01`)) continue; // eslint-disable-line no-continue
    const key = r.municipality_id ?? '';
    const row = counts.get(key) || { year, municipality_id: r.municipality_id ?? '',
      municipality_fr: r.municipality_fr ?? '', municipality_nl: r.municipality_nl ?? '', n_active: 0 };
    row.n_active += 1;
    counts.set(key, row);
  }
  const communeName = (r) => (r.municipality_id === '' ? t('no_commune')
    : (state.lang === 'nl' ? r.municipality_nl || r.municipality_fr : r.municipality_fr || r.municipality_nl));
  const shown = [...counts.values()]
    .sort((a, b) => b.n_active - a.n_active || String(a.municipality_id).localeCompare(String(b.municipality_id)));
  $('communes').querySelector('.year-shown').textContent = year ?? '';
  draw('communes', {
    type: 'bar',
    data: { labels: shown.map(communeName),
      datasets: [{ label: t('active_works'), data: shown.map((r) => r.n_active), backgroundColor: PALETTE[0] }] },
    options: { indexAxis: 'y', scales: { x: { beginAtZero: true, ticks: { precision: 0 } },
      y: { ticks: { autoSkip: false } } } },
  }, Math.max(220, 60 + 20 * shown.length));
  showEmpty('communes', !shown.length);
  fillTable('communes', shown, (r) => [['municipality_id', r.municipality_id, communeName(r)],
    ['n_active', r.n_active, formatNumber(r.n_active)]]);
  setCsv('communes', ['year', 'municipality_id', 'municipality_fr', 'municipality_nl', 'n_active'], shown,
    `worksites_active_per_commune_${year}.csv`);
}

/** Reports of the reports panel's year per district, on the districts of the year's middle
 * (the viewer's tiles of /collections/districts), coloured by incidents_district_month. */
const MAP_COLOURS = ['#fef0d9', '#fdcc8a', '#fc8d59', '#e34a33', '#b30000'];
const BRUSSELS = [[4.24, 50.76], [4.48, 50.92]];
let districtMap = null;
let districtStyle = null; // the style last given to the map

/** The class of a count: class i holds the counts above i/5 of the top, up to (i+1)/5 of it. */
const mapClass = (n, top) => Math.max(0, Math.ceil((n * MAP_COLOURS.length) / top) - 1);

function districtColours(counts) { // a MapLibre expression: district_id -> colour of its class
  const top = Math.max(1, ...counts.map((r) => r.n_incidents));
  const colour = (n) => MAP_COLOURS[mapClass(n, top)];
  if (!counts.length) return 'rgba(0,0,0,0)';
  return ['match', ['get', 'district_id'], ...counts.flatMap((r) => [String(r.district_id), colour(r.n_incidents)]),
    'rgba(0,0,0,0)'];
}

function renderMap() {
  const year = state.reports;
  const counts = new Map();
  for (const r of data.reports) {
    if (Number(r.month.slice(0, 4)) !== year) continue; // eslint-disable-line no-continue
    const row = counts.get(r.district_id) || { year, district_id: r.district_id, name_fr: r.name_fr,
      name_nl: r.name_nl, n_incidents: 0 };
    row.n_incidents += r.n_incidents;
    counts.set(r.district_id, row);
  }
  const shown = [...counts.values()]
    .sort((a, b) => b.n_incidents - a.n_incidents || String(a.district_id).localeCompare(String(b.district_id)));
  $('districts-map').querySelector('.year-shown').textContent = year ?? '';
  // the districts of the year's middle; with no report yet (no year), today's
  const tiles = vectorSource('/collections/districts/tiles/WebMercatorQuad', year ? { datetime: `${year}-07-01` } : {},
    { minzoom: 10, maxzoom: 16 });
  const style = {
    version: 8,
    sources: { districts: tiles },
    layers: [BACKGROUND,
      { id: 'districts-fill', type: 'fill', source: 'districts', 'source-layer': 'districts',
        paint: { 'fill-color': districtColours(shown), 'fill-opacity': 0.85 } },
      { id: 'districts-line', type: 'line', source: 'districts', 'source-layer': 'districts',
        paint: { 'line-color': '#555555', 'line-width': 0.6 } }],
  };
  if (!districtMap) {
    districtMap = new MapLibreMap({ container: $('districts-map').querySelector('.map'), style, bounds: BRUSSELS,
      minZoom: 10, attributionControl: false, dragRotate: false, pitchWithRotate: false });
    districtMap.addControl(new NavigationControl({ showCompass: false }), 'top-right');
    districtMap.on('error', (event) => showError(t('map_title'), event.error || new Error('map')));
    dashboard.map = districtMap;
    track(new Promise((resolve) => { districtMap.once('idle', resolve); }));
  } else if (JSON.stringify(style) !== JSON.stringify(districtStyle)) {
    // another year (or other counts): a map that changes is drawn again, then idle
    districtMap.setStyle(style);
    track(new Promise((resolve) => { districtMap.once('idle', resolve); }));
  }
  districtStyle = style;
  const top = Math.max(1, ...shown.map((r) => r.n_incidents));
  $('districts-map').querySelector('.legend').replaceChildren(...MAP_COLOURS.flatMap((c, i) => {
    const from = Math.floor((i * top) / MAP_COLOURS.length) + 1; // the counts of class i
    const to = Math.floor(((i + 1) * top) / MAP_COLOURS.length);
    if (from > to) return [];
    return [el('span', { className: 'key' }, el('i', { style: `background:${c}` }),
      from === to ? formatNumber(from) : `${formatNumber(from)}–${formatNumber(to)}`)];
  }));
  showEmpty('districts-map', false);
  fillTable('districts-map', shown, (r) => [['district_id', r.district_id, `${nameOf(r)} (${r.district_id})`],
    ['n_incidents', r.n_incidents, formatNumber(r.n_incidents)]]);
  setCsv('districts-map', ['year', 'district_id', 'name_fr', 'name_nl', 'n_incidents'], shown,
    `incidents_per_district_${year}.csv`);
}

/** The year (in Brussels) of an instant written by the API, as incidents_district_month counts it. */
const CITY_YEAR = new Intl.DateTimeFormat('en-GB', { year: 'numeric', timeZone: 'Europe/Brussels' });
const cityYear = (instant) => Number(CITY_YEAR.format(new Date(instant)));

/** Reports of the reports panel's year per category family (Open311's `group`, in the page's
 * language): the incidents' service codes, the families of /open311/v2/services.json. */
function renderFamilies() {
  const families = data.families[state.lang];
  if (!families) { track(loadFamilies().then(() => render('families'))); return; }
  const counts = new Map();
  for (const r of data.incidents) {
    if (cityYear(r.requested_at) !== state.reports) continue; // eslint-disable-line no-continue
    const family = families.get(String(r.service_code)) ?? t('unknown_family');
    counts.set(family, (counts.get(family) || 0) + 1);
  }
  const shown = [...counts].map(([family, n]) => ({ year: state.reports, family, n_reports: n }))
    .sort((a, b) => b.n_reports - a.n_reports || a.family.localeCompare(b.family));
  $('families').querySelector('.year-shown').textContent = state.reports ?? '';
  draw('families', {
    type: 'bar',
    data: { labels: shown.map((r) => r.family),
      datasets: [{ label: t('reports'), data: shown.map((r) => r.n_reports), backgroundColor: PALETTE[1] }] },
    options: { indexAxis: 'y', scales: { x: { beginAtZero: true, ticks: { precision: 0 } },
      y: { ticks: { autoSkip: false } } } },
  }, Math.max(220, 60 + 22 * shown.length));
  showEmpty('families', !shown.length);
  fillTable('families', shown, (r) => [['family', r.family], ['n_reports', r.n_reports, formatNumber(r.n_reports)]]);
  setCsv('families', ['year', 'family', 'n_reports'], shown,
    `reports_per_family_${state.reports}_${state.lang}.csv`);
}

async function loadFamilies() {
  const lang = state.lang;
  const r = await fetch(`/open311/v2/services.json?lang=${lang}`);
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  data.families[lang] = new Map((await r.json()).map((s) => [String(s.service_code), s.group]));
}

const PANELS = { reports: renderReports, 'districts-map': renderMap, families: renderFamilies, works: renderWorks,
  communes: renderCommunes, no2: renderNo2, stations: renderStations };
const FOLLOWERS = { reports: ['districts-map', 'families'], works: ['communes'] }; // panels drawn for another panel's year
const ROWS_OF = { 'districts-map': 'reports', families: 'incidents', communes: 'works' };
const ready = (panel) => data[ROWS_OF[panel] || panel]; // its rows loaded

function render(panel) {
  try {
    PANELS[panel]();
    $(panel).dataset.state = 'ready';
  } catch (error) {
    $(panel).dataset.state = 'error';
    showError(t(`${panel}_title`), error);
  }
}

// ---------------------------------------------------------------- the page

let errors = 0;

function showError(what, error) {
  errors += 1;
  const status = $('status');
  status.className = 'error';
  status.textContent = t('error', { what, why: error.message || String(error) });
  console.error(what, error); // eslint-disable-line no-console
}

function applyStaticStrings() {
  document.documentElement.lang = state.lang;
  document.title = t('title');
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  $('lang-select').replaceChildren(...LANGS.map((l) => el('option', { value: l, textContent: LANGUAGE_NAMES[l],
    selected: l === state.lang })));
}

const pending = new Set();
function track(promise) {
  pending.add(promise);
  promise.catch((e) => showError('', e)).finally(() => pending.delete(promise));
  return promise;
}

function wire() {
  $('lang-select').addEventListener('change', (e) => {
    state.lang = e.target.value;
    writeState();
    applyStaticStrings();
    for (const panel of Object.keys(PANELS)) if (ready(panel)) render(panel);
    if (!errors && dashboard.firstRenderMs !== undefined) {
      $('status').textContent = t('rendered', { ms: dashboard.firstRenderMs });
    }
  });
  for (const select of document.querySelectorAll('select.year')) {
    select.addEventListener('change', (e) => {
      state[e.target.dataset.param] = Number(e.target.value);
      render(e.target.dataset.param);
      for (const panel of FOLLOWERS[e.target.dataset.param] || []) if (ready(panel)) render(panel);
      writeState();
    });
  }
  $('no2-source').addEventListener('change', (e) => {
    state.source = e.target.value;
    state.no2 = null; // the latest year of that source, unless the year is one of it
    const years = data.no2.filter((r) => r.source === state.source).map((r) => r.year);
    const asked = Number($('no2').querySelector('select.year').value);
    if (years.includes(asked)) state.no2 = asked;
    render('no2');
    writeState();
  });
}

async function load(panel, collection, params) {
  data[panel] = await allItems(collection, params);
  render(panel);
}

/** The incidents' codes and dates, the families in the page's language, once the reports
 * panel (whose year this panel follows) is drawn. */
async function loadFamiliesPanel(after) {
  [data.incidents] = await Promise.all([
    allItems(config.collections.incidents, config.reads.incidents),
    loadFamilies(), after]);
  render('families');
}

async function start() {
  applyStaticStrings();
  $('status').textContent = t('loading');
  wire();
  const c = config.collections;
  const reports = load('reports', c.reports, config.reads.reports);
  const works = load('works', c.works, config.reads.works);
  const loads = await Promise.allSettled([
    reports,
    reports.then(() => render('districts-map')),
    loadFamiliesPanel(reports),
    works,
    works.then(() => render('communes')),
    load('no2', c.no2, config.reads.no2),
    load('stations', c.stations, config.reads.stations),
  ]);
  loads.forEach((result, i) => {
    if (result.status === 'rejected') {
      const panel = Object.keys(PANELS)[i];
      $(panel).dataset.state = 'error';
      showError(t(`${panel}_title`), result.reason);
    }
  });
  writeState();
  await new Promise((resolve) => { requestAnimationFrame(() => resolve()); }); // painted
  dashboard.firstRenderMs = Math.round(performance.now());
  if (!errors) {
    $('status').className = '';
    $('status').textContent = t('rendered', { ms: dashboard.firstRenderMs });
  }
}

const dashboard = {
  state,
  firstRenderMs: undefined,
  /** Resolves once every pending update is done. */
  async rendered() {
    while (pending.size) await Promise.allSettled([...pending]); // eslint-disable-line no-await-in-loop
  },
  errors: () => errors,
  charts,
};
window.strataDashboard = dashboard;
track(start());
