// OGC API - Tiles at /ogc over the demo city (`dothi serve --demo`): vector tiles of the
// generated parcels read back by a decoder we did not write (GDAL's MVT driver through
// ogrinfo, Debian package gdal-bin) and checked against the OGC API Features items of the
// same box; gzip, ETag / If-None-Match, 204 for an empty tile, 4xx for bad tile addresses,
// tileset metadata, TileJSON, the tile matrix set, the MapLibre style; and a layer replaced
// by `dothi import --replace` beside the running server shows in its tiles (new ETag).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { startServer, DOTHI_BIN } from './lib/server.mjs';
import { client } from './lib/http.mjs';

const exec = promisify(execFile);
const TMS = 'WebMercatorQuad';
const MVT = 'application/vnd.mapbox-vector-tile';

let server;
let http;
let dir;

before(async () => {
  server = await startServer({ args: ['--demo', '--demo-sensors', '300'] });
  http = client(server.url);
  dir = mkdtempSync(path.join(tmpdir(), 'dothi-tiles-'));
});
after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// The slippy-map tile of lon/lat at zoom z, and a tile's lon/lat box (written out here,
// independently of the server).
function tileOf(lon, lat, z) {
  const n = 2 ** z;
  const phi = (lat * Math.PI) / 180;
  return { z, x: Math.floor(((lon + 180) / 360) * n), y: Math.floor(((1 - Math.asinh(Math.tan(phi)) / Math.PI) / 2) * n) };
}
function tileBox({ z, x, y }, grow = 0) {
  const n = 2 ** z;
  const lon = (fx) => fx * 360 - 180;
  const lat = (fy) => (Math.atan(Math.sinh(Math.PI * (1 - 2 * fy))) * 180) / Math.PI;
  const g = grow / 4096;
  return [lon((x - g) / n), lat((y + 1 + g) / n), lon((x + 1 + g) / n), lat((y - g) / n)];
}
const tilePath = (collection, t) =>
  `${collection ? `/ogc/collections/${collection}` : '/ogc'}/tiles/${TMS}/${t.z}/${t.y}/${t.x}`;

// A raw GET (fetch would decode gzip by itself): status, headers, body bytes as sent.
function rawGet(p, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request(server.url + p, { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

// The MVT bytes of a tile (uncompressed), or null for 204.
async function tileBytes(p) {
  const r = await rawGet(p, { 'Accept-Encoding': 'gzip' });
  if (r.status === 204) return null;
  assert.equal(r.status, 200, `${p}: ${r.body}`);
  assert.equal(r.headers['content-type'], MVT);
  return r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.body) : r.body;
}

// GDAL's reading of a tile: layer name -> [{fields}], from ogrinfo's text report.
async function ogrinfo(bytes, t, name) {
  const file = path.join(dir, `${name}.mvt`);
  writeFileSync(file, bytes);
  let out;
  try {
    ({ stdout: out } = await exec('ogrinfo', ['-ro', '-al', '-q', '-oo', `X=${t.x}`, '-oo', `Y=${t.y}`, '-oo', `Z=${t.z}`, file],
      { encoding: 'utf8', maxBuffer: 256 << 20 }));
  } catch (err) {
    assert.fail(`ogrinfo failed: ${err.stderr}`);
  }
  const layers = {};
  let layer = null;
  let feature = null;
  for (const line of out.split('\n')) {
    let m;
    if ((m = /^Layer name: (.+)$/.exec(line))) {
      layer = layers[m[1]] = [];
    } else if (/^OGRFeature\(/.test(line)) {
      feature = {};
      layer.push(feature);
    } else if (feature && (m = /^ {2}(\S+) \((\w+)\) = (.*)$/.exec(line))) {
      feature[m[1]] = m[3];
    } else if (feature && (m = /^ {2}((?:MULTI)?POLYGON|(?:MULTI)?LINESTRING|(?:MULTI)?POINT)/.exec(line))) {
      feature.geometry = m[1];
    }
  }
  return layers;
}

// Every item of a collection in a bbox, page by page.
async function items(collection, bbox) {
  const out = [];
  let next = `/ogc/collections/${collection}/items?limit=1000&bbox=${bbox.join(',')}`;
  while (next) {
    const r = await http.get(next);
    assert.equal(r.status, 200, r.text);
    out.push(...r.body.features);
    const link = r.body.links.find((l) => l.rel === 'next');
    next = link ? link.href.slice(server.url.length) : null;
  }
  return out;
}

// Hoàn Kiếm, in the middle of the demo parcels (lon 105.840-105.863, lat 21.014-21.042).
const CENTER = [105.8515, 21.028];

test('conformance, landing page and collections advertise the tiles', async () => {
  const conf = await http.get('/ogc/conformance');
  for (const c of ['core', 'tileset', 'tilesets-list', 'geodata-tilesets', 'dataset-tilesets', 'mvt']) {
    assert.ok(conf.body.conformsTo.includes(`http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/${c}`), c);
  }
  assert.ok(conf.body.conformsTo.includes('http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core'));
  const landing = await http.get('/ogc');
  const rel = (links, r) => links.find((l) => l.rel === r);
  const tilesets = rel(landing.body.links, 'http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector');
  assert.equal(tilesets.href, `${server.url}/ogc/tiles`);
  const c = await http.get('/ogc/collections/thua-dat');
  assert.equal(rel(c.body.links, 'http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector').href,
    `${server.url}/ogc/collections/thua-dat/tiles`);
  const all = await http.get('/ogc/collections');
  for (const col of all.body.collections) {
    assert.ok(rel(col.links, 'http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector'), col.id);
  }

  const list = await http.get(rel(landing.body.links, 'http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes').href.slice(server.url.length));
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.tileMatrixSets.map((s) => s.id), [TMS]);
  const tms = await http.get(`/ogc/tileMatrixSets/${TMS}`);
  assert.equal(tms.body.uri, 'http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad');
  assert.equal(tms.body.crs, 'http://www.opengis.net/def/crs/EPSG/0/3857');
  assert.equal(tms.body.tileMatrices.length, 25);
  for (const [z, m] of tms.body.tileMatrices.entries()) {
    assert.equal(m.id, String(z));
    assert.equal(m.matrixWidth, 2 ** z);
    assert.equal(m.tileWidth, 256);
    assert.ok(Math.abs(m.scaleDenominator - 559082264.028717 / 2 ** z) < 1e-6 * m.scaleDenominator);
  }
  const bad = await http.get('/ogc/tileMatrixSets/WorldCRS84Quad');
  assert.equal(bad.status, 404);
  assert.equal(bad.body.code, 'NotFound');
});

test('a parcel tile read by GDAL holds the parcels of its box, with their attributes', async () => {
  const t = tileOf(...CENTER, 17);
  const bytes = await tileBytes(tilePath('thua-dat', t));
  assert.ok(bytes && bytes.length > 0);
  const layers = await ogrinfo(bytes, t, 'parcels');
  assert.deepEqual(Object.keys(layers), ['thua-dat']);
  const got = new Map(layers['thua-dat'].map((f) => [f.id, f]));
  assert.equal(got.size, layers['thua-dat'].length, 'each parcel once');

  // Every parcel inside the tile (shrunk by a hair, so that slivers along the edge that
  // clipping reduces to nothing do not count) is in the tile; every parcel in the tile
  // touches the tile grown by the encoder's buffer.
  const inner = await items('thua-dat', tileBox(t, -8));
  const outer = await items('thua-dat', tileBox(t, 64));
  assert.ok(inner.length > 50, `a z17 tile of the demo holds many parcels (${inner.length})`);
  for (const f of inner) assert.ok(got.has(f.id), `${f.id} in the tile`);
  const outerIds = new Set(outer.map((f) => f.id));
  for (const id of got.keys()) assert.ok(outerIds.has(id), `${id} near the tile`);
  assert.ok(got.size >= inner.length && got.size <= outer.length);

  // Attributes as OGC API Features gives them.
  const byId = new Map(outer.map((f) => [f.id, f]));
  for (const [id, f] of got) {
    assert.equal(f.geometry, 'POLYGON', id);
    const want = byId.get(id).properties;
    for (const [k, v] of Object.entries(want)) {
      if (v === null) continue;
      assert.ok(k in f, `${id} has ${k}`);
      if (typeof v === 'number') assert.ok(Math.abs(Number(f[k]) - v) <= 1e-9 * Math.max(1, Math.abs(v)), `${id}.${k}`);
      else assert.equal(f[k], String(v), `${id}.${k}`);
    }
  }
});

test('tiles come gzip-compressed when asked, with an ETag that answers 304', async () => {
  const p = tilePath('thua-dat', tileOf(...CENTER, 16));
  const gz = await rawGet(p, { 'Accept-Encoding': 'gzip, deflate' });
  assert.equal(gz.status, 200);
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gz.body[0], 0x1f);
  assert.equal(gz.body[1], 0x8b);
  assert.match(gz.headers.etag, /^"[0-9a-f]{16}-gz"$/);
  assert.match(gz.headers['cache-control'], /max-age=\d+/);
  assert.match(gz.headers.vary, /Accept-Encoding/);

  const plain = await rawGet(p);
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.deepEqual(plain.body, gunzipSync(gz.body));
  assert.equal(plain.headers.etag, gz.headers.etag.replace('-gz', ''));
  const refused = await rawGet(p, { 'Accept-Encoding': 'gzip;q=0, identity' });
  assert.equal(refused.headers['content-encoding'], undefined);

  for (const [etag, enc] of [[gz.headers.etag, 'gzip'], [plain.headers.etag, ''], [`W/${plain.headers.etag}`, 'gzip']]) {
    const again = await rawGet(p, { 'If-None-Match': etag, 'Accept-Encoding': enc });
    assert.equal(again.status, 304, etag);
    assert.equal(again.body.length, 0);
    assert.ok(again.headers.etag);
  }
  const other = await rawGet(p, { 'If-None-Match': '"0000000000000000"' });
  assert.equal(other.status, 200);
});

test('an empty tile is 204; a tile outside the tile matrix set or its limits is 404; bad numbers 400', async () => {
  const empty = await rawGet(tilePath('thua-dat', { z: 10, x: 0, y: 0 }));
  assert.equal(empty.status, 204);
  assert.equal(empty.body.length, 0);
  assert.ok(empty.headers.etag);
  // Also for the top zoom served.
  assert.equal((await rawGet(tilePath('thua-dat', { z: 22, x: 0, y: 0 }))).status, 204);

  const cases = [
    ['/ogc/collections/thua-dat/tiles/WebMercatorQuad/23/0/0', 404],  // above the limits (0-22)
    ['/ogc/collections/thua-dat/tiles/WebMercatorQuad/25/0/0', 404],  // not in WebMercatorQuad
    ['/ogc/collections/thua-dat/tiles/WebMercatorQuad/3/8/0', 404],   // row beyond 2^3
    ['/ogc/collections/thua-dat/tiles/WebMercatorQuad/3/0/8', 404],
    ['/ogc/collections/thua-dat/tiles/WebMercatorQuad/3/0/99999999999999999999', 404],
    ['/ogc/collections/thua-dat/tiles/WorldCRS84Quad/3/0/0', 404],
    ['/ogc/collections/nope/tiles/WebMercatorQuad/3/0/0', 404],
    ['/ogc/collections/nope/tiles', 404],
    ['/ogc/tiles/WebMercatorQuad/3/0/0?collections=thua-dat,nope', 404],
    ['/ogc/collections/thua-dat/tiles/WebMercatorQuad/x/0/0', 400],
    ['/ogc/collections/thua-dat/tiles/WebMercatorQuad/3/-1/0', 400],
    ['/ogc/collections/thua-dat/tiles/WebMercatorQuad/3/0/1.5', 400],
    ['/ogc/collections/thua-dat/tiles/WebMercatorQuad/3/0/0?bogus=1', 400],
    ['/ogc/collections/thua-dat/tiles/WebMercatorQuad/3/0/0?f=png', 400],
    ['/ogc/tiles/WebMercatorQuad/3/0/0?collections=thua-dat,thua-dat', 400],
    ['/ogc/tiles/WebMercatorQuad/3/0/0?collections=', 400],
    ['/ogc/collections/thua-dat/tiles/WebMercatorQuad?f=xml', 400],
  ];
  for (const [p, status] of cases) {
    const r = await http.get(p);
    assert.equal(r.status, status, `${p}: ${r.text}`);
    assert.match(r.headers.get('content-type'), /application\/json/, p);
    assert.equal(r.body.code, status === 404 ? 'NotFound' : 'InvalidParameterValue', p);
    assert.equal(typeof r.body.description, 'string');
  }
  const post = await http.post('/ogc/collections/thua-dat/tiles/WebMercatorQuad/3/0/0', {});
  assert.equal(post.status, 405);
});

test('tileset metadata and TileJSON describe the layers, zooms and tile URLs', async () => {
  const sets = await http.get('/ogc/collections/thua-dat/tiles');
  assert.equal(sets.status, 200, sets.text);
  assert.equal(sets.body.tilesets.length, 1);
  assert.equal(sets.body.tilesets[0].dataType, 'vector');
  const self = sets.body.tilesets[0].links.find((l) => l.rel === 'self').href;
  const ts = await http.get(self.slice(server.url.length));
  assert.equal(ts.status, 200, ts.text);
  assert.equal(ts.body.tileMatrixSetURI, 'http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad');
  assert.equal(ts.body.tileMatrixSetLimits.length, 23);
  assert.equal(ts.body.layers[0].id, 'thua-dat');
  assert.equal(ts.body.layers[0].geometryDimension, 2);
  assert.ok('ma_dat' in ts.body.layers[0].propertiesSchema.properties);
  const item = ts.body.links.find((l) => l.rel === 'item');
  assert.equal(item.type, MVT);
  assert.equal(item.templated, true);
  const t = tileOf(...CENTER, 15);
  const href = item.href.replace('{tileMatrix}', t.z).replace('{tileRow}', t.y).replace('{tileCol}', t.x);
  assert.ok(await tileBytes(href.slice(server.url.length)));

  const tj = await http.get('/ogc/collections/thua-dat/tiles/WebMercatorQuad?f=tilejson');
  assert.equal(tj.status, 200, tj.text);
  assert.equal(tj.body.tilejson, '3.0.0');
  assert.equal(tj.body.minzoom, 0);
  assert.equal(tj.body.maxzoom, 22);
  assert.equal(tj.body.tiles.length, 1);
  assert.equal(tj.body.tiles[0], `${server.url}/ogc/collections/thua-dat/tiles/WebMercatorQuad/{z}/{y}/{x}`);
  const [w, s, e, n] = tj.body.bounds;
  assert.ok(w >= 105.839 && e <= 105.864 && s >= 21.013 && n <= 21.043 && w < e && s < n, `bounds ${tj.body.bounds}`);
  assert.equal(tj.body.vector_layers.length, 1);
  const vl = tj.body.vector_layers[0];
  assert.equal(vl.id, 'thua-dat');
  for (const f of ['id', 'ma_dat']) assert.ok(f in vl.fields, f);

  // The dataset: every layer, parcels from z14.
  const ds = await http.get('/ogc/tiles/WebMercatorQuad?f=tilejson');
  assert.equal(ds.status, 200, ds.text);
  const byId = Object.fromEntries(ds.body.vector_layers.map((l) => [l.id, l]));
  assert.deepEqual(Object.keys(byId).sort(), ['duong', 'phuong', 'quy-hoach', 'thua-dat']);
  assert.equal(byId['thua-dat'].minzoom, 14);
  assert.equal(byId['quy-hoach'].minzoom, 0);
});

test('the dataset tile holds each layer, parcels from zoom 14; entity types on request', async () => {
  const t13 = tileOf(...CENTER, 13);
  const low = await ogrinfo(await tileBytes(tilePath(null, t13)), t13, 'ds13');
  assert.deepEqual(Object.keys(low).sort(), ['duong', 'phuong', 'quy-hoach']);
  const t14 = tileOf(...CENTER, 14);
  const high = await ogrinfo(await tileBytes(tilePath(null, t14)), t14, 'ds14');
  assert.deepEqual(Object.keys(high).sort(), ['duong', 'phuong', 'quy-hoach', 'thua-dat']);
  assert.ok(high.duong.every((f) => /LINESTRING/.test(f.geometry)));

  // A selection of collections, entity types included: those are not cached.
  const p = `/ogc/tiles/WebMercatorQuad/${t14.z}/${t14.y}/${t14.x}?collections=Streetlight,phuong`;
  const r = await rawGet(p, { 'Accept-Encoding': 'gzip' });
  assert.equal(r.status, 200);
  assert.equal(r.headers['cache-control'], 'no-cache');
  const sel = await ogrinfo(gunzipSync(r.body), t14, 'sel');
  assert.deepEqual(Object.keys(sel), ['Streetlight', 'phuong']);
  assert.ok(sel.Streetlight.every((f) => f.geometry === 'POINT' && f.id.startsWith('urn:ngsi-ld:Streetlight:')));
  const lamps = await items('Streetlight', tileBox(t14, -8));
  const inTile = new Set(sel.Streetlight.map((f) => f.id));
  for (const l of lamps) assert.ok(inTile.has(l.id), l.id);
});

test('the default style draws every collection from sources that exist', async () => {
  const styles = await http.get('/ogc/styles');
  assert.equal(styles.status, 200);
  const href = styles.body.styles[0].links.find((l) => l.rel === 'stylesheet').href;
  const style = await http.get(href.slice(server.url.length));
  assert.equal(style.status, 200, style.text);
  assert.equal(style.body.version, 8);
  const vectorLayers = {};
  for (const [name, source] of Object.entries(style.body.sources)) {
    assert.equal(source.type, 'vector');
    const tj = await http.get(source.url.slice(server.url.length));
    assert.equal(tj.status, 200, `${name}: ${tj.text}`);
    vectorLayers[name] = new Set(tj.body.vector_layers.map((l) => l.id));
    // The source's tiles answer.
    const t = tileOf(...CENTER, 15);
    const url = tj.body.tiles[0].replace('{z}', t.z).replace('{y}', t.y).replace('{x}', t.x);
    assert.ok(await tileBytes(url.slice(server.url.length)), url);
  }
  const drawn = new Set();
  for (const l of style.body.layers) {
    if (l.type === 'background') continue;
    assert.ok(style.body.sources[l.source], `${l.id}: source ${l.source}`);
    assert.ok(vectorLayers[l.source].has(l['source-layer']), `${l.id}: ${l['source-layer']} in ${l.source}`);
    drawn.add(l['source-layer']);
  }
  const collections = await http.get('/ogc/collections');
  for (const c of collections.body.collections) assert.ok(drawn.has(c.id), `${c.id} drawn`);
  const parcels = style.body.layers.find((l) => l.id === 'thua-dat-fill');
  assert.equal(parcels.type, 'fill');
  assert.equal(parcels.minzoom, 14);
  assert.deepEqual(parcels.paint['fill-color'].slice(0, 2), ['match', ['get', 'ma_dat']]);
  assert.equal(style.body.layers.find((l) => l.id === 'duong-line').type, 'line');
  assert.equal(style.body.layers.find((l) => l.id === 'Streetlight-circle').source, 'entities');
  assert.equal((await http.get('/ogc/styles/other')).status, 404);
});

test('a layer replaced by dothi import beside the running server shows in its tiles', async () => {
  const t = tileOf(...CENTER, 15);
  const p = tilePath('phuong', t);
  const before = await rawGet(p, { 'Accept-Encoding': 'gzip' });
  assert.equal(before.status, 200);
  const cached = await rawGet(p, { 'Accept-Encoding': 'gzip' });
  assert.equal(cached.headers.etag, before.headers.etag);

  // One ward covering the tile.
  const [w, s, e, n] = tileBox(t);
  const ward = {
    type: 'FeatureCollection',
    features: [{ type: 'Feature', properties: { ma: 'phuong-moi', ten: 'Phường Mới' },
      geometry: { type: 'Polygon', coordinates: [[[w + 0.001, s + 0.001], [e - 0.001, s + 0.001], [e - 0.001, n - 0.001], [w + 0.001, n - 0.001], [w + 0.001, s + 0.001]]] } }],
  };
  const file = path.join(dir, 'phuong.geojson');
  writeFileSync(file, JSON.stringify(ward));
  await exec(DOTHI_BIN, ['import', file, '--data-dir', server.dataDir, '--tenant', 'demo', '--layer', 'phuong', '--replace', '--id-field', 'ma', '--no-progress']);

  let after;
  for (const started = Date.now(); Date.now() - started < 20000;) {
    after = await rawGet(p, { 'Accept-Encoding': 'gzip' });
    if (after.headers.etag !== before.headers.etag) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.notEqual(after.headers.etag, before.headers.etag, 'the tile changed');
  const layers = await ogrinfo(gunzipSync(after.body), t, 'replaced');
  assert.deepEqual(layers.phuong.map((f) => f.id), ['phuong-moi']);
  assert.equal(layers.phuong[0].ten, 'Phường Mới');
  // The dataset tile too.
  const ds = await ogrinfo(await tileBytes(tilePath(null, t)), t, 'replaced-ds');
  assert.deepEqual(ds.phuong.map((f) => f.id), ['phuong-moi']);
});
