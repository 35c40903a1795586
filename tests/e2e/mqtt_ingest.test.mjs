// MQTT device ingestion: devices publish measures to dothi/{tenant}/{device}/attrs on a
// real Mosquitto broker started here; dothi (--mqtt-broker) writes them to the entity the
// Device registration names. Bad keys, unknown devices, malformed and oversized messages
// write nothing and are counted. dothi and the broker are each stopped and restarted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import mqtt from 'mqtt';
import { startServer, freshDataDir } from './lib/server.mjs';
import { startMosquitto } from './lib/mosquitto.mjs';
import { client, LD, enc } from './lib/http.mjs';

let broker;
let server;
let c;
let pub;
const dataDir = freshDataDir();
const T = { headers: { 'NGSILD-Tenant': 'hue' } };

async function startDothi() {
  server = await startServer({ dataDir, args: ['--mqtt-broker', `mqtt://127.0.0.1:${broker.port}`, '--max-mqtt-payload-bytes', '2048'] });
  c = client(server.url);
}

before(async () => {
  broker = await startMosquitto();
  await startDothi();
  pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 200 });
});
after(async () => {
  await pub?.endAsync(true);
  await server?.stop();
  await broker?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function metric(outcome) {
  const text = (await c.get('/metrics')).text;
  const m = new RegExp(`^dothi_mqtt_messages_total\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}
// Reads until pred holds (each read is a real request; no sleeping).
async function until(read, pred, what) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const v = await read();
    if (pred(v)) return v;
    if (Date.now() > deadline) assert.fail(`never: ${what}: ${JSON.stringify(v)}`);
    await new Promise((ok) => setImmediate(ok));
  }
}
const entity = (id) => () => c.get(`${LD}/entities/${enc(id)}`, T);
const publish = (device, body, qos = 1) => pub.publishAsync(`dothi/hue/${device}/attrs`, typeof body === 'string' ? body : JSON.stringify(body), { qos });

test('a registered device\'s measures update (or create) its entity with observedAt and units', async () => {
  const device = {
    id: 'urn:ngsi-ld:Device:wl-01', type: 'Device',
    controlledAsset: { type: 'Relationship', object: 'urn:ngsi-ld:WaterObserved:song-huong' },
    assetType: { type: 'Property', value: 'WaterObserved' },
    deviceKey: { type: 'Property', value: 'k-123' },
    attributeMap: { type: 'JsonProperty', json: { lvl: { name: 'waterLevel', unitCode: 'MTR' } } },
  };
  assert.equal((await c.post(`${LD}/entities`, device, T)).status, 201);
  await until(() => c.get('/metrics').then((r) => r.text), (t) => /dothi_mqtt_connects_total \d*[1-9]/.test(t), 'dothi connected');
  await publish('wl-01', { key: 'k-123', ts: '2025-11-23T10:00:00Z', lvl: 1.82, temperature: 24.5 });
  const e = await until(entity('urn:ngsi-ld:WaterObserved:song-huong'), (r) => r.status === 200, 'entity created');
  assert.equal(e.body.type, 'WaterObserved');
  assert.equal(e.body.waterLevel.value, 1.82);
  assert.equal(e.body.waterLevel.unitCode, 'MTR');
  assert.equal(e.body.waterLevel.observedAt, '2025-11-23T10:00:00.000Z');
  assert.equal(e.body.temperature.value, 24.5);
  await publish('wl-01', { key: 'k-123', lvl: { type: 'Property', value: 2.05, observedAt: '2025-11-23T10:05:00Z' } });
  const e2 = await until(entity('urn:ngsi-ld:WaterObserved:song-huong'), (r) => r.body.waterLevel?.value === 2.05, 'fragment applied');
  assert.equal(e2.body.temperature.value, 24.5, 'other attributes stay');
});

test('wrong keys, unknown devices, malformed and oversized messages write nothing and are counted', async () => {
  const before = { key: await metric('rejected_key'), unknown: await metric('unknown_device'), bad: await metric('malformed'), big: await metric('oversized') };
  await publish('wl-01', { key: 'wrong', lvl: 99 });
  await publish('nobody', { key: 'k-123', lvl: 99 });
  await publish('wl-01', '{not json');
  await publish('wl-01', { key: 'k-123', ts: 'yesterday', lvl: 99 });
  await publish('wl-01', { key: 'k-123', lvl: 'x'.repeat(4096) });
  await until(async () => [await metric('rejected_key'), await metric('unknown_device'), await metric('malformed'), await metric('oversized')],
    ([k, u, m, o]) => k === before.key + 1 && u === before.unknown + 1 && m === before.bad + 2 && o === before.big + 1, 'all counted');
  const e = await c.get(`${LD}/entities/${enc('urn:ngsi-ld:WaterObserved:song-huong')}`, T);
  assert.notEqual(e.body.waterLevel.value, 99);
  assert.ok(!server.output().stdout.includes('k-123') && !server.output().stderr.includes('k-123'), 'the key is never logged');
});

test('measures published while dothi is down arrive after it restarts (QoS 1, persistent session)', async () => {
  await server.stop();
  await publish('wl-01', { key: 'k-123', lvl: 3.33 });
  await startDothi();
  await until(entity('urn:ngsi-ld:WaterObserved:song-huong'), (r) => r.body?.waterLevel?.value === 3.33, 'kept message delivered');
});

test('dothi reconnects by itself after the broker restarts', async () => {
  const port = broker.port;
  const connects = async () => Number(/dothi_mqtt_connects_total (\d+)/.exec((await c.get('/metrics')).text)?.[1] ?? 0);
  const n = await connects();
  await broker.stop();
  broker = await startMosquitto(port);
  await until(connects, (v) => v > n, 'reconnected');
  await until(() => Promise.resolve(pub.connected), (v) => v, 'publisher reconnected');
  await publish('wl-01', { key: 'k-123', lvl: 4.44 });
  await until(entity('urn:ngsi-ld:WaterObserved:song-huong'), (r) => r.body?.waterLevel?.value === 4.44, 'after broker restart');
});
