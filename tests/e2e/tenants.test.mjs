// NGSILD-Tenant isolation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { client, assertProblem, LD, ERR, enc } from './lib/http.mjs';

let server;
let c;
before(async () => { server = await startServer(); c = client(server.url); });
after(async () => { await server?.stop(); });

const T = (name) => ({ headers: { 'NGSILD-Tenant': name } });
const ID = 'urn:ngsi-ld:Meter:shared';
const meter = (v) => ({ id: ID, type: 'Meter', reading: { type: 'Property', value: v } });

test('the same id lives independently in two tenants and the default one', async () => {
  const r1 = await c.post(`${LD}/entities`, meter(1), T('cityA'));
  assert.equal(r1.status, 201, r1.text);
  assert.equal(r1.headers.get('ngsild-tenant'), 'cityA');
  assert.equal((await c.post(`${LD}/entities`, meter(2), T('cityB'))).status, 201);
  assert.equal((await c.get(`${LD}/entities/${enc(ID)}`, T('cityA'))).body.reading.value, 1);
  assert.equal((await c.get(`${LD}/entities/${enc(ID)}`, T('cityB'))).body.reading.value, 2);
  assertProblem(await c.get(`${LD}/entities/${enc(ID)}`), 404, 'ResourceNotFound');

  // Writes in one tenant do not leak.
  assert.equal((await c.patch(`${LD}/entities/${enc(ID)}/attrs/reading`, { value: 10 }, T('cityA'))).status, 204);
  assert.equal((await c.get(`${LD}/entities/${enc(ID)}`, T('cityB'))).body.reading.value, 2);
  assert.equal((await c.del(`${LD}/entities/${enc(ID)}`, T('cityB'))).status, 204);
  assert.equal((await c.get(`${LD}/entities/${enc(ID)}`, T('cityA'))).body.reading.value, 10);
});

test('queries, batches and discovery never cross tenants', async () => {
  const mk = (t, n) => Array.from({ length: n }, (_, i) => ({ id: `urn:ngsi-ld:Light:${t}${i}`, type: 'Light', on: { type: 'Property', value: true } }));
  assert.equal((await c.post(`${LD}/entityOperations/create`, mk('x', 3), T('east'))).status, 201);
  assert.equal((await c.post(`${LD}/entityOperations/create`, mk('y', 2), T('west'))).status, 201);
  const east = await c.get(`${LD}/entities?type=Light&count=true`, T('east'));
  assert.deepEqual(east.body.map((e) => e.id).sort(), mk('x', 3).map((e) => e.id));
  assert.equal(east.headers.get('ngsild-results-count'), '3');
  const west = await c.get(`${LD}/entities?type=Light&q=on==true`, T('west'));
  assert.deepEqual(west.body.map((e) => e.id).sort(), mk('y', 2).map((e) => e.id));
  assert.deepEqual((await c.get(`${LD}/entities?type=Light`)).body, []);
  const qb = await c.post(`${LD}/entityOperations/query`, { type: 'Query', entities: [{ type: 'Light' }] }, T('west'));
  assert.equal(qb.body.length, 2);
  assert.deepEqual((await c.get(`${LD}/types`, T('west'))).body.typeList, ['Light']);
  assert.ok(!(await c.get(`${LD}/types`, T('cityA'))).body.typeList.includes('Light'));
  // Batch delete in one tenant of ids living in another: all errors.
  const del = await c.post(`${LD}/entityOperations/delete`, mk('x', 1).map((e) => e.id), T('west'));
  assert.equal(del.status, 207);
  assert.equal((await c.get(`${LD}/entities/${enc(mk('x', 1)[0].id)}`, T('east'))).status, 200);
});

test('an unknown tenant answers 404 on reads and appears on its first write', async () => {
  const name = 'brandnew';
  for (const path of [`${LD}/entities?type=Meter`, `${LD}/entities/${enc(ID)}`, `${LD}/types`, `${LD}/attributes`]) {
    const r = await c.get(path, T(name));
    assert.equal(r.status, 404, `${path}: ${r.text}`);
    // GS CIM 009 v1.8: reading a tenant that does not exist is 404 NonexistentTenant.
    assert.equal(r.body.type, `${ERR}NonexistentTenant`, r.text);
  }
  assert.equal((await c.post(`${LD}/entities`, meter(7), T(name))).status, 201);
  const q = await c.get(`${LD}/entities?type=Meter`, T(name));
  assert.equal(q.status, 200);
  assert.deepEqual(q.body.map((e) => e.reading.value), [7]);
});
