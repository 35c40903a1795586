// OGC API - Features Part 2 (CRS by reference) at /ogc: the crs and bbox-crs parameters,
// the Content-Crs header and the CRS lists of collections, with CRS84 storage. Expected
// coordinates come from independent sources: the Web Mercator formula, the EPSG axis order,
// and the VN-2000 reference vectors in ../shared/reference/vn2000.md §8.2 (computed with
// PROJ's EPSG:6960 pipeline).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { client, LD, enc } from './lib/http.mjs';

const OGC = '/ogc';
const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
const EPSG = (code) => `http://www.opengis.net/def/crs/EPSG/0/${code}`;
const R = 6378137;
const mercator = ([lon, lat]) => [R * lon * Math.PI / 180, R * Math.log(Math.tan(Math.PI / 4 + lat * Math.PI / 360))];

// vn2000.md §8.2: WGS 84 lat/lon -> VN-2000 TM-3 easting/northing (1 mm).
const VECTORS = [
  { id: 'urn:ngsi-ld:Streetlight:hanoi', lon: 105.854167, lat: 21.028511, epsg: 5897, e: 588588.507, n: 2326346.511 },
  { id: 'urn:ngsi-ld:Streetlight:hcm', lon: 106.698, lat: 10.7725, epsg: 9210, e: 603481.588, n: 1191454.611 },
  { id: 'urn:ngsi-ld:Streetlight:danang', lon: 108.2208, lat: 16.0678, epsg: 5899, e: 550175.080, n: 1777138.321 },
];

let server;
let c;
before(async () => {
  server = await startServer();
  c = client(server.url);
  const entities = VECTORS.map((v) => ({ id: v.id, type: 'Streetlight', location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [v.lon, v.lat] } } }));
  entities.push({ id: 'urn:ngsi-ld:Parking:1', type: 'Parking', location: { type: 'GeoProperty', value: { type: 'Polygon', coordinates: [[[105.85, 21.02], [105.86, 21.02], [105.86, 21.03], [105.85, 21.02]]] } } });
  assert.equal((await c.post(`${LD}/entityOperations/create`, entities)).status, 201);
});
after(async () => { await server?.stop(); });

const items = (q) => c.get(`${OGC}/collections/Streetlight/items?${q}`);
const coordsOf = (fc, id) => fc.features.find((f) => f.id === id).geometry.coordinates;

test('conformance declares Part 2 and collections list the CRSs with CRS84 storage', async () => {
  const conf = await c.get(`${OGC}/conformance`);
  assert.ok(conf.body.conformsTo.includes('http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs'));
  const col = await c.get(`${OGC}/collections/Streetlight`);
  assert.equal(col.body.storageCrs, CRS84);
  for (const uri of [CRS84, EPSG(4326), EPSG(3857), EPSG(4756), EPSG(5897), EPSG(9210), EPSG(5899)]) {
    assert.ok(col.body.crs.includes(uri), uri);
  }
});

test('without crs the answer is CRS84 and says so in Content-Crs', async () => {
  const r = await items('limit=10');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-crs'), `<${CRS84}>`);
  for (const v of VECTORS) assert.deepEqual(coordsOf(r.body, v.id), [v.lon, v.lat]);
});

test('crs=EPSG:3857 gives Web Mercator metres; EPSG:4326 gives latitude first', async () => {
  const r = await items(`crs=${enc(EPSG(3857))}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('content-crs'), `<${EPSG(3857)}>`);
  for (const v of VECTORS) {
    const [x, y] = coordsOf(r.body, v.id);
    const [ex, ey] = mercator([v.lon, v.lat]);
    assert.ok(Math.abs(x - ex) < 1e-3 && Math.abs(y - ey) < 1e-3, `${v.id}: ${x},${y} vs ${ex},${ey}`);
  }
  const ll = await items(`crs=${enc(EPSG(4326))}`);
  assert.equal(ll.headers.get('content-crs'), `<${EPSG(4326)}>`);
  for (const v of VECTORS) assert.deepEqual(coordsOf(ll.body, v.id), [v.lat, v.lon]);
});

test('crs of a VN-2000 TM-3 zone matches the reference vectors to a millimetre', async () => {
  for (const v of VECTORS) {
    const r = await c.get(`${OGC}/collections/Streetlight/items/${enc(v.id)}?crs=${enc(EPSG(v.epsg))}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('content-crs'), `<${EPSG(v.epsg)}>`);
    const [e, n] = r.body.geometry.coordinates;
    assert.ok(Math.abs(e - v.e) < 0.001 && Math.abs(n - v.n) < 0.001, `${v.id}: ${e},${n} vs ${v.e},${v.n}`);
  }
});

test('bbox-crs reads the box in that CRS and axis order', async () => {
  const hcm = VECTORS[1];
  // EPSG:4326: latitude first.
  let r = await items(`bbox-crs=${enc(EPSG(4326))}&bbox=10.7,106.6,10.8,106.8`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.features.map((f) => f.id), [hcm.id]);
  // The same numbers in CRS84 order are refused: latitude 106 is out of range.
  r = await items(`bbox=10.7,106.6,10.8,106.8`);
  assert.equal(r.status, 400);
  // Web Mercator metres around Hà Nội.
  const [x, y] = mercator([VECTORS[0].lon, VECTORS[0].lat]);
  r = await items(`bbox-crs=${enc(EPSG(3857))}&bbox=${x - 50},${y - 50},${x + 50},${y + 50}`);
  assert.deepEqual(r.body.features.map((f) => f.id), [VECTORS[0].id]);
  // VN-2000 TM-3 105-45: a 2 m box around the TP. HCM vector holds it, a box 5 m east does not.
  r = await items(`bbox-crs=${enc(EPSG(9210))}&bbox=${hcm.e - 1},${hcm.n - 1},${hcm.e + 1},${hcm.n + 1}`);
  assert.deepEqual(r.body.features.map((f) => f.id), [hcm.id]);
  r = await items(`bbox-crs=${enc(EPSG(9210))}&bbox=${hcm.e + 4},${hcm.n - 1},${hcm.e + 6},${hcm.n + 1}`);
  assert.deepEqual(r.body.features, []);
  // The next link keeps crs and bbox-crs.
  r = await items(`limit=1&crs=${enc(EPSG(3857))}&bbox-crs=${enc(CRS84)}&bbox=100,5,110,25`);
  const next = r.body.links.find((l) => l.rel === 'next');
  assert.ok(next);
  const u = new URL(next.href);
  assert.equal(u.searchParams.get('crs'), EPSG(3857));
  assert.equal(u.searchParams.get('bbox-crs'), CRS84);
});

test('unsupported or malformed crs and bbox-crs are 400 in the OGC exception format', async () => {
  for (const q of [`crs=${enc(EPSG(2154))}`, 'crs=nonsense', `bbox-crs=${enc(EPSG(2154))}&bbox=0,0,1,1`,
    `bbox-crs=${enc(EPSG(3857))}&bbox=10,10,5,5`, `crs=${enc(EPSG(3857))}&bbox-crs=${enc(EPSG(3857))}&bbox=1,2,3`]) {
    const r = await items(q);
    assert.equal(r.status, 400, `${q}: ${r.text}`);
    assert.equal(typeof r.body.code, 'string');
    assert.equal(typeof r.body.description, 'string');
  }
  const one = await c.get(`${OGC}/collections/Streetlight/items/${enc(VECTORS[0].id)}?crs=bad`);
  assert.equal(one.status, 400);
});
