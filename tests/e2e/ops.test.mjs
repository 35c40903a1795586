// Operations endpoints: /health, /metrics (Prometheus text) and X-Request-Id.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { client, LD, enc } from './lib/http.mjs';

let server;
let c;
before(async () => { server = await startServer(); c = client(server.url); });
after(async () => { await server?.stop(); });

// Parses Prometheus text exposition into [{name, labels, value}].
function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)$/.exec(line);
    assert.ok(m, `valid sample line: ${line}`);
    const labels = {};
    for (const kv of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[kv[1]] = kv[2];
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}
const sample = (ms, name, labels = {}) =>
  ms.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

test('/health answers ok', async () => {
  const r = await c.get('/health');
  assert.equal(r.status, 200);
  assert.equal(r.body.status, 'ok');
});

test('/metrics counts requests by route and status, with a latency histogram', async () => {
  const before = parseMetrics((await c.get('/metrics')).text);
  const count = (ms, route, status) => sample(ms, 'dothi_http_requests_total', { route, status })?.value ?? 0;
  const base201 = count(before, 'ngsi_ld.create_entity', '201');
  const base404 = count(before, 'ngsi_ld.retrieve_entity', '404');

  for (let i = 0; i < 3; i++) {
    assert.equal((await c.post(`${LD}/entities`, { id: `urn:ngsi-ld:M:${i}`, type: 'M' })).status, 201);
  }
  for (let i = 0; i < 2; i++) assert.equal((await c.get(`${LD}/entities/${enc('urn:ngsi-ld:M:none')}`)).status, 404);
  assert.equal((await c.post(`${LD}/entities`, { id: 'urn:ngsi-ld:M:t', type: 'M' }, { headers: { 'NGSILD-Tenant': 'metricsTenant' } })).status, 201);

  const r = await c.get('/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain/);
  assert.match(r.text, /# TYPE dothi_http_requests_total counter/);
  assert.match(r.text, /# TYPE dothi_http_request_duration_seconds histogram/);
  const ms = parseMetrics(r.text);
  assert.equal(count(ms, 'ngsi_ld.create_entity', '201') - base201, 4);
  assert.equal(count(ms, 'ngsi_ld.retrieve_entity', '404') - base404, 2);

  // Histogram: cumulative buckets ending at +Inf == count.
  const buckets = ms.filter((s) => s.name === 'dothi_http_request_duration_seconds_bucket' && s.labels.route === 'ngsi_ld.create_entity');
  assert.ok(buckets.length >= 2);
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i].value >= buckets[i - 1].value, 'buckets are cumulative');
  const inf = buckets.find((b) => b.labels.le === '+Inf');
  const cnt = sample(ms, 'dothi_http_request_duration_seconds_count', { route: 'ngsi_ld.create_entity' });
  assert.equal(inf.value, cnt.value);
  assert.ok(cnt.value >= 4);
  assert.ok(sample(ms, 'dothi_http_request_duration_seconds_sum', { route: 'ngsi_ld.create_entity' }).value > 0);

  // Entities per tenant.
  assert.equal(sample(ms, 'dothi_entities', { tenant: 'default' }).value, 3);
  assert.equal(sample(ms, 'dothi_entities', { tenant: 'metricsTenant' }).value, 1);

  // Store commit counters move with writes.
  const commits = sample(ms, 'dothi_store_commits_total').value;
  assert.ok(commits >= 4, `commits ${commits}`);
  assert.equal((await c.del(`${LD}/entities/${enc('urn:ngsi-ld:M:0')}`)).status, 204);
  const after = parseMetrics((await c.get('/metrics')).text);
  assert.ok(sample(after, 'dothi_store_commits_total').value > commits);
  assert.equal(sample(after, 'dothi_entities', { tenant: 'default' }).value, 2);
  // The WAL holds the pages written since the last checkpoint (10,000 pages: not reached).
  const wal = sample(after, 'dothi_store_wal_pages').value;
  assert.ok(wal > 0, `wal pages ${wal}`);
  assert.equal(sample(after, 'dothi_store_wal_checkpoints_total').value, 0);

  // History merge figures (docs/decisions/0005, 0006): a later write of an attribute waits
  // for its index entry until a merge (--history-merge-rows, 65,536 here: not reached).
  const waiting = sample(after, 'dothi_history_waiting_instances').value;
  const id = 'urn:ngsi-ld:M:h';
  assert.equal((await c.post(`${LD}/entities`, { id, type: 'M', p: { type: 'Property', value: 1 } })).status, 201);
  assert.equal((await c.patch(`${LD}/entities/${enc(id)}/attrs`, { p: { type: 'Property', value: 2 } })).status, 204);
  const later = parseMetrics((await c.get('/metrics')).text);
  assert.equal(sample(later, 'dothi_history_waiting_instances').value, waiting + 1);
  assert.equal(sample(later, 'dothi_history_merged_instances_total').value, 0);
  assert.equal(sample(later, 'dothi_history_merge_seconds_total').value, 0);
  assert.ok(sample(later, 'dothi_store_wal_pages').value > wal, 'the two writes grew the WAL');
});

test('X-Request-Id is echoed, or generated when absent', async () => {
  const id = 'e2e-req-42';
  const r = await c.get('/health', { headers: { 'X-Request-Id': id } });
  assert.equal(r.headers.get('x-request-id'), id);
  const e = await c.get(`${LD}/entities/${enc('urn:ngsi-ld:M:none')}`, { headers: { 'X-Request-Id': id } });
  assert.equal(e.headers.get('x-request-id'), id, 'also on error answers');
  const a = (await c.get('/health')).headers.get('x-request-id');
  const b = (await c.get('/health')).headers.get('x-request-id');
  assert.ok(a && b && a !== b, 'generated ids are unique');
});
