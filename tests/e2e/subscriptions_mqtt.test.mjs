// NGSI-LD notifications over MQTT (endpoint mqtt://host:port/topic) through a real
// Mosquitto broker started here, read by an MQTT client (npm mqtt); the broker is stopped
// and restarted to prove that a failed publish is retried on a new connection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startServer } from './lib/server.mjs';
import { startMosquitto } from './lib/mosquitto.mjs';
import { client, assertProblem, LD, enc } from './lib/http.mjs';

let server;
let c;
let broker;
before(async () => {
  broker = await startMosquitto();
  server = await startServer();
  c = client(server.url);
});
after(async () => { await server?.stop(); await broker?.stop(); });

// An MQTT subscriber on topic; next(pred) resolves with the first message pred accepts.
async function listen(port, topic) {
  const got = [];
  const waiters = [];
  const cl = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  await cl.subscribeAsync(topic, { qos: 1 });
  cl.on('message', (t, payload) => {
    got.push({ topic: t, msg: JSON.parse(payload.toString()) });
    for (const w of waiters.splice(0)) w();
  });
  return {
    got,
    next(pred, from = 0) {
      return new Promise((resolve) => {
        const check = () => {
          const hit = got.slice(from).find(pred);
          if (hit) resolve(hit); else waiters.push(check);
        };
        check();
      });
    },
    end: () => cl.endAsync(),
  };
}

async function until(id, pred) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const r = await c.get(`${LD}/subscriptions/${enc(id)}`);
    if (pred(r.body)) return r.body;
    if (Date.now() > deadline) assert.fail(`subscription never reached the state: ${r.text}`);
    await new Promise((ok) => setImmediate(ok));
  }
}

const level = (id, v) => ({ id, type: 'WaterObserved', waterLevel: { type: 'Property', value: v, unitCode: 'MTR' } });

test('notifications are published to the MQTT topic with metadata and body', async () => {
  const topic = 'dothi/hue/flood';
  const sub = await listen(broker.port, topic);
  const SID = 'urn:ngsi-ld:Subscription:mqtt1';
  const r = await c.post(`${LD}/subscriptions`, {
    id: SID, type: 'Subscription', entities: [{ type: 'WaterObserved' }], watchedAttributes: ['waterLevel'],
    q: 'waterLevel>1.5',
    notification: { endpoint: { uri: broker.url(topic), accept: 'application/json',
      notifierInfo: [{ key: 'MQTT-QoS', value: '1' }, { key: 'MQTT-Version', value: 'mqtt5.0' }],
      receiverInfo: [{ key: 'X-Province', value: 'Hue' }] } },
  }, { headers: { 'NGSILD-Tenant': 'hue' } });
  assert.equal(r.status, 201, r.text);
  const E = 'urn:ngsi-ld:WaterObserved:song-huong-1';
  assert.equal((await c.post(`${LD}/entities`, level(E, 1.2), { headers: { 'NGSILD-Tenant': 'hue' } })).status, 201);
  assert.equal((await c.patch(`${LD}/entities/${enc(E)}/attrs`, { waterLevel: { type: 'Property', value: 2.4 } }, { headers: { 'NGSILD-Tenant': 'hue' } })).status, 204);
  const m = await sub.next((x) => x.msg.body?.subscriptionId === SID);
  assert.equal(m.topic, topic);
  assert.equal(m.msg.metadata['Content-Type'], 'application/json');
  assert.match(m.msg.metadata.Link, /rel="http:\/\/www.w3.org\/ns\/json-ld#context"/);
  assert.equal(m.msg.metadata['NGSILD-Tenant'], 'hue');
  assert.equal(m.msg.metadata['X-Province'], 'Hue');
  assert.equal(m.msg.body.type, 'Notification');
  assert.deepEqual(m.msg.body.data.map((e) => [e.id, e.waterLevel.value]), [[E, 2.4]]);
  assert.equal(sub.got.filter((x) => x.msg.body?.subscriptionId === SID).length, 1, 'the 1.2 reading did not pass q');
  assertProblem(await c.get(`${LD}/subscriptions/${enc(SID)}`), 404, 'ResourceNotFound');  // not in the default tenant
  await sub.end();
});

test('a publish that fails while the broker is down is retried after it is back', async () => {
  const topic = 'dothi/retry';
  const SID = 'urn:ngsi-ld:Subscription:mqtt2';
  const r = await c.post(`${LD}/subscriptions`, {
    id: SID, type: 'Subscription', entities: [{ type: 'WaterObserved' }],
    notification: { endpoint: { uri: broker.url(topic), notifierInfo: [{ key: 'MQTT-QoS', value: '1' }] } },
  });
  assert.equal(r.status, 201, r.text);
  const E = 'urn:ngsi-ld:WaterObserved:retry-1';
  let sub = await listen(broker.port, topic);
  assert.equal((await c.post(`${LD}/entities`, level(E, 1))).status, 201);
  await sub.next((x) => x.msg.body?.subscriptionId === SID);
  await sub.end();

  const port = broker.port;
  await broker.stop();
  assert.equal((await c.patch(`${LD}/entities/${enc(E)}/attrs`, { waterLevel: { type: 'Property', value: 3 } })).status, 204);
  let s = await until(SID, (b) => b.notification.timesFailed >= 1);
  assert.equal(s.notification.status, 'failed');
  broker = await startMosquitto(port);
  sub = await listen(broker.port, topic);
  const m = await sub.next((x) => x.msg.body?.subscriptionId === SID && x.msg.body.data[0].waterLevel.value === 3);
  assert.equal(m.msg.body.data[0].id, E);
  s = await until(SID, (b) => b.notification.status === 'ok');
  assert.ok(s.notification.timesSent >= 2);
  await sub.end();
});

test('bad MQTT endpoints are refused at creation', async () => {
  for (const uri of ['mqtt://127.0.0.1:1883/', 'mqtt://127.0.0.1:1883/a/#', 'mqtt://127.0.0.1:99999/t']) {
    assertProblem(await c.post(`${LD}/subscriptions`, {
      type: 'Subscription', entities: [{ type: 'WaterObserved' }], notification: { endpoint: { uri } },
    }), 400, 'BadRequestData');
  }
  assertProblem(await c.post(`${LD}/subscriptions`, {
    type: 'Subscription', entities: [{ type: 'WaterObserved' }],
    notification: { endpoint: { uri: 'mqtt://127.0.0.1/t', notifierInfo: [{ key: 'MQTT-QoS', value: '5' }] } },
  }), 400, 'BadRequestData');
});
