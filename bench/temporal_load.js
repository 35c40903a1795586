#!/usr/bin/env node
// bench/temporal_load.js: generated sensor history for bench/temporal.sh (node, no
// dependencies).
//
//   node bench/temporal_load.js load --url URL --sensors S --per N [--batch 5000] [--conns 2]
//     Sends S sensors x N instances of `level` through POST /ngsi-ld/v1/temporal/entities,
//     --batch instances of one sensor per request, over --conns keep-alive connections.
//     Requests go chunk-major (chunk 0 of every sensor, then chunk 1, ...), as sensors
//     reporting over time would. Bodies are made while earlier requests are in flight (10M
//     instances as JSON would not fit a node heap); the node CPU time is reported beside
//     the wall time, since on a 2-core machine it competes with the server.
//     Prints one JSON line: {instances, requests, seconds, instances_per_s, body_bytes,
//     client_cpu_s, errors, first_error}.
//   node bench/temporal_load.js check --url URL --sensors S --per N [--sample 3]
//     GETs the hourly avg (aggregatedValues, aggrMethods=avg, PT1H, the whole window) of
//     the first, the last and --sample - 2 seeded-random sensors and compares every bucket
//     (value, start, end, and that no bucket is missing or extra) with the avg computed here
//     from the generated values. Exits 1 with the first difference if any; prints one JSON
//     line otherwise.
//   node bench/temporal_load.js window --per N
//     Prints "timeAt endTimeAt" of the query window (whole hours covering every instance).
//
// Data (labelled generated: a closed formula, repeatable): sensor s is
// urn:ngsi-ld:WaterObserved:s (type WaterObserved), instance k of `level` is observed at
// 2026-01-01T00:00:00Z + k minutes with value
//   round2(20 + 10 sin(2 pi k / 1440 + 0.37 s) + 2 noise(s, k)),  noise in [0, 1).
'use strict';
const http = require('http');
const { args, request } = require('./load_lib');

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const MINUTE = 60000;
const HOUR = 3600000;

// Integer hash of (s, k) to [0, 1).
function noise(s, k) {
  let h = Math.imul(s ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(k + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

function value(s, k) {
  const v = 20 + 10 * Math.sin((2 * Math.PI * k) / 1440 + 0.37 * s) + 2 * noise(s, k);
  return Math.round(v * 100) / 100;
}

const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');
const isoMs = (ms) => new Date(ms).toISOString();  // what dothi prints (milliseconds)

function windowOf(per) {
  const end = T0 + Math.ceil((per * MINUTE) / HOUR) * HOUR;
  return [T0, end];
}

function entityId(s) {
  return `urn:ngsi-ld:WaterObserved:${s}`;
}

function body(s, from, to, times) {
  const parts = new Array(to - from);
  for (let k = from; k < to; k++) {
    parts[k - from] = `{"type":"Property","value":${value(s, k)},"observedAt":"${times[k]}"}`;
  }
  return Buffer.from(`{"id":"${entityId(s)}","type":"WaterObserved","level":[${parts.join(',')}]}`);
}

async function load(a) {
  const sensors = Number(a.sensors);
  const per = Number(a.per);
  const batch = Number(a.batch || 5000);
  const conns = Number(a.conns || 2);
  const times = Array.from({ length: per }, (_, k) => iso(T0 + k * MINUTE));
  const chunks = Math.ceil(per / batch);
  const total = sensors * chunks;
  const agent = new http.Agent({ keepAlive: true, maxSockets: conns });
  let next = 0;
  let errors = 0;
  let firstError = '';
  let bytes = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  async function worker() {
    while (next < total) {
      const i = next++;
      const c = Math.floor(i / sensors);
      const s = i % sensors;
      const b = body(s, c * batch, Math.min(per, (c + 1) * batch), times);
      bytes += b.length;
      const res = await request(agent, a.url, 'POST', '/ngsi-ld/v1/temporal/entities', b);
      if (res.status !== 201 && res.status !== 204) {
        errors++;
        if (!firstError) firstError = `${res.status} ${res.body.toString().slice(0, 300)}`;
      }
    }
  }
  await Promise.all(Array.from({ length: conns }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  console.log(JSON.stringify({
    instances: sensors * per, requests: total, seconds: +seconds.toFixed(3),
    instances_per_s: Math.round((sensors * per) / seconds), body_bytes: bytes,
    client_cpu_s: +((cpu.user + cpu.system) / 1e6).toFixed(2), errors, first_error: firstError,
  }));
  if (errors) process.exitCode = 1;
}

// Expected hourly buckets of sensor s: [[avg, startIso, endIso], ...], empty hours left out
// (as dothi leaves them out).
function expected(s, per) {
  const sums = new Map();
  for (let k = 0; k < per; k++) {
    const b = Math.floor((k * MINUTE) / HOUR);
    const e = sums.get(b) || [0, 0];
    e[0] += value(s, k);
    e[1] += 1;
    sums.set(b, e);
  }
  return [...sums.keys()].sort((x, y) => x - y).map((b) => {
    const [sum, n] = sums.get(b);
    return [sum / n, isoMs(T0 + b * HOUR), isoMs(T0 + (b + 1) * HOUR)];
  });
}

async function check(a) {
  const sensors = Number(a.sensors);
  const per = Number(a.per);
  const sample = Math.max(1, Number(a.sample || 3));
  const [from, to] = windowOf(per);
  const picks = [0];
  if (sensors > 1) picks.push(sensors - 1);
  let seed = 12345;
  while (picks.length < Math.min(sample, sensors)) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const s = seed % sensors;
    if (!picks.includes(s)) picks.push(s);
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let buckets = 0;
  let maxRel = 0;
  const fail = (msg) => {
    console.error(`temporal check FAILED: ${msg}`);
    agent.destroy();
    process.exit(1);
  };
  for (const s of picks) {
    const path = `/ngsi-ld/v1/temporal/entities/${encodeURIComponent(entityId(s))}?attrs=level` +
      `&options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=PT1H&timerel=between` +
      `&timeAt=${iso(from)}&endTimeAt=${iso(to)}`;
    const res = await request(agent, a.url, 'GET', path);
    if (res.status !== 200) fail(`GET ${path}: ${res.status} ${res.body.toString().slice(0, 300)}`);
    let got;
    try {
      got = JSON.parse(res.body.toString()).level.avg;
    } catch (e) {
      fail(`sensor ${s}: no level.avg in ${res.body.toString().slice(0, 300)}`);
    }
    const want = expected(s, per);
    if (!Array.isArray(got) || got.length !== want.length) {
      fail(`sensor ${s}: ${Array.isArray(got) ? got.length : 'no'} buckets, expected ${want.length}`);
    }
    for (let i = 0; i < want.length; i++) {
      const [gv, gs, ge] = got[i];
      const [wv, ws, we] = want[i];
      const rel = Math.abs(gv - wv) / Math.max(1e-12, Math.abs(wv));
      if (gs !== ws || ge !== we || !(rel <= 1e-9)) {
        fail(`sensor ${s} bucket ${i}: got [${gv}, ${gs}, ${ge}], expected [${wv}, ${ws}, ${we}]`);
      }
      maxRel = Math.max(maxRel, rel);
      buckets++;
    }
  }
  agent.destroy();
  console.log(JSON.stringify({ sensors_checked: picks, buckets_checked: buckets, max_rel_error: maxRel }));
}

const a = args(process.argv.slice(2));
const cmd = a._[0];
if (cmd === 'window') {
  const [from, to] = windowOf(Number(a.per));
  console.log(`${iso(from)} ${iso(to)}`);
} else if (cmd === 'load' || cmd === 'check') {
  (cmd === 'load' ? load : check)(a).catch((e) => { console.error(e); process.exit(1); });
} else {
  console.error('usage: temporal_load.js load|check|window --url URL --sensors S --per N ...');
  process.exit(2);
}
