// The planning lookup at /planning/v1 on the generated demo district (serve --demo): by a
// WGS 84 point, by VN-2000 coordinates as a land certificate gives them (x northing, y
// easting, TM-3 zone of Hà Nội, computed here by PROJ's cs2cs with the QĐ 05/2007 shift),
// by parcel, by name; labels in Vietnamese and English; bad input gets a clear 4xx.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from './lib/server.mjs';
import { client } from './lib/http.mjs';

const exec = promisify(execFile);
let server;
let http;

before(async () => {
  server = await startServer({ args: ['--demo', '--demo-sensors', '100'] });
  http = client(server.url);
});
after(async () => {
  await server?.stop();
});

const TO_VN2000_HANOI =
  '+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step +proj=push +v_3 ' +
  '+step +proj=cart +ellps=WGS84 +step +inv +proj=helmert +x=-191.90441429 +y=-39.30318279 ' +
  '+z=-111.45032835 +rx=-0.00928836 +ry=0.01975479 +rz=-0.00427372 +s=0.252906278 ' +
  '+convention=coordinate_frame +step +inv +proj=cart +ellps=WGS84 +step +proj=pop +v_3 ' +
  '+step +proj=tmerc +lat_0=0 +lon_0=105 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84';

// A point inside a zoning cell: the middle of a parcel taken from the OGC API.
async function someParcel(offset) {
  const r = await http.get(`/ogc/collections/thua-dat/items?limit=1&offset=${offset}`);
  assert.equal(r.status, 200, r.text);
  return r.body.features[0];
}
const centre = (f) => {
  const ring = f.geometry.coordinates[0].slice(0, -1);
  return [ring.reduce((s, p) => s + p[0], 0) / ring.length, ring.reduce((s, p) => s + p[1], 0) / ring.length];
};

test('a point gives its zone with labelled planning fields, its parcel and its ward', async () => {
  const parcel = await someParcel(4321);
  const [lon, lat] = centre(parcel);
  const r = await http.get(`/planning/v1/lookup?lon=${lon}&lat=${lat}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.parcel.featureId, parcel.id);
  assert.equal(r.body.zones.length, 1, r.text);
  const zone = r.body.zones[0];
  assert.equal(zone.layer, 'quy-hoach');
  const field = (name) => zone.fields.find((f) => f.field === name);
  assert.deepEqual(field('building_density').label, { vi: 'Mật độ xây dựng (%)', en: 'Building density (%)' });
  assert.equal(typeof field('land_use_coefficient').value, 'number');
  assert.ok(field('land_use').valueLabel.vi.startsWith('Đất'), JSON.stringify(field('land_use')));
  assert.match(field('decision_number').value, /QĐ-UBND/);
  // The zone really contains the point: ask the OGC API for the zones at that point.
  const ogc = await http.get(`/ogc/collections/quy-hoach/items?bbox=${lon},${lat},${lon},${lat}`);
  assert.deepEqual(ogc.body.features.map((f) => f.id), [zone.featureId]);
  assert.equal(r.body.administrative.length, 1);
  assert.equal(r.body.administrative[0].fields[0].value, parcel.properties.phuong);
  assert.equal(r.body.parcel.fields.find((f) => f.field === 'parcel_number').value, parcel.properties.so_thua);
});

test('VN-2000 x (northing) / y (easting) in the province zone give the same answer', async () => {
  const parcel = await someParcel(987);
  const [lon, lat] = centre(parcel);
  const dir = mkdtempSync(path.join(tmpdir(), 'dothi-planning-'));
  let easting, northing;
  try {
    const input = path.join(dir, 'p.geojson');
    writeFileSync(input, JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [lon, lat] } }] }));
    const { stdout } = await exec('ogr2ogr', ['-f', 'GeoJSON', '/vsistdout/', '-s_srs', 'OGC:CRS84', '-t_srs', 'EPSG:5897', '-ct', TO_VN2000_HANOI, '-lco', 'COORDINATE_PRECISION=4', input]);
    [easting, northing] = JSON.parse(stdout).features[0].geometry.coordinates;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(easting > 500000 && easting < 600000 && northing > 2300000, `${easting} ${northing}`);
  const r = await http.get(`/planning/v1/lookup?x=${northing}&y=${easting}&srs=VN2000:ha-noi`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.parcel.featureId, parcel.id);
  assert.ok(Math.abs(r.body.point.lon - lon) < 1e-7 && Math.abs(r.body.point.lat - lat) < 1e-7, JSON.stringify(r.body.point));
  assert.equal(r.body.input.srs, 'EPSG:5897');
  // Swapped (GIS order) is refused with the reason.
  const swapped = await http.get(`/planning/v1/lookup?x=${easting}&y=${northing}&srs=VN2000:ha-noi`);
  assert.equal(swapped.status, 400);
  assert.match(swapped.body.description, /northing/);
});

test('a parcel by ward, map sheet and number gives its zones and shares', async () => {
  const parcel = await someParcel(15000);
  const q = new URLSearchParams({ commune: parcel.properties.phuong, sheet: String(parcel.properties.to_ban_do), parcel: String(parcel.properties.so_thua) });
  const r = await http.get(`/planning/v1/parcels?${q}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.parcel.featureId, parcel.id);
  assert.deepEqual(r.body.parcel.geometry, parcel.geometry);
  assert.ok(Math.abs(r.body.parcel.computedAreaM2 - parcel.properties.dien_tich) < parcel.properties.dien_tich * 0.005);
  const total = r.body.zones.reduce((s, z) => s + z.share, 0);
  assert.ok(Math.abs(total - 1) < 1e-3, `shares add up: ${total}`);
  const missing = await http.get('/planning/v1/parcels?commune=Hàng%20Đào&sheet=999&parcel=1');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.code, 'NotFound');
});

test('search finds names without accents', async () => {
  const r = await http.get('/planning/v1/search?q=phuong%20hang%20bac&limit=3');
  assert.equal(r.status, 200, r.text);
  assert.ok(r.body.results.length > 0 && r.body.results.length <= 3);
  for (const hit of r.body.results) assert.match(hit.matched, /Hàng Bạc/);
  const fields = await http.get('/planning/v1/fields');
  assert.ok(fields.body.zoning.some((f) => f.field === 'land_use' && f.label.vi && f.label.en));
});

test('bad input is a clear 4xx, never a 500', async () => {
  for (const [query, status, why] of [
    ['lon=2.35&lat=48.85', 400, /outside Vietnam/],
    ['lon=106.70&lat=10.77', 400, /outside the area/],
    ['lon=abc&lat=21', 400, /not a number/],
    ['lon=200&lat=21', 400, /lon/],
    ['lon=105.85', 400, /lat/],
    ['', 400, /lon and lat/],
    ['lon=105.85&lat=21.03&zoom=3', 400, /unknown parameter/],
    ['lon=105.85&lat=21.03&lon=1', 400, /repeated/],
    ['x=1&y=2&srs=VN2000:atlantis', 400, /province/],
    ['x=2324000&y=585000&srs=EPSG:abc', 400, /EPSG/],
    ['lon=105.85&lat=21.03&x=1&y=2&srs=VN2000', 400, /not both/],
    ['x=1e308&y=1e308&srs=VN2000:ha-noi', 400, /./],
  ]) {
    const r = await http.get(`/planning/v1/lookup?${query}`);
    assert.equal(r.status, status, `${query}: ${r.text}`);
    assert.match(r.body.description, why, query);
    assert.equal(r.body.code, 'InvalidParameterValue', query);
  }
  const other = await http.get('/planning/v1/lookup?lon=105.85&lat=21.03', { headers: { 'NGSILD-Tenant': 'nowhere' } });
  assert.equal(other.status, 404, other.text);
  const search = await http.get('/planning/v1/search');
  assert.equal(search.status, 400);
});
