// Interoperability with the ngsijs client (NGSI.Connection(url).ld). In Node, ngsijs
// makes its requests with the http module (ngsi-node.js), so no XMLHttpRequest shim is needed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServer } from './lib/server.mjs';

const require = createRequire(import.meta.url);
const NGSI = require('ngsijs');

let server;
let ld;
before(async () => {
  server = await startServer();
  ld = new NGSI.Connection(server.url).ld;
});
after(async () => { await server?.stop(); });

const station = (n, lon, lat, bikes) => ({
  id: `urn:ngsi-ld:BikeStation:${n}`,
  type: 'BikeStation',
  freeBikes: { type: 'Property', value: bikes },
  name: { type: 'Property', value: `Station ${n}` },
  location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [lon, lat] } },
});

test('createEntity, getEntity and deleteEntity', async () => {
  const e = station(1, 105.85, 21.03, 7);
  const created = await ld.createEntity(e);
  assert.equal(created.location, `/ngsi-ld/v1/entities/${e.id}`);
  await assert.rejects(ld.createEntity(station(1, 0, 0, 0)), (err) => err instanceof NGSI.AlreadyExistsError);

  const got = await ld.getEntity({ id: e.id });
  assert.equal(got.entity.id, e.id);
  assert.equal(got.entity.freeBikes.value, 7);
  assert.deepEqual(got.entity.location.value, e.location.value);
  const kv = await ld.getEntity({ id: e.id, keyValues: true, attrs: ['freeBikes'] });
  assert.equal(kv.entity.freeBikes, 7);
  assert.equal(kv.entity.name, undefined);

  await ld.deleteEntity(e.id);
  await assert.rejects(ld.getEntity(e.id), (err) => err instanceof NGSI.NotFoundError);
});

test('queryEntities with q, geoQ, keyValues and count', async () => {
  const all = [station(10, 105.80, 21.00, 0), station(11, 105.81, 21.00, 5), station(12, 106.50, 21.50, 9)];
  for (const s of all) await ld.createEntity(s);
  const q = await ld.queryEntities({ type: 'BikeStation', q: 'freeBikes>0', count: true });
  assert.deepEqual(q.results.map((e) => e.id).sort(), [all[1].id, all[2].id]);
  assert.equal(q.count, 2);
  const g = await ld.queryEntities({
    type: 'BikeStation', keyValues: true,
    georel: 'near;maxDistance==5000', geometry: 'Point', coordinates: '[105.805,21.0]',
  });
  assert.deepEqual(g.results.map((e) => e.id).sort(), [all[0].id, all[1].id]);
  assert.equal(typeof g.results[0].freeBikes, 'number');
  const w = await ld.queryEntities({
    type: 'BikeStation', georel: 'within', geometry: 'Polygon',
    coordinates: JSON.stringify([[[106, 21], [107, 21], [107, 22], [106, 22], [106, 21]]]),
  });
  assert.deepEqual(w.results.map((e) => e.id), [all[2].id]);
  const byId = await ld.queryEntities({ type: 'BikeStation', id: [all[0].id, all[2].id] });
  assert.deepEqual(byId.results.map((e) => e.id).sort(), [all[0].id, all[2].id]);
});

test('appendEntityAttributes and updateEntityAttributes', async () => {
  const s = station(20, 105.9, 21.1, 3);
  await ld.createEntity(s);
  const app = await ld.appendEntityAttributes({ capacity: { type: 'Property', value: 20 } }, { id: s.id });
  assert.deepEqual(app.notUpdated, []);
  const nw = await ld.appendEntityAttributes(
    { capacity: { type: 'Property', value: 99 }, operator: { type: 'Property', value: 'city' } },
    { id: s.id, noOverwrite: true });
  // UpdateResult names are expanded IRIs (as the ETSI suite checks them).
  const vocab = 'https://uri.etsi.org/ngsi-ld/default-context/';
  assert.deepEqual(nw.updated, [`${vocab}operator`]);
  assert.deepEqual(nw.notUpdated.map((n) => n.attributeName), [`${vocab}capacity`]);

  const up = await ld.updateEntityAttributes({ freeBikes: { type: 'Property', value: 4 } }, { id: s.id });
  assert.deepEqual(up.notUpdated, []);
  // An absent attribute is appended by update, a deleted absent one is reported.
  const partial = await ld.updateEntityAttributes(
    { freeBikes: { type: 'Property', value: 5 }, missing: { type: 'Property', value: 'urn:ngsi-ld:null' } },
    { id: s.id });
  assert.deepEqual(partial.notUpdated.map((n) => n.attributeName), [`${vocab}missing`]);
  await ld.updateEntityAttribute({ value: 6 }, { id: s.id, attribute: 'freeBikes' });

  const got = (await ld.getEntity(s.id)).entity;
  assert.equal(got.freeBikes.value, 6);
  assert.equal(got.capacity.value, 20);
  assert.equal(got.operator.value, 'city');
  await ld.deleteEntityAttribute({ id: s.id, attribute: 'operator' });
  assert.equal((await ld.getEntity(s.id)).entity.operator, undefined);
});

test('listTypes and getType', async () => {
  await ld.createEntity({ id: 'urn:ngsi-ld:Kiosk:1', type: 'Kiosk', open: { type: 'Property', value: true } });
  const types = await ld.listTypes();
  assert.ok(types.results.typeList.includes('Kiosk'));
  assert.ok(types.results.typeList.includes('BikeStation'));
  const t = await ld.getType('Kiosk');
  assert.equal(t.type.typeName, 'Kiosk');
  assert.equal(t.type.entityCount, 1);
  assert.deepEqual(t.type.attributeDetails.map((a) => a.attributeName), ['open']);
  await assert.rejects(ld.getType('NoSuchType'), (err) => err instanceof NGSI.NotFoundError);
});

test('tenants through ngsijs', async () => {
  await ld.createEntity(station(30, 1, 1, 1), { tenant: 'ngsijsTenant' });
  const r = await ld.queryEntities({ type: 'BikeStation', tenant: 'ngsijsTenant' });
  assert.deepEqual(r.results.map((e) => e.id), ['urn:ngsi-ld:BikeStation:30']);
  await assert.rejects(ld.getEntity('urn:ngsi-ld:BikeStation:30'), (err) => err instanceof NGSI.NotFoundError);
});
