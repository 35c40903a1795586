// `dothi import` end to end: planners' files made by GDAL's own ogr2ogr (a Shapefile in a
// VN-2000 TM-3 zone with its .prj and .cpg, GeoPackage, KML, DXF, CSV with WKT) are imported
// into a data directory, served by `dothi serve` as OGC API collections, and copied back
// out by GDAL's OAPIF driver into a GeoPackage identical in count, attributes and
// geometry (to 1e-7 degree, about 1 cm) to what was imported. Also: a running server picks
// a new version up, a broken file or a refused geometry leaves the previous version, a file
// without a CRS needs --srs, versions guard replacements.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startServer, DOTHI_BIN } from './lib/server.mjs';
import { client } from './lib/http.mjs';

const exec = promisify(execFile);

// VN-2000 -> TM-3 105°45' (TP. Hồ Chí Minh), the transformation QĐ 05/2007/QĐ-BTNMT gives,
// as an explicit PROJ pipeline so that ogr2ogr does not pick another operation.
const TO_VN2000_HCM =
  '+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step +proj=push +v_3 ' +
  '+step +proj=cart +ellps=WGS84 +step +inv +proj=helmert +x=-191.90441429 +y=-39.30318279 ' +
  '+z=-111.45032835 +rx=-0.00928836 +ry=0.01975479 +rz=-0.00427372 +s=0.252906278 ' +
  '+convention=coordinate_frame +step +inv +proj=cart +ellps=WGS84 +step +proj=pop +v_3 ' +
  '+step +proj=tmerc +lat_0=0 +lon_0=105.75 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84';

const USES = ['ODT', 'TMD', 'CXX', 'DGD', 'DYT'];
const NAMES = ['Khu dân cư Bến Nghé', 'Trung tâm thương mại Đa Kao', 'Công viên Tao Đàn', 'Trường học Nguyễn Du', 'Bệnh viện Quận 1'];
const round7 = (x) => Number(x.toFixed(7));

// A 8 x 5 grid of zoning cells in Quận 1, TP. HCM; cell 0 has a hole.
function zones(n = 40) {
  const features = [];
  for (let i = 0; i < n; i++) {
    const x0 = round7(106.69 + (i % 8) * 0.002), y0 = round7(10.77 + Math.floor(i / 8) * 0.002);
    const x1 = round7(x0 + 0.002), y1 = round7(y0 + 0.002);
    const rings = [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]];
    if (i === 0) rings.push([[round7(x0 + 0.0005), round7(y0 + 0.0005)], [round7(x0 + 0.0005), round7(y0 + 0.001)], [round7(x0 + 0.001), round7(y0 + 0.001)], [round7(x0 + 0.001), round7(y0 + 0.0005)], [round7(x0 + 0.0005), round7(y0 + 0.0005)]]);
    features.push({
      type: 'Feature',
      properties: { MA_KHU: `Q1-${String(i + 1).padStart(3, '0')}`, MA_DAT: USES[i % 5], TEN: `${NAMES[i % 5]} ${i + 1}`, MDXD: 40 + i, TANG_MAX: 3 + (i % 20) },
      geometry: { type: 'Polygon', coordinates: rings },
    });
  }
  return { type: 'FeatureCollection', features };
}

let dir;
let dataDir;

// Runs a command without a shell; returns { code, stdout, stderr } whatever the exit code.
async function run(cmd, args) {
  try {
    const { stdout, stderr } = await exec(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

async function gdal(tool, args) {
  const r = await run(tool, args);
  assert.equal(r.code, 0, `${tool} ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

const dothiImport = (file, ...args) => run(DOTHI_BIN, ['import', file, '--data-dir', dataDir, '--no-progress', ...args]);

function writeGeoJson(name, fc) {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(fc));
  return file;
}

async function readGeoJson(source, layer, name) {
  const out = path.join(dir, `${name}.geojson`);
  await gdal('ogr2ogr', ['-f', 'GeoJSON', out, source, ...(layer ? [layer] : [])]);
  return JSON.parse(readFileSync(out, 'utf8'));
}

// The positions of a Polygon/MultiPolygon, ring by ring, closing positions included.
const rings = (g) => (g.type === 'Polygon' ? g.coordinates : g.coordinates.flat());

function assertSameRings(got, want, what, tolerance = 1e-7) {
  const a = rings(got), b = rings(want);
  assert.equal(a.length, b.length, `${what}: ring count`);
  for (let r = 0; r < a.length; r++) {
    assert.equal(a[r].length, b[r].length, `${what}: ring ${r} length`);
    // The ring may start at another vertex or run the other way: compare as vertex sets.
    const key = (p) => `${Math.round(p[0] / tolerance)},${Math.round(p[1] / tolerance)}`;
    for (const p of b[r]) {
      assert.ok(a[r].some((q) => Math.abs(q[0] - p[0]) <= tolerance && Math.abs(q[1] - p[1]) <= tolerance),
        `${what}: ring ${r} lacks ${p} (has ${a[r].map(key).join(' ')})`);
    }
  }
}

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dothi-import-'));
  dataDir = path.join(dir, 'data');
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a VN-2000 Shapefile is imported, served and copied back by ogr2ogr unchanged', async () => {
  const source = zones();
  const geojson = writeGeoJson('zones.geojson', source);
  const shp = path.join(dir, 'zones.shp');
  await gdal('ogr2ogr', ['-f', 'ESRI Shapefile', '-lco', 'ENCODING=UTF-8', '-s_srs', 'OGC:CRS84', '-t_srs', 'EPSG:9210', '-ct', TO_VN2000_HCM, shp, geojson]);
  // The file really holds projected metres, as a planner's file does.
  const projected = await readGeoJson(shp, null, 'projected');
  assert.ok(projected.features[0].geometry.coordinates[0][0][0] > 600000, 'eastings in metres');

  const r = await dothiImport(shp, '--tenant', 'hcm', '--layer', 'quy-hoach', '--title', 'Quy hoạch phân khu Quận 1', '--id-field', 'MA_KHU');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /imported 40 features/);
  assert.match(r.stdout, /EPSG:9210/);
  assert.match(r.stdout, /version 1/);

  const server = await startServer({ dataDir, args: ['--ogc-tenant', 'hcm'], keepDataDir: true });
  try {
    const http = client(server.url);
    const c = await http.get('/ogc/collections/quy-hoach');
    assert.equal(c.status, 200, c.text);
    assert.equal(c.body.title, 'Quy hoạch phân khu Quận 1');
    const [bbox] = c.body.extent.spatial.bbox;
    for (const [k, want] of [[0, 106.69], [1, 10.77], [2, 106.706], [3, 10.78]]) assert.ok(Math.abs(bbox[k] - want) < 1e-7, `extent ${bbox}`);

    // Another tenant does not see it.
    const other = await http.get('/ogc/collections/quy-hoach', { headers: { 'NGSILD-Tenant': 'hanoi' } });
    assert.equal(other.status, 404, other.text);

    const gpkg = path.join(dir, 'copy.gpkg');
    await gdal('ogr2ogr', ['-f', 'GPKG', '-oo', 'PAGE_SIZE=7', gpkg, `OAPIF:${server.url}/ogc`, 'quy-hoach']);
    const copy = await readGeoJson(gpkg, null, 'copy');
    assert.equal(copy.features.length, 40);
    const byId = new Map(copy.features.map((f) => [f.properties.id ?? f.properties.MA_KHU, f]));
    for (const want of source.features) {
      const got = byId.get(want.properties.MA_KHU);
      assert.ok(got, `${want.properties.MA_KHU} copied`);
      assertSameRings(got.geometry, want.geometry, want.properties.MA_KHU);
      assert.equal(got.properties.TEN, want.properties.TEN, 'Vietnamese text survives');
      assert.equal(got.properties.MA_DAT, want.properties.MA_DAT);
      assert.equal(Number(got.properties.MDXD), want.properties.MDXD);
    }

    // A new version imported beside the running server replaces the old one there.
    const more = writeGeoJson('zones45.geojson', zones(45));
    const again = await dothiImport(more, '--tenant', 'hcm', '--layer', 'quy-hoach', '--replace', '--id-field', 'MA_KHU');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /version 2/);
    let matched;
    for (const started = Date.now(); Date.now() - started < 20000;) {
      const items = await http.get('/ogc/collections/quy-hoach/items?limit=1');
      matched = items.body.numberMatched;
      if (matched === 45) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(matched, 45, 'the server reloads the replaced layer');
  } finally {
    await server.stop();
  }
});

test('a broken file or a refused geometry leaves the previous version whole', async () => {
  const ok = writeGeoJson('v1.geojson', zones(10));
  let r = await dothiImport(ok, '--tenant', 'hn', '--layer', 'thua-dat');
  assert.equal(r.code, 0, r.stderr);

  // A truncated Shapefile.
  const shp = path.join(dir, 'broken.shp');
  await gdal('ogr2ogr', ['-f', 'ESRI Shapefile', shp, writeGeoJson('b.geojson', zones(30))]);
  truncateSync(shp, Math.floor(statSync(shp).size / 2));
  r = await dothiImport(shp, '--tenant', 'hn', '--layer', 'thua-dat', '--replace');
  assert.notEqual(r.code, 0, 'a broken file is refused');
  assert.match(r.stderr, /dothi import: .+/);

  // A self-intersecting polygon ("bow tie") with --invalid refuse: named, nothing stored.
  const bad = zones(12);
  bad.features[7].geometry.coordinates = [[[106.7, 10.77], [106.71, 10.78], [106.71, 10.77], [106.7, 10.78], [106.7, 10.77]]];
  const badFile = writeGeoJson('bad.geojson', bad);
  r = await dothiImport(badFile, '--tenant', 'hn', '--layer', 'thua-dat', '--replace', '--invalid', 'refuse', '--id-field', 'MA_KHU');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /1 feature\(s\)/);
  assert.match(r.stderr, /Q1-008/);
  assert.match(r.stderr, /Self-intersection/i);

  // The same file repaired by default: reported by id, stored valid.
  r = await dothiImport(badFile, '--tenant', 'hn', '--layer', 'thua-dat', '--replace', '--id-field', 'MA_KHU');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /1 invalid geometries repaired/);
  assert.match(r.stdout, /Q1-008/);

  // Without --replace an existing layer is kept; a stale --expect-version too.
  r = await dothiImport(ok, '--tenant', 'hn', '--layer', 'thua-dat');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /exists/);
  r = await dothiImport(ok, '--tenant', 'hn', '--layer', 'thua-dat', '--expect-version', '1');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /version 2/);

  const server = await startServer({ dataDir, args: ['--ogc-tenant', 'hn'], keepDataDir: true });
  try {
    const items = await client(server.url).get('/ogc/collections/thua-dat/items?limit=100');
    assert.equal(items.status, 200, items.text);
    assert.equal(items.body.numberMatched, 12, 'version 2: the repaired import, not the broken file');
    const repaired = items.body.features.find((f) => f.id === 'Q1-008');
    assert.equal(repaired.geometry.type, 'MultiPolygon', 'the bow tie became its two triangles');
  } finally {
    await server.stop();
  }
});

test('a file without a CRS needs --srs; VN2000:<province> reads it in the province TM-3 zone', async () => {
  const source = zones(6);
  const shp = path.join(dir, 'noprj.shp');
  await gdal('ogr2ogr', ['-f', 'ESRI Shapefile', '-s_srs', 'OGC:CRS84', '-t_srs', 'EPSG:9210', '-ct', TO_VN2000_HCM, shp, writeGeoJson('n.geojson', source)]);
  rmSync(path.join(dir, 'noprj.prj'));
  let r = await dothiImport(shp, '--tenant', 'hcm', '--layer', 'khong-prj');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--srs/);

  r = await dothiImport(shp, '--tenant', 'hcm', '--layer', 'khong-prj', '--srs', 'VN2000:nowhere');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /province/);

  r = await dothiImport(shp, '--tenant', 'hcm', '--layer', 'khong-prj', '--srs', 'VN2000:ho-chi-minh');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /EPSG:9210/);
  assert.match(r.stdout, /Bà Rịa–Vũng Tàu 107°45′/, 'the 2025 city spans another meridian: said');

  // The wrong province (Hà Nội, 105°00') puts the plan tens of kilometres west.
  r = await dothiImport(shp, '--tenant', 'hcm', '--layer', 'sai-tinh', '--srs', 'VN2000:VN-HN');
  assert.equal(r.code, 0, r.stderr);
  const server = await startServer({ dataDir, args: ['--ogc-tenant', 'hcm'], keepDataDir: true });
  try {
    const http = client(server.url);
    const right = await http.get('/ogc/collections/khong-prj/items');
    for (const want of source.features) {
      const got = right.body.features.find((f) => f.properties.MA_KHU === want.properties.MA_KHU);
      assertSameRings(got.geometry, want.geometry, want.properties.MA_KHU);
    }
    const wrong = await http.get('/ogc/collections/sai-tinh/items');
    const x = wrong.body.features[0].geometry.coordinates[0][0][0];
    assert.ok(Math.abs(x - source.features[0].geometry.coordinates[0][0][0]) > 0.5, `wrong meridian shows: ${x}`);
  } finally {
    await server.stop();
  }
});

test('GeoPackage, KML, DXF and CSV with WKT import with every feature', async () => {
  const source = zones(9);
  const geojson = writeGeoJson('fmt.geojson', source);
  const csv = path.join(dir, 'fmt.csv');
  writeFileSync(csv, 'MA_KHU,TEN,WKT\n' + source.features.map((f) =>
    `${f.properties.MA_KHU},"${f.properties.TEN}","POLYGON(${f.geometry.coordinates.map((ring) => `(${ring.map((p) => p.join(' ')).join(',')})`).join(',')})"`).join('\n') + '\n');
  const files = { gpkg: path.join(dir, 'fmt.gpkg'), kml: path.join(dir, 'fmt.kml'), dxf: path.join(dir, 'fmt.dxf') };
  await gdal('ogr2ogr', ['-f', 'GPKG', files.gpkg, geojson]);
  await gdal('ogr2ogr', ['-f', 'KML', files.kml, geojson]);
  await gdal('ogr2ogr', ['-f', 'DXF', files.dxf, geojson]);
  for (const [kind, file] of [...Object.entries(files), ['csv', csv]]) {
    const r = await dothiImport(file, '--tenant', 'fmt', '--layer', `fmt-${kind}`);
    assert.equal(r.code, 0, `${kind}: ${r.stderr}`);
    assert.match(r.stdout, /imported 9 features/, kind);
  }
  const server = await startServer({ dataDir, args: ['--ogc-tenant', 'fmt'], keepDataDir: true });
  try {
    const http = client(server.url);
    for (const kind of ['gpkg', 'kml', 'csv']) {
      const items = await http.get(`/ogc/collections/fmt-${kind}/items?limit=20`);
      assert.equal(items.body.numberMatched, 9, kind);
      for (const want of source.features) {
        const got = items.body.features.find((f) => (f.properties.MA_KHU ?? f.properties.Name) === want.properties.MA_KHU ||
          f.properties.TEN === want.properties.TEN);
        assert.ok(got, `${kind}: ${want.properties.MA_KHU}`);
        assertSameRings(got.geometry, want.geometry, `${kind} ${want.properties.MA_KHU}`);
      }
    }
    const dxf = await http.get('/ogc/collections/fmt-dxf/items?limit=20');
    assert.equal(dxf.body.numberMatched, 9);
  } finally {
    await server.stop();
  }
});

test('bad command lines are refused with a reason', async () => {
  const file = writeGeoJson('x.geojson', zones(2));
  for (const [args, why] of [
    [['--tenant', 't', '--layer', 'Có Dấu'], /layer name/],
    [['--tenant', 't', '--layer', 'ok', '--srs', 'EPSG:999999'], /PROJ|CRS/],
    [['--tenant', 't', '--layer', 'ok', '--field', 'land_use=NOPE', '--role', 'planning'], /no such property/],
    [['--tenant', 't', '--layer', 'ok', '--field', 'colour=MA_DAT'], /no such planning field/],
  ]) {
    const r = await dothiImport(file, ...args);
    assert.equal(r.code === 0, false, args.join(' '));
    assert.match(r.stderr, why, args.join(' '));
  }
  const missing = await dothiImport(path.join(dir, 'nope.shp'), '--tenant', 't', '--layer', 'ok');
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /cannot open/);
});
