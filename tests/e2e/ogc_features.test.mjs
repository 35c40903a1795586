// OGC API - Features Part 1 (Core, GeoJSON, HTML, OpenAPI 3.0) at /ogc, checked the way the
// abstract test suite of OGC 17-069r4 (Annex A) does: landing page, conformance, API
// definition, collections, items with limit, bbox, datetime and property filters, paging
// by next links, single features, errors, HTML, HEAD and tenants. The data goes in through
// NGSI-LD; every expected value is computed here from that input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { client, LD, enc } from './lib/http.mjs';

let server;
let c;
const TEST_START = Date.now();

const OGC = '/ogc';
const CONF = 'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/';
const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
const GEOJSON = 'application/geo+json';
const OPENAPI = 'application/vnd.oai.openapi+json;version=3.0';
const HANOI = { 'NGSILD-Tenant': 'hanoi' };

const round6 = (x) => Number(x.toFixed(6));
const N = 25;
const streetlight = (i) => ({
  id: `urn:ngsi-ld:Streetlight:hk-${String(i + 1).padStart(2, '0')}`,
  type: 'Streetlight',
  powerState: { type: 'Property', value: i % 2 === 0 ? 'on' : 'off' },
  power: { type: 'Property', value: i % 3 === 0 ? 100 : 60 + i },
  name: { type: 'Property', value: `Đèn Hoàn Kiếm ${i + 1}` },
  refStreet: { type: 'Relationship', object: `urn:ngsi-ld:Street:${i % 4}` },
  location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [round6(105.8 + 0.002 * i), round6(21.0 + 0.001 * i)] } },
});
const STREETLIGHTS = Array.from({ length: N }, (_, i) => streetlight(i));

const rect = (x0, y0, x1, y1) => ({ type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] });
const parking = (n, polygon, capacity) => ({
  id: `urn:ngsi-ld:Parking:${n}`,
  type: 'Parking',
  capacity: { type: 'Property', value: capacity },
  name: { type: 'Property', value: `Bãi đỗ xe ${n}` },
  location: { type: 'GeoProperty', value: polygon },
});
// PARKING_BOX is crossed by one edge of "edge", lies inside "around" (no vertex of "around"
// is in the box), is far from "far", and only overlaps the envelope of "corner", a triangle
// whose hypotenuse passes outside the box's lower left corner.
const PARKING_BOX = [105.84, 21.02, 105.86, 21.04];
const PARKINGS = [
  parking('edge', rect(105.855, 21.025, 105.87, 21.03), 40),
  parking('around', rect(105.83, 21.01, 105.87, 21.05), 300),
  parking('far', rect(105.7, 20.9, 105.71, 20.91), 12),
  parking('corner', { type: 'Polygon', coordinates: [[[105.82, 21.01], [105.845, 21.01], [105.82, 21.035], [105.82, 21.01]]] }, 25),
];
const BUDGET = { id: 'urn:ngsi-ld:Budget:2025', type: 'Budget', amount: { type: 'Property', value: 1500000000 } };

// Tenant hanoi: the same id as a default-tenant streetlight at another place, two of its own,
// and a located type the default tenant does not have.
const HANOI_ENTITIES = [
  { ...streetlight(0), location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [105.9, 21.1] } } },
  { ...streetlight(1), id: 'urn:ngsi-ld:Streetlight:hn-1' },
  { ...streetlight(2), id: 'urn:ngsi-ld:Streetlight:hn-2' },
  { id: 'urn:ngsi-ld:AirQualityObserved:hn-1', type: 'AirQualityObserved', pm25: { type: 'Property', value: 41 }, location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [105.85, 21.03] } } },
];

before(async () => {
  server = await startServer();
  c = client(server.url);
  const r = await c.post(`${LD}/entityOperations/create`, [...STREETLIGHTS, ...PARKINGS, BUDGET]);
  assert.equal(r.status, 201, r.text);
  const h = await c.post(`${LD}/entityOperations/create`, HANOI_ENTITIES, { headers: HANOI });
  assert.equal(h.status, 201, h.text);
});
after(async () => { await server?.stop(); });

// ---- helpers ----

const sorted = (a) => [...a].sort();
const idsOf = (entities) => sorted(entities.map((e) => e.id));
const featureIds = (fc) => sorted(fc.features.map((f) => f.id));
const iso = (ms) => new Date(ms).toISOString();
const mediaType = (ct) => (ct ?? '').split(';')[0].trim().toLowerCase();
const findLink = (body, rel, type) => body.links.find((l) => l.rel === rel && (type === undefined || mediaType(l.type) === mediaType(type)));

// GET an absolute URL (a link's href).
const follow = (href, headers = {}) => client('').get(href, { headers });

function itemsPath(collection, query = '') {
  return `${OGC}/collections/${collection}/items${query ? `?${query}` : ''}`;
}

async function getItems(collection, query = '', headers = {}) {
  const r = await c.get(itemsPath(collection, query), { headers });
  assert.equal(r.status, 200, `${itemsPath(collection, query)}: ${r.text}`);
  assert.equal(mediaType(r.headers.get('content-type')), GEOJSON);
  assert.equal(r.body.type, 'FeatureCollection');
  assert.ok(Array.isArray(r.body.features));
  assert.equal(r.body.numberReturned, r.body.features.length);
  return r.body;
}

// Follows next links from the first page; returns every page.
async function allPages(collection, query, headers = {}) {
  const pages = [await getItems(collection, query, headers)];
  for (;;) {
    const next = findLink(pages.at(-1), 'next');
    if (!next) return pages;
    assert.equal(mediaType(next.type), GEOJSON, `next link type: ${JSON.stringify(next)}`);
    assert.ok(pages.length <= N + 1, 'next links never end');
    const r = await follow(next.href, headers);
    assert.equal(r.status, 200, `${next.href}: ${r.text}`);
    assert.equal(r.body.type, 'FeatureCollection');
    assert.equal(r.body.numberReturned, r.body.features.length);
    pages.push(r.body);
  }
}

// An OGC API exception: JSON {code, description} and the status.
function assertOgcError(r, status, what = '') {
  assert.equal(r.status, status, `${what} expected ${status}, got ${r.status}: ${r.text}`);
  assert.equal(mediaType(r.headers.get('content-type')), 'application/json', `${what} error content-type`);
  assert.equal(typeof r.body?.code, 'string', `${what} error body: ${r.text}`);
  assert.equal(typeof r.body.description, 'string', `${what} error body: ${r.text}`);
}

function assertHtml(r, what) {
  assert.equal(r.status, 200, `${what}: ${r.text.slice(0, 300)}`);
  const ct = r.headers.get('content-type') ?? '';
  assert.equal(mediaType(ct), 'text/html', `${what} content-type ${ct}`);
  assert.match(ct, /charset=utf-8/i, `${what} content-type ${ct}`);
  assert.match(r.text, /<html[\s>]/i, `${what} is an HTML document`);
}

// Every link carries href, rel and type (/req/core/fc-rel-type, fc-md-items-links).
function assertLinksTyped(links, what) {
  assert.ok(Array.isArray(links), `${what}: links is an array`);
  for (const l of links) {
    assert.equal(typeof l.href, 'string', `${what}: ${JSON.stringify(l)}`);
    assert.equal(typeof l.rel, 'string', `${what}: ${JSON.stringify(l)}`);
    assert.equal(typeof l.type, 'string', `${what}: link without type ${JSON.stringify(l)}`);
    assert.ok(l.href.startsWith(`${server.url}${OGC}`), `${what}: absolute href ${l.href}`);
  }
}

const inBox = ([x, y], [x0, y0, x1, y1]) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
const orient = (a, b, p) => Math.sign((b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]));
const crosses = (p, q, r, s) => orient(p, q, r) !== orient(p, q, s) && orient(r, s, p) !== orient(r, s, q);
function inRing([x, y], ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
// Whether a Point or (single ring) Polygon intersects the box.
function intersectsBox(geometry, box) {
  if (geometry.type === 'Point') return inBox(geometry.coordinates, box);
  const ring = geometry.coordinates[0];
  const [x0, y0, x1, y1] = box;
  const corners = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
  if (ring.some((p) => inBox(p, box)) || corners.some((p) => inRing(p, ring))) return true;
  for (let i = 0; i + 1 < ring.length; i++) {
    for (let k = 0; k < 4; k++) if (crosses(ring[i], ring[i + 1], corners[k], corners[(k + 1) % 4])) return true;
  }
  return false;
}
const expectedInBox = (entities, box) => idsOf(entities.filter((e) => intersectsBox(e.location.value, box)));

// The feature an entity becomes: attributes other than location, by short name.
function expectedProperties(entity) {
  const props = {};
  for (const [k, v] of Object.entries(entity)) {
    if (k === 'id' || k === 'type' || k === 'location') continue;
    props[k] = v.type === 'Relationship' ? v.object : v.value;
  }
  return props;
}

// ---- landing page, conformance, API definition ----

test('the landing page links to the API definition, conformance and collections', async () => {
  const r = await c.get(OGC);
  assert.equal(r.status, 200, r.text);
  assert.equal(mediaType(r.headers.get('content-type')), 'application/json');
  assert.equal(typeof r.body.title, 'string');
  assert.ok(Array.isArray(r.body.links));
  for (const l of r.body.links) {
    assert.equal(typeof l.href, 'string', JSON.stringify(l));
    assert.equal(typeof l.rel, 'string', JSON.stringify(l));
    assert.ok(l.href.startsWith(`${server.url}${OGC}`), `absolute href: ${l.href}`);
  }
  const self = findLink(r.body, 'self');
  assert.ok(self, 'self link');
  assert.equal(new URL(self.href).pathname.replace(/\/$/, ''), OGC);
  assert.ok(findLink(r.body, 'conformance')?.href.endsWith('/ogc/conformance'), 'conformance link');
  assert.ok(findLink(r.body, 'data')?.href.endsWith('/ogc/collections'), 'data link');
  const desc = findLink(r.body, 'service-desc');
  assert.ok(desc, 'service-desc link');
  assert.ok(desc.href.endsWith('/ogc/api'), desc.href);
  assert.equal(desc.type, OPENAPI);
  // /ats/oas30/oas-definition-1: the HTML version of the API definition is linked as service-doc.
  assert.ok(findLink(r.body, 'service-doc', 'text/html'), 'service-doc link to the HTML API definition');

  // Every link answers 200 in the media type it announces.
  for (const l of r.body.links) {
    const got = await follow(l.href);
    assert.equal(got.status, 200, `${l.rel} ${l.href}: ${got.text.slice(0, 200)}`);
    if (l.type) assert.equal(mediaType(got.headers.get('content-type')), mediaType(l.type), `${l.rel} ${l.href}`);
  }
});

test('conformance declares core, geojson, html and oas30', async () => {
  const r = await c.get(`${OGC}/conformance`);
  assert.equal(r.status, 200, r.text);
  assert.equal(mediaType(r.headers.get('content-type')), 'application/json');
  assert.ok(Array.isArray(r.body.conformsTo));
  for (const cls of ['core', 'geojson', 'html', 'oas30']) {
    assert.ok(r.body.conformsTo.includes(CONF + cls), `conformsTo ${CONF + cls}: ${r.text}`);
  }
});

test('the API definition is OpenAPI 3.0 JSON describing collections, items and features, and exists as HTML', async () => {
  const r = await c.get(`${OGC}/api`);
  assert.equal(r.status, 200, r.text);
  assert.ok((r.headers.get('content-type') ?? '').includes('application/vnd.oai.openapi+json'), r.headers.get('content-type'));
  assert.match(r.body.openapi, /^3\.0\./);
  assert.equal(typeof r.body.info?.title, 'string');
  // Paths are relative to the first server url; that url ends in /ogc or the paths carry it.
  const base = r.body.servers?.[0]?.url ?? '';
  const prefix = base.replace(/\/$/, '').endsWith(OGC) ? '' : OGC;
  const paths = r.body.paths ?? {};
  for (const p of ['/conformance', '/collections', '/collections/{collectionId}', '/collections/{collectionId}/items',
    '/collections/{collectionId}/items/{featureId}']) {
    assert.ok(paths[prefix + p]?.get, `GET ${prefix + p} in paths: ${Object.keys(paths)}`);
  }
  // The items operation declares limit, bbox and datetime (inline or by $ref).
  const resolve = (p) => {
    if (!p.$ref) return p.name;
    const local = p.$ref.startsWith('#/') ? p.$ref.slice(2).split('/').reduce((o, k) => o?.[k], r.body) : undefined;
    return local?.name ?? p.$ref.split('/').at(-1);
  };
  const op = paths[`${prefix}/collections/{collectionId}/items`].get;
  const names = [...(op.parameters ?? []), ...(paths[`${prefix}/collections/{collectionId}/items`].parameters ?? [])].map(resolve);
  for (const n of ['limit', 'bbox', 'datetime']) assert.ok(names.includes(n), `items parameter ${n}: ${names}`);

  const html = await c.get(`${OGC}/api?f=html`);
  assertHtml(html, '/api?f=html');
});

// ---- collections ----

test('collections lists each type with a location, with items links, CRS84 and a bounding extent', async () => {
  const r = await c.get(`${OGC}/collections`);
  assert.equal(r.status, 200, r.text);
  assert.equal(mediaType(r.headers.get('content-type')), 'application/json');
  assertLinksTyped(r.body.links, '/collections');
  assert.ok(findLink(r.body, 'self', 'application/json'), 'self link');
  assert.ok(findLink(r.body, 'alternate', 'text/html'), 'alternate text/html link');
  assert.deepEqual(sorted(r.body.collections.map((col) => col.id)), ['Parking', 'Streetlight']);

  for (const [id, entities] of [['Streetlight', STREETLIGHTS], ['Parking', PARKINGS]]) {
    const col = r.body.collections.find((x) => x.id === id);
    assert.equal(typeof col.title, 'string');
    assert.equal(col.itemType, 'feature');
    assert.ok(Array.isArray(col.crs) && col.crs.includes(CRS84), `crs of ${id}: ${JSON.stringify(col.crs)}`);
    assertLinksTyped(col.links, `collection ${id}`);
    // /req/core/fc-md-items-links: an items link for each supported encoding.
    const items = findLink(col, 'items', GEOJSON);
    assert.ok(items, `items link of ${id}`);
    assert.equal(new URL(items.href).pathname, `${OGC}/collections/${id}/items`);
    assert.ok(findLink(col, 'items', 'text/html'), `text/html items link of ${id}`);
    // /req/core/fc-md-extent: if given, the extent holds every geometry of the collection.
    const bbox = col.extent?.spatial?.bbox?.[0];
    if (bbox) {
      const [x0, y0, x1, y1] = bbox.length === 6 ? [bbox[0], bbox[1], bbox[3], bbox[4]] : bbox;
      for (const e of entities) {
        const pts = e.location.value.type === 'Point' ? [e.location.value.coordinates] : e.location.value.coordinates[0];
        for (const p of pts) assert.ok(inBox(p, [x0, y0, x1, y1]), `${e.id} ${p} inside extent ${bbox}`);
      }
    }
  }
});

test('a collection on its own agrees with its entry in the list; unknown ids are 404', async () => {
  const list = (await c.get(`${OGC}/collections`)).body.collections;
  for (const id of ['Streetlight', 'Parking']) {
    const r = await c.get(`${OGC}/collections/${id}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(mediaType(r.headers.get('content-type')), 'application/json');
    const entry = list.find((x) => x.id === id);
    // /req/core/sfc-md-success: id, title, description and extent are identical.
    for (const k of ['id', 'title', 'description', 'extent', 'itemType', 'crs']) assert.deepEqual(r.body[k], entry[k], `${id}.${k}`);
    assertLinksTyped(r.body.links, `/collections/${id}`);
    assert.ok(findLink(r.body, 'self', 'application/json'), `self link of ${id}`);
    assert.ok(findLink(r.body, 'alternate', 'text/html'), `alternate link of ${id}`);
    assert.equal(new URL(findLink(r.body, 'items', GEOJSON).href).pathname, `${OGC}/collections/${id}/items`);
  }
  assertOgcError(await c.get(`${OGC}/collections/Budget`), 404, 'a type without location');
  assertOgcError(await c.get(`${OGC}/collections/Unicorn`), 404, 'an unknown type');
  assertOgcError(await c.get(`${OGC}/collections/AirQualityObserved`), 404, 'a type of another tenant');
});

// ---- items ----

test('items is a GeoJSON FeatureCollection of 10 by default, with counts, timeStamp and links', async () => {
  const t0 = Date.now();
  const fc = await getItems('Streetlight');
  const t1 = Date.now();
  assert.equal(fc.features.length, 10);
  assert.equal(fc.numberReturned, 10);
  assert.equal(fc.numberMatched, N);
  for (const f of fc.features) assert.ok(idsOf(STREETLIGHTS).includes(f.id), f.id);
  assert.equal(new Set(fc.features.map((f) => f.id)).size, 10);
  // /req/core/fc-timeStamp: the time the response was generated (RFC 3339).
  assert.match(fc.timeStamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  const ts = Date.parse(fc.timeStamp);
  assert.ok(ts >= t0 - 1000 && ts <= t1 + 1000, `timeStamp ${fc.timeStamp} outside the request`);
  // /req/core/fc-links and fc-rel-type.
  assertLinksTyped(fc.links, 'items');
  const self = findLink(fc, 'self', GEOJSON);
  assert.ok(self, 'self link');
  assert.equal(new URL(self.href).pathname, `${OGC}/collections/Streetlight/items`);
  const alt = findLink(fc, 'alternate', 'text/html');
  assert.ok(alt, 'alternate text/html link');
  assertHtml(await follow(alt.href), 'alternate link of items');
  assert.ok(findLink(fc, 'next', GEOJSON), 'next link while features remain');
});

test('features carry the entity id, the location as geometry and the other attributes as properties', async () => {
  for (const [id, entities] of [['Streetlight', STREETLIGHTS], ['Parking', PARKINGS]]) {
    const fc = await getItems(id, 'limit=100');
    assert.deepEqual(featureIds(fc), idsOf(entities));
    assert.equal(fc.numberMatched, entities.length);
    for (const e of entities) {
      const f = fc.features.find((x) => x.id === e.id);
      assert.equal(f.type, 'Feature');
      assert.deepEqual(f.geometry, e.location.value, `geometry of ${e.id}`);
      assert.deepEqual(f.properties, expectedProperties(e), `properties of ${e.id}`);
    }
  }
});

test('limit caps each page and next links visit every feature exactly once', async () => {
  const pages = await allPages('Streetlight', 'limit=7');
  assert.deepEqual(pages.map((p) => p.features.length), [7, 7, 7, 4]);
  for (const p of pages) assert.equal(p.numberMatched, N);
  const seen = pages.flatMap((p) => p.features.map((f) => f.id));
  assert.equal(seen.length, N, 'no feature twice');
  assert.deepEqual(sorted(seen), idsOf(STREETLIGHTS));

  const one = await getItems('Streetlight', 'limit=1');
  assert.equal(one.features.length, 1);
  assert.equal(one.numberMatched, N);
  assert.ok(findLink(one, 'next', GEOJSON));
  const last = await getItems('Streetlight', `limit=${N}`);
  assert.deepEqual(featureIds(last), idsOf(STREETLIGHTS));
  assert.equal(findLink(last, 'next'), undefined, 'no next link on the last page');

  // /ats/core/fc-limit-response: a limit above the maximum is not an error.
  const big = await getItems('Streetlight', 'limit=100000000');
  assert.equal(big.numberMatched, N);
  assert.ok(big.features.length === N || (big.features.length >= 10 && findLink(big, 'next')), `${big.features.length} features`);
});

test('invalid limits are 400', async () => {
  for (const v of ['0', '-1', 'abc', '1.5']) {
    assertOgcError(await c.get(itemsPath('Streetlight', `limit=${v}`)), 400, `limit=${v}`);
  }
});

test('bbox selects exactly the features whose geometry intersects the box', async () => {
  const box = [105.8105, 21.0075, 105.8325, 21.03];
  const want = expectedInBox(STREETLIGHTS, box);
  assert.ok(want.length > 0 && want.length < N);
  const fc = await getItems('Streetlight', `bbox=${box}&limit=100`);
  assert.deepEqual(featureIds(fc), want);
  assert.equal(fc.numberMatched, want.length);

  const parkings = await getItems('Parking', `bbox=${PARKING_BOX}`);
  assert.deepEqual(featureIds(parkings), expectedInBox(PARKINGS, PARKING_BOX));
  assert.deepEqual(featureIds(parkings), ['urn:ngsi-ld:Parking:around', 'urn:ngsi-ld:Parking:edge']);

  const empty = await getItems('Streetlight', 'bbox=0,0,1,1');
  assert.deepEqual(empty.features, []);
  assert.equal(empty.numberMatched, 0);

  // /req/core/fc-bbox-definition: six numbers (with heights) are accepted as well.
  const b6 = [box[0], box[1], -1000, box[2], box[3], 10000];
  const six = await getItems('Streetlight', `bbox=${b6}&limit=100`);
  for (const id of featureIds(six)) assert.ok(want.includes(id), `${id} from a 6-number bbox`);

  for (const bad of ['105.8,21.0,105.9', '105.8,21.0,105.9,21.1,5', 'a,b,c,d', '105.8,21.0,105.9,north']) {
    assertOgcError(await c.get(itemsPath('Streetlight', `bbox=${bad}`)), 400, `bbox=${bad}`);
  }
});

test('property filters select on attribute values and combine with bbox and paging', async () => {
  const on = STREETLIGHTS.filter((e) => e.powerState.value === 'on');
  const fc = await getItems('Streetlight', 'powerState=on&limit=100');
  assert.deepEqual(featureIds(fc), idsOf(on));
  assert.equal(fc.numberMatched, on.length);

  const hundred = STREETLIGHTS.filter((e) => e.power.value === 100);
  assert.deepEqual(featureIds(await getItems('Streetlight', 'power=100&limit=100')), idsOf(hundred));
  const both = STREETLIGHTS.filter((e) => e.power.value === 100 && e.powerState.value === 'on');
  assert.deepEqual(featureIds(await getItems('Streetlight', 'power=100&powerState=on&limit=100')), idsOf(both));
  const named = await getItems('Streetlight', `name=${enc('Đèn Hoàn Kiếm 12')}`);
  assert.deepEqual(featureIds(named), [streetlight(11).id]);
  assert.deepEqual(featureIds(await getItems('Streetlight', 'powerState=dimmed')), []);

  // Next links keep the filters.
  const pages = await allPages('Streetlight', 'powerState=on&limit=4');
  assert.deepEqual(sorted(pages.flatMap((p) => p.features.map((f) => f.id))), idsOf(on));
  const box = [105.805, 21.0, 105.84, 21.03];
  const boxed = await allPages('Streetlight', `bbox=${box}&limit=2`);
  assert.deepEqual(sorted(boxed.flatMap((p) => p.features.map((f) => f.id))), expectedInBox(STREETLIGHTS, box));
  assert.ok(boxed.length > 2);
});

test('datetime filters on the last modification time', async () => {
  const hourBefore = iso(TEST_START - 3600e3);
  const hourAfter = iso(Date.now() + 3600e3);
  const all = idsOf(STREETLIGHTS);
  for (const dt of [`${hourBefore}/${hourAfter}`, `../${hourAfter}`, `${hourBefore}/..`, `/${hourAfter}`, `${hourBefore}/`]) {
    const fc = await getItems('Streetlight', `datetime=${enc(dt)}&limit=100`);
    assert.deepEqual(featureIds(fc), all, `datetime=${dt}`);
    assert.equal(fc.numberMatched, N, `datetime=${dt}`);
  }
  for (const dt of ['2000-01-01T00:00:00Z/2000-01-02T00:00:00Z', '../2000-01-01T00:00:00Z', `${hourAfter}/..`,
    '2000-01-01T00:00:00Z', '2000-01-01T07:00:00+07:00/2000-01-02T00:00:00+07:00']) {
    const fc = await getItems('Streetlight', `datetime=${enc(dt)}`);
    assert.deepEqual(fc.features, [], `datetime=${dt}`);
    assert.equal(fc.numberMatched, 0, `datetime=${dt}`);
  }
  // RFC 3339 5.6: a date-time has a time zone.
  for (const bad of ['yesterday', '2024-13-45T99:00:00Z', '2024-01-01T00:00:00', '2024-01-01T00:00:00Z/2024-01-02T00:00:00Z/2024-01-03T00:00:00Z', 'now/..']) {
    assertOgcError(await c.get(itemsPath('Streetlight', `datetime=${enc(bad)}`)), 400, `datetime=${bad}`);
  }

  // Touch three streetlights (same values) after a mark: only they were modified after it.
  // The mark is one millisecond after the creates answered; wait for the clock to pass it.
  const mark = Date.now() + 1;
  while (Date.now() <= mark) { /* at most ~1 ms */ }
  const touched = [STREETLIGHTS[3], STREETLIGHTS[10], STREETLIGHTS[20]];
  for (const e of touched) {
    const r = await c.patch(`${LD}/entities/${enc(e.id)}/attrs`, { powerState: e.powerState });
    assert.equal(r.status, 204, r.text);
  }
  const since = await getItems('Streetlight', `datetime=${enc(`${iso(mark)}/..`)}&limit=100`);
  assert.deepEqual(featureIds(since), idsOf(touched));
  const until = await getItems('Streetlight', `datetime=${enc(`../${iso(mark)}`)}&limit=100`);
  assert.deepEqual(featureIds(until), idsOf(STREETLIGHTS.filter((e) => !touched.includes(e))));
});

test('one feature by its percent-encoded entity id, with self, alternate and collection links', async () => {
  for (const e of [STREETLIGHTS[0], STREETLIGHTS[17], PARKINGS[1]]) {
    const path = `${OGC}/collections/${e.type}/items/${enc(e.id)}`;
    const r = await c.get(path);
    assert.equal(r.status, 200, `${path}: ${r.text}`);
    assert.equal(mediaType(r.headers.get('content-type')), GEOJSON);
    assert.equal(r.body.type, 'Feature');
    assert.equal(r.body.id, e.id);
    assert.deepEqual(r.body.geometry, e.location.value);
    assert.deepEqual(r.body.properties, expectedProperties(e));
    assertLinksTyped(r.body.links, path);
    assert.ok(findLink(r.body, 'self', GEOJSON), 'self link');
    assert.ok(findLink(r.body, 'alternate', 'text/html'), 'alternate link');
    const col = findLink(r.body, 'collection');
    assert.ok(col, 'collection link');
    assert.equal(new URL(col.href).pathname, `${OGC}/collections/${e.type}`);
  }
  // Features are linked from the collection's pages: following an id from items gives the same feature.
  const first = (await getItems('Parking', 'limit=1')).features[0];
  const again = await c.get(`${OGC}/collections/Parking/items/${enc(first.id)}`);
  assert.deepEqual(again.body.geometry, PARKINGS.find((p) => p.id === first.id).location.value);

  assertOgcError(await c.get(`${OGC}/collections/Streetlight/items/${enc('urn:ngsi-ld:Streetlight:nope')}`), 404, 'unknown feature');
  assertOgcError(await c.get(`${OGC}/collections/Streetlight/items/${enc(PARKINGS[0].id)}`), 404, 'a feature of another collection');
  assertOgcError(await c.get(`${OGC}/collections/Streetlight/items/${enc(BUDGET.id)}`), 404, 'an entity without location');
  assertOgcError(await c.get(`${OGC}/collections/Unicorn/items`), 404, 'items of an unknown collection');
  assertOgcError(await c.get(`${OGC}/collections/Budget/items`), 404, 'items of a type without location');
});

test('unknown query parameters and unsupported formats are 400', async () => {
  assertOgcError(await c.get(itemsPath('Streetlight', 'foo=bar')), 400, 'foo=bar on items');
  assertOgcError(await c.get(itemsPath('Streetlight', 'limit=5&foo=bar')), 400, 'limit=5&foo=bar on items');
  assertOgcError(await c.get(`${OGC}/collections?foo=bar`), 400, 'foo=bar on collections');
  assertOgcError(await c.get(`${OGC}/collections/Streetlight/items/${enc(STREETLIGHTS[0].id)}?foo=bar`), 400, 'foo=bar on a feature');
  for (const path of [OGC, `${OGC}/collections`, `${OGC}/collections/Streetlight`, itemsPath('Streetlight'),
    `${OGC}/collections/Streetlight/items/${enc(STREETLIGHTS[0].id)}`]) {
    assertOgcError(await c.get(`${path}?f=xml`), 400, `${path}?f=xml`);
  }
});

// ---- HTML, content negotiation, HEAD ----

test('every resource has an HTML page listing what it holds; f=json wins over Accept', async () => {
  const html = { Accept: 'text/html' };
  const landing = await c.get(OGC, { headers: html });
  assertHtml(landing, 'landing page');
  assert.ok(landing.text.includes('/ogc/collections'), 'landing page links to the collections');
  assertHtml(await c.get(`${OGC}/conformance?f=html`), 'conformance');

  const cols = await c.get(`${OGC}/collections?f=html`);
  assertHtml(cols, 'collections');
  for (const id of ['Streetlight', 'Parking']) assert.ok(cols.text.includes(id), `collections page lists ${id}`);
  assert.ok(!cols.text.includes('Budget'), 'collections page without Budget');

  const col = await c.get(`${OGC}/collections/Streetlight`, { headers: html });
  assertHtml(col, 'collection');
  assert.ok(col.text.includes('Streetlight'));

  const items = await c.get(itemsPath('Streetlight', 'f=html&limit=100'));
  assertHtml(items, 'items');
  for (const e of STREETLIGHTS) assert.ok(items.text.includes(e.id), `items page lists ${e.id}`);
  // A browser's Accept header gets the HTML page, too.
  const browser = await c.get(itemsPath('Parking'), { headers: { Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
  assertHtml(browser, 'items for a browser');
  for (const e of PARKINGS) assert.ok(browser.text.includes(e.id), `items page lists ${e.id}`);

  const e = STREETLIGHTS[4];
  const one = await c.get(`${OGC}/collections/Streetlight/items/${enc(e.id)}?f=html`);
  assertHtml(one, 'feature');
  assert.ok(one.text.includes(e.id), 'feature page shows the id');
  assert.ok(one.text.includes(e.name.value), `feature page shows the name ${e.name.value}`);

  // f=json beats Accept: text/html.
  const forced = await c.get(itemsPath('Streetlight', 'f=json'), { headers: html });
  assert.equal(forced.status, 200, forced.text);
  assert.match(mediaType(forced.headers.get('content-type')), /^application\/(geo\+)?json$/);
  assert.equal(forced.body.type, 'FeatureCollection');
  const forcedLanding = await c.get(`${OGC}?f=json`, { headers: html });
  assert.equal(mediaType(forcedLanding.headers.get('content-type')), 'application/json');
  assert.ok(Array.isArray(forcedLanding.body.links));
  // Asking for GeoJSON by Accept works as well.
  const geo = await c.get(itemsPath('Streetlight'), { headers: { Accept: GEOJSON } });
  assert.equal(mediaType(geo.headers.get('content-type')), GEOJSON);
});

test('HEAD answers like GET without a body', async () => {
  const paths = [OGC, `${OGC}/conformance`, `${OGC}/api`, `${OGC}/collections`, `${OGC}/collections/Streetlight`,
    itemsPath('Streetlight', 'limit=3'), `${OGC}/collections/Streetlight/items/${enc(STREETLIGHTS[2].id)}`];
  for (const path of paths) {
    const get = await c.get(path);
    const head = await c.req('HEAD', path);
    assert.equal(head.status, 200, `HEAD ${path}`);
    assert.equal(head.text, '', `HEAD ${path} has no body`);
    assert.equal(mediaType(head.headers.get('content-type')), mediaType(get.headers.get('content-type')), `HEAD ${path}`);
  }
  assert.equal((await c.req('HEAD', `${OGC}/collections/Unicorn`)).status, 404);
  assert.equal((await c.req('HEAD', itemsPath('Streetlight', 'limit=0'))).status, 400);
});

// ---- tenants ----

test('each tenant sees only its own collections and features', async () => {
  const hanoi = { headers: HANOI };
  const cols = await c.get(`${OGC}/collections`, hanoi);
  assert.equal(cols.status, 200, cols.text);
  assert.deepEqual(sorted(cols.body.collections.map((x) => x.id)), ['AirQualityObserved', 'Streetlight']);
  const lights = HANOI_ENTITIES.filter((e) => e.type === 'Streetlight');
  const fc = await getItems('Streetlight', 'limit=100', HANOI);
  assert.deepEqual(featureIds(fc), idsOf(lights));
  assert.equal(fc.numberMatched, lights.length);
  // The shared id has the hanoi location under hanoi and the default one without the header.
  const shared = HANOI_ENTITIES[0];
  const path = `${OGC}/collections/Streetlight/items/${enc(shared.id)}`;
  assert.deepEqual((await c.get(path, hanoi)).body.geometry, shared.location.value);
  assert.deepEqual((await c.get(path)).body.geometry, STREETLIGHTS[0].location.value);
  assertOgcError(await c.get(`${OGC}/collections/Streetlight/items/${enc('urn:ngsi-ld:Streetlight:hn-1')}`), 404, 'hanoi feature in the default tenant');
  assertOgcError(await c.get(`${OGC}/collections/Streetlight/items/${enc(STREETLIGHTS[5].id)}`, hanoi), 404, 'default feature in hanoi');
  assertOgcError(await c.get(`${OGC}/collections/Parking`, hanoi), 404, 'default collection in hanoi');
  const air = await getItems('AirQualityObserved', '', HANOI);
  assert.deepEqual(featureIds(air), ['urn:ngsi-ld:AirQualityObserved:hn-1']);
  assert.deepEqual(air.features[0].properties, { pm25: 41 });
  // A bbox around the hanoi-only location finds it only in hanoi.
  const box = 'bbox=105.89,21.09,105.91,21.11';
  assert.deepEqual(featureIds(await getItems('Streetlight', box, HANOI)), [shared.id]);
  assert.deepEqual(featureIds(await getItems('Streetlight', box)), []);
});

test('bbox across the antimeridian, non-ASCII ids and filters through paging, and escaped HTML', async () => {
  const P = { 'NGSILD-Tenant': 'pacific' };
  const NAME = 'Phao Thái Bình Dương';
  const buoy = (id, lon, lat, name) => ({
    id, type: 'Buoy', name: { type: 'Property', value: name },
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [lon, lat] } },
  });
  const BUOYS = [
    buoy('urn:ngsi-ld:Buoy:east', 179.5, 0.5, NAME),
    buoy('urn:ngsi-ld:Buoy:west', -179.5, -0.5, NAME),
    buoy('urn:ngsi-ld:Buoy:Hoàn-Kiếm/1?x#y', 105.85, 21.03, NAME),
    buoy('urn:ngsi-ld:Buoy:html', 0, 0, '<script>alert("x")</script> & <b>đậm</b>'),
  ];
  const r = await c.post(`${LD}/entityOperations/create`, BUOYS, { headers: P });
  assert.equal(r.status, 201, r.text);

  // A west edge larger than the east edge spans the antimeridian (bbox in ogcapi-features-1.yaml).
  assert.deepEqual(featureIds(await getItems('Buoy', 'bbox=179,-1,-179,1', P)), ['urn:ngsi-ld:Buoy:east', 'urn:ngsi-ld:Buoy:west']);

  // Next links carry a UTF-8 filter value on.
  const pages = await allPages('Buoy', `name=${enc(NAME)}&limit=1`, P);
  assert.equal(pages.length, 3);
  assert.deepEqual(sorted(pages.flatMap((p) => p.features.map((f) => f.id))), idsOf(BUOYS.slice(0, 3)));

  // An id with non-ASCII letters and /, ? and # in it, percent-encoded.
  const odd = BUOYS[2];
  const one = await c.get(`${OGC}/collections/Buoy/items/${enc(odd.id)}`, { headers: P });
  assert.equal(one.status, 200, one.text);
  assert.equal(one.body.id, odd.id);
  assert.deepEqual(one.body.geometry, odd.location.value);

  // Text from the data is escaped in HTML.
  const html = await c.get(`${OGC}/collections/Buoy/items/${enc(BUOYS[3].id)}?f=html`, { headers: P });
  assertHtml(html, 'feature with markup in a property');
  assert.ok(!html.text.includes('<script>alert'), 'property text is not markup');
  assert.ok(html.text.includes('&lt;script&gt;'), 'property text shown escaped');
  const list = await c.get(itemsPath('Buoy', 'f=html'), { headers: P });
  assertHtml(list, 'items with markup in a property');
  assert.ok(!list.text.includes('<script>alert'), 'property text is not markup in the list');
});

test('an entity of a collection without a location is a feature with null geometry, matched by every bbox', async () => {
  const T = { 'NGSILD-Tenant': 'hue' };
  const placed = { ...streetlight(5), id: 'urn:ngsi-ld:Streetlight:hue-placed', location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [107.59, 16.46] } } };
  const unplaced = { id: 'urn:ngsi-ld:Streetlight:hue-unplaced', type: 'Streetlight', name: { type: 'Property', value: 'Đèn chưa định vị' } };
  const r = await c.post(`${LD}/entityOperations/create`, [placed, unplaced], { headers: T });
  assert.equal(r.status, 201, r.text);
  const all = await getItems('Streetlight', '', T);
  assert.deepEqual(featureIds(all), idsOf([placed, unplaced]));
  const f = all.features.find((x) => x.id === unplaced.id);
  assert.equal(f.geometry, null);
  assert.deepEqual(f.properties, expectedProperties(unplaced));
  const one = await c.get(`${OGC}/collections/Streetlight/items/${enc(unplaced.id)}`, { headers: T });
  assert.equal(one.status, 200, one.text);
  assert.equal(one.body.geometry, null);
  // /req/core/fc-bbox-response C (/conf/core/fc-bbox-response step 2): the bbox parameter
  // matches all features that are not associated with a spatial geometry, too.
  assert.deepEqual(featureIds(await getItems('Streetlight', 'bbox=107.5,16.4,107.7,16.5', T)), idsOf([placed, unplaced]));
  assert.deepEqual(featureIds(await getItems('Streetlight', 'bbox=0,0,1,1', T)), [unplaced.id]);
});
