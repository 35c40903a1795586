// JSON-LD @context handling: Link header, inline @context, core context versions,
// remote contexts when fetching is off, and the /jsonldContexts endpoints.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { client, assertProblem, LD, CORE_CONTEXT, linkHeader, enc } from './lib/http.mjs';

let server;
let c;
before(async () => { server = await startServer(); c = client(server.url); });
after(async () => { await server?.stop(); });

const E = (id) => `${LD}/entities/${enc(id)}`;
const USER = { Vehicle: 'http://example.org/vocab/Vehicle', speed: 'http://example.org/vocab/speed', brand: 'http://example.org/vocab/brand' };

async function hostContext(ctx) {
  const r = await c.post(`${LD}/jsonldContexts`, { '@context': ctx });
  assert.equal(r.status, 201, r.text);
  const location = r.headers.get('location');
  assert.ok(location, 'Location of the hosted context');
  // The Location is a path on this server (the ETSI suite reads the id from it); resolved
  // against the URL the client used, it names the context and serves the document.
  assert.match(location, /^\/ngsi-ld\/v1\/jsonldContexts\/[^/]+$/);
  const url = new URL(location, server.url).href;
  const served = await fetch(url);
  assert.equal(served.headers.get('content-type'), 'application/json');
  assert.equal(served.status, 200, url);
  assert.deepEqual((await served.json())['@context'], ctx);
  return url;
}

test('a hosted user context in a Link header drives expansion and compaction', async () => {
  const url = await hostContext(USER);
  const link = { Link: linkHeader(url) };
  const id = 'urn:ngsi-ld:Vehicle:link1';
  const r = await c.post(`${LD}/entities`, {
    id, type: 'Vehicle', speed: { type: 'Property', value: 50 }, colour: { type: 'Property', value: 'red' },
  }, { headers: link });
  assert.equal(r.status, 201, r.text);

  // With the same context the short names come back.
  const withCtx = await c.get(E(id), { headers: link });
  assert.equal(withCtx.body.type, 'Vehicle');
  assert.equal(withCtx.body.speed.value, 50);
  assert.equal(withCtx.body.colour.value, 'red');

  // With only the core context, terms the core context does not know stay expanded.
  const core = await c.get(E(id));
  assert.equal(core.body.type, USER.Vehicle);
  assert.equal(core.body[USER.speed].value, 50);
  assert.equal(core.body.speed, undefined);
  assert.equal(core.body.colour.value, 'red', 'unknown terms use the default vocabulary both ways');

  // Queries expand type and q with the request's context.
  const q1 = await c.get(`${LD}/entities?type=Vehicle&q=${enc('speed==50')}`, { headers: link });
  assert.deepEqual(q1.body.map((e) => e.id), [id]);
  const q2 = await c.get(`${LD}/entities?type=Vehicle`);
  assert.deepEqual(q2.body, [], 'type Vehicle without the context is another IRI');
  const q3 = await c.get(`${LD}/entities?type=${enc(USER.Vehicle)}`);
  assert.deepEqual(q3.body.map((e) => e.id), [id]);

  // Attribute operations too.
  const up = await c.patch(`${E(id)}/attrs/speed`, { value: 60 }, { headers: link });
  assert.equal(up.status, 204, up.text);
  assertProblem(await c.patch(`${E(id)}/attrs/speed`, { value: 70 }), 404, 'ResourceNotFound');
  assert.equal((await c.get(E(id), { headers: link })).body.speed.value, 60);
});

test('inline @context with application/ld+json', async () => {
  const id = 'urn:ngsi-ld:Vehicle:inline1';
  const r = await c.post(`${LD}/entities`, {
    '@context': [USER, CORE_CONTEXT],
    id, type: 'Vehicle', brand: { type: 'Property', value: 'VinFast' },
  }, { headers: { 'Content-Type': 'application/ld+json' } });
  assert.equal(r.status, 201, r.text);
  const core = await c.get(E(id));
  assert.equal(core.body.type, USER.Vehicle);
  assert.equal(core.body[USER.brand].value, 'VinFast');

  // A Link header together with application/ld+json is an error.
  const url = await hostContext(USER);
  const both = await c.post(`${LD}/entities`, { '@context': CORE_CONTEXT, id: 'urn:ngsi-ld:Vehicle:inline2', type: 'Vehicle' },
    { headers: { 'Content-Type': 'application/ld+json', Link: linkHeader(url) } });
  assertProblem(both, 400);
  // @context in an application/json body is refused too.
  const inJson = await c.post(`${LD}/entities`, { '@context': CORE_CONTEXT, id: 'urn:ngsi-ld:Vehicle:inline3', type: 'Vehicle' });
  assertProblem(inJson, 400);
});

test('core context URLs v1.6 to v1.9 are known without fetching', async () => {
  for (const v of ['1.6', '1.7', '1.8', '1.9']) {
    const core = `https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v${v}.jsonld`;
    const id = `urn:ngsi-ld:Thing:core${v}`;
    const r = await c.post(`${LD}/entities`, {
      '@context': core, id, type: 'Thing', location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [1, 2] } },
    }, { headers: { 'Content-Type': 'application/ld+json' } });
    assert.equal(r.status, 201, `${v}: ${r.text}`);
    const got = await c.get(E(id), { headers: { Link: linkHeader(core) } });
    assert.equal(got.status, 200, `${v}: ${got.text}`);
    assert.deepEqual(got.body.location.value.coordinates, [1, 2]);
  }
});

test('remote @context URLs with fetching disabled answer LdContextNotAvailable', async () => {
  const remote = 'http://127.0.0.1:9/not-served/context.jsonld';
  const viaLink = await c.post(`${LD}/entities`, { id: 'urn:ngsi-ld:Thing:r1', type: 'Thing' },
    { headers: { Link: linkHeader(remote) } });
  // GS CIM 009 up to v1.8 (and the ETSI test suite 043_01) say 503; v1.9.1 says 504.
  assert.equal(viaLink.status, 503, viaLink.text);
  assertProblem(viaLink, viaLink.status, 'LdContextNotAvailable');
  const inline = await c.post(`${LD}/entities`, { '@context': [remote], id: 'urn:ngsi-ld:Thing:r2', type: 'Thing' },
    { headers: { 'Content-Type': 'application/ld+json' } });
  assertProblem(inline, viaLink.status, 'LdContextNotAvailable');
  const read = await c.get(`${LD}/entities?type=Thing`, { headers: { Link: linkHeader(remote) } });
  assertProblem(read, viaLink.status, 'LdContextNotAvailable');
  assert.equal((await c.get(E('urn:ngsi-ld:Thing:r1'))).status, 404, 'nothing was created');
});

test('/jsonldContexts: add, list, serve, details, delete', async () => {
  const ctx = { Tree: 'http://example.org/trees/Tree', height: 'http://example.org/trees/height' };
  const url = await hostContext(ctx);
  const localId = url.split('/').pop();

  // The listing names it by the server's own base URL (--base-url), the same path.
  const sameContext = (u) => typeof u === 'string' && u.endsWith(`/ngsi-ld/v1/jsonldContexts/${localId}`);
  const list = await c.get(`${LD}/jsonldContexts`);
  assert.equal(list.status, 200);
  assert.ok(list.body.some(sameContext), `list contains ${localId}`);

  const served = await c.get(`${LD}/jsonldContexts/${enc(localId)}`);
  assert.equal(served.status, 200, served.text);
  assert.deepEqual(served.body['@context'], ctx);

  const details = await c.get(`${LD}/jsonldContexts/${enc(localId)}?details=true`);
  assert.equal(details.status, 200);
  assert.ok(sameContext(details.body.URL), details.body.URL);
  assert.equal(details.body.localId, localId);
  assert.equal(details.body.kind, 'Hosted');

  const hosted = await c.get(`${LD}/jsonldContexts?kind=Hosted&details=true`);
  assert.ok(hosted.body.some((i) => sameContext(i.URL)));
  assert.ok(hosted.body.every((i) => i.kind === 'Hosted'));

  // The hosted URL works in a Link header.
  const id = 'urn:ngsi-ld:Tree:1';
  assert.equal((await c.post(`${LD}/entities`, { id, type: 'Tree', height: { type: 'Property', value: 12 } },
    { headers: { Link: linkHeader(url) } })).status, 201);
  assert.equal((await c.get(E(id))).body[ctx.height].value, 12);

  const del = await c.del(`${LD}/jsonldContexts/${enc(localId)}`);
  assert.equal(del.status, 204, del.text);
  assertProblem(await c.get(`${LD}/jsonldContexts/${enc(localId)}`), 404, 'ResourceNotFound');
  assertProblem(await c.del(`${LD}/jsonldContexts/${enc(localId)}`), 404, 'ResourceNotFound');
  assert.ok(!(await c.get(`${LD}/jsonldContexts`)).body.some(sameContext));

  assertProblem(await c.post(`${LD}/jsonldContexts`, { notAContext: 1 }), 400);
  assertProblem(await c.post(`${LD}/jsonldContexts`, [1, 2]), 400);
  // details must be true or false (052_04_02); reloading the core context is a no-op
  // (051_09_01); reload needs a cached context's URL (051_04_01).
  assertProblem(await c.get(`${LD}/jsonldContexts?details=other`), 400, 'BadRequestData');
  assert.equal((await c.del(`${LD}/jsonldContexts/${enc(CORE_CONTEXT)}?reload=true`)).status, 204);
  assertProblem(await c.del(`${LD}/jsonldContexts/wrong_id_context?reload=true`), 400, 'BadRequestData');
  const coreDel = await c.del(`${LD}/jsonldContexts/${enc(CORE_CONTEXT)}`);
  assert.ok([400, 404].includes(coreDel.status), coreDel.text);
  assertProblem(coreDel, coreDel.status);
});
