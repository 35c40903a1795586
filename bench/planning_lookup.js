#!/usr/bin/env node
// bench/planning_lookup.js: helpers of bench/planning_lookup.sh (node, no dependencies).
//
//   node bench/planning_lookup.js export --url URL --collection C --page N --out FILE
//     Reads every feature of OGC collection C (GET /ogc/collections/C/items?limit=N&offset=K,
//     page after page until a short page) and writes them as CSV for PostgreSQL's COPY:
//     ord (0-based position in dothi's order), id, properties (JSON), geometry (GeoJSON).
//     Fails when the last page's numberMatched differs from the count read, or an id
//     repeats. Prints one JSON line {collection, features, pages}.
//   node bench/planning_lookup.js points --n N --seed S
//     N seeded random points of the demo box (lon 105.8400-105.8630, lat 21.0140-21.0420)
//     on the 1e-7 degree grid, as CSV "no,lon,lat" with the coordinates as decimal text, so
//     dothi and PostGIS parse the same strings.
//   node bench/planning_lookup.js check --url URL --points FILE --postgis FILE
//     GETs /planning/v1/lookup?lon=&lat= for every point of --points and compares the zone
//     ids, the parcel id and the ward ids with PostGIS's answers (--postgis: CSV
//     "no,zones,parcels,wards", ids space-separated in dothi's import order): zones and wards
//     must be equal lists, the parcel the first of PostGIS's parcels there (dothi answers one).
//     Exits 1 after printing the first differences; else prints one JSON line of counts.
'use strict';
const fs = require('fs');
const http = require('http');
const { args, request } = require('./load_lib');

function csvField(s) {
  return '"' + String(s).replace(/"/g, '""') + '"';
}

// splitmix32-style generator: the same points on every machine.
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

async function exportCollection(a) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const page = Number(a.page || 1000);
  const out = fs.openSync(a.out, 'w');
  const seen = new Set();
  let offset = 0, pages = 0, matched = null;
  for (;;) {
    const path = `/ogc/collections/${a.collection}/items?f=json&limit=${page}&offset=${offset}`;
    const r = await request(agent, a.url, 'GET', path);
    if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status} ${r.body.toString().slice(0, 300)}`);
    const fc = JSON.parse(r.body);
    if (typeof fc.numberMatched === 'number') matched = fc.numberMatched;
    ++pages;
    let lines = '';
    for (const f of fc.features) {
      const id = String(f.id);
      if (seen.has(id)) throw new Error(`${a.collection}: id ${id} repeats (at offset ${offset})`);
      if (!f.geometry) throw new Error(`${a.collection}: feature ${id} has no geometry`);
      seen.add(id);
      lines += [seen.size - 1, csvField(id), csvField(JSON.stringify(f.properties || {})),
                csvField(JSON.stringify(f.geometry))].join(',') + '\n';
    }
    fs.writeSync(out, lines);
    offset += fc.features.length;
    if (fc.features.length < page) break;
  }
  fs.closeSync(out);
  agent.destroy();
  if (matched !== null && matched !== seen.size) {
    throw new Error(`${a.collection}: numberMatched ${matched} but ${seen.size} features read`);
  }
  console.log(JSON.stringify({ collection: a.collection, features: seen.size, pages }));
}

function points(a) {
  const n = Number(a.n || 1000);
  const next = rng(Number(a.seed || 7));
  let out = 'no,lon,lat\n';
  for (let i = 0; i < n; i++) {
    const lon = 8400000 + Math.floor(next() * 230001);  // 1e-7 degree units after 105.
    const lat = 140000 + Math.floor(next() * 280001);   // after 21.
    out += `${i},105.${String(lon).padStart(7, '0')},21.${String(lat).padStart(7, '0')}\n`;
  }
  process.stdout.write(out);
}

function readCsv(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  const head = lines.shift().split(',');
  return lines.map((l) => {
    const v = l.split(',');
    const row = {};
    head.forEach((h, i) => { row[h] = v[i] === undefined ? '' : v[i]; });
    return row;
  });
}

const ids = (s) => (s ? s.split(' ').filter((x) => x) : []);

async function check(a) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const pts = readCsv(a.points);
  const pg = new Map(readCsv(a.postgis).map((r) => [r.no, r]));
  const counts = { points: 0, zones: 0, parcels: 0, wards: 0, no_parcel: 0, multi_zone: 0,
                   parcel_on_edge: 0, mismatches: 0 };
  const diffs = [];
  for (const p of pts) {
    const r = await request(agent, a.url, 'GET', `/planning/v1/lookup?lon=${p.lon}&lat=${p.lat}`);
    const want = pg.get(p.no);
    if (!want) throw new Error(`PostGIS has no answer for point ${p.no}`);
    counts.points++;
    let got;
    if (r.status === 200) {
      const j = JSON.parse(r.body);
      got = {
        zones: j.zones.map((z) => z.featureId),
        parcel: j.parcel ? j.parcel.featureId : '',
        wards: j.administrative.map((w) => w.featureId),
      };
    } else {
      got = { error: `HTTP ${r.status} ${r.body.toString().slice(0, 200)}`, zones: [], parcel: '', wards: [] };
    }
    const wz = ids(want.zones), wp = ids(want.parcels), ww = ids(want.wards);
    counts.zones += wz.length;
    counts.wards += ww.length;
    if (wp.length > 0) counts.parcels++; else counts.no_parcel++;
    if (wz.length > 1) counts.multi_zone++;
    if (wp.length > 1) counts.parcel_on_edge++;
    const same = !got.error && got.zones.join(' ') === wz.join(' ') &&
      got.parcel === (wp[0] || '') && got.wards.join(' ') === ww.join(' ');
    if (!same) {
      counts.mismatches++;
      if (diffs.length < 10) {
        diffs.push(`point ${p.no} (${p.lon} ${p.lat}): dothi ${JSON.stringify(got)}; ` +
                   `PostGIS zones [${wz}] parcels [${wp}] wards [${ww}]`);
      }
    }
  }
  agent.destroy();
  for (const d of diffs) console.error(`MISMATCH ${d}`);
  console.log(JSON.stringify(counts));
  if (counts.mismatches > 0) process.exit(1);
}

async function main() {
  const a = args(process.argv.slice(2));
  const cmd = a._[0];
  if (cmd === 'export') return exportCollection(a);
  if (cmd === 'points') return points(a);
  if (cmd === 'check') return check(a);
  console.error('usage: planning_lookup.js export|points|check ...');
  process.exit(2);
}

main().catch((e) => {
  console.error(`planning_lookup.js: ${e.message}`);
  process.exit(1);
});
