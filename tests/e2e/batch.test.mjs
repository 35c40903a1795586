// Batch operations under /entityOperations: full success and partial (207) outcomes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { client, assertProblem, LD, enc } from './lib/http.mjs';

let server;
let c;
before(async () => { server = await startServer(); c = client(server.url); });
after(async () => { await server?.stop(); });

const OPS = `${LD}/entityOperations`;
const E = (id) => `${LD}/entities/${enc(id)}`;
const car = (n, speed = n * 10, extra = {}) => ({
  id: `urn:ngsi-ld:Car:${n}`, type: 'Car', speed: { type: 'Property', value: speed }, ...extra,
});

function assertBatchResult(r, okIds, errIds) {
  assert.equal(r.status, 207, r.text);
  assert.deepEqual([...r.body.success].sort(), [...okIds].sort());
  assert.deepEqual(r.body.errors.map((e) => e.entityId).sort(), [...errIds].sort());
  for (const e of r.body.errors) {
    assert.equal(typeof e.error.type, 'string');
    assert.ok(e.error.type.startsWith('https://uri.etsi.org/ngsi-ld/errors/'));
  }
}

test('create: 201 with the ids, then 207 for duplicates and invalid entities', async () => {
  const r = await c.post(`${OPS}/create`, [car(1), car(2), car(3)]);
  assert.equal(r.status, 201, r.text);
  assert.deepEqual([...r.body].sort(), ['urn:ngsi-ld:Car:1', 'urn:ngsi-ld:Car:2', 'urn:ngsi-ld:Car:3']);
  for (const n of [1, 2, 3]) assert.equal((await c.get(E(`urn:ngsi-ld:Car:${n}`))).body.speed.value, n * 10);

  const p = await c.post(`${OPS}/create`, [car(3), car(4), { id: 'not a uri', type: 'Car' }]);
  assertBatchResult(p, ['urn:ngsi-ld:Car:4'], ['urn:ngsi-ld:Car:3', 'not a uri']);
  const dup = p.body.errors.find((e) => e.entityId === 'urn:ngsi-ld:Car:3');
  assert.equal(dup.error.type, 'https://uri.etsi.org/ngsi-ld/errors/AlreadyExists');
  assert.equal((await c.get(E('urn:ngsi-ld:Car:4'))).status, 200);
  // The duplicate left the stored entity alone.
  assert.equal((await c.get(E('urn:ngsi-ld:Car:3'))).body.speed.value, 30);
});

test('upsert: 201 with created ids, 204 when all existed, replace vs update', async () => {
  const extra = { colour: { type: 'Property', value: 'red' } };
  const r1 = await c.post(`${OPS}/upsert`, [car(10, 1, extra), car(11, 2, extra)]);
  assert.equal(r1.status, 201, r1.text);
  assert.deepEqual([...r1.body].sort(), ['urn:ngsi-ld:Car:10', 'urn:ngsi-ld:Car:11']);

  // One new, one existing: 201 lists only the created one.
  const r2 = await c.post(`${OPS}/upsert`, [car(11, 3), car(12, 4)]);
  assert.equal(r2.status, 201, r2.text);
  assert.deepEqual(r2.body, ['urn:ngsi-ld:Car:12']);

  // Default replace: attributes not in the body are gone.
  const replaced = await c.get(E('urn:ngsi-ld:Car:11'));
  assert.equal(replaced.body.speed.value, 3);
  assert.equal(replaced.body.colour, undefined);

  // options=update keeps the other attributes.
  const r3 = await c.post(`${OPS}/upsert?options=update`, [car(10, 7)]);
  assert.equal(r3.status, 204, r3.text);
  const updated = await c.get(E('urn:ngsi-ld:Car:10'));
  assert.equal(updated.body.speed.value, 7);
  assert.equal(updated.body.colour.value, 'red');

  const r4 = await c.post(`${OPS}/upsert?options=replace`, [car(10, 8)]);
  assert.equal(r4.status, 204, r4.text);
  assert.equal((await c.get(E('urn:ngsi-ld:Car:10'))).body.colour, undefined);

  const bad = await c.post(`${OPS}/upsert`, [car(13), { id: 'urn:ngsi-ld:Car:14' }]);
  assertBatchResult(bad, ['urn:ngsi-ld:Car:13'], ['urn:ngsi-ld:Car:14']);
});

test('update: 204 on success, 207 for missing entities; noOverwrite', async () => {
  assert.equal((await c.post(`${OPS}/create`, [car(20), car(21)])).status, 201);
  const r = await c.post(`${OPS}/update`, [
    { id: 'urn:ngsi-ld:Car:20', type: 'Car', speed: { type: 'Property', value: 99 } },
    { id: 'urn:ngsi-ld:Car:21', type: 'Car', fuel: { type: 'Property', value: 0.5 } },
  ]);
  assert.equal(r.status, 204, r.text);
  assert.equal((await c.get(E('urn:ngsi-ld:Car:20'))).body.speed.value, 99);
  assert.equal((await c.get(E('urn:ngsi-ld:Car:21'))).body.fuel.value, 0.5);

  const nw = await c.post(`${OPS}/update?options=noOverwrite`, [
    { id: 'urn:ngsi-ld:Car:20', type: 'Car', speed: { type: 'Property', value: 1 } },
  ]);
  assert.ok([204, 207].includes(nw.status), nw.text);
  assert.equal((await c.get(E('urn:ngsi-ld:Car:20'))).body.speed.value, 99);

  const p = await c.post(`${OPS}/update`, [
    { id: 'urn:ngsi-ld:Car:21', type: 'Car', speed: { type: 'Property', value: 5 } },
    { id: 'urn:ngsi-ld:Car:missing', type: 'Car', speed: { type: 'Property', value: 5 } },
  ]);
  assertBatchResult(p, ['urn:ngsi-ld:Car:21'], ['urn:ngsi-ld:Car:missing']);
  assert.equal((await c.get(E('urn:ngsi-ld:Car:21'))).body.speed.value, 5);
});

test('merge: 204 on success, 207 for missing entities', async () => {
  assert.equal((await c.post(`${OPS}/create`, [car(30, 1, { colour: { type: 'Property', value: 'blue' } })])).status, 201);
  const r = await c.post(`${OPS}/merge`, [{ id: 'urn:ngsi-ld:Car:30', speed: { type: 'Property', value: 2 } }]);
  assert.equal(r.status, 204, r.text);
  const got = await c.get(E('urn:ngsi-ld:Car:30'));
  assert.equal(got.body.speed.value, 2);
  assert.equal(got.body.colour.value, 'blue');
  const p = await c.post(`${OPS}/merge`, [
    { id: 'urn:ngsi-ld:Car:30', speed: { type: 'Property', value: 3 } },
    { id: 'urn:ngsi-ld:Car:nothere', speed: { type: 'Property', value: 3 } },
  ]);
  assertBatchResult(p, ['urn:ngsi-ld:Car:30'], ['urn:ngsi-ld:Car:nothere']);
});

test('delete: 204 on success, 207 for missing ids', async () => {
  assert.equal((await c.post(`${OPS}/create`, [car(40), car(41), car(42)])).status, 201);
  const r = await c.post(`${OPS}/delete`, ['urn:ngsi-ld:Car:40', 'urn:ngsi-ld:Car:41']);
  assert.equal(r.status, 204, r.text);
  assert.equal((await c.get(E('urn:ngsi-ld:Car:40'))).status, 404);
  const p = await c.post(`${OPS}/delete`, ['urn:ngsi-ld:Car:42', 'urn:ngsi-ld:Car:40']);
  assertBatchResult(p, ['urn:ngsi-ld:Car:42'], ['urn:ngsi-ld:Car:40']);
  assert.equal(p.body.errors[0].error.type, 'https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound');
  assert.equal((await c.get(E('urn:ngsi-ld:Car:42'))).status, 404);

  // An array of ids is not JSON-LD: application/ld+json needs no @context for it (006_01_01).
  assert.equal((await c.post(`${OPS}/create`, [car(43)])).status, 201);
  const ld = await c.post(`${OPS}/delete`, ['urn:ngsi-ld:Car:43'],
    { headers: { 'Content-Type': 'application/ld+json' } });
  assert.equal(ld.status, 204, ld.text);
});

test('each batch entity brings its own @context; a bad one fails alone (ETSI 003_06, 003_08)', async () => {
  const ctxUrl = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld';
  const ld = { headers: { 'Content-Type': 'application/ld+json' } };
  const withCtx = { ...car(60), '@context': ctxUrl };
  const r = await c.post(`${OPS}/create`, [withCtx, car(61)], ld);
  assertBatchResult(r, ['urn:ngsi-ld:Car:60'], ['urn:ngsi-ld:Car:61']);
  assert.equal((await c.get(E('urn:ngsi-ld:Car:60'))).status, 200);
  assert.equal((await c.get(E('urn:ngsi-ld:Car:61'))).status, 404);

  const j = await c.post(`${OPS}/create`, [{ ...car(62), '@context': ctxUrl }, car(63)]);
  assertBatchResult(j, ['urn:ngsi-ld:Car:63'], ['urn:ngsi-ld:Car:62']);
  assert.equal(j.body.errors[0].error.type, 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
});

test('update with noOverwrite names the entities whose attributes were kept (ETSI 005_02)', async () => {
  assert.equal((await c.post(`${OPS}/create`, [car(70)])).status, 201);
  const r = await c.post(`${OPS}/update?options=noOverwrite`, [{
    id: 'urn:ngsi-ld:Car:70', type: 'Car',
    speed: { type: 'Property', value: 999 },
    colour: { type: 'Property', value: 'red' },
  }]);
  assertBatchResult(r, [], ['urn:ngsi-ld:Car:70']);
  const got = (await c.get(E('urn:ngsi-ld:Car:70'))).body;
  assert.notEqual(got.speed.value, 999);
  assert.equal(got.colour.value, 'red');
});

test('query: POST Query body selects like GET', async () => {
  const bikes = [1, 2, 3, 4].map((n) => ({
    id: `urn:ngsi-ld:Bike:${n}`, type: 'Bike', gears: { type: 'Property', value: n * 3 },
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [n, n] } },
  }));
  assert.equal((await c.post(`${OPS}/create`, bikes)).status, 201);
  const r = await c.post(`${OPS}/query`, { type: 'Query', entities: [{ type: 'Bike' }], q: 'gears>5' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.map((e) => e.id).sort(), ['urn:ngsi-ld:Bike:2', 'urn:ngsi-ld:Bike:3', 'urn:ngsi-ld:Bike:4']);
  const g = await c.post(`${OPS}/query?options=keyValues`, {
    type: 'Query', entities: [{ type: 'Bike' }],
    geoQ: { geometry: 'Polygon', coordinates: [[[0.5, 0.5], [2.5, 0.5], [2.5, 2.5], [0.5, 2.5], [0.5, 0.5]]], georel: 'within' },
  });
  assert.equal(g.status, 200, g.text);
  assert.deepEqual(g.body.map((e) => e.id).sort(), ['urn:ngsi-ld:Bike:1', 'urn:ngsi-ld:Bike:2']);
  assert.equal(g.body[0].gears % 3, 0);
  const byId = await c.post(`${OPS}/query`, { type: 'Query', entities: [{ id: 'urn:ngsi-ld:Bike:4', type: 'Bike' }] });
  assert.deepEqual(byId.body.map((e) => e.id), ['urn:ngsi-ld:Bike:4']);
  assertProblem(await c.post(`${OPS}/query`, { type: 'NotAQuery' }), 400);
});

test('bad batches: not an array, empty, too many entities', async () => {
  assertProblem(await c.post(`${OPS}/create`, { id: 'urn:x:1', type: 'T' }), 400);
  assertProblem(await c.post(`${OPS}/create`, []), 400);
  const many = Array.from({ length: 1001 }, (_, i) => car(1000 + i));
  const r = await c.post(`${OPS}/create`, many);
  assert.ok([400, 413].includes(r.status), r.text);
  assertProblem(r, r.status);
  assert.equal((await c.get(E('urn:ngsi-ld:Car:1000'))).status, 404, 'nothing of a refused batch is written');
});
