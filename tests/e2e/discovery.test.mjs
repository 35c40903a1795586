// Discovery: /types, /types/{type}, /attributes, /attributes/{attrId}, details=true.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { client, assertProblem, LD, linkHeader, enc } from './lib/http.mjs';

let server;
let c;
const ENTITIES = [
  { id: 'urn:ngsi-ld:Lamp:1', type: 'Lamp', power: { type: 'Property', value: 60 }, pole: { type: 'Relationship', object: 'urn:ngsi-ld:Pole:1' } },
  { id: 'urn:ngsi-ld:Lamp:2', type: 'Lamp', power: { type: 'Property', value: 40 } },
  { id: 'urn:ngsi-ld:Bin:1', type: 'Bin', power: { type: 'Property', value: 5 }, location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [1, 1] } } },
];
before(async () => {
  server = await startServer();
  c = client(server.url);
  assert.equal((await c.post(`${LD}/entityOperations/create`, ENTITIES)).status, 201);
});
after(async () => { await server?.stop(); });

const typesOf = (name) => ENTITIES.filter((e) => e.type === name);
const attrNames = (es) => [...new Set(es.flatMap((e) => Object.keys(e).filter((k) => k !== 'id' && k !== 'type')))].sort();

test('GET /types lists every type; details=true adds attribute names', async () => {
  const r = await c.get(`${LD}/types`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.type, 'EntityTypeList');
  assert.match(r.body.id, /^urn:ngsi-ld:EntityTypeList:/);
  assert.deepEqual([...r.body.typeList].sort(), ['Bin', 'Lamp']);

  const d = await c.get(`${LD}/types?details=true`);
  assert.equal(d.status, 200);
  const byName = Object.fromEntries(d.body.map((t) => [t.typeName, t]));
  assert.deepEqual(Object.keys(byName).sort(), ['Bin', 'Lamp']);
  for (const name of ['Bin', 'Lamp']) {
    assert.equal(byName[name].type, 'EntityType');
    assert.deepEqual([...byName[name].attributeNames].sort(), attrNames(typesOf(name)));
  }
});

test('GET /types/{type} gives counts and attribute details', async () => {
  const r = await c.get(`${LD}/types/Lamp`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.type, 'EntityTypeInfo');
  assert.equal(r.body.typeName, 'Lamp');
  assert.equal(r.body.entityCount, typesOf('Lamp').length);
  const details = Object.fromEntries(r.body.attributeDetails.map((a) => [a.attributeName, a]));
  assert.deepEqual(Object.keys(details).sort(), attrNames(typesOf('Lamp')));
  assert.deepEqual(details.power.attributeTypes, ['Property']);
  assert.deepEqual(details.pole.attributeTypes, ['Relationship']);
  assertProblem(await c.get(`${LD}/types/Unicorn`), 404, 'ResourceNotFound');
});

test('GET /attributes and /attributes/{attrId}', async () => {
  const r = await c.get(`${LD}/attributes`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.type, 'AttributeList');
  assert.deepEqual([...r.body.attributeList].sort(), attrNames(ENTITIES));

  const d = await c.get(`${LD}/attributes?details=true`);
  const byName = Object.fromEntries(d.body.map((a) => [a.attributeName, a]));
  assert.deepEqual(Object.keys(byName).sort(), attrNames(ENTITIES));
  assert.equal(byName.power.type, 'Attribute');
  assert.deepEqual([...byName.power.typeNames].sort(), ['Bin', 'Lamp']);

  const p = await c.get(`${LD}/attributes/power`);
  assert.equal(p.status, 200, p.text);
  assert.equal(p.body.attributeName, 'power');
  assert.equal(p.body.attributeCount, ENTITIES.filter((e) => e.power).length);
  assert.deepEqual(p.body.attributeTypes, ['Property']);
  assert.deepEqual([...p.body.typeNames].sort(), ['Bin', 'Lamp']);
  const loc = await c.get(`${LD}/attributes/location`);
  assert.deepEqual(loc.body.attributeTypes, ['GeoProperty']);
  assertProblem(await c.get(`${LD}/attributes/nothing`), 404, 'ResourceNotFound');
});

test('discovery follows the request @context and deletes', async () => {
  const ctx = { Hydrant: 'http://example.org/city/Hydrant', pressure: 'http://example.org/city/pressure' };
  const h = await c.post(`${LD}/jsonldContexts`, { '@context': ctx });
  const link = { Link: linkHeader(new URL(h.headers.get('location'), server.url).href) };
  assert.equal((await c.post(`${LD}/entities`, { id: 'urn:ngsi-ld:Hydrant:1', type: 'Hydrant', pressure: { type: 'Property', value: 3 } }, { headers: link })).status, 201);
  assert.ok((await c.get(`${LD}/types`, { headers: link })).body.typeList.includes('Hydrant'));
  assert.ok((await c.get(`${LD}/types`)).body.typeList.includes(ctx.Hydrant));
  assert.equal((await c.get(`${LD}/types/Hydrant`, { headers: link })).body.entityCount, 1);
  assert.equal((await c.get(`${LD}/types/${enc(ctx.Hydrant)}`)).body.entityCount, 1);
  assert.equal((await c.get(`${LD}/attributes/pressure`, { headers: link })).body.attributeCount, 1);

  // The type disappears with its last entity.
  assert.equal((await c.del(`${LD}/entities/${enc('urn:ngsi-ld:Hydrant:1')}`)).status, 204);
  assert.ok(!(await c.get(`${LD}/types`, { headers: link })).body.typeList.includes('Hydrant'));
  assertProblem(await c.get(`${LD}/types/Hydrant`, { headers: link }), 404, 'ResourceNotFound');
});
