// `dothi simulate` against a real server with the demo city: over HTTP, and over MQTT
// through a real Mosquitto broker into dothi's device ingestion.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startServer, DOTHI_BIN } from './lib/server.mjs';
import { startMosquitto } from './lib/mosquitto.mjs';
import { client, LD } from './lib/http.mjs';

const SENSORS = 70;
let broker;
let server;
let c;
before(async () => {
  broker = await startMosquitto();
  server = await startServer({ args: ['--demo', '--demo-sensors', String(SENSORS), '--mqtt-broker', `mqtt://127.0.0.1:${broker.port}`] });
  c = client(server.url);
});
after(async () => { await server?.stop(); await broker?.stop(); });

function simulate(args) {
  return new Promise((resolve) => {
    const p = spawn(DOTHI_BIN, ['simulate', '--url', server.url, '--sensors', String(SENSORS), ...args]);
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('exit', (code) => resolve({ code, out, err }));
  });
}
const demo = { headers: { 'NGSILD-Tenant': 'demo' } };
const observedAt = async (type, attr) => {
  const r = await c.get(`${LD}/entities?type=${type}&limit=100&attrs=${attr}`, demo);
  assert.equal(r.status, 200, r.text);
  return r.body.map((e) => e[attr].observedAt);
};

test('over HTTP it updates the demo sensors with readings at the simulated time', async () => {
  const r = await simulate(['--rate', '140', '--duration', '1.5', '--start', '2026-01-05T08:00:00+07:00', '--speed', '60']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /simulate: .* sent, [\d.]+ msg\/s, 0 errors/);
  // Every sensor got at least one reading (140/s for 1.5 s over 70 sensors), stamped on
  // 2026-01-05 (the demo city's own readings are from 2025-11-24).
  for (const [type, attr] of [['TrafficFlowObserved', 'intensity'], ['WaterObserved', 'height'], ['Streetlight', 'powerState']]) {
    const stamps = await observedAt(type, attr);
    assert.ok(stamps.length > 0, type);
    assert.ok(stamps.every((t) => t.startsWith('2026-01-05T01:')), `${type}: ${stamps}`);
  }
  const lights = await c.get(`${LD}/entities?type=Streetlight&limit=100&options=keyValues&attrs=powerState`, demo);
  assert.ok(lights.body.every((e) => e.powerState === 'off'), 'off at 8 in the morning');
});

test('over MQTT it registers one Device per sensor and its readings arrive through ingestion', async () => {
  const r = await simulate(['--mqtt-broker', `mqtt://127.0.0.1:${broker.port}`, '--qos', '1', '--rate', '140', '--duration', '1.5',
    '--start', '2026-01-06T20:00:00+07:00', '--speed', '60']);
  assert.equal(r.code, 0, r.err);
  const devices = await c.get(`${LD}/entities?type=Device&count=true&limit=1`, demo);
  assert.equal(devices.headers.get('ngsild-results-count'), String(SENSORS));
  const deadline = Date.now() + 20000;
  for (;;) {  // ingestion is asynchronous: read until every streetlight shows the new reading
    const lights = await c.get(`${LD}/entities?type=Streetlight&limit=100&attrs=powerState`, demo);
    if (lights.body.every((e) => e.powerState.observedAt.startsWith('2026-01-06T13:') && e.powerState.value === 'on')) break;
    if (Date.now() > deadline) assert.fail(`readings did not arrive: ${lights.text}`);
    await new Promise((ok) => setImmediate(ok));
  }
});

test('an unreachable target is an error, not a silent run', async () => {
  const r = await new Promise((resolve) => {
    const p = spawn(DOTHI_BIN, ['simulate', '--url', 'http://127.0.0.1:1', '--sensors', '7', '--rate', '50', '--duration', '2']);
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    p.on('exit', (code) => resolve({ code, err }));
  });
  assert.equal(r.code, 1);
  assert.match(r.err, /does not take the simulated readings/);
});
