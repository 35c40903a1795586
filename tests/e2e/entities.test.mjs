// Entity CRUD, attribute operations, attribute kinds and representations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { client, assertProblem, LD, CORE_CONTEXT, enc } from './lib/http.mjs';

let server;
let c;
before(async () => { server = await startServer(); c = client(server.url); });
after(async () => { await server?.stop(); });

const E = (id) => `${LD}/entities/${enc(id)}`;
const DEFAULT_VOCAB = 'https://uri.etsi.org/ngsi-ld/default-context/';

function sensor(id, extra = {}) {
  return {
    id,
    type: 'Sensor',
    temperature: {
      type: 'Property', value: 21.5, unitCode: 'CEL', observedAt: '2024-01-01T10:00:00Z',
      accuracy: { type: 'Property', value: 0.5 },
    },
    name: { type: 'LanguageProperty', languageMap: { en: 'North gate', vi: 'Cổng Bắc' } },
    isPartOf: { type: 'Relationship', object: 'urn:ngsi-ld:Park:hoankiem' },
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [105.85, 21.03] } },
    readings: { type: 'ListProperty', valueList: [1, 2, 3] },
    config: { type: 'JsonProperty', json: { mode: 'eco', thresholds: { hi: 30 } } },
    status: { type: 'VocabProperty', vocab: 'operational' },
    ...extra,
  };
}

test('create, retrieve, replace, merge and delete an entity', async () => {
  const id = 'urn:ngsi-ld:Sensor:crud';
  const created = await c.post(`${LD}/entities`, sensor(id));
  assert.equal(created.status, 201, created.text);
  assert.equal(created.headers.get('location'), `${LD}/entities/${id}`);

  const dup = await c.post(`${LD}/entities`, sensor(id));
  assertProblem(dup, 409, 'AlreadyExists');

  const got = await c.get(E(id));
  assert.equal(got.status, 200);
  const input = sensor(id);
  assert.equal(got.body.id, id);
  assert.equal(got.body.type, 'Sensor');
  for (const k of ['temperature', 'name', 'isPartOf', 'location', 'readings', 'config', 'status']) {
    assert.deepEqual(got.body[k], input[k], `attribute ${k} round-trips`);
  }

  // PUT replaces the whole entity: attributes missing from the body disappear.
  const put = await c.put(E(id), { type: 'Sensor', temperature: { type: 'Property', value: 10 } });
  assert.equal(put.status, 204, put.text);
  const afterPut = await c.get(E(id));
  assert.deepEqual(afterPut.body.temperature, { type: 'Property', value: 10 });
  assert.equal(afterPut.body.name, undefined);
  assert.equal(afterPut.body.location, undefined);

  // PATCH merges: new attributes added, given ones changed, others kept.
  const merge = await c.patch(E(id), {
    humidity: { type: 'Property', value: 40 },
    temperature: { type: 'Property', value: 11 },
  });
  assert.equal(merge.status, 204, merge.text);
  const afterMerge = await c.get(E(id));
  assert.equal(afterMerge.body.temperature.value, 11);
  assert.equal(afterMerge.body.humidity.value, 40);

  const mergeMissing = await c.patch(E('urn:ngsi-ld:Sensor:nope'), { humidity: { type: 'Property', value: 1 } });
  assertProblem(mergeMissing, 404, 'ResourceNotFound');

  const del = await c.del(E(id));
  assert.equal(del.status, 204);
  assertProblem(await c.get(E(id)), 404, 'ResourceNotFound');
  assertProblem(await c.del(E(id)), 404, 'ResourceNotFound');
});

test('append attributes: noOverwrite gives a 207 UpdateResult and keeps the old value', async () => {
  const id = 'urn:ngsi-ld:Sensor:append';
  assert.equal((await c.post(`${LD}/entities`, sensor(id))).status, 201);

  const r = await c.post(`${E(id)}/attrs?options=noOverwrite`, {
    temperature: { type: 'Property', value: 99 },
    pressure: { type: 'Property', value: 1013 },
  });
  assert.equal(r.status, 207, r.text);
  // UpdateResult names attributes by expanded IRI, as the ETSI suite checks (010_04_01).
  assert.deepEqual(r.body.updated, [`${DEFAULT_VOCAB}pressure`]);
  assert.equal(r.body.notUpdated.length, 1);
  assert.equal(r.body.notUpdated[0].attributeName, `${DEFAULT_VOCAB}temperature`);
  assert.equal(typeof r.body.notUpdated[0].reason, 'string');
  const got = await c.get(E(id));
  assert.equal(got.body.temperature.value, 21.5);
  assert.equal(got.body.pressure.value, 1013);

  // Without noOverwrite everything is written: 204.
  const r2 = await c.post(`${E(id)}/attrs`, { temperature: { type: 'Property', value: 25 } });
  assert.equal(r2.status, 204, r2.text);
  assert.equal((await c.get(E(id))).body.temperature.value, 25);

  assertProblem(await c.post(`${E('urn:ngsi-ld:Sensor:missing')}/attrs`, { a: { type: 'Property', value: 1 } }),
    404, 'ResourceNotFound');
});

test('update attributes: replaces, appends absent ones, NGSI-LD Null deletes, type and scope', async () => {
  const id = 'urn:ngsi-ld:Sensor:update';
  assert.equal((await c.post(`${LD}/entities`, sensor(id))).status, 201);
  const ok = await c.patch(`${E(id)}/attrs`, { temperature: { type: 'Property', value: 30 } });
  assert.equal(ok.status, 204, ok.text);
  // An attribute the entity lacks is appended (ETSI 011_01_03): still 204.
  const more = await c.patch(`${E(id)}/attrs`, {
    temperature: { type: 'Property', value: 31 },
    notThere: { type: 'Property', value: 1 },
  });
  assert.equal(more.status, 204, more.text);
  let got = await c.get(E(id));
  assert.equal(got.body.temperature.value, 31);
  assert.equal(got.body.notThere.value, 1);

  // NGSI-LD Null deletes; deleting what is not there is reported (207).
  const del = await c.patch(`${E(id)}/attrs`, {
    notThere: { type: 'Property', value: 'urn:ngsi-ld:null' },
    never: { type: 'Property', value: 'urn:ngsi-ld:null' },
  });
  assert.equal(del.status, 207, del.text);
  assert.deepEqual(del.body.notUpdated.map((n) => n.attributeName), [`${DEFAULT_VOCAB}never`]);
  got = await c.get(E(id));
  assert.equal(got.body.notThere, undefined);

  // A scope on an entity without one is not updated (207); type adds a type.
  const sc = await c.patch(`${E(id)}/attrs`, { scope: '/HoanKiem' });
  assert.equal(sc.status, 207, sc.text);
  assert.deepEqual(sc.body.notUpdated.map((n) => n.attributeName), ['scope']);
  const ty = await c.patch(`${E(id)}/attrs`, { type: 'Device' });
  assert.equal(ty.status, 204, ty.text);
  assert.deepEqual((await c.get(E(id))).body.type, ['Sensor', 'Device']);

  // An empty entity id in the path is a bad request, not an unknown path.
  assertProblem(await c.patch(`${LD}/entities//attrs`, { a: { type: 'Property', value: 1 } }),
    400, 'BadRequestData');
});

test('append attributes carries scope: replaced, or joined under noOverwrite', async () => {
  const id = 'urn:ngsi-ld:Sensor:scoped';
  assert.equal((await c.post(`${LD}/entities`, { ...sensor(id), scope: '/Madrid' })).status, 201);
  assert.equal((await c.post(`${E(id)}/attrs`, { scope: '/HaNoi' })).status, 204);
  assert.equal((await c.get(E(id))).body.scope, '/HaNoi');
  assert.equal((await c.post(`${E(id)}/attrs?options=noOverwrite`, { scope: '/Hue' })).status, 204);
  assert.deepEqual((await c.get(E(id))).body.scope, ['/HaNoi', '/Hue']);
});

test('partial attribute update, attribute replace and attribute delete', async () => {
  const id = 'urn:ngsi-ld:Sensor:attr';
  assert.equal((await c.post(`${LD}/entities`, sensor(id))).status, 201);

  // Partial update changes the value and keeps the other members and sub-attributes.
  const pu = await c.patch(`${E(id)}/attrs/temperature`, { value: 22.5 });
  assert.equal(pu.status, 204, pu.text);
  let got = await c.get(E(id));
  assert.equal(got.body.temperature.value, 22.5);
  assert.equal(got.body.temperature.unitCode, 'CEL');
  assert.equal(got.body.temperature.accuracy.value, 0.5);
  assertProblem(await c.patch(`${E(id)}/attrs/nothing`, { value: 1 }), 404, 'ResourceNotFound');
  // A partial update cannot turn a Property into a Relationship (ETSI 012_02_03).
  assertProblem(await c.patch(`${E(id)}/attrs/temperature`,
    { type: 'Relationship', object: 'urn:ngsi-ld:Thing:1' }), 400, 'BadRequestData');
  assert.equal((await c.get(E(id))).body.temperature.value, 22.5);

  // Replace swaps the whole attribute: old sub-attributes are gone.
  const rep = await c.put(`${E(id)}/attrs/temperature`, { type: 'Property', value: 5, unitCode: 'FAH' });
  assert.equal(rep.status, 204, rep.text);
  got = await c.get(E(id));
  assert.deepEqual(got.body.temperature, { type: 'Property', value: 5, unitCode: 'FAH' });
  assertProblem(await c.put(`${E(id)}/attrs/nothing`, { type: 'Property', value: 1 }), 404, 'ResourceNotFound');

  assert.equal((await c.del(`${E(id)}/attrs/readings`)).status, 204);
  got = await c.get(E(id));
  assert.equal(got.body.readings, undefined);
  assertProblem(await c.del(`${E(id)}/attrs/readings`), 404, 'ResourceNotFound');

  // NGSI-LD Null in a partial update deletes the attribute (ETSI 012_05).
  const nul = await c.patch(`${E(id)}/attrs/temperature`, { type: 'Property', value: 'urn:ngsi-ld:null' });
  assert.equal(nul.status, 204, nul.text);
  assert.equal((await c.get(E(id))).body.temperature, undefined);
});

test('an entity type that expands to a JSON-LD keyword is refused', async () => {
  assertProblem(await c.post(`${LD}/entities`, { id: 'urn:ngsi-ld:Thing:kw', type: 'type' }),
    400, 'BadRequestData');
  assert.equal((await c.get(E('urn:ngsi-ld:Thing:kw'))).status, 404);
});

test('multi-attributes: datasetId delete and deleteAll', async () => {
  const id = 'urn:ngsi-ld:Sensor:multi';
  const body = {
    id, type: 'Sensor',
    speed: [
      { type: 'Property', value: 10 },
      { type: 'Property', value: 20, datasetId: 'urn:ngsi-ld:Dataset:gps' },
      { type: 'Property', value: 30, datasetId: 'urn:ngsi-ld:Dataset:radar' },
    ],
  };
  assert.equal((await c.post(`${LD}/entities`, body)).status, 201);
  let got = await c.get(E(id));
  assert.ok(Array.isArray(got.body.speed));
  const byDs = (arr) => Object.fromEntries(arr.map((i) => [i.datasetId ?? 'default', i.value]));
  assert.deepEqual(byDs(got.body.speed), { default: 10, 'urn:ngsi-ld:Dataset:gps': 20, 'urn:ngsi-ld:Dataset:radar': 30 });

  // datasetId= keeps only those instances ("@none": the default one), in retrieve and query.
  const one = await c.get(`${E(id)}?datasetId=${enc('urn:ngsi-ld:Dataset:gps')}`);
  assert.deepEqual(one.body.speed, { type: 'Property', value: 20, datasetId: 'urn:ngsi-ld:Dataset:gps' });
  const two = await c.get(`${LD}/entities?type=Sensor&id=${enc(id)}&datasetId=@none,${enc('urn:ngsi-ld:Dataset:radar')}`);
  assert.deepEqual(byDs(two.body[0].speed), { default: 10, 'urn:ngsi-ld:Dataset:radar': 30 });
  const none = await c.get(`${E(id)}?datasetId=${enc('urn:ngsi-ld:Dataset:other')}`);
  assert.equal(none.body.speed, undefined);

  // Partial update addressed to one instance.
  const pu = await c.patch(`${E(id)}/attrs/speed`, { value: 21, datasetId: 'urn:ngsi-ld:Dataset:gps' });
  assert.equal(pu.status, 204, pu.text);
  got = await c.get(E(id));
  assert.deepEqual(byDs(got.body.speed), { default: 10, 'urn:ngsi-ld:Dataset:gps': 21, 'urn:ngsi-ld:Dataset:radar': 30 });

  const d1 = await c.del(`${E(id)}/attrs/speed?datasetId=${enc('urn:ngsi-ld:Dataset:gps')}`);
  assert.equal(d1.status, 204, d1.text);
  got = await c.get(E(id));
  assert.deepEqual(byDs([got.body.speed].flat()), { default: 10, 'urn:ngsi-ld:Dataset:radar': 30 });
  assertProblem(await c.del(`${E(id)}/attrs/speed?datasetId=${enc('urn:ngsi-ld:Dataset:gps')}`), 404, 'ResourceNotFound');
  assertProblem(await c.del(`${E(id)}/attrs/speed?deleteAll=maybe`), 400);

  const all = await c.del(`${E(id)}/attrs/speed?deleteAll=true`);
  assert.equal(all.status, 204, all.text);
  got = await c.get(E(id));
  assert.equal(got.body.speed, undefined);
});

test('LanguageProperty with lang= picks one language', async () => {
  const id = 'urn:ngsi-ld:Sensor:lang';
  assert.equal((await c.post(`${LD}/entities`, sensor(id))).status, 201);
  const vi = await c.get(`${E(id)}?lang=vi`);
  assert.equal(vi.status, 200);
  assert.equal(vi.body.name.value, 'Cổng Bắc');
  assert.equal(vi.body.name.lang, 'vi');
  const kv = await c.get(`${E(id)}?lang=en&options=keyValues`);
  assert.equal(kv.body.name, 'North gate');
  const full = await c.get(E(id));
  assert.deepEqual(full.body.name.languageMap, { en: 'North gate', vi: 'Cổng Bắc' });
});

test('sysAttrs adds createdAt and modifiedAt, and modifiedAt moves on update', async () => {
  const id = 'urn:ngsi-ld:Sensor:sys';
  const t0 = Date.now();
  assert.equal((await c.post(`${LD}/entities`, sensor(id))).status, 201);
  const plain = await c.get(E(id));
  assert.equal(plain.body.createdAt, undefined);
  const a = await c.get(`${E(id)}?options=sysAttrs`);
  const created = Date.parse(a.body.createdAt);
  assert.ok(Number.isFinite(created));
  assert.ok(created >= t0 - 1000, 'createdAt is now-ish');
  assert.ok(Number.isFinite(Date.parse(a.body.temperature.createdAt)));
  assert.equal(a.body.temperature.observedAt, '2024-01-01T10:00:00Z');
  assert.equal((await c.patch(`${E(id)}/attrs/temperature`, { value: 1 })).status, 204);
  const b = await c.get(`${E(id)}?options=sysAttrs`);
  assert.equal(b.body.createdAt, a.body.createdAt);
  assert.ok(Date.parse(b.body.temperature.modifiedAt) >= Date.parse(a.body.temperature.modifiedAt));
  assert.ok(Date.parse(b.body.modifiedAt) >= created);
});

test('concise input is expanded to the normalized form', async () => {
  const id = 'urn:ngsi-ld:Sensor:concise';
  const r = await c.post(`${LD}/entities`, {
    id, type: 'Sensor',
    temperature: 18,
    label: 'plain string',
    owner: { object: 'urn:ngsi-ld:Person:1' },
    title: { languageMap: { en: 'Hello' } },
    location: { type: 'Point', coordinates: [105.8, 21.0] },
    calibrated: { value: true, observedAt: '2024-02-02T00:00:00Z' },
  });
  assert.equal(r.status, 201, r.text);
  const got = await c.get(E(id));
  assert.deepEqual(got.body.temperature, { type: 'Property', value: 18 });
  assert.deepEqual(got.body.label, { type: 'Property', value: 'plain string' });
  assert.deepEqual(got.body.owner, { type: 'Relationship', object: 'urn:ngsi-ld:Person:1' });
  assert.deepEqual(got.body.title, { type: 'LanguageProperty', languageMap: { en: 'Hello' } });
  assert.deepEqual(got.body.location, { type: 'GeoProperty', value: { type: 'Point', coordinates: [105.8, 21.0] } });
  assert.deepEqual(got.body.calibrated, { type: 'Property', value: true, observedAt: '2024-02-02T00:00:00Z' });
});

test('representations: concise, keyValues (options and format), pick, omit, attrs', async () => {
  const id = 'urn:ngsi-ld:Sensor:repr';
  const input = sensor(id);
  assert.equal((await c.post(`${LD}/entities`, input)).status, 201);

  const concise = await c.get(`${E(id)}?options=concise`);
  assert.deepEqual(concise.body.temperature, {
    value: 21.5, unitCode: 'CEL', observedAt: '2024-01-01T10:00:00Z', accuracy: 0.5,
  });
  assert.deepEqual(concise.body.isPartOf, { object: 'urn:ngsi-ld:Park:hoankiem' });
  assert.deepEqual(concise.body.location, input.location.value);
  const concise2 = await c.get(`${E(id)}?format=concise`);
  assert.deepEqual(concise2.body, concise.body);

  const kv = await c.get(`${E(id)}?options=keyValues`);
  assert.equal(kv.body.temperature, 21.5);
  assert.equal(kv.body.isPartOf, 'urn:ngsi-ld:Park:hoankiem');
  assert.deepEqual(kv.body.location, input.location.value);
  assert.deepEqual(kv.body.readings, [1, 2, 3]);
  assert.deepEqual(kv.body.config, input.config.json);
  assert.equal(kv.body.status, 'operational');
  for (const f of ['keyValues', 'simplified']) {
    const r = await c.get(`${E(id)}?format=${f}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, kv.body, `format=${f}`);
  }
  const simplifiedOpt = await c.get(`${E(id)}?options=simplified`);
  assert.deepEqual(simplifiedOpt.body, kv.body);

  const attrs = await c.get(`${E(id)}?attrs=temperature,status`);
  assert.deepEqual(Object.keys(attrs.body).sort(), ['id', 'status', 'temperature', 'type']);
  const pick = await c.get(`${E(id)}?pick=id,temperature`);
  assert.deepEqual(Object.keys(pick.body).sort(), ['id', 'temperature']);
  const omit = await c.get(`${E(id)}?omit=temperature,name,location`);
  assert.equal(omit.body.temperature, undefined);
  assert.equal(omit.body.name, undefined);
  assert.equal(omit.body.id, id);
  assert.ok(omit.body.isPartOf);

  // Selecting nothing the entity has finds nothing (ETSI 018_03_02, 018_19); a malformed
  // pick is a bad request (018_18); format names the representation over options.
  assertProblem(await c.get(`${E(id)}?attrs=notAnAttribute`), 404, 'ResourceNotFound');
  assertProblem(await c.get(`${E(id)}?pick=notAnAttribute`), 404, 'ResourceNotFound');
  assertProblem(await c.get(`${E(id)}?pick=${enc('id;name')}`), 400, 'BadRequestData');
  assertProblem(await c.get(`${E(id)}?omit=name&attrs=temperature`), 400, 'BadRequestData');
  const fmt = await c.get(`${E(id)}?format=keyValues&options=normalized`);
  assert.equal(fmt.status, 200, fmt.text);
  assert.deepEqual(fmt.body, kv.body);
});

test('pick also selects entities in a query; scope is deleted like an attribute', async () => {
  assert.equal((await c.post(`${LD}/entities`, { id: 'urn:ngsi-ld:Pk:1', type: 'Pk', name: { type: 'Property', value: 'a' }, scope: '/HaNoi' })).status, 201);
  assert.equal((await c.post(`${LD}/entities`, { id: 'urn:ngsi-ld:Pk:2', type: 'Pk', size: { type: 'Property', value: 2 } })).status, 201);
  const picked = await c.get(`${LD}/entities?type=Pk&pick=name`);
  assert.equal(picked.status, 200, picked.text);
  assert.deepEqual(picked.body, [{ name: { type: 'Property', value: 'a' } }]);
  // scope is not an attribute to replace (ETSI 055_03_05).
  assertProblem(await c.put(`${E('urn:ngsi-ld:Pk:1')}/attrs/scope`, { scope: '/Hue' }), 400, 'BadRequestData');
  assert.equal((await c.del(`${E('urn:ngsi-ld:Pk:1')}/attrs/scope`)).status, 204);
  assert.equal((await c.get(E('urn:ngsi-ld:Pk:1'))).body.scope, undefined);
  assertProblem(await c.del(`${E('urn:ngsi-ld:Pk:1')}/attrs/scope`), 404, 'ResourceNotFound');
});

test('GeoJSON for one entity and for a query', async () => {
  const a = sensor('urn:ngsi-ld:GeoThing:a', { type: 'GeoThing' });
  const b = sensor('urn:ngsi-ld:GeoThing:b', { type: 'GeoThing' });
  b.location.value = { type: 'Point', coordinates: [106.7, 10.8] };
  b.area = { type: 'GeoProperty', value: { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]] } };
  for (const e of [a, b]) assert.equal((await c.post(`${LD}/entities`, e)).status, 201);

  const one = await c.get(E(a.id), { headers: { Accept: 'application/geo+json' } });
  assert.equal(one.status, 200, one.text);
  assert.match(one.headers.get('content-type'), /application\/geo\+json/);
  assert.equal(one.body.type, 'Feature');
  assert.equal(one.body.id, a.id);
  assert.deepEqual(one.body.geometry, a.location.value);
  assert.equal(one.body.properties.temperature.value, 21.5);
  // GeoJSON is not JSON-LD: the @context travels in the body.
  assert.ok(String(one.body['@context']).includes('ngsi-ld-core-context'), one.text);

  const byArea = await c.get(`${E(b.id)}?geometryProperty=area`, { headers: { Accept: 'application/geo+json' } });
  assert.deepEqual(byArea.body.geometry, b.area.value);

  const q = await c.get(`${LD}/entities?type=GeoThing&options=keyValues`, { headers: { Accept: 'application/geo+json' } });
  assert.equal(q.status, 200, q.text);
  assert.equal(q.body.type, 'FeatureCollection');
  assert.ok(String(q.body['@context']).includes('ngsi-ld-core-context'), q.text);
  const feats = Object.fromEntries(q.body.features.map((f) => [f.id, f]));
  assert.deepEqual(Object.keys(feats).sort(), [a.id, b.id]);
  assert.deepEqual(feats[b.id].geometry, b.location.value);
  assert.equal(feats[b.id].properties.temperature, 21.5);
});

test('application/ld+json carries @context in the body, application/json a Link header', async () => {
  const id = 'urn:ngsi-ld:Sensor:ldjson';
  assert.equal((await c.post(`${LD}/entities`, sensor(id))).status, 201);
  const ld = await c.get(E(id), { headers: { Accept: 'application/ld+json' } });
  assert.equal(ld.status, 200);
  assert.match(ld.headers.get('content-type'), /application\/ld\+json/);
  const ctx = [ld.body['@context']].flat();
  assert.ok(ctx.includes(CORE_CONTEXT), `core context in @context: ${JSON.stringify(ctx)}`);
  assert.equal(ld.headers.get('link'), null);

  const js = await c.get(E(id), { headers: { Accept: 'application/json' } });
  assert.match(js.headers.get('content-type'), /application\/json/);
  assert.equal(js.body['@context'], undefined);
  assert.match(js.headers.get('link') ?? '', /rel="http:\/\/www\.w3\.org\/ns\/json-ld#context"/);

  // Creating with application/ld+json needs @context in the body.
  const body = { ...sensor('urn:ngsi-ld:Sensor:ldjson2'), '@context': CORE_CONTEXT };
  const created = await c.post(`${LD}/entities`, body, { headers: { 'Content-Type': 'application/ld+json' } });
  assert.equal(created.status, 201, created.text);
  const noCtx = await c.post(`${LD}/entities`, sensor('urn:ngsi-ld:Sensor:ldjson3'),
    { headers: { 'Content-Type': 'application/ld+json' } });
  assertProblem(noCtx, 400);
});

test('linked entity retrieval: join inline and flat, joinLevel, pick on linked entities (ETSI 018_10-20)', async () => {
  const rel = (object) => ({ type: 'Relationship', object });
  assert.equal((await c.post(`${LD}/entities`, { id: 'urn:ngsi-ld:Bldg:1', type: 'Bldg', name: { type: 'Property', value: 'Nhà hát Lớn' }, locatedAt: rel('urn:ngsi-ld:City:HaNoi') })).status, 201);
  assert.equal((await c.post(`${LD}/entities`, { id: 'urn:ngsi-ld:City:HaNoi', type: 'City', name: { type: 'Property', value: 'Hà Nội' }, locatedAt: rel('urn:ngsi-ld:Country:VN') })).status, 201);
  assert.equal((await c.post(`${LD}/entities`, { id: 'urn:ngsi-ld:Country:VN', type: 'Country', description: { type: 'Property', value: 'Việt Nam' } })).status, 201);
  const B = E('urn:ngsi-ld:Bldg:1');

  // inline, one level by default: the city inside the relationship, the country not.
  let r = await c.get(`${B}?join=inline`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.locatedAt.object, 'urn:ngsi-ld:City:HaNoi');
  assert.equal(r.body.locatedAt.entity.name.value, 'Hà Nội');
  assert.equal(r.body.locatedAt.entity.locatedAt.entity, undefined);
  r = await c.get(`${B}?join=inline&joinLevel=2&options=sysAttrs`);
  assert.equal(r.body.locatedAt.entity.locatedAt.entity.description.value, 'Việt Nam');
  assert.ok(r.body.locatedAt.entity.createdAt);
  r = await c.get(`${B}?join=inline&joinLevel=2&options=keyValues`);
  assert.deepEqual(r.body.locatedAt, { id: 'urn:ngsi-ld:City:HaNoi', type: 'City', name: 'Hà Nội',
    locatedAt: { id: 'urn:ngsi-ld:Country:VN', type: 'Country', description: 'Việt Nam' } });

  // flat: the entity, then each linked entity once, parents first.
  r = await c.get(`${B}?join=flat&joinLevel=2`);
  assert.deepEqual(r.body.map((e) => e.id), ['urn:ngsi-ld:Bldg:1', 'urn:ngsi-ld:City:HaNoi', 'urn:ngsi-ld:Country:VN']);
  assert.equal(r.body[0].locatedAt.entity, undefined);

  // pick projects the linked entities through rel{...}.
  r = await c.get(`${B}?join=inline&joinLevel=2&pick=${enc('id,locatedAt{id,name}')}`);
  assert.deepEqual(r.body, { id: 'urn:ngsi-ld:Bldg:1', locatedAt: { type: 'Relationship', object: 'urn:ngsi-ld:City:HaNoi',
    entity: { id: 'urn:ngsi-ld:City:HaNoi', name: { type: 'Property', value: 'Hà Nội' } } } });

  // A query joins each result; a missing target leaves the relationship as it is.
  assert.equal((await c.post(`${LD}/entities`, { id: 'urn:ngsi-ld:Bldg:2', type: 'Bldg', locatedAt: rel('urn:ngsi-ld:City:Nowhere') })).status, 201);
  r = await c.get(`${LD}/entities?type=Bldg&join=flat&options=keyValues`);
  assert.deepEqual(r.body.map((e) => e.id).sort(), ['urn:ngsi-ld:Bldg:1', 'urn:ngsi-ld:Bldg:2', 'urn:ngsi-ld:City:HaNoi']);
  r = await c.get(`${E('urn:ngsi-ld:Bldg:2')}?join=inline`);
  assert.deepEqual(r.body.locatedAt, { type: 'Relationship', object: 'urn:ngsi-ld:City:Nowhere' });

  // Fan-out is bounded: three relationships to itself, eight levels inline (3^8 links)
  // answers, nested, with the links past the budget left as plain relationships.
  assert.equal((await c.post(`${LD}/entities`, { id: 'urn:ngsi-ld:Loop:1', type: 'Loop',
    a: rel('urn:ngsi-ld:Loop:1'), b: rel('urn:ngsi-ld:Loop:1'), c: rel('urn:ngsi-ld:Loop:1') })).status, 201);
  r = await c.get(`${E('urn:ngsi-ld:Loop:1')}?join=inline&joinLevel=8&options=keyValues`);
  assert.equal(r.status, 200, r.text.slice(0, 200));
  assert.equal(r.body.a.a.a.id, 'urn:ngsi-ld:Loop:1');
  // ~1,000 linked entities of ~100 B; without the budget it would be ~9,800 (about 1 MB).
  assert.ok(r.text.length < 300000, `answer of ${r.text.length} bytes`);

  assertProblem(await c.get(`${B}?join=sideways`), 400, 'BadRequestData');
  assertProblem(await c.get(`${B}?join=inline&joinLevel=0`), 400, 'BadRequestData');
});
