// Bad input of every kind: each answer is an NGSI-LD ProblemDetails with the right status,
// never a 500, and the server keeps answering /health afterwards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { client, assertProblem, LD, enc } from './lib/http.mjs';

const MAX_BODY = 256 * 1024;
const MAX_VERTICES = 500;
const MAX_BATCH = 20;
let server;
let c;
before(async () => {
  server = await startServer({
    args: ['--max-body-bytes', String(MAX_BODY), '--max-geometry-vertices', String(MAX_VERTICES),
      '--max-batch-entities', String(MAX_BATCH)],
  });
  c = client(server.url);
  const seed = await c.post(`${LD}/entities`, { id: 'urn:ngsi-ld:Thing:seed', type: 'Thing', v: { type: 'Property', value: 1 } });
  assert.equal(seed.status, 201);
});
after(async () => { await server?.stop(); });

async function expectProblem(r, status, typeName) {
  assert.notEqual(r.status, 500, r.text);
  assertProblem(r, status, typeName);
  const h = await c.get('/health');
  assert.equal(h.status, 200, 'server still healthy');
}

const json = { 'Content-Type': 'application/json' };
const thing = (extra) => ({ id: `urn:ngsi-ld:Thing:${Math.random().toString(36).slice(2)}`, type: 'Thing', ...extra });
const point = (coordinates) => ({ location: { type: 'GeoProperty', value: { type: 'Point', coordinates } } });

test('malformed JSON is InvalidRequest', async () => {
  for (const raw of ['{', '{"id": "urn:x:1", "type": }', 'null garbage', '\u0000\u0001', '']) {
    const r = await c.req('POST', `${LD}/entities`, { raw, headers: json });
    await expectProblem(r, 400);
  }
  await expectProblem(await c.req('POST', `${LD}/entities`, { raw: '{"id":"urn:x:1","type":"T",', headers: json }), 400, 'InvalidRequest');
  await expectProblem(await c.req('PATCH', `${LD}/entities/urn:ngsi-ld:Thing:seed/attrs`, { raw: '[1,', headers: json }), 400, 'InvalidRequest');
});

test('wrong JSON types and shapes are BadRequestData', async () => {
  const cases = [
    [],
    'a string',
    { type: 'Thing' },
    { id: 'urn:ngsi-ld:Thing:x' },
    { id: 5, type: 'Thing' },
    { id: 'urn:ngsi-ld:Thing:x', type: 5 },
    { id: 'urn:ngsi-ld:Thing:x', type: [] },
    thing({ a: { type: 'Bogus', value: 1 } }),
    thing({ a: { type: 'Property' } }),
    thing({ a: { type: 'Relationship', object: 'not a uri' } }),
    thing({ a: { type: 'Relationship', object: 7 } }),
    thing({ a: { type: 'LanguageProperty', languageMap: 'nope' } }),
    thing({ a: { type: 'ListProperty', valueList: 1 } }),
    thing({ a: { type: 'Property', value: 1, observedAt: 'yesterday' } }),
    thing({ a: { type: 'Property', value: 1, datasetId: 'no uri' } }),
    thing({ a: { type: 'Property', value: null } }),
    thing({ 'bad name': { type: 'Property', value: 1 } }),
    thing({ 'a(b)': { type: 'Property', value: 1 } }),
    thing({ '9lives': { type: 'Property', value: 1 } }),
    thing({ a: { type: 'Property', value: 1, 'sub;name': { type: 'Property', value: 2 } } }),
    { id: 'urn:ngsi-ld:Thing:badtype', type: 'Bad Type' },
    thing({ location: { type: 'GeoProperty', value: 'here' } }),
  ];
  for (const body of cases) {
    const r = await c.post(`${LD}/entities`, body);
    await expectProblem(r, 400);
    assert.equal(r.body.type, 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData', `${JSON.stringify(body)} -> ${r.text}`);
  }
});

test('valid names: plain, unicode, prefixed and full IRIs', async () => {
  const body = thing({
    plain_name1: { type: 'Property', value: 1 },
    nhiệtĐộ: { type: 'Property', value: 2 },
    'ex:prefixed': { type: 'Property', value: 3 },
    'http://example.org/full': { type: 'Property', value: 4 },
  });
  const r = await c.post(`${LD}/entities`, body);
  assert.equal(r.status, 201, r.text);
  const got = (await c.get(`${LD}/entities/${enc(body.id)}?options=keyValues`)).body;
  assert.equal(got.plain_name1, 1);
  assert.equal(got['nhiệtĐộ'], 2);
  assert.equal(got['ex:prefixed'], 3);
  assert.equal(got['http://example.org/full'], 4);
});

test('invalid URIs in paths and bodies', async () => {
  await expectProblem(await c.get(`${LD}/entities/${enc('not a uri')}`), 400, 'BadRequestData');
  await expectProblem(await c.get(`${LD}/entities/plainword`), 400, 'BadRequestData');
  await expectProblem(await c.del(`${LD}/entities/${enc('no uri')}`), 400, 'BadRequestData');
  await expectProblem(await c.post(`${LD}/entities`, { id: 'has space:x y', type: 'T' }), 400, 'BadRequestData');
  await expectProblem(await c.get(`${LD}/entities?id=${enc('not a uri')}`), 400, 'BadRequestData');
  await expectProblem(await c.req('GET', `${LD}/entities/%zz`), 400);
});

test('invalid and huge geometries', async () => {
  const bad = [
    point([200, 10]),
    point([10, 95]),
    point([10]),
    point(['a', 'b']),
    { location: { type: 'GeoProperty', value: { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1]]] } } },
    { location: { type: 'GeoProperty', value: { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1]]] } } },
    { location: { type: 'GeoProperty', value: { type: 'Circle', coordinates: [0, 0] } } },
    { location: { type: 'GeoProperty', value: { type: 'LineString', coordinates: [[0, 0]] } } },
  ];
  for (const extra of bad) await expectProblem(await c.post(`${LD}/entities`, thing(extra)), 400, 'BadRequestData');
  const many = Array.from({ length: MAX_VERTICES + 1 }, (_, i) => [i / 1000, i / 1000]);
  const huge = { location: { type: 'GeoProperty', value: { type: 'LineString', coordinates: many } } };
  const r = await c.post(`${LD}/entities`, thing(huge));
  assert.ok([400, 413].includes(r.status), r.text);
  await expectProblem(r, r.status);
  const fits = { location: { type: 'GeoProperty', value: { type: 'LineString', coordinates: many.slice(0, MAX_VERTICES) } } };
  assert.equal((await c.post(`${LD}/entities`, thing(fits))).status, 201);
});

test('bad q, geoQ and paging parameters', async () => {
  const qs = [
    'type=Thing&q=v>>1', 'type=Thing&q=(v==1', 'type=Thing&q=v==1)', 'type=Thing&q=v==', 'type=Thing&q=;',
    'type=Thing&q=v=="unterminated', 'type=Thing&q=v==1..', 'type=Thing&q=v[==1',
    'type=Thing&georel=near&geometry=Point&coordinates=[1,1]',
    'type=Thing&georel=near;maxDistance==abc&geometry=Point&coordinates=[1,1]',
    'type=Thing&georel=sideways&geometry=Point&coordinates=[1,1]',
    'type=Thing&georel=within&geometry=Point',
    'type=Thing&georel=within&geometry=Polygon&coordinates=[1,2',
    'type=Thing&georel=within&geometry=Blob&coordinates=[1,2]',
    'type=Thing&geometry=Point&coordinates=[1,1]',
    'type=Thing&limit=abc', 'type=Thing&offset=-4',
    'type=(Thing', 'type=Thing&scopeQ=nope', 'type=Thing&idPattern=(',
  ];
  for (const q of qs) {
    const [path, query] = [`${LD}/entities`, q.split('&').map((p) => p.split('=').map((x, i) => i ? enc(p.slice(p.indexOf('=') + 1)) : x).slice(0, 2).join('=')).join('&')];
    const r = await c.get(`${path}?${query}`);
    await expectProblem(r, 400);
  }
});

test('oversized bodies and batches', async () => {
  const big = thing({ blob: { type: 'Property', value: 'x'.repeat(MAX_BODY + 10) } });
  const r = await c.post(`${LD}/entities`, big);
  await expectProblem(r, 413);
  const batch = Array.from({ length: MAX_BATCH + 1 }, (_, i) => ({ id: `urn:ngsi-ld:Thing:b${i}`, type: 'Thing' }));
  const b = await c.post(`${LD}/entityOperations/upsert`, batch);
  assert.ok([400, 413].includes(b.status), b.text);
  await expectProblem(b, b.status);
  assert.equal((await c.get(`${LD}/entities/${enc('urn:ngsi-ld:Thing:b0')}`)).status, 404);
});

test('415 for an unsupported Content-Type, 406 when nothing is acceptable', async () => {
  for (const ct of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
    await expectProblem(await c.req('POST', `${LD}/entities`, { raw: JSON.stringify(thing({})), headers: { 'Content-Type': ct } }), 415, 'UnsupportedMediaType');
  }
  await expectProblem(await c.req('POST', `${LD}/entities`, { raw: JSON.stringify(thing({})), headers: {} }), 415);
  for (const accept of ['text/html', 'application/xml', 'image/png']) {
    await expectProblem(await c.get(`${LD}/entities/${enc('urn:ngsi-ld:Thing:seed')}`, { headers: { Accept: accept } }), 406, 'NotAcceptable');
  }
  await expectProblem(await c.get(`${LD}/entities?type=Thing`, { headers: { Accept: 'text/csv' } }), 406, 'NotAcceptable');
  // Wildcards are acceptable.
  for (const accept of ['*/*', 'application/*', 'text/html, application/json;q=0.5']) {
    assert.equal((await c.get(`${LD}/entities/${enc('urn:ngsi-ld:Thing:seed')}`, { headers: { Accept: accept } })).status, 200, accept);
  }
});

test('405 with Allow on a wrong method, 404 for unknown paths', async () => {
  // PUT/PATCH/DELETE /entities (or /entities/) lack the id: 400, as ETSI 054_02_02 expects.
  for (const method of ['PUT', 'PATCH', 'DELETE']) {
    await expectProblem(await c.req(method, `${LD}/entities/`, { raw: '{}', headers: json }), 400,
      'BadRequestData');
  }
  const cases = [
    ['POST', `${LD}/entities/${enc('urn:ngsi-ld:Thing:seed')}`, ['GET', 'PUT', 'PATCH', 'DELETE']],
    ['GET', `${LD}/entityOperations/create`, ['POST']],
    ['POST', `${LD}/types`, ['GET']],
  ];
  for (const [method, path, allowed] of cases) {
    const r = await c.req(method, path, { raw: method === 'GET' ? undefined : '{}', headers: json });
    await expectProblem(r, 405);
    const allow = (r.headers.get('allow') ?? '').split(',').map((s) => s.trim());
    for (const m of allowed) assert.ok(allow.includes(m), `${method} ${path}: Allow ${allow} has ${m}`);
    assert.ok(!allow.includes(method), `Allow excludes ${method}`);
  }
  await expectProblem(await c.get(`${LD}/nonsense`), 404);
});

test('a query parameter NGSI-LD does not define is InvalidRequest (ETSI 059_01)', async () => {
  await expectProblem(await c.get(`${LD}/entities?type=Thing&invalidParams=x`), 400, 'InvalidRequest');
  await expectProblem(await c.get(`${LD}/types?invalidParams=x`), 400, 'InvalidRequest');
  await expectProblem(await c.post(`${LD}/entities?invalidParams=x`, { id: 'urn:ngsi-ld:Thing:p', type: 'Thing' }),
    400, 'InvalidRequest');
  assert.equal((await c.get(`${LD}/entities/${enc('urn:ngsi-ld:Thing:p')}`)).status, 404, 'nothing was created');
});

test('an unknown options or format value is InvalidRequest (ETSI 018_16)', async () => {
  await expectProblem(await c.get(`${LD}/entities/urn:ngsi-ld:Thing:seed?options=bogus`), 400, 'InvalidRequest');
  await expectProblem(await c.get(`${LD}/entities?type=Thing&options=keyValues,bogus`), 400, 'InvalidRequest');
  await expectProblem(await c.get(`${LD}/entities?type=Thing&format=bogus`), 400, 'InvalidRequest');
  const ok = await c.get(`${LD}/entities/urn:ngsi-ld:Thing:seed?options=keyValues,sysAttrs`);
  assert.equal(ok.status, 200, ok.text);
});
