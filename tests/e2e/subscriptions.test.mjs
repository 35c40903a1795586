// NGSI-LD subscriptions (/ngsi-ld/v1/subscriptions) and HTTP notifications to a real
// webhook receiver started here, which is stopped and restarted to prove retries.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { rmSync } from 'node:fs';
import { startServer, freshDataDir } from './lib/server.mjs';
import { receiver } from './lib/webhook.mjs';
import { client, assertProblem, LD, enc, linkHeader } from './lib/http.mjs';

let server;
let c;
let hook;
const dataDir = freshDataDir();  // kept across the restart below; removed at the end
before(async () => {
  hook = await receiver().listen();
  server = await startServer({ dataDir });
  c = client(server.url);
});
after(async () => {
  await server?.stop();
  await hook?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const aq = (id, pm25, extra = {}) => ({
  id, type: 'AirQualityObserved', pm25: { type: 'Property', value: pm25, unitCode: 'GQ' },
  no2: { type: 'Property', value: 1 }, ...extra,
});
const sub = (id, over = {}) => ({
  id, type: 'Subscription',
  entities: [{ type: 'AirQualityObserved' }],
  watchedAttributes: ['pm25'],
  notification: { endpoint: { uri: hook.url, accept: 'application/json' } },
  ...over,
});

// Reads the subscription until pred(body) holds (each read is a real request; no sleeping).
async function until(id, pred, headers = {}) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const r = await c.get(`${LD}/subscriptions/${enc(id)}`, { headers });
    if (pred(r.body)) return r.body;
    if (Date.now() > deadline) assert.fail(`subscription never reached the state: ${r.text}`);
    await new Promise((ok) => setImmediate(ok));
  }
}

test('create, retrieve, list with count, patch and delete a subscription', async () => {
  const r = await c.post(`${LD}/subscriptions`, sub('urn:ngsi-ld:Subscription:crud', {
    subscriptionName: 'Bụi mịn PM2.5', q: 'pm25>50', notificationTrigger: ['attributeUpdated'],
  }));
  assert.equal(r.status, 201, r.text);
  assert.equal(r.headers.get('location'), `${LD}/subscriptions/urn:ngsi-ld:Subscription:crud`);
  const got = await c.get(`${LD}/subscriptions/${enc('urn:ngsi-ld:Subscription:crud')}`);
  assert.equal(got.status, 200);
  assert.equal(got.body.type, 'Subscription');
  assert.equal(got.body.subscriptionName, 'Bụi mịn PM2.5');
  assert.deepEqual(got.body.watchedAttributes, ['pm25']);
  assert.deepEqual(got.body.entities, [{ type: 'AirQualityObserved' }]);
  assert.equal(got.body.q, 'pm25>50');
  assert.equal(got.body.isActive, undefined, 'members the client did not give are not invented (ETSI 028_01)');
  assert.equal(got.body.notification.sysAttrs, undefined);
  assert.equal(got.body.notification.status, undefined, 'no attempt yet');
  assert.equal(got.body.status, 'active');
  assert.deepEqual(got.body.notificationTrigger, ['attributeUpdated']);
  assert.equal(got.body.notification.endpoint.uri, hook.url);
  assert.equal(got.body.notification.timesSent, undefined, 'delivery members once there was an attempt (ETSI 028_06)');

  // The default triggers are shown (ETSI 028_06); datasetId is kept.
  const SID2 = 'urn:ngsi-ld:Subscription:crud2';
  assert.equal((await c.post(`${LD}/subscriptions`, sub(SID2, { datasetId: ['urn:ngsi-ld:Dataset:a'] }))).status, 201);
  const got2 = await c.get(`${LD}/subscriptions/${enc(SID2)}`);
  assert.deepEqual(got2.body.notificationTrigger, ['attributeCreated', 'attributeUpdated']);
  assert.deepEqual(got2.body.datasetId, ['urn:ngsi-ld:Dataset:a']);
  // Pages link to each other (ETSI 031_02).
  const SID3 = 'urn:ngsi-ld:Subscription:crud3';
  assert.equal((await c.post(`${LD}/subscriptions`, sub(SID3))).status, 201);
  const page = await c.get(`${LD}/subscriptions/?limit=1&offset=1`);  // the suite's trailing slash
  assert.equal(page.body.length, 1);
  const links = page.headers.get('link');
  assert.ok(links.includes(`<${LD}/subscriptions?limit=1&offset=0>;rel="prev";type="application/json"`), links);
  assert.ok(links.includes(`<${LD}/subscriptions?limit=1&offset=2>;rel="next";type="application/json"`), links);
  for (const id of [SID2, SID3]) assert.equal((await c.del(`${LD}/subscriptions/${enc(id)}`)).status, 204);

  const list = await c.get(`${LD}/subscriptions?count=true&limit=100`);
  assert.equal(list.status, 200);
  assert.ok(list.body.some((s) => s.id === 'urn:ngsi-ld:Subscription:crud'));
  assert.equal(list.headers.get('ngsild-results-count'), String(list.body.length));

  assert.equal((await c.patch(`${LD}/subscriptions/${enc('urn:ngsi-ld:Subscription:crud')}`,
    { isActive: false, description: 'tạm dừng' })).status, 204);
  const paused = await c.get(`${LD}/subscriptions/${enc('urn:ngsi-ld:Subscription:crud')}`);
  assert.equal(paused.body.isActive, false);
  assert.equal(paused.body.status, 'paused');
  assert.equal(paused.body.description, 'tạm dừng');
  assert.equal(paused.body.q, 'pm25>50', 'a PATCH keeps what it does not name');

  assertProblem(await c.post(`${LD}/subscriptions`, sub('urn:ngsi-ld:Subscription:crud')), 409, 'AlreadyExists');
  assert.equal((await c.del(`${LD}/subscriptions/${enc('urn:ngsi-ld:Subscription:crud')}`)).status, 204);
  assertProblem(await c.get(`${LD}/subscriptions/${enc('urn:ngsi-ld:Subscription:crud')}`), 404, 'ResourceNotFound');
  assertProblem(await c.del(`${LD}/subscriptions/${enc('urn:ngsi-ld:Subscription:crud')}`), 404, 'ResourceNotFound');
  assertProblem(await c.patch(`${LD}/subscriptions/${enc('urn:ngsi-ld:Subscription:crud')}`, { isActive: true }), 404, 'ResourceNotFound');
});

test('bad subscriptions are refused with a ProblemDetails 400 at creation', async () => {
  const bad = [
    [{ ...sub('urn:ngsi-ld:Subscription:b1'), type: 'Thing' }, 'BadRequestData'],
    [{ ...sub('urn:ngsi-ld:Subscription:b2'), notification: {} }, 'BadRequestData'],
    [{ ...sub('urn:ngsi-ld:Subscription:b3'), notification: { endpoint: { uri: 'not a uri' } } }, 'BadRequestData'],
    [{ ...sub('urn:ngsi-ld:Subscription:b4'), q: 'pm25>>' }, undefined],
    [{ ...sub('urn:ngsi-ld:Subscription:b5'), geoQ: { georel: 'near;maxDistance==10', geometry: 'Point', coordinates: [200, 100] } }, undefined],
    [{ ...sub('urn:ngsi-ld:Subscription:b6'), entities: [{ id: 'urn:x:1' }] }, 'BadRequestData'],
    [{ ...sub('urn:ngsi-ld:Subscription:b7'), entities: undefined, watchedAttributes: undefined }, 'BadRequestData'],
    [{ ...sub('urn:ngsi-ld:Subscription:b8'), notificationTrigger: ['sometimes'] }, 'BadRequestData'],
    [{ ...sub('urn:ngsi-ld:Subscription:b9'), expiresAt: '2001-01-01T00:00:00Z' }, 'BadRequestData'],
    [{ ...sub('urn:ngsi-ld:Subscription:b10'), throttling: -1 }, 'BadRequestData'],
    [{ ...sub('urn:ngsi-ld:Subscription:b11'), id: 'no-uri' }, 'BadRequestData'],
    [{ ...sub('urn:ngsi-ld:Subscription:b12'), entities: [{ type: 'T', idPattern: 'a**' }] }, 'BadRequestData'],
    [{ ...sub('urn:ngsi-ld:Subscription:b16'), notification: { pick: ['id'], omit: ['id'], endpoint: { uri: 'http://127.0.0.1:1/x' } } }, 'BadRequestData'],
    [{ ...sub('urn:ngsi-ld:Subscription:b17'), notification: { pick: ['id'], attributes: ['pm25'], endpoint: { uri: 'http://127.0.0.1:1/x' } } }, 'BadRequestData'],
    [{ ...sub('urn:ngsi-ld:Subscription:b18'), notification: { omit: [], endpoint: { uri: 'http://127.0.0.1:1/x' } } }, 'BadRequestData'],
    [{ ...sub('urn:ngsi-ld:Subscription:b19'), notification: { format: 'keyValues', showChanges: true, endpoint: { uri: 'http://127.0.0.1:1/x' } } }, 'BadRequestData'],
    [{ ...sub('urn:ngsi-ld:Subscription:b14'), notification: { endpoint: { uri: 'http://127.0.0.1:1/x', receiverInfo: [{ key: 'X-A', value: 'a\r\nX-Injected: 1' }] } } }, 'BadRequestData'],
    [{ ...sub('urn:ngsi-ld:Subscription:b15'), notification: { endpoint: { uri: 'http://127.0.0.1:1/x', receiverInfo: [{ key: 'Bad Name', value: 'a' }] } } }, 'BadRequestData'],
  ];
  for (const [body, type] of bad) {
    const r = await c.post(`${LD}/subscriptions`, JSON.parse(JSON.stringify(body)));
    assertProblem(r, 400, type);
  }
  assertProblem(await c.post(`${LD}/subscriptions`, null, { raw: '{"type":', headers: { 'Content-Type': 'application/json' } }), 400);
  assertProblem(await c.post(`${LD}/subscriptions`, sub('urn:ngsi-ld:Subscription:b13'), { headers: { 'Content-Type': 'text/plain' } }), 415);
  assertProblem(await c.get(`${LD}/subscriptions/not-a-uri`), 400, 'BadRequestData');
  // Notifications are compacted with the subscription's context: one nobody serves is 503.
  assertProblem(await c.post(`${LD}/subscriptions`, sub('urn:ngsi-ld:Subscription:b20', {
    jsonldContext: 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-non-existing.jsonld' })), 503, 'LdContextNotAvailable');
  const list = await c.get(`${LD}/subscriptions?limit=1000`);
  assert.ok(!list.body.some((s) => /:b\d+$/.test(s.id)), 'nothing refused was kept');
  // "simplified" is keyValues' other name.
  const simple = await c.post(`${LD}/subscriptions`, sub('urn:ngsi-ld:Subscription:simple', { notification: { format: 'simplified', endpoint: { uri: hook.url } } }));
  assert.equal(simple.status, 201, simple.text);
  assert.equal((await c.get(`${LD}/subscriptions/${enc('urn:ngsi-ld:Subscription:simple')}`)).body.notification.format, 'keyValues');
  assert.equal((await c.del(`${LD}/subscriptions/${enc('urn:ngsi-ld:Subscription:simple')}`)).status, 204);
});

test('matching changes are notified with the subscription context, format and attributes', async () => {
  const ctx = { '@context': { aqi: 'https://example.org/aqi#', pm: 'https://example.org/aqi#pm25' } };
  const SID = 'urn:ngsi-ld:Subscription:notify';
  const r = await c.post(`${LD}/subscriptions`, {
    ...sub(SID, { watchedAttributes: ['pm'], q: 'pm>50' }),
    notification: { attributes: ['pm'], format: 'keyValues', endpoint: { uri: hook.url, accept: 'application/json', receiverInfo: [{ key: 'X-City', value: 'Hue' }] } },
    ...ctx,
  }, { headers: { 'Content-Type': 'application/ld+json' } });
  assert.equal(r.status, 201, r.text);
  const from = hook.got.length;
  const E = 'urn:ngsi-ld:AirQualityObserved:n1';
  const link = { headers: { Link: linkHeader('https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld') } };
  // Written with the expanded IRI so that the subscription's own short name "pm" applies.
  const body = { id: E, type: 'AirQualityObserved', 'https://example.org/aqi#pm25': { type: 'Property', value: 60 }, no2: { type: 'Property', value: 1 } };
  assert.equal((await c.post(`${LD}/entities`, body, link)).status, 201);
  const created = await hook.waitFor((n) => n.body.subscriptionId === SID, from);
  assert.equal(created.method, 'POST');
  assert.match(created.headers['content-type'], /^application\/json/);
  // The Link names the context the data is compacted with (ETSI 046_10): an inline one is
  // served by dothi under an implicitly created URL.
  const ctxUrl = /^<([^>]+)>/.exec(created.headers.link)?.[1];
  assert.ok(ctxUrl && !ctxUrl.includes('ngsi-ld-core-context'), created.headers.link);
  const served = await c.get(new URL(ctxUrl).pathname);
  assert.equal(served.status, 200, served.text);
  assert.deepEqual(served.body['@context'], ctx['@context']);
  assert.equal(created.headers['x-city'], 'Hue');
  assert.equal(created.body.type, 'Notification');
  assert.match(created.body.id, /^urn:ngsi-ld:Notification:/);
  assert.ok(!Number.isNaN(Date.parse(created.body.notifiedAt)));
  assert.deepEqual(created.body.data, [{ id: E, type: 'AirQualityObserved', pm: 60 }]);

  // A change of an attribute it does not watch, and one that fails q, are not notified;
  // the next matching one is, and nothing came in between.
  const n0 = hook.got.filter((n) => n.body.subscriptionId === SID).length;
  assert.equal((await c.patch(`${LD}/entities/${enc(E)}/attrs`, { no2: { type: 'Property', value: 9 } })).status, 204);
  assert.equal((await c.patch(`${LD}/entities/${enc(E)}/attrs`, { 'https://example.org/aqi#pm25': { type: 'Property', value: 10 } })).status, 204);
  assert.equal((await c.patch(`${LD}/entities/${enc(E)}/attrs`, { 'https://example.org/aqi#pm25': { type: 'Property', value: 77 } })).status, 204);
  const updated = await hook.waitFor((n) => n.body.subscriptionId === SID && n.body.data[0].pm === 77, from);
  const mine = hook.got.filter((n) => n.body.subscriptionId === SID);
  assert.equal(mine.length, n0 + 1, `only the matching update was notified: ${JSON.stringify(mine.map((n) => n.body.data))}`);
  assert.equal(updated.body.triggerReason, 'attributeUpdated');
  const s = await until(SID, (b) => b.notification.timesSent >= 2);
  assert.equal(s.notification.status, 'ok');
  assert.equal(s.notification.timesFailed, 0);
  assert.ok(s.notification.lastSuccess);
  assert.equal((await c.del(`${LD}/subscriptions/${enc(SID)}`)).status, 204);
});

test('entityDeleted and application/ld+json notifications', async () => {
  const SID = 'urn:ngsi-ld:Subscription:deleted';
  const r = await c.post(`${LD}/subscriptions`, sub(SID, {
    entities: [{ idPattern: '^urn:ngsi-ld:AirQualityObserved:del' , type: '(AirQualityObserved|WaterObserved)' }],
    watchedAttributes: undefined,
    notificationTrigger: ['entityCreated', 'entityDeleted'],
    notification: { endpoint: { uri: hook.url, accept: 'application/ld+json' } },
  }));
  assert.equal(r.status, 201, r.text);
  const from = hook.got.length;
  const E = 'urn:ngsi-ld:AirQualityObserved:del1';
  assert.equal((await c.post(`${LD}/entities`, aq(E, 5))).status, 201);
  assert.equal((await c.post(`${LD}/entities`, aq('urn:ngsi-ld:AirQualityObserved:other', 5))).status, 201);
  const created = await hook.waitFor((n) => n.body.subscriptionId === SID, from);
  assert.equal(created.body.triggerReason, 'entityCreated');
  assert.match(created.headers['content-type'], /^application\/ld\+json/);
  assert.ok(created.body.data[0]['@context'], 'each entity of an ld+json notification carries the @context (ETSI 046_14)');
  assert.equal(created.headers.link, undefined);
  assert.equal(created.body.data[0].id, E);
  assert.equal(created.body.data[0].pm25.value, 5);
  assert.equal((await c.del(`${LD}/entities/${enc(E)}`)).status, 204);
  const deleted = await hook.waitFor((n) => n.body.subscriptionId === SID && n.body.triggerReason === 'entityDeleted', from);
  assert.deepEqual(Object.keys(deleted.body.data[0]).filter((k) => k !== '@context').sort(), ['deletedAt', 'id', 'type'], 'ETSI 046_21');
  assert.equal(deleted.body.data[0].id, E);
  assert.ok(!hook.got.slice(from).some((n) => n.body.data.some((e) => e.id.endsWith(':other'))));
  assert.equal((await c.del(`${LD}/subscriptions/${enc(SID)}`)).status, 204);
});

test('showChanges carries the previous value of each changed attribute', async () => {
  const SID = 'urn:ngsi-ld:Subscription:changes';
  const E = 'urn:ngsi-ld:AirQualityObserved:ch1';
  assert.equal((await c.post(`${LD}/entities`, aq(E, 5, { station: { type: 'Relationship', object: 'urn:ngsi-ld:Station:a' } }))).status, 201);
  const r = await c.post(`${LD}/subscriptions`, sub(SID, {
    entities: [{ id: E, type: 'AirQualityObserved' }], watchedAttributes: ['pm25', 'station'],
    notification: { showChanges: true, endpoint: { uri: hook.url } },
  }));
  assert.equal(r.status, 201, r.text);
  const from = hook.got.length;
  assert.equal((await c.patch(`${LD}/entities/${enc(E)}/attrs`, {
    pm25: { type: 'Property', value: 9 }, station: { type: 'Relationship', object: 'urn:ngsi-ld:Station:b' },
  })).status, 204);
  const n = await hook.waitFor((x) => x.body.subscriptionId === SID, from);
  const e = n.body.data[0];
  assert.equal(e.pm25.value, 9);
  assert.equal(e.pm25.previousValue, 5);
  assert.equal(e.station.object, 'urn:ngsi-ld:Station:b');
  assert.equal(e.station.previousObject, 'urn:ngsi-ld:Station:a');
  assert.equal(e.no2.previousValue, undefined, 'an unchanged attribute has no previousValue (ETSI 046_31)');
  assert.equal((await c.del(`${LD}/subscriptions/${enc(SID)}`)).status, 204);
});

test('attributeDeleted notifications show the deleted attribute as NGSI-LD Null', async () => {
  const SID = 'urn:ngsi-ld:Subscription:attrdel';
  const E = 'urn:ngsi-ld:AirQualityObserved:ad1';
  assert.equal((await c.post(`${LD}/entities`, aq(E, 5, { station: { type: 'Relationship', object: 'urn:ngsi-ld:Station:a' } }))).status, 201);
  assert.equal((await c.post(`${LD}/subscriptions`, sub(SID, {
    entities: [{ id: E, type: 'AirQualityObserved' }], watchedAttributes: ['pm25', 'station'],
    notificationTrigger: ['attributeDeleted'], notification: { showChanges: true, endpoint: { uri: hook.url } },
  }))).status, 201);
  const from = hook.got.length;
  assert.equal((await c.del(`${LD}/entities/${enc(E)}/attrs/station`)).status, 204);
  const n = await hook.waitFor((x) => x.body.subscriptionId === SID, from);
  assert.equal(n.body.triggerReason, 'attributeDeleted');
  assert.deepEqual(n.body.data[0].station,
    { type: 'Relationship', object: 'urn:ngsi-ld:null', previousObject: 'urn:ngsi-ld:Station:a' }, 'ETSI 046_22, 046_34');
  assert.equal(n.body.data[0].pm25.value, 5);
  assert.equal(n.body.data[0].pm25.previousValue, undefined, 'unchanged');
  // Deleting the entity deletes its watched attributes too (ETSI 046_22_12).
  assert.equal((await c.del(`${LD}/entities/${enc(E)}`)).status, 204);
  const gone = await hook.waitFor((x) => x.body.subscriptionId === SID && x.body.data[0].deletedAt, from);
  assert.deepEqual(gone.body.data[0].pm25, { type: 'Property', value: 'urn:ngsi-ld:null', previousValue: 5 });
  assert.equal((await c.del(`${LD}/subscriptions/${enc(SID)}`)).status, 204);
});

test('a timeInterval subscription notifies every matching entity periodically', async () => {
  const SID = 'urn:ngsi-ld:Subscription:periodic';
  for (const [i, v] of [[1, 12], [2, 70]]) {
    assert.equal((await c.post(`${LD}/entities`, aq(`urn:ngsi-ld:AirQualityObserved:p${i}`, v))).status, 201);
  }
  assertProblem(await c.post(`${LD}/subscriptions`, sub(SID, { timeInterval: 1 })), 400, 'BadRequestData');  // with watchedAttributes
  const r = await c.post(`${LD}/subscriptions`, sub(SID, {
    watchedAttributes: undefined, timeInterval: 1,
    entities: [{ idPattern: ':p[0-9]+$', type: 'AirQualityObserved' }], q: 'pm25>50',
  }));
  assert.equal(r.status, 201, r.text);
  assert.equal((await c.get(`${LD}/subscriptions/${enc(SID)}`)).body.timeInterval, 1);
  const from = hook.got.length;
  const first = await hook.waitFor((n) => n.body.subscriptionId === SID, from);
  const second = await hook.waitFor((n) => n.body.subscriptionId === SID && n.body.id !== first.body.id, from);
  for (const n of [first, second]) {
    assert.deepEqual(n.body.data.map((e) => e.id), ['urn:ngsi-ld:AirQualityObserved:p2']);
    assert.equal(n.body.triggerReason, undefined);
  }
  assert.equal((await c.del(`${LD}/subscriptions/${enc(SID)}`)).status, 204);
});

test('a subscription with datasetId notifies only those instances', async () => {
  const SID = 'urn:ngsi-ld:Subscription:dataset';
  const E = 'urn:ngsi-ld:AirQualityObserved:ds1';
  const two = { type: 'Property', value: 1 };
  assert.equal((await c.post(`${LD}/entities`, { id: E, type: 'AirQualityObserved',
    pm25: [{ ...two, value: 10 }, { ...two, value: 20, datasetId: 'urn:ngsi-ld:Dataset:satellite' }] })).status, 201);
  assert.equal((await c.post(`${LD}/subscriptions`, sub(SID, {
    entities: [{ id: E, type: 'AirQualityObserved' }], datasetId: ['urn:ngsi-ld:Dataset:satellite'],
    notification: { endpoint: { uri: hook.url } },
  }))).status, 201);
  const from = hook.got.length;
  assert.equal((await c.patch(`${LD}/entities/${enc(E)}/attrs`, { pm25: { type: 'Property', value: 21, datasetId: 'urn:ngsi-ld:Dataset:satellite' } })).status, 204);
  const n = await hook.waitFor((x) => x.body.subscriptionId === SID, from);
  const pm25 = [n.body.data[0].pm25].flat();
  assert.deepEqual(pm25.map((i) => [i.value, i.datasetId]), [[21, 'urn:ngsi-ld:Dataset:satellite']], 'ETSI 046_19');
  assert.equal((await c.del(`${LD}/subscriptions/${enc(SID)}`)).status, 204);
});

test('a failed delivery is retried, counted on the subscription, and delivered once the receiver is back', async () => {
  const SID = 'urn:ngsi-ld:Subscription:retry';
  assert.equal((await c.post(`${LD}/subscriptions`, sub(SID))).status, 201);
  const E = 'urn:ngsi-ld:AirQualityObserved:r1';
  // The receiver answers 500 first: a failure, then the retry succeeds.
  hook.respond(500);
  const from = hook.got.length;
  assert.equal((await c.post(`${LD}/entities`, aq(E, 1))).status, 201);
  await hook.waitFor((n) => n.body.subscriptionId === SID && n.status === 500, from);
  hook.respond(200);
  await hook.waitFor((n) => n.body.subscriptionId === SID && n.status === 200, from);
  let s = await until(SID, (b) => b.notification.timesSent >= 1);
  assert.equal(s.notification.timesFailed, 1);
  assert.equal(s.notification.status, 'ok');
  assert.ok(s.notification.lastFailure);

  // The receiver goes away: the status turns failed; it comes back on the same port and the
  // retry arrives there.
  const port = new URL(hook.url).port;
  await hook.close();
  assert.equal((await c.patch(`${LD}/entities/${enc(E)}/attrs`, { pm25: { type: 'Property', value: 2 } })).status, 204);
  s = await until(SID, (b) => b.notification.timesFailed >= 2);
  assert.equal(s.notification.status, 'failed');
  const old = hook;
  hook = await receiver(Number(port)).listen();
  const back = await hook.waitFor((n) => n.body.subscriptionId === SID);
  assert.equal(back.body.data[0].pm25.value, 2);
  s = await until(SID, (b) => b.notification.status === 'ok');
  assert.equal(s.notification.timesSent, 2);
  assert.ok(old.got.length > 0);
  assert.equal((await c.del(`${LD}/subscriptions/${enc(SID)}`)).status, 204);
});

test('subscriptions belong to their tenant and survive a restart', async () => {
  const T = { headers: { 'NGSILD-Tenant': 'hue' } };
  const SID = 'urn:ngsi-ld:Subscription:tenant';
  assert.equal((await c.post(`${LD}/subscriptions`, sub(SID), T)).status, 201);
  assertProblem(await c.get(`${LD}/subscriptions/${enc(SID)}`), 404, 'ResourceNotFound');
  assert.ok(!(await c.get(`${LD}/subscriptions`)).body.some((s) => s.id === SID));
  // A change in another tenant does not notify; one in this tenant does, with its tenant.
  const from = hook.got.length;
  assert.equal((await c.post(`${LD}/entities`, aq('urn:ngsi-ld:AirQualityObserved:t0', 3))).status, 201);
  assert.equal((await c.post(`${LD}/entities`, aq('urn:ngsi-ld:AirQualityObserved:t1', 4), T)).status, 201);
  const n = await hook.waitFor((x) => x.body.subscriptionId === SID, from);
  assert.equal(n.headers['ngsild-tenant'], 'hue');
  assert.equal(n.body.data[0].id, 'urn:ngsi-ld:AirQualityObserved:t1');
  assert.equal(hook.got.slice(from).filter((x) => x.body.subscriptionId === SID).length, 1);

  await server.stop();
  server = await startServer({ dataDir });
  c = client(server.url);
  const again = await c.get(`${LD}/subscriptions/${enc(SID)}`, T);
  assert.equal(again.status, 200, again.text);
  assert.deepEqual(again.body.watchedAttributes, ['pm25']);
  assert.equal(again.body.notification.timesSent, 1, 'the counters were saved at shutdown');
  assert.ok(again.body.notification.lastSuccess);
  const from2 = hook.got.length;
  assert.equal((await c.patch(`${LD}/entities/${enc('urn:ngsi-ld:AirQualityObserved:t1')}/attrs`, { pm25: { type: 'Property', value: 8 } }, T)).status, 204);
  const after = await hook.waitFor((x) => x.body.subscriptionId === SID, from2);
  assert.equal(after.body.data[0].pm25.value, 8);
});
