// The demo's 34 provinces of 2025, built as `make demo-data` does: the 63 pre-2025
// provinces of the npm package @highcharts/map-collection (UTM 48N under Highcharts'
// scale/offset) written by scripts/demo/provinces.mjs, imported with --dissolve ma_tinh.
// Checked with points of known cities: a merged province holds the cities of all its parts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startServer, DOTHI_BIN } from './lib/server.mjs';
import { client } from './lib/http.mjs';

const exec = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let dir;
let server;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dothi-provinces-'));
  const file = path.join(dir, 'provinces-63.geojson');
  await exec('node', [path.join(root, 'scripts/demo/provinces.mjs'), file]);
  const { stdout } = await exec(DOTHI_BIN, ['import', file, '--data-dir', path.join(dir, 'data'), '--tenant', 'demo',
    '--layer', 'tinh-thanh', '--dissolve', 'ma_tinh', '--role', 'administrative', '--field', 'name=ten_tinh',
    '--id-field', 'ma_iso_cu', '--no-progress']);
  assert.match(stdout, /imported 34 features \(63 read/);
  assert.match(stdout, /EPSG:32648/);
  server = await startServer({ dataDir: path.join(dir, 'data'), args: ['--ogc-tenant', 'demo'], keepDataDir: true });
});
after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// City -> [lon, lat, GSO code of its 2025 unit, its name].
const CITIES = [
  ['Hà Nội (Hoàn Kiếm)', 105.852, 21.028, '01', 'Hà Nội'],
  ['TP. HCM (Quận 1)', 106.70, 10.776, '79', 'Hồ Chí Minh'],
  ['Bà Rịa (Bà Rịa–Vũng Tàu before 2025)', 107.17, 10.52, '79', 'Hồ Chí Minh'],
  ['Thủ Dầu Một (Bình Dương before 2025)', 106.66, 10.98, '79', 'Hồ Chí Minh'],
  ['Biên Hòa', 106.84, 10.95, '75', 'Đồng Nai'],
  ['Đà Lạt', 108.44, 11.94, '68', 'Lâm Đồng'],
  ['Phan Thiết (Bình Thuận before 2025)', 108.10, 10.93, '68', 'Lâm Đồng'],
  ['Huế', 107.585, 16.46, '46', 'Huế'],
  ['Đà Nẵng', 108.20, 16.05, '48', 'Đà Nẵng'],
  ['Hội An (Quảng Nam before 2025)', 108.33, 15.88, '48', 'Đà Nẵng'],
  ['Uông Bí', 106.78, 21.04, '22', 'Quảng Ninh'],
  ['Việt Trì', 105.40, 21.32, '25', 'Phú Thọ'],
  ['Vĩnh Yên (Vĩnh Phúc before 2025)', 105.60, 21.31, '25', 'Phú Thọ'],
];

test('the 63 provinces join into the 34 units of 2025', async () => {
  const http = client(server.url);
  const all = await http.get('/ogc/collections/tinh-thanh/items?limit=100');
  assert.equal(all.status, 200, all.text);
  assert.equal(all.body.numberMatched, 34);
  const ids = new Set(all.body.features.map((f) => f.id));
  assert.equal(ids.size, 34);
  const c = await http.get('/ogc/collections/tinh-thanh');
  const [[x0, y0, x1, y1]] = c.body.extent.spatial.bbox;
  assert.ok(x0 > 101.5 && x0 < 103 && x1 > 109 && x1 < 110 && y0 > 8 && y0 < 9 && y1 > 23 && y1 < 23.6,
    `Vietnam's mainland extent: ${[x0, y0, x1, y1]}`);
  for (const [city, lon, lat, code, name] of CITIES) {
    const r = await http.get(`/ogc/collections/tinh-thanh/items?bbox=${lon},${lat},${lon},${lat}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.features.map((f) => f.id), [code], city);
    assert.equal(r.body.features[0].properties.ten_tinh, name, city);
  }
});
