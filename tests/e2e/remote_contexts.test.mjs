// Remote @context fetching when the configuration turns it on: a context served by a real
// HTTP server started here on loopback is fetched once, cached, and drives expansion;
// hosts outside the allow-list, missing documents and oversized documents are refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer } from './lib/server.mjs';
import { client, assertProblem, LD, linkHeader } from './lib/http.mjs';

const VOCAB = 'http://example.org/hanoi/';
const CONTEXT = { '@context': { WaterGauge: `${VOCAB}WaterGauge`, level: `${VOCAB}waterLevel` } };
let hits = 0;
let contextServer;
let base;
let server;
let c;

before(async () => {
  contextServer = http.createServer((req, res) => {
    if (req.url === '/ctx.jsonld') {
      hits += 1;
      res.writeHead(200, { 'Content-Type': 'application/ld+json' });
      res.end(JSON.stringify(CONTEXT));
    } else if (req.url === '/big.jsonld') {
      res.writeHead(200, { 'Content-Type': 'application/ld+json' });
      res.end(JSON.stringify({ '@context': { pad: 'x'.repeat(8192) } }));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((resolve) => contextServer.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${contextServer.address().port}`;
  server = await startServer({
    args: ['--allow-remote-contexts=true', '--context-hosts', '127.0.0.1', '--max-context-bytes', '4096'],
  });
  c = client(server.url);
});
after(async () => {
  await server?.stop();
  await new Promise((resolve) => contextServer.close(resolve));
});

test('a remote context is fetched once and drives expansion and compaction', async () => {
  const link = { Link: linkHeader(`${base}/ctx.jsonld`) };
  const id = 'urn:ngsi-ld:WaterGauge:hoan-kiem-1';
  const r = await c.post(`${LD}/entities`, { id, type: 'WaterGauge', level: { type: 'Property', value: 1.82, unitCode: 'MTR' } }, { headers: link });
  assert.equal(r.status, 201, r.text);
  // Without the context the expanded IRIs show: the fetched terms were used on input.
  const plain = await c.get(`${LD}/entities/${encodeURIComponent(id)}`);
  assert.equal(plain.body.type, `${VOCAB}WaterGauge`);
  assert.equal(plain.body[`${VOCAB}waterLevel`].value, 1.82);
  // With it, the short names come back; a query by the short type finds the entity.
  const got = await c.get(`${LD}/entities?type=WaterGauge&q=level>1.5`, { headers: link });
  assert.equal(got.status, 200, got.text);
  assert.equal(got.body.length, 1);
  assert.equal(got.body[0].level.value, 1.82);
  assert.equal(hits, 1, 'fetched once, then served from the cache');
  // The cached context is listed as Cached.
  const list = await c.get(`${LD}/jsonldContexts?details=true&kind=Cached`);
  assert.ok(list.body.some((e) => e.URL === `${base}/ctx.jsonld`), list.text);
});

test('hosts outside the allow-list, missing and oversized contexts are LdContextNotAvailable', async () => {
  const post = (url) => c.post(`${LD}/entities`, { id: 'urn:ngsi-ld:Thing:x', type: 'Thing' }, { headers: { Link: linkHeader(url) } });
  const port = contextServer.address().port;
  assertProblem(await post(`http://localhost:${port}/ctx.jsonld`), 503, 'LdContextNotAvailable');
  assertProblem(await post(`${base}/missing.jsonld`), 503, 'LdContextNotAvailable');
  assertProblem(await post(`${base}/big.jsonld`), 503, 'LdContextNotAvailable');
  assert.equal((await c.get('/health')).status, 200);
});
