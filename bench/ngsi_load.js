#!/usr/bin/env node
// bench/ngsi_load.js: generated sensor entities for the benchmarks (node, no dependencies).
//
//   node bench/ngsi_load.js upsert --url URL --count N [--batch 1000] [--conns 4]
//        [--types mixed|aq] [--seed 1] [--start 0]
//     Generates N sensor entities (labelled generated: seeded, repeatable) and sends them
//     to POST /ngsi-ld/v1/entityOperations/upsert in batches over --conns keep-alive
//     connections. Bodies are generated before the clock starts. Prints one JSON line:
//     {entities, batches, seconds, entities_per_s, gen_seconds, body_bytes, errors}.
//   node bench/ngsi_load.js mark --url URL --count N --sample K --value V [--seed 9]
//     PATCHes pm25 of K seeded-random `aq` entities, one after another, to V+i (i = 0..K-1).
//   node bench/ngsi_load.js verify --url URL --count N --sample K --min-value V [--seed 7]
//        [--marked K --value V2 --mark-seed 9]
//     GETs K random entities of the `aq` set (ids 0..N-1) and counts how many have
//     pm25.value >= V (the updates benchmark writes values >= V); with --marked, also checks
//     that the entities `mark` wrote hold exactly V2+i. Prints one JSON line.
//
// Entities (ids urn:ngsi-ld:<Type>:<n>): with --types mixed even n are AirQualityObserved,
// odd n TrafficFlowObserved; with --types aq all are AirQualityObserved. Points are spread
// uniformly over Hanoi (105.70-106.00 E, 20.90-21.10 N). AirQualityObserved has pm25, pm10,
// no2, o3, temperature, relativeHumidity; TrafficFlowObserved has intensity, occupancy,
// averageVehicleSpeed, laneId, laneDirection; every reading has observedAt, numeric
// readings with a unit have unitCode. pm25 is uniform in [0, 150).
'use strict';
const http = require('http');
const { args, request } = require('./load_lib');

// Small seeded PRNG (mulberry32), so every run generates the same entities.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const r1 = (x) => Math.round(x * 10) / 10;
const r2 = (x) => Math.round(x * 100) / 100;
const r6 = (x) => Math.round(x * 1e6) / 1e6;

function measured(value, unit, at) {
  const p = { type: 'Property', value };
  if (unit) p.unitCode = unit;
  p.observedAt = at;
  return p;
}

function entity(n, types, rand) {
  const lon = r6(105.7 + rand() * 0.3);
  const lat = r6(20.9 + rand() * 0.2);
  const at = new Date(Date.UTC(2025, 10, 23, 10, 0, 0) - Math.floor(rand() * 3600) * 1000)
    .toISOString().replace('.000Z', 'Z');
  const location = { type: 'GeoProperty', value: { type: 'Point', coordinates: [lon, lat] } };
  if (types === 'aq' || n % 2 === 0) {
    const pm25 = r1(rand() * 150);
    return {
      id: `urn:ngsi-ld:AirQualityObserved:${n}`,
      type: 'AirQualityObserved',
      location,
      pm25: measured(pm25, 'GQ', at),
      pm10: measured(r1(pm25 * (1.3 + rand() * 0.45)), 'GQ', at),
      no2: measured(r1(10 + rand() * 70), 'GQ', at),
      o3: measured(r1(5 + rand() * 50), 'GQ', at),
      temperature: measured(r1(18 + rand() * 16), 'CEL', at),
      relativeHumidity: measured(r2(0.4 + rand() * 0.55), 'C62', at),
    };
  }
  return {
    id: `urn:ngsi-ld:TrafficFlowObserved:${n}`,
    type: 'TrafficFlowObserved',
    location,
    intensity: measured(Math.floor(rand() * 900), '', at),
    occupancy: measured(r2(rand()), 'C62', at),
    averageVehicleSpeed: measured(r1(3 + rand() * 40), 'KMH', at),
    laneId: measured(1 + Math.floor(rand() * 4), '', at),
    laneDirection: measured(rand() < 0.5 ? 'forward' : 'backward', '', at),
  };
}

async function upsert(a) {
  const url = a.url;
  const count = Number(a.count);
  const batch = Number(a.batch || 1000);
  const conns = Number(a.conns || 4);
  const types = a.types || 'mixed';
  const start = Number(a.start || 0);
  const rand = rng(Number(a.seed || 1));

  const g0 = process.hrtime.bigint();
  const bodies = [];
  let bytes = 0;
  for (let i = 0; i < count; i += batch) {
    const list = [];
    for (let n = i; n < Math.min(count, i + batch); n++) list.push(entity(start + n, types, rand));
    const b = Buffer.from(JSON.stringify(list));
    bytes += b.length;
    bodies.push(b);
  }
  const genSeconds = Number(process.hrtime.bigint() - g0) / 1e9;

  const agent = new http.Agent({ keepAlive: true, maxSockets: conns });
  let next = 0;
  let errors = 0;
  let firstError = '';
  const t0 = process.hrtime.bigint();
  async function worker() {
    while (next < bodies.length) {
      const b = bodies[next++];
      const res = await request(agent, url, 'POST', '/ngsi-ld/v1/entityOperations/upsert', b);
      // 201 (all created) or 204 (all updated); 207 carries errors.
      if (res.status !== 201 && res.status !== 204) {
        errors++;
        if (!firstError) firstError = `${res.status} ${res.body.toString().slice(0, 300)}`;
      }
    }
  }
  await Promise.all(Array.from({ length: conns }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  agent.destroy();
  console.log(JSON.stringify({
    entities: count, batches: bodies.length, seconds: +seconds.toFixed(3),
    entities_per_s: Math.round(count / seconds), gen_seconds: +genSeconds.toFixed(3),
    body_bytes: bytes, errors, first_error: firstError,
  }));
  if (errors) process.exitCode = 1;
}

// The ids `mark` writes (distinct, seeded), in order.
function markedIds(count, k, seed) {
  const rand = rng(seed);
  const ids = [];
  const seen = new Set();
  while (ids.length < k) {
    const n = Math.floor(rand() * count);
    if (!seen.has(n)) { seen.add(n); ids.push(n); }
  }
  return ids;
}

async function mark(a) {
  const ids = markedIds(Number(a.count), Number(a.sample || 100), Number(a.seed || 9));
  const value = Number(a.value);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let ok = 0;
  for (let i = 0; i < ids.length; i++) {
    const body = Buffer.from(JSON.stringify({ pm25: { type: 'Property', value: value + i, unitCode: 'GQ' } }));
    const res = await request(agent, a.url, 'PATCH', `/ngsi-ld/v1/entities/urn:ngsi-ld:AirQualityObserved:${ids[i]}/attrs`, body);
    if (res.status === 204) ok++;
  }
  agent.destroy();
  console.log(JSON.stringify({ marked: ids.length, acknowledged: ok }));
}

async function verify(a) {
  const count = Number(a.count);
  const sample = Number(a.sample || 200);
  const minValue = Number(a['min-value']);
  const rand = rng(Number(a.seed || 7));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let landed = 0;
  let missing = 0;
  for (let i = 0; i < sample; i++) {
    const n = Math.floor(rand() * count);
    const res = await request(agent, a.url, 'GET', `/ngsi-ld/v1/entities/urn:ngsi-ld:AirQualityObserved:${n}`);
    if (res.status !== 200) { missing++; continue; }
    const e = JSON.parse(res.body.toString());
    if (e.pm25 && e.pm25.value >= minValue) landed++;
  }
  let markedExact = null;
  if (a.marked) {
    const ids = markedIds(count, Number(a.marked), Number(a['mark-seed'] || 9));
    markedExact = 0;
    for (let i = 0; i < ids.length; i++) {
      const res = await request(agent, a.url, 'GET', `/ngsi-ld/v1/entities/urn:ngsi-ld:AirQualityObserved:${ids[i]}`);
      if (res.status !== 200) continue;
      const e = JSON.parse(res.body.toString());
      if (e.pm25 && e.pm25.value === Number(a.value) + i) markedExact++;
    }
  }
  agent.destroy();
  console.log(JSON.stringify({ sample, landed, missing, marked: a.marked ? Number(a.marked) : 0, marked_exact: markedExact }));
}

const a = args(process.argv.slice(2));
const cmd = a._[0];
const run = cmd === 'upsert' ? upsert : cmd === 'verify' ? verify : cmd === 'mark' ? mark : null;
if (!run) {
  console.error('usage: ngsi_load.js upsert|mark|verify --url URL ...');
  process.exit(2);
}
run(a).catch((e) => { console.error(e); process.exit(1); });
