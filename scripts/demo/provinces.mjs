// Writes Vietnam's 63 pre-2025 provinces as GeoJSON in UTM 48N metres (EPSG:32648), each
// with the 2025 unit it belongs to, for `dothi import --dissolve ma_tinh` to join into the
// 34 units of 2025. Source: @highcharts/map-collection countries/vn/vn-all.geo.json (Natural
// Earth), whose coordinates are UTM 48N under a scale/offset ("hc-transform"); the merge
// map is ../../shared/reference/provinces-2025.md §3 (copied in provinces-2025.txt).
// Usage: node scripts/demo/provinces.mjs OUT.geojson
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const source = JSON.parse(readFileSync(require.resolve('@highcharts/map-collection/countries/vn/vn-all.geo.json'), 'utf8'));

// Three features of this edition lack their ISO code.
const ISO_BY_KEY = { 'vn-317': 'VN-66', 'vn-331': 'VN-39', 'vn-307': 'VN-53' };

const units = new Map();  // old ISO -> { code, name, type }
for (const line of readFileSync(path.join(here, 'provinces-2025.txt'), 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const [code, name, type, members] = line.split(';');
  for (const iso of members.split(',')) units.set(iso.trim(), { code, name, type });
}

const t = source['hc-transform'].default;
// Highcharts' inverse transform: chart units -> projected metres.
const toUtm = ([x, y]) => [
  Number(((x - t.jsonmarginX) / t.jsonres / t.scale + t.xoffset).toFixed(2)),
  Number(((y - t.jsonmarginY) / t.jsonres / t.scale + t.yoffset).toFixed(2)),
];
const mapCoords = (c) => (typeof c[0] === 'number' ? toUtm(c) : c.map(mapCoords));

const features = [];
for (const f of source.features) {
  const p = f.properties;
  const iso = p.iso_3166_2 && p.iso_3166_2 !== 'VN-' ? p.iso_3166_2 : ISO_BY_KEY[p['hc-key']];
  const unit = units.get(iso);
  if (!unit || !f.geometry) throw new Error(`no 2025 unit for ${p['hc-key']} ${p.name} (${iso})`);
  features.push({
    type: 'Feature',
    properties: { ma_tinh: unit.code, ten_tinh: unit.name, loai: unit.type, ma_iso_cu: iso, ten_cu: p.name },
    geometry: { type: f.geometry.type, coordinates: mapCoords(f.geometry.coordinates) },
  });
}
if (features.length !== 63 || new Set(features.map((f) => f.properties.ma_tinh)).size !== 34) {
  throw new Error(`expected 63 provinces in 34 units, got ${features.length}`);
}
writeFileSync(process.argv[2], JSON.stringify({
  type: 'FeatureCollection',
  name: 'tinh-thanh-63',
  crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::32648' } },
  features,
}));
