// OGC API - Features Part 3 (Filtering) at /ogc, checked the way the abstract test suite of
// OGC 19-079 (Annex A, conformance classes "Filter" and "Features Filter") does, on both
// kinds of collection: a layer imported with `dothi import` from a GeoJSON file (zoning
// cells in Hà Nội) and an NGSI-LD entity type created through /ngsi-ld/v1 (landmarks across
// Việt Nam). Every expected answer is computed here from that input. Then the parts the
// suite leaves to the server: cql2-text and cql2-json giving the same features,
// accent-insensitive search of Vietnamese names, spatial predicates, errors, paging, tenants,
// and GDAL's OAPIF driver as a real client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startServer, DOTHI_BIN } from './lib/server.mjs';
import { client, LD } from './lib/http.mjs';

const exec = promisify(execFile);

const OGC = '/ogc';
const GEOJSON = 'application/geo+json';
const SCHEMA_JSON = 'application/schema+json';
const QUERYABLES_REL = 'http://www.opengis.net/def/rel/ogc/1.0/queryables';
const PART3 = 'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/';
const CQL2 = 'http://www.opengis.net/spec/cql2/1.0/conf/';
const TENANT = 'hanoi';
const HANOI = { 'NGSILD-Tenant': TENANT };
const HUE = { 'NGSILD-Tenant': 'hue' };
const LAYER = 'quy-hoach';
const TYPE = 'Landmark';

const round6 = (x) => Number(x.toFixed(6));
const round7 = (x) => Number(x.toFixed(7));

// ---- the layer: 40 zoning cells of 0.002° in an 8 x 5 grid ----
const USES = ['ODT', 'TMD', 'CXX', 'DGD', 'DYT'];
const ZONE_NAMES = ['Khu dân cư Ba Đình', 'Trung tâm thương mại Tràng Tiền', 'Công viên Thống Nhất',
  'Trường học Chu Văn An', 'Quảng trường Đông Kinh'];
const ZONES = Array.from({ length: 40 }, (_, i) => {
  const x0 = round7(105.8 + (i % 8) * 0.002), y0 = round7(21.0 + Math.floor(i / 8) * 0.002);
  const x1 = round7(x0 + 0.002), y1 = round7(y0 + 0.002);
  return {
    id: `HK-${String(i + 1).padStart(3, '0')}`,
    x0, y0, x1, y1,
    MA_DAT: USES[i % 5],
    TEN: `${ZONE_NAMES[i % 5]} ${i + 1}`,
    TANG_MAX: 3 + (i % 20),
    MDXD: 40.5 + i,
    GHI_CHU: i % 4 === 0 ? null : `ghi chú ${i + 1}`,
  };
});
const LAYER_EXTENT = [105.8, 21.0, 105.816, 21.01];

// ---- the entity type: 30 landmarks; some without a rating ----
const PROVINCES = ['Quảng Ninh', 'Quảng Nam', 'Quảng Ngãi', 'Hà Nội', 'Đà Nẵng', 'Thừa Thiên Huế'];
const KINDS = ['Đền', 'Chùa', 'Bảo tàng'];
const LANDMARKS = Array.from({ length: 30 }, (_, i) => ({
  id: `urn:ngsi-ld:Landmark:lm-${String(i + 1).padStart(2, '0')}`,
  name: `${KINDS[i % 3]} ${PROVINCES[i % 6]} ${i + 1}`,
  province: PROVINCES[i % 6],
  visitors: 1000 * (i + 1),
  rating: i % 4 === 0 ? undefined : 3 + (i % 5) / 2,
  lon: round6(103 + (i % 10) * 0.6),
  lat: round6(10 + Math.floor(i / 10) * 4 + (i % 7) * 0.3),
}));
const landmarkEntity = (l) => ({
  id: l.id,
  type: TYPE,
  name: { type: 'Property', value: l.name },
  province: { type: 'Property', value: l.province },
  visitors: { type: 'Property', value: l.visitors },
  ...(l.rating === undefined ? {} : { rating: { type: 'Property', value: l.rating } }),
  location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [l.lon, l.lat] } },
});
// Another tenant's landmarks: one that every filter on Quảng Ninh would match, one not.
const HUE_LANDMARK = { id: 'urn:ngsi-ld:Landmark:hue-1', name: 'Đền Quảng Ninh (Huế)', province: 'Quảng Ninh', visitors: 5, rating: 5, lon: 107.58, lat: 16.46 };
const HUE_OTHER = { id: 'urn:ngsi-ld:Landmark:hue-2', name: 'Đại Nội', province: 'Thừa Thiên Huế', visitors: 9, rating: 5, lon: 107.577, lat: 16.469 };

let dir;
let server;
let c;

async function run(cmd, args) {
  try {
    const { stdout, stderr } = await exec(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dothi-filter-'));
  const dataDir = path.join(dir, 'data');
  const file = path.join(dir, 'quy-hoach.geojson');
  writeFileSync(file, JSON.stringify({
    type: 'FeatureCollection',
    features: ZONES.map((z) => ({
      type: 'Feature',
      properties: { MA_KHU: z.id, MA_DAT: z.MA_DAT, TEN: z.TEN, TANG_MAX: z.TANG_MAX, MDXD: z.MDXD, GHI_CHU: z.GHI_CHU },
      geometry: { type: 'Polygon', coordinates: [[[z.x0, z.y0], [z.x1, z.y0], [z.x1, z.y1], [z.x0, z.y1], [z.x0, z.y0]]] },
    })),
  }));
  const imported = await run(DOTHI_BIN, ['import', file, '--data-dir', dataDir, '--no-progress', '--tenant', TENANT,
    '--layer', LAYER, '--title', 'Quy hoạch phân khu Hoàn Kiếm', '--id-field', 'MA_KHU']);
  assert.equal(imported.code, 0, imported.stderr);
  server = await startServer({ dataDir, args: ['--ogc-tenant', TENANT, '--ogc-max-filter-bytes', '4096'] });
  c = client(server.url);
  const r = await c.post(`${LD}/entityOperations/create`, LANDMARKS.map(landmarkEntity), { headers: HANOI });
  assert.equal(r.status, 201, r.text);
  const h = await c.post(`${LD}/entityOperations/create`, [landmarkEntity(HUE_LANDMARK), landmarkEntity(HUE_OTHER)], { headers: HUE });
  assert.equal(h.status, 201, h.text);
});
after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---- helpers ----

const mediaType = (ct) => (ct ?? '').split(';')[0].trim().toLowerCase();
const sorted = (a) => [...a].sort();
const ids = (fc) => sorted(fc.features.map((f) => f.id));
const itemsPath = (collection, params = {}) => {
  const q = new URLSearchParams(params).toString();
  return `${OGC}/collections/${collection}/items${q ? `?${q}` : ''}`;
};

// GET items with the given parameters (limit 1000 unless given); asserts a GeoJSON page.
async function items(collection, params = {}, headers = HANOI) {
  const p = itemsPath(collection, { limit: '1000', ...params });
  const r = await c.get(p, { headers });
  assert.equal(r.status, 200, `${decodeURIComponent(p)}: ${r.text}`);
  assert.equal(mediaType(r.headers.get('content-type')), GEOJSON);
  assert.equal(r.body.type, 'FeatureCollection');
  assert.equal(r.body.numberReturned, r.body.features.length);
  return r.body;
}

// An OGC API exception: status, application/json, {code, description}.
function assertOgcError(r, status, what) {
  assert.equal(r.status, status, `${what}: expected ${status}, got ${r.status}: ${r.text}`);
  assert.equal(mediaType(r.headers.get('content-type')), 'application/json', `${what}: content-type`);
  assert.equal(r.body?.code, 'InvalidParameterValue', `${what}: ${r.text}`);
  assert.equal(typeof r.body.description, 'string', `${what}: ${r.text}`);
  return r.body;
}

const fold = (s) => s.normalize('NFD').replace(/\p{Mn}/gu, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').normalize('NFC');
const zoneIds = (pred) => sorted(ZONES.filter(pred).map((z) => z.id));
const landmarkIds = (pred) => sorted(LANDMARKS.filter(pred).map((l) => l.id));
const rectsMeet = (z, [x0, y0, x1, y1]) => z.x0 <= x1 && z.x1 >= x0 && z.y0 <= y1 && z.y1 >= y0;
const inBox = (l, [x0, y0, x1, y1]) => l.lon >= x0 && l.lon <= x1 && l.lat >= y0 && l.lat <= y1;

// The collections of the tests, with a sample queryable and the spatial one.
const COLLECTIONS = [
  { id: LAYER, spatial: 'geometry', sample: 'GHI_CHU', all: zoneIds(() => true), nulls: zoneIds((z) => z.GHI_CHU === null), extent: LAYER_EXTENT },
  {
    id: TYPE, spatial: 'location', sample: 'rating', all: landmarkIds(() => true), nulls: landmarkIds((l) => l.rating === undefined),
    extent: [Math.min(...LANDMARKS.map((l) => l.lon)), Math.min(...LANDMARKS.map((l) => l.lat)),
      Math.max(...LANDMARKS.map((l) => l.lon)), Math.max(...LANDMARKS.map((l) => l.lat))],
  },
];
const bboxFilter = (spatial, [x0, y0, x1, y1]) => `S_INTERSECTS(${spatial},BBOX(${x0},${y0},${x1},${y1}))`;

// ---- conformance, collections, queryables (ATS "Filter": get-conformance .. get-queryables) ----

test('conformance declares Part 3 and the CQL2 classes the filter supports', async () => {
  const r = await c.get(`${OGC}/conformance`, { headers: { Accept: 'application/json' } });
  assert.equal(r.status, 200);
  assert.equal(mediaType(r.headers.get('content-type')), 'application/json');
  for (const cls of ['filter', 'features-filter', 'queryables', 'queryables-query-parameters']) {
    assert.ok(r.body.conformsTo.includes(PART3 + cls), `conformsTo ${PART3 + cls}`);
  }
  for (const cls of ['cql2-text', 'cql2-json', 'basic-cql2', 'advanced-comparison-operators', 'case-insensitive-comparison',
    'accent-insensitive-comparison', 'basic-spatial-functions']) {
    assert.ok(r.body.conformsTo.includes(CQL2 + cls), `conformsTo ${CQL2 + cls}`);
  }
  // Not supported, so not declared.
  // spatial-functions needs GEOMETRYCOLLECTION literals, which the parser refuses.
  for (const cls of ['spatial-functions', 'temporal-functions', 'array-functions', 'property-property', 'functions', 'arithmetic']) {
    assert.ok(!r.body.conformsTo.includes(CQL2 + cls), `does not claim ${cls}`);
  }
});

test('every collection links to its queryables (get-collection)', async () => {
  const list = await c.get(`${OGC}/collections`, { headers: HANOI });
  assert.equal(list.status, 200);
  const got = sorted(list.body.collections.map((x) => x.id));
  assert.deepEqual(got, sorted([LAYER, TYPE]));
  for (const { id } of list.body.collections) {
    const r = await c.get(`${OGC}/collections/${id}`, { headers: { ...HANOI, Accept: 'application/json' } });
    assert.equal(r.status, 200);
    const link = r.body.links.find((l) => l.rel === QUERYABLES_REL && mediaType(l.type) === SCHEMA_JSON);
    assert.ok(link, `${id}: queryables link in ${JSON.stringify(r.body.links)}`);
    assert.equal(link.href, `${server.url}${OGC}/collections/${id}/queryables`);
  }
});

test('queryables are a JSON Schema of the properties and the geometry (get-queryables)', async () => {
  for (const col of COLLECTIONS) {
    const url = `${OGC}/collections/${col.id}/queryables`;
    const r = await c.get(url, { headers: { ...HANOI, Accept: SCHEMA_JSON } });
    assert.equal(r.status, 200, r.text);
    assert.equal(mediaType(r.headers.get('content-type')), SCHEMA_JSON);
    assert.ok(['https://json-schema.org/draft/2019-09/schema', 'https://json-schema.org/draft/2020-12/schema'].includes(r.body.$schema), r.body.$schema);
    assert.equal(r.body.$id, `${server.url}${url}`);
    assert.equal(r.body.type, 'object');
    assert.equal(r.body.additionalProperties, false);
    assert.equal(typeof r.body.properties, 'object');
    assert.equal(r.body.properties[col.spatial]?.format, 'geometry-any', `${col.id}: ${JSON.stringify(r.body.properties)}`);
    assert.ok(r.body.properties[col.sample], `${col.id}: sample queryable ${col.sample}`);
  }
  const layer = (await c.get(`${OGC}/collections/${LAYER}/queryables`, { headers: HANOI })).body;
  assert.deepEqual(sorted(Object.keys(layer.properties)), sorted(['geometry', 'MA_KHU', 'MA_DAT', 'TEN', 'TANG_MAX', 'MDXD', 'GHI_CHU']));
  assert.equal(layer.properties.TANG_MAX.type, 'integer');
  assert.equal(layer.properties.MDXD.type, 'number');
  assert.equal(layer.properties.TEN.type, 'string');
  const entity = (await c.get(`${OGC}/collections/${TYPE}/queryables`, { headers: HANOI })).body;
  assert.deepEqual(sorted(Object.keys(entity.properties)), sorted(['location', 'name', 'province', 'visitors', 'rating']));
  assert.match(entity.properties.name.description, /name$/);  // the attribute's IRI

  const html = await c.get(`${OGC}/collections/${LAYER}/queryables?f=html`, { headers: HANOI });
  assert.equal(html.status, 200);
  assert.equal(mediaType(html.headers.get('content-type')), 'text/html');
  assert.match(html.text, /Thuộc tính lọc \/ Queryables/);
  assert.match(html.text, /<code>TANG_MAX<\/code>/);
  const missing = await c.get(`${OGC}/collections/nope/queryables`, { headers: HANOI });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.code, 'NotFound');
});

test('the API definition has the filter parameters and the queryables path', async () => {
  const r = await c.get(`${OGC}/api`, { headers: HANOI });
  assert.equal(r.status, 200);
  const resolve = (p) => (p.$ref ? r.body.components.parameters[p.$ref.split('/').pop()] : p);
  for (const pathName of ['/collections/{collectionId}/items', `/collections/${LAYER}/items`]) {
    const params = r.body.paths[pathName].get.parameters.map(resolve);
    const byName = Object.fromEntries(params.map((p) => [p.name, p]));
    assert.equal(byName.filter?.schema.type, 'string', pathName);
    assert.deepEqual(byName['filter-lang']?.schema.enum, ['cql2-text', 'cql2-json'], pathName);
    assert.equal(byName['filter-lang'].schema.default, 'cql2-text');
    assert.ok(byName['filter-crs']?.schema.enum.includes('http://www.opengis.net/def/crs/EPSG/0/3857'), pathName);
  }
  const layerParams = Object.fromEntries(r.body.paths[`/collections/${LAYER}/items`].get.parameters.map(resolve).map((p) => [p.name, p]));
  assert.equal(layerParams.TANG_MAX?.schema.type, 'integer');  // queryables as query parameters
  assert.ok(r.body.paths['/collections/{collectionId}/queryables']?.get);
});

// ---- filter-param, filter-lang-default, expression-construction ----

test('a valid filter gives exactly the matching features, with or without filter-lang', async () => {
  for (const col of COLLECTIONS) {
    const all = await items(col.id);
    assert.deepEqual(ids(all), col.all, `${col.id} unfiltered`);
    const filter = `${col.sample} IS NULL`;
    for (const params of [{ 'filter-lang': 'cql2-text', filter }, { filter }]) {
      const fc = await items(col.id, params);
      assert.deepEqual(ids(fc), col.nulls, `${col.id} ${JSON.stringify(params)}`);
      assert.ok(col.nulls.length > 0 && col.nulls.length < col.all.length, 'the filter selects');
      for (const f of fc.features) assert.equal(f.properties[col.sample] ?? null, null, f.id);
      assert.equal(fc.numberMatched, col.nulls.length);
    }
  }
});

test('an invalid filter is 400 with an OGC exception naming the problem', async () => {
  for (const col of COLLECTIONS) {
    for (const params of [{ 'filter-lang': 'cql2-text', filter: 'THIS IS NOT A FILTER' }, { filter: 'THIS IS NOT A FILTER' }]) {
      const r = await c.get(itemsPath(col.id, params), { headers: HANOI });
      const body = assertOgcError(r, 400, `${col.id} ${JSON.stringify(params)}`);
      assert.match(body.description, /^invalid cql2-text: .* at position \d+/);
    }
  }
  const cases = [
    [{ filter: "TEN = 'a" }, /invalid cql2-text: .*position/],
    [{ filter: '{"op": "=", "args": [', 'filter-lang': 'cql2-json' }, /invalid cql2-json/],
    [{ filter: '{"op": "like", "args": [{"property": "TEN"}, 5]}', 'filter-lang': 'cql2-json' }, /invalid cql2-json: .* at \/args/],
    [{ filter: 'TEN IS NULL', 'filter-lang': 'cql3-text' }, /unsupported filter-lang/],
    [{ filter: 'S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(1 1)))' }, /GEOMETRYCOLLECTION is not supported/],
    [{ filter: 'T_AFTER(TEN, TIMESTAMP(\'2024-01-01T00:00:00Z\'))' }, /invalid cql2-text/],
    [{ filter: 'TEN IS NULL', 'filter-crs': 'http://www.opengis.net/def/crs/OGC/0/does_not_exist' }, /unsupported filter-crs/],
    [{ filter: `TEN LIKE '%${'x'.repeat(5000)}'` }, /^invalid cql2-text: longer than 4096 bytes/],
    [{ filter: JSON.stringify({ op: 'like', args: [{ property: 'TEN' }, 'x'.repeat(5000)] }), 'filter-lang': 'cql2-json' },
      /^invalid cql2-json: longer than 4096 bytes/],
  ];
  for (const [params, description] of cases) {
    const body = assertOgcError(await c.get(itemsPath(LAYER, params), { headers: HANOI }), 400, JSON.stringify(params).slice(0, 200));
    assert.match(body.description, description);
  }
  // filter given twice is ambiguous, as every other parameter.
  const twice = await c.get(`${itemsPath(LAYER, { filter: 'TEN IS NULL' })}&filter=TEN%20IS%20NULL`, { headers: HANOI });
  assertOgcError(twice, 400, 'filter twice');
});

test('a filter on a property that is not a queryable is 400 (expression-construction)', async () => {
  for (const col of COLLECTIONS) {
    for (const params of [{ 'filter-lang': 'cql2-text', filter: 'this_is_not_a_queryable IS NULL' },
      { 'filter-lang': 'cql2-json', filter: '{"op": "isNull", "args": [{"property": "this_is_not_a_queryable"}]}' }]) {
      const body = assertOgcError(await c.get(itemsPath(col.id, params), { headers: HANOI }), 400, col.id);
      assert.equal(body.description, 'unknown queryable: this_is_not_a_queryable');
    }
  }
  // The feature id is not a queryable; a layer has no "location"; an entity type takes both names.
  assertOgcError(await c.get(itemsPath(LAYER, { filter: "id = 'HK-001'" }), { headers: HANOI }), 400, 'id');
  assertOgcError(await c.get(itemsPath(LAYER, { filter: bboxFilter('location', LAYER_EXTENT) }), { headers: HANOI }), 400, 'location on a layer');
  const both = await items(TYPE, { filter: bboxFilter('geometry', COLLECTIONS[1].extent) });
  assert.deepEqual(ids(both), COLLECTIONS[1].all);
});

// ---- filter-crs-wgs84, filter-crs-param, mixing-expression ----

test('spatial literals are CRS84 by default; out-of-range coordinates are 400 (filter-crs-wgs84)', async () => {
  for (const col of COLLECTIONS) {
    const fc = await items(col.id, { 'filter-lang': 'cql2-text', filter: bboxFilter(col.spatial, col.extent) });
    assert.deepEqual(ids(fc), col.all, col.id);
    const r = await c.get(itemsPath(col.id, { filter: bboxFilter(col.spatial, [1000000, 1000000, 2000000, 2000000]) }), { headers: HANOI });
    assertOgcError(r, 400, `${col.id} projected numbers without filter-crs`);
  }
});

// The points of a lon/lat box's boundary, 16 per edge.
function boundary([x0, y0, x1, y1]) {
  const out = [];
  for (let i = 0; i <= 16; i++) {
    const f = i / 16;
    const x = x0 + (x1 - x0) * f, y = y0 + (y1 - y0) * f;
    out.push([x, y0], [x, y1], [x0, y], [x1, y]);
  }
  return out;
}

// A box in crs (its axis order) holding the lon/lat box: GDAL converts the boundary.
function boxIn(crsUri, lonlat) {
  const m = /EPSG\/0\/(\d+)$/.exec(crsUri);
  if (!m) return lonlat;  // CRS84
  const code = Number(m[1]);
  const r = spawnSync('gdaltransform', ['-s_srs', 'OGC:CRS84', '-t_srs', `EPSG:${code}`, '-output_xy'], {
    input: boundary(lonlat).map(([x, y]) => `${x} ${y}`).join('\n') + '\n',
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const pts = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  // GDAL writes easting or longitude first; EPSG:4326 and VN-2000 geographic are latitude first.
  const latFirst = code === 4326 || code === 4756;
  const a = pts.map(([x, y]) => (latFirst ? y : x)), b = pts.map(([x, y]) => (latFirst ? x : y));
  return [Math.min(...a), Math.min(...b), Math.max(...a), Math.max(...b)];
}

test('filter-crs: the collection extent given in each of its CRSs selects every feature (filter-crs-param)', async () => {
  for (const col of COLLECTIONS) {
    const meta = (await c.get(`${OGC}/collections/${col.id}`, { headers: HANOI })).body;
    assert.ok(meta.crs.length >= 4, JSON.stringify(meta.crs));
    // A margin of 0.01° keeps the edges clear of any difference between GDAL's and dothi's
    // datum shifts (VN-2000 is about 0.002° away from WGS 84).
    const [x0, y0, x1, y1] = col.extent;
    const around = [x0 - 0.01, y0 - 0.01, x1 + 0.01, y1 + 0.01];
    for (const crs of meta.crs) {
      const box = boxIn(crs, around);
      const fc = await items(col.id, { 'filter-crs': crs, filter: bboxFilter(col.spatial, box) });
      assert.deepEqual(ids(fc), col.all, `${col.id} in ${crs}: BBOX(${box})`);
    }
    const r = await c.get(itemsPath(col.id, { 'filter-crs': 'http://www.opengis.net/def/crs/OGC/0/does_not_exist', filter: bboxFilter(col.spatial, col.extent) }), { headers: HANOI });
    assertOgcError(r, 400, `${col.id}: unknown filter-crs`);
  }
  // A smaller box in Web Mercator selects what it covers, not more.
  const merc = boxIn('http://www.opengis.net/def/crs/EPSG/0/3857', [105.8005, 21.0005, 105.8035, 21.0025]);
  const fc = await items(LAYER, { 'filter-crs': 'http://www.opengis.net/def/crs/EPSG/0/3857', filter: `S_INTERSECTS(geometry, BBOX(${merc}))` });
  assert.deepEqual(ids(fc), zoneIds((z) => rectsMeet(z, [105.8005, 21.0005, 105.8035, 21.0025])));
});

test('filter and bbox, datetime and property parameters combine with AND (mixing-expression)', async () => {
  for (const col of COLLECTIONS) {
    const filter = bboxFilter(col.spatial, col.extent);
    const same = await items(col.id, { filter, bbox: col.extent.join(',') });
    assert.deepEqual(ids(same), col.all, col.id);
    const elsewhere = await items(col.id, { filter, bbox: '0,0,1,1' });
    assert.deepEqual(ids(elsewhere), [], col.id);
    const before = await items(col.id, { filter: `${col.sample} IS NULL`, datetime: '../2000-01-01T00:00:00Z' });
    assert.equal(before.numberMatched, col.id === TYPE ? 0 : col.nulls.length, `${col.id}: layers have no time`);
  }
  const box = [105.803, 21.003, 105.811, 21.007];
  const fc = await items(LAYER, { filter: 'TANG_MAX >= 10', bbox: box.join(','), MA_DAT: 'ODT' });
  assert.deepEqual(ids(fc), zoneIds((z) => z.TANG_MAX >= 10 && rectsMeet(z, box) && z.MA_DAT === 'ODT'));
  const lm = await items(TYPE, { filter: 'visitors > 10000', province: 'Hà Nội' });
  assert.deepEqual(ids(lm), landmarkIds((l) => l.visitors > 10000 && l.province === 'Hà Nội'));
});

// ---- beyond the suite ----

// Each case: a filter in both encodings and the features it selects.
const BOTH_ENCODINGS = [
  [LAYER, "MA_DAT IN ('ODT', 'CXX') AND TANG_MAX BETWEEN 5 AND 15",
    { op: 'and', args: [{ op: 'in', args: [{ property: 'MA_DAT' }, ['ODT', 'CXX']] }, { op: 'between', args: [{ property: 'TANG_MAX' }, 5, 15] }] },
    zoneIds((z) => ['ODT', 'CXX'].includes(z.MA_DAT) && z.TANG_MAX >= 5 && z.TANG_MAX <= 15)],
  [LAYER, "TEN LIKE 'Công viên%' OR NOT (MDXD < 70)",
    { op: 'or', args: [{ op: 'like', args: [{ property: 'TEN' }, 'Công viên%'] }, { op: 'not', args: [{ op: '<', args: [{ property: 'MDXD' }, 70] }] }] },
    zoneIds((z) => z.TEN.startsWith('Công viên') || !(z.MDXD < 70))],
  [LAYER, 'S_WITHIN(geometry, POLYGON((105.8 21.0, 105.8101 21.0, 105.8101 21.0041, 105.8 21.0041, 105.8 21.0)))',
    { op: 's_within', args: [{ property: 'geometry' }, { type: 'Polygon', coordinates: [[[105.8, 21.0], [105.8101, 21.0], [105.8101, 21.0041], [105.8, 21.0041], [105.8, 21.0]]] }] },
    zoneIds((z) => z.x1 <= 105.8101 && z.y1 <= 21.0041)],
  [TYPE, "rating >= 4 AND province <> 'Hà Nội'",
    { op: 'and', args: [{ op: '>=', args: [{ property: 'rating' }, 4] }, { op: '<>', args: [{ property: 'province' }, 'Hà Nội'] }] },
    landmarkIds((l) => l.rating !== undefined && l.rating >= 4 && l.province !== 'Hà Nội')],
  [TYPE, 'S_INTERSECTS(location, BBOX(104, 9, 106.5, 18.5)) AND NOT (visitors IN (2000, 3000, 12000))',
    { op: 'and', args: [{ op: 's_intersects', args: [{ property: 'location' }, { bbox: [104, 9, 106.5, 18.5] }] },
      { op: 'not', args: [{ op: 'in', args: [{ property: 'visitors' }, [2000, 3000, 12000]] }] }] },
    landmarkIds((l) => inBox(l, [104, 9, 106.5, 18.5]) && ![2000, 3000, 12000].includes(l.visitors))],
];

test('cql2-text and cql2-json give the same features, those computed from the input', async () => {
  for (const [collection, text, json, want] of BOTH_ENCODINGS) {
    assert.ok(want.length > 0, `${text}: selects something`);
    const a = await items(collection, { filter: text });
    const b = await items(collection, { filter: JSON.stringify(json), 'filter-lang': 'cql2-json' });
    assert.deepEqual(ids(a), want, text);
    assert.deepEqual(ids(b), want, JSON.stringify(json));
    assert.equal(a.numberMatched, want.length);
    assert.equal(b.numberMatched, want.length);
  }
});

test('"quang ninh" finds Quảng Ninh, not Quảng Nam, without accents or case (ACCENTI, CASEI)', async () => {
  const inQuangNinh = landmarkIds((l) => l.province === 'Quảng Ninh');
  assert.ok(inQuangNinh.length > 0);
  for (const filter of ["CASEI(ACCENTI(province)) = 'quang ninh'", "ACCENTI(province) = ACCENTI('Quang Ninh')",
    "ACCENTI(CASEI(province)) = CASEI('QUANG NINH')"]) {
    const fc = await items(TYPE, { filter });
    assert.deepEqual(ids(fc), inQuangNinh, filter);
    for (const f of fc.features) assert.equal(f.properties.province, 'Quảng Ninh');
  }
  // Accents alone are not case: lower case without CASEI finds nothing.
  assert.deepEqual(ids(await items(TYPE, { filter: "ACCENTI(province) = 'quang ninh'" })), []);
  // Plain comparison keeps accents.
  assert.deepEqual(ids(await items(TYPE, { filter: "province = 'Quang Ninh'" })), []);
  // LIKE over folded names, in both encodings.
  const want = landmarkIds((l) => fold(l.name).toLowerCase().includes('quang'));
  assert.ok(want.length > inQuangNinh.length, 'Quảng Nam and Quảng Ngãi too');
  assert.deepEqual(ids(await items(TYPE, { filter: "CASEI(ACCENTI(name)) LIKE '%quang%'" })), want);
  const json = { op: 'like', args: [{ op: 'casei', args: [{ op: 'accenti', args: [{ property: 'name' }] }] }, '%quang%'] };
  assert.deepEqual(ids(await items(TYPE, { filter: JSON.stringify(json), 'filter-lang': 'cql2-json' })), want);
  // Đ folds to D.
  assert.deepEqual(ids(await items(TYPE, { filter: "CASEI(ACCENTI(province)) = 'da nang'" })), landmarkIds((l) => l.province === 'Đà Nẵng'));
  const zones = await items(LAYER, { filter: "CASEI(ACCENTI(TEN)) LIKE 'quang truong dong kinh%'" });
  assert.deepEqual(ids(zones), zoneIds((z) => z.TEN.startsWith('Quảng trường Đông Kinh')));
});

test('spatial filters: S_INTERSECTS, S_DISJOINT, S_WITHIN and S_CONTAINS against the input geometry', async () => {
  const box = [105.8041, 21.0021, 105.8079, 21.0059];  // cuts through cells, no edge on the grid
  assert.deepEqual(ids(await items(LAYER, { filter: `S_INTERSECTS(geometry, BBOX(${box}))` })), zoneIds((z) => rectsMeet(z, box)));
  assert.deepEqual(ids(await items(LAYER, { filter: `S_DISJOINT(geometry, BBOX(${box}))` })), zoneIds((z) => !rectsMeet(z, box)));
  // A point inside one cell: the cell contains it.
  assert.deepEqual(ids(await items(LAYER, { filter: 'S_CONTAINS(geometry, POINT(105.8051 21.0031))' })),
    zoneIds((z) => z.x0 < 105.8051 && z.x1 > 105.8051 && z.y0 < 21.0031 && z.y1 > 21.0031));
  const south = [102, 8, 110, 14.5];
  assert.deepEqual(ids(await items(TYPE, { filter: `S_WITHIN(location, BBOX(${south}))` })), landmarkIds((l) => inBox(l, south)));
  // Across the antimeridian: nothing in Việt Nam.
  assert.deepEqual(ids(await items(TYPE, { filter: 'S_INTERSECTS(location, BBOX(170, -30, -170, 30))' })), []);
});

test('paging with a filter: next links carry it, pages cover the filtered set once', async () => {
  const filter = "MA_DAT <> 'TMD' AND TANG_MAX > 5";
  const want = zoneIds((z) => z.MA_DAT !== 'TMD' && z.TANG_MAX > 5);
  assert.ok(want.length > 9);
  const seen = [];
  let page = await items(LAYER, { filter, limit: '4' });
  for (let n = 0; ; n++) {
    assert.ok(n <= want.length, 'next links end');
    assert.equal(page.numberMatched, want.length);
    seen.push(...page.features.map((f) => f.id));
    const next = page.links.find((l) => l.rel === 'next');
    if (!next) break;
    assert.equal(new URL(next.href).searchParams.get('filter'), filter);
    const r = await client('').get(next.href, { headers: HANOI });
    assert.equal(r.status, 200, r.text);
    page = r.body;
  }
  assert.equal(seen.length, want.length, 'no feature twice');
  assert.deepEqual(sorted(seen), want);
  // The same for an entity type, in cql2-json.
  const json = JSON.stringify({ op: '>', args: [{ property: 'visitors' }, 4500] });
  const wantLm = landmarkIds((l) => l.visitors > 4500);
  const lm = [];
  page = await items(TYPE, { filter: json, 'filter-lang': 'cql2-json', limit: '7' });
  for (;;) {
    assert.equal(page.numberMatched, wantLm.length);
    lm.push(...page.features.map((f) => f.id));
    const next = page.links.find((l) => l.rel === 'next');
    if (!next) break;
    assert.equal(new URL(next.href).searchParams.get('filter-lang'), 'cql2-json');
    page = (await client('').get(next.href, { headers: HANOI })).body;
  }
  assert.deepEqual(sorted(lm), wantLm);
  assert.equal(lm.length, wantLm.length);
});

test('a filter sees only the tenant of the request', async () => {
  const filter = "CASEI(ACCENTI(province)) = 'quang ninh'";
  const hanoi = await items(TYPE, { filter });
  assert.ok(!ids(hanoi).includes(HUE_LANDMARK.id));
  const hue = await items(TYPE, { filter }, HUE);
  assert.deepEqual(ids(hue), [HUE_LANDMARK.id]);
  const r = await c.get(itemsPath(LAYER, { filter: 'TANG_MAX > 1' }), { headers: HUE });
  assert.equal(r.status, 404, 'the layer is hanoi\'s');
});

test('the HTML items page shows the filtered features and a filter form', async () => {
  const filter = "MA_DAT = 'CXX'";
  const r = await c.get(itemsPath(LAYER, { filter, f: 'html', limit: '100' }), { headers: HANOI });
  assert.equal(r.status, 200);
  assert.equal(mediaType(r.headers.get('content-type')), 'text/html');
  const want = zoneIds((z) => z.MA_DAT === 'CXX');
  assert.match(r.text, new RegExp(`${want.length} / ${want.length} đối tượng / features`));
  assert.match(r.text, /Bộ lọc CQL2 \/ CQL2 filter/);
  assert.ok(r.text.includes('value="MA_DAT = &#39;CXX&#39;"'), 'the form shows the filter');
  for (const id of want) assert.ok(r.text.includes(`>${id}<`), id);
  // Its next link is an HTML page of the same filter (f=html once, not twice).
  const first = await c.get(itemsPath(LAYER, { filter, f: 'html', limit: '3' }), { headers: HANOI });
  const href = /href="([^"]*)">sau \/ next/.exec(first.text)?.[1]?.replaceAll('&amp;', '&');
  assert.ok(href, 'a next link');
  assert.equal(new URL(href).searchParams.getAll('f').length, 1, href);
  assert.equal(new URL(href).searchParams.get('filter'), filter);
  const second = await client('').get(href, { headers: HANOI });
  assert.equal(second.status, 200, second.text);
  assert.match(second.text, new RegExp(`3 / ${want.length} đối tượng / features`));
});

// ---- GDAL's OAPIF driver ----
// GDAL 3.6 (Debian bookworm) predates CQL2: it sends an attribute filter as name=value
// parameters for the queryables the API definition lists, or, with its configuration option
// OGR_OAPIF_ALLOW_CQL_TEXT, as filter=...&filter-lang=cql-text (the drafts' name, which dothi
// reads as cql2-text). Both are checked, with GDAL's own debug log showing the request.

async function ogr2ogr(name, where, config = []) {
  const out = path.join(dir, `${name}.geojson`);
  const r = await run('ogr2ogr', ['--debug', 'ON', ...config, '-f', 'GeoJSON', out, `OAPIF:${server.url}${OGC}`, LAYER, '-where', where]);
  assert.equal(r.code, 0, `ogr2ogr -where ${where}:\n${r.stderr}`);
  const fc = JSON.parse(readFileSync(out, 'utf8'));
  return { ids: sorted(fc.features.map((f) => f.properties.id ?? f.properties.MA_KHU)), log: r.stderr };
}

test('GDAL sends an attribute filter on a queryable as a query parameter', async () => {
  const { ids: got, log } = await ogr2ogr('gdal-param', "MA_DAT = 'DGD'");
  assert.deepEqual(got, zoneIds((z) => z.MA_DAT === 'DGD'));
  assert.match(log, /items\?[^\s]*MA_DAT=DGD/, 'the filter went to the server');
});

test('GDAL sends a CQL text filter when allowed to, and gets the filtered features', async () => {
  const where = "TANG_MAX > 12 AND MA_DAT <> 'ODT'";
  const { ids: got, log } = await ogr2ogr('gdal-cql', where, ['--config', 'OGR_OAPIF_ALLOW_CQL_TEXT', 'YES']);
  assert.deepEqual(got, zoneIds((z) => z.TANG_MAX > 12 && z.MA_DAT !== 'ODT'));
  assert.match(log, /items\?[^\s]*filter=[^\s]*TANG_MAX/, 'the filter went to the server');
  assert.match(log, /filter-lang=cql-text/);
});
