// OGC API - Features at /ogc read by a real GIS client: GDAL's OAPIF driver through the
// ogrinfo and ogr2ogr command-line tools (Debian package gdal-bin). Layers are listed,
// a collection is copied page by page into a GeoPackage and read back, and Vietnamese
// text and coordinates survive. The default tenant is used, so no headers are needed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startServer } from './lib/server.mjs';
import { client, LD } from './lib/http.mjs';

const exec = promisify(execFile);

let server;
let dir;
let oapif;

const N = 27;
const round6 = (x) => Number(x.toFixed(6));
const STREETLIGHTS = Array.from({ length: N }, (_, i) => ({
  id: `urn:ngsi-ld:Streetlight:gdal-${String(i + 1).padStart(2, '0')}`,
  type: 'Streetlight',
  powerState: { type: 'Property', value: i % 2 === 0 ? 'on' : 'off' },
  power: { type: 'Property', value: 40 + i },
  name: { type: 'Property', value: `Đèn đường Phố Huế số ${i + 1} – Hoàn Kiếm` },
  location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [round6(105.84 + 0.0013 * i), round6(21.01 + 0.0007 * i)] } },
}));
const rect = (x0, y0, x1, y1) => ({ type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] });
const PARKINGS = [
  { id: 'urn:ngsi-ld:Parking:ga-hanoi', type: 'Parking', name: { type: 'Property', value: 'Bãi đỗ xe Ga Hà Nội' }, location: { type: 'GeoProperty', value: rect(105.84, 21.02, 105.842, 21.023) } },
  { id: 'urn:ngsi-ld:Parking:long-bien', type: 'Parking', name: { type: 'Property', value: 'Bãi đỗ xe Long Biên' }, location: { type: 'GeoProperty', value: rect(105.85, 21.04, 105.853, 21.042) } },
];
const BUDGET = { id: 'urn:ngsi-ld:Budget:2025', type: 'Budget', amount: { type: 'Property', value: 1500000000 } };

before(async () => {
  server = await startServer();
  const r = await client(server.url).post(`${LD}/entityOperations/create`, [...STREETLIGHTS, ...PARKINGS, BUDGET]);
  assert.equal(r.status, 201, r.text);
  oapif = `OAPIF:${server.url}/ogc`;
  dir = mkdtempSync(path.join(tmpdir(), 'dothi-gdal-'));
});
after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Runs a GDAL tool without a shell; a failure shows its output.
async function gdal(tool, args) {
  try {
    return await exec(tool, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  } catch (err) {
    assert.fail(`${tool} ${args.join(' ')} failed (${err.code}):\n${err.stdout}\n${err.stderr}`);
  }
}

// Converts any OGR source layer to GeoJSON in the temp dir and parses it.
async function toGeoJson(source, layer, name, extra = []) {
  const out = path.join(dir, `${name}.geojson`);
  await gdal('ogr2ogr', ['-f', 'GeoJSON', ...extra, out, source, ...(layer ? [layer] : [])]);
  return JSON.parse(readFileSync(out, 'utf8'));
}

// Each exported feature, matched to the entity it came from by the id GDAL keeps as a field.
function byEntity(fc) {
  const m = new Map();
  for (const f of fc.features) {
    const id = f.properties.id ?? f.id;
    assert.ok(!m.has(id), `${id} exported twice`);
    m.set(id, f);
  }
  return m;
}

function assertSameCoordinates(got, want, what) {
  assert.equal(got.type, want.type, what);
  const flat = (g) => (g.type === 'Point' ? [g.coordinates] : g.coordinates.flat());
  const a = flat(got);
  const b = flat(want);
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    for (let k = 0; k < 2; k++) assert.ok(Math.abs(a[i][k] - b[i][k]) < 1e-9, `${what}: ${a[i]} vs ${b[i]}`);
  }
}

test('ogrinfo lists one layer per located type', async () => {
  const { stdout } = await gdal('ogrinfo', ['-ro', '-q', oapif]);
  const layers = [...stdout.matchAll(/^\s*\d+:\s*(\S+)/gm)].map((m) => m[1]).sort();
  assert.deepEqual(layers, ['Parking', 'Streetlight'], stdout);
});

test('ogr2ogr copies every streetlight into a GeoPackage, paging through the collection', async () => {
  for (const [name, extra] of [['default', []], ['pages-of-7', ['-oo', 'PAGE_SIZE=7']]]) {
    const gpkg = path.join(dir, `${name}.gpkg`);
    await gdal('ogr2ogr', ['-f', 'GPKG', ...extra, gpkg, oapif, 'Streetlight']);
    const fc = await toGeoJson(gpkg, null, name);
    assert.equal(fc.features.length, N, `${name}: feature count`);
    const got = byEntity(fc);
    assert.deepEqual([...got.keys()].sort(), STREETLIGHTS.map((e) => e.id), `${name}: ids`);
    for (const e of STREETLIGHTS) {
      const f = got.get(e.id);
      assertSameCoordinates(f.geometry, e.location.value, `${name}: ${e.id}`);
      assert.equal(f.properties.name, e.name.value, `${name}: Vietnamese name of ${e.id}`);
      assert.equal(f.properties.powerState, e.powerState.value, `${name}: powerState of ${e.id}`);
      assert.equal(f.properties.power, e.power.value, `${name}: power of ${e.id}`);
    }
  }
});

test('polygons come through unchanged and a spatial filter selects by location', async () => {
  const parkings = byEntity(await toGeoJson(oapif, 'Parking', 'parking'));
  assert.deepEqual([...parkings.keys()].sort(), PARKINGS.map((p) => p.id).sort());
  for (const p of PARKINGS) {
    assertSameCoordinates(parkings.get(p.id).geometry, p.location.value, p.id);
    assert.equal(parkings.get(p.id).properties.name, p.name.value);
  }

  // -spat becomes a bbox request; the result is the streetlights inside the box.
  const box = [105.845, 21.012, 105.86, 21.02];
  const inside = STREETLIGHTS.filter(({ location: { value: { coordinates: [x, y] } } }) =>
    x >= box[0] && x <= box[2] && y >= box[1] && y <= box[3]);
  assert.ok(inside.length > 0 && inside.length < N);
  const spat = byEntity(await toGeoJson(oapif, 'Streetlight', 'spat', ['-spat', ...box.map(String)]));
  assert.deepEqual([...spat.keys()].sort(), inside.map((e) => e.id));
});
