// The life of an Open311 report after it is taken: staff move it through the workflow with
// an administrator key (every transition recorded with who, when and why), comment on it
// (GET servicerequestupdates), merge duplicates (which follow their original); the reporter
// rates or reopens it with their token; personal data is erased on request without losing
// the report; statistics count it all. Plain Open311 clients see open/closed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { client, LD } from './lib/http.mjs';
import { receiver } from './lib/webhook.mjs';

const ADMIN = 'admin-secret-7f3a';
let server;
let http;
before(async () => {
  server = await startServer({ accessLog: true, args: ['--demo', '--demo-sensors', '100', '--open311-admin-keys', ADMIN] });
  http = client(server.url);
});
after(async () => server?.stop());

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const post = (path, fields) => http.req('POST', `/open311/v2/${path}`, { raw: new URLSearchParams(fields).toString(), headers: FORM });
const report = async (fields = {}) => {
  const r = await post('requests.json', { service_code: 'duong-via-he', lat: '21.0290', long: '105.8530', ...fields });
  assert.equal(r.status, 201, r.text);
  return r.body[0];
};
const staff = (fields) => post('servicerequestupdates.json', { api_key: ADMIN, ...fields });
const get = async (id) => {
  const r = await http.get(`/open311/v2/requests/${id}.json`);
  assert.equal(r.status, 200, r.text);
  return r.body[0];
};
const transitions = async (id) => {
  const e = await http.get(`${LD}/entities/urn:ngsi-ld:ServiceRequest:${id}?options=keyValues`, { headers: { 'NGSILD-Tenant': 'demo' } });
  assert.equal(e.status, 200, e.text);
  return e.body.transitions;
};

test('staff move a report through the workflow; each step is recorded; Open311 sees open, then closed', async () => {
  const { service_request_id: id } = await report({ description: 'ổ gà lớn' });
  const ack = await staff({ service_request_id: id, status: 'acknowledged', by: 'Tổ tiếp nhận phường', description: 'Đã chuyển Đội duy tu' });
  assert.equal(ack.status, 201, ack.text);
  assert.match(ack.body[0].update_id, /^\d+$/);
  let r = await get(id);
  assert.equal(r.status, 'open');
  assert.equal(r.detailed_status, 'acknowledged');
  assert.equal(r.status_notes, 'Đã chuyển Đội duy tu');
  assert.ok(r.acknowledged_datetime);

  assert.equal((await staff({ service_request_id: id, status: 'in_progress', by: 'Đội duy tu' })).status, 201);
  const resolved = await staff({ service_request_id: id, status: 'resolved', by: 'Đội duy tu', description: 'Đã vá', media_url: 'https://anh.example.vn/sau.jpg' });
  assert.equal(resolved.status, 201, resolved.text);
  r = await get(id);
  assert.equal(r.status, 'closed');
  assert.equal(r.detailed_status, 'resolved');
  assert.ok(r.resolved_datetime);
  assert.equal(r.overdue, false);
  assert.equal(r.escalation_level, 0);
  assert.ok((await http.get('/open311/v2/requests.json?status=closed')).body.some((x) => x.service_request_id === id));

  const steps = await transitions(id);
  assert.deepEqual(steps.map((t) => [t.from, t.to]), [['received', 'received'], ['received', 'acknowledged'],
    ['acknowledged', 'in_progress'], ['in_progress', 'resolved']]);
  assert.equal(steps[1].by, 'Tổ tiếp nhận phường');
  assert.equal(steps[1].reason, 'Đã chuyển Đội duy tu');
  assert.ok(steps.every((t) => !Number.isNaN(Date.parse(t.at))));

  // The rest of the platform sees the same report: its state history in the NGSI-LD
  // temporal API, and a feature of the OGC API collection ServiceRequest.
  const history = await http.get(`${LD}/temporal/entities/urn:ngsi-ld:ServiceRequest:${id}?attrs=status_detail&options=temporalValues`,
    { headers: { 'NGSILD-Tenant': 'demo' } });
  assert.equal(history.status, 200, history.text);
  assert.deepEqual(history.body.status_detail.values.map((v) => v[0]), ['received', 'acknowledged', 'in_progress', 'resolved']);
  const feature = await http.get(`/ogc/collections/ServiceRequest/items/urn:ngsi-ld:ServiceRequest:${id}`);
  assert.equal(feature.status, 200, feature.text);
  assert.deepEqual(feature.body.geometry, { type: 'Point', coordinates: [105.8530, 21.0290] });
  assert.equal(feature.body.properties.status, 'closed');

  // The updates, public, in JSON and XML.
  const updates = await http.get(`/open311/v2/servicerequestupdates.json?service_request_id=${id}`);
  assert.equal(updates.status, 200, updates.text);
  assert.deepEqual(updates.body.map((u) => u.detailed_status), ['acknowledged', 'in_progress', 'resolved']);
  assert.equal(updates.body[2].media_url, 'https://anh.example.vn/sau.jpg');
  assert.equal(updates.body[2].status, 'closed');
  const recent = await http.get(`/open311/v2/servicerequestupdates.xml?start_date=${new Date(Date.now() - 3600e3).toISOString()}`);
  assert.match(recent.text, /^<\?xml[^>]*\?><service_request_updates><request_update>/);
  assert.ok(recent.text.includes(`<service_request_id>${id}</service_request_id>`));

  // A move the workflow does not allow: 409, nothing changes.
  const wrong = await staff({ service_request_id: id, status: 'acknowledged' });
  assert.equal(wrong.status, 409, wrong.text);
  assert.match(wrong.body[0].description, /cannot go from resolved to acknowledged/);
  assert.equal((await transitions(id)).length, 4);
});

test('staff actions need the administrator key, and the key never reaches the log', async () => {
  const { service_request_id: id } = await report();
  const none = await post('servicerequestupdates.json', { service_request_id: id, status: 'acknowledged' });
  assert.equal(none.status, 401);
  assert.equal(none.body[0].code, 401);
  const wrong = await post('servicerequestupdates.xml', { service_request_id: id, status: 'acknowledged', api_key: 'guess' });
  assert.equal(wrong.status, 403);
  assert.match(wrong.text, /<code>403<\/code>/);
  assert.equal((await get(id)).detailed_status, 'received');
  assert.equal((await http.get(`/open311/v2/requests/${id}/reporter.json`)).status, 401);
  for (const [fields, message] of [[{ service_request_id: id, status: 'lost' }, /unknown status/],
    [{ service_request_id: 'x', status: 'acknowledged' }, /service_request_id/],
    [{ service_request_id: id }, /needs a status, a description or a media_url/],
    [{ service_request_id: id, status: 'duplicate' }, /needs duplicate_of/]]) {
    const r = await staff(fields);
    assert.equal(r.status, 400, r.text);
    assert.match(r.body[0].description, message);
  }
  assert.equal((await staff({ service_request_id: '999999', status: 'acknowledged' })).status, 404);
  // The key in a query string and a token in a path: the access log shows neither.
  const mine = await report();
  assert.equal((await http.get(`/open311/v2/requests/${mine.service_request_id}/reporter.json?api_key=${ADMIN}`)).status, 200);
  assert.equal((await http.get(`/open311/v2/tokens/${mine.token}.json`)).status, 200);
  // The access line is written after the answer: wait for it on the server's output.
  await new Promise((resolve, reject) => {
    const seen = () => /target=\/open311\/v2\/tokens\/REDACTED\.json/.test(server.output().stdout);
    if (seen()) return resolve();
    const timer = setTimeout(() => reject(new Error('no access log line for the token request')), 20000);
    const onData = () => {
      if (!seen()) return;
      server.proc.stdout.off('data', onData);
      clearTimeout(timer);
      resolve();
    };
    server.proc.stdout.on('data', onData);
  });
  const { stdout, stderr } = server.output();
  for (const secret of [ADMIN, mine.token]) assert.ok(!stdout.includes(secret) && !stderr.includes(secret), `${secret} logged`);
});

test('a merged duplicate follows its original', async () => {
  const original = await report({ service_code: 'cay-xanh', lat: '21.0320', long: '105.8510' });
  const dup = await report({ service_code: 'cay-xanh', lat: '21.03201', long: '105.8510' });
  assert.ok(dup.possible_duplicates.includes(original.service_request_id));
  const self = await staff({ service_request_id: dup.service_request_id, status: 'duplicate', duplicate_of: dup.service_request_id });
  assert.equal(self.status, 409);
  const merged = await staff({ service_request_id: dup.service_request_id, status: 'duplicate', duplicate_of: original.service_request_id, description: 'Trùng phản ánh' });
  assert.equal(merged.status, 201, merged.text);
  let d = await get(dup.service_request_id);
  assert.equal(d.detailed_status, 'duplicate');
  assert.equal(d.duplicate_of, original.service_request_id);
  assert.equal(d.status, 'open', 'the original is still open');
  const openIds = (await http.get('/open311/v2/requests.json?status=open')).body.map((x) => x.service_request_id);
  assert.ok(openIds.includes(dup.service_request_id));
  // A merge into a duplicate is refused.
  const third = await report({ service_code: 'cay-xanh', lat: '21.0320', long: '105.8511' });
  assert.equal((await staff({ service_request_id: third.service_request_id, status: 'duplicate', duplicate_of: dup.service_request_id })).status, 409);
  // The original is resolved: the duplicate shows closed, in both answers.
  await staff({ service_request_id: original.service_request_id, status: 'resolved', description: 'Đã dọn' });
  d = await get(dup.service_request_id);
  assert.equal(d.status, 'closed');
  const closedIds = (await http.get('/open311/v2/requests.json?status=closed')).body.map((x) => x.service_request_id);
  assert.ok(closedIds.includes(dup.service_request_id));
});

test('the reporter rates or reopens a resolved report with their token', async () => {
  const r = await report();
  const early = await post(`requests/${r.service_request_id}/feedback.json`, { token: r.token, rating: '4' });
  assert.equal(early.status, 409, 'not resolved yet');
  await staff({ service_request_id: r.service_request_id, status: 'resolved', description: 'xong' });
  const other = await report();
  const stolen = await post(`requests/${r.service_request_id}/feedback.json`, { token: other.token, rating: '1' });
  assert.equal(stolen.status, 404, 'another report\'s token');
  assert.equal((await post(`requests/${r.service_request_id}/feedback.json`, { token: r.token, rating: '6' })).status, 400);
  assert.equal((await post(`requests/${r.service_request_id}/feedback.json`, { token: r.token })).status, 400);
  const rated = await post(`requests/${r.service_request_id}/feedback.json`, { token: r.token, rating: '2' });
  assert.equal(rated.status, 200, rated.text);
  assert.equal(rated.body[0].rating, 2);
  const reopened = await post(`requests/${r.service_request_id}/feedback.xml`, { token: r.token, reopen: 'true', comment: 'Vẫn còn ổ gà' });
  assert.equal(reopened.status, 200, reopened.text);
  assert.match(reopened.text, /<detailed_status>reopened<\/detailed_status>/);
  const now = await get(r.service_request_id);
  assert.equal(now.status, 'open');
  assert.ok(!('resolved_datetime' in now));
  assert.ok(Date.parse(now.expected_datetime) > Date.now());
  const steps = await transitions(r.service_request_id);
  assert.deepEqual(steps.at(-1), { ...steps.at(-1), from: 'resolved', to: 'reopened', by: 'citizen', reason: 'Vẫn còn ổ gà' });
});

test('personal data is shown to staff only and erased on request; the report stays', async () => {
  const person = { email: 'tran.thi.b@example.vn', phone: '+84 912 000 111', first_name: 'Thị B', last_name: 'Trần' };
  const r = await report(person);
  const seen = await http.get(`/open311/v2/requests/${r.service_request_id}/reporter.json?api_key=${ADMIN}`);
  assert.equal(seen.status, 200, seen.text);
  assert.equal(seen.body[0].email, person.email);
  assert.equal(seen.body[0].phone, person.phone);
  assert.equal((await post(`requests/${r.service_request_id}/erase.json`, { token: 'not-the-token' })).status, 404);
  const erased = await post(`requests/${r.service_request_id}/erase.json`, { token: r.token });
  assert.equal(erased.status, 200, erased.text);
  const after = await http.get(`/open311/v2/requests/${r.service_request_id}/reporter.json?api_key=${ADMIN}`);
  assert.deepEqual([after.body[0].email, after.body[0].phone, after.body[0].first_name, after.body[0].last_name], ['', '', '', '']);
  assert.equal((await get(r.service_request_id)).service_code, 'duong-via-he');
  // The token still works, and staff may erase too.
  assert.equal((await http.get(`/open311/v2/tokens/${r.token}.json`)).body[0].service_request_id, r.service_request_id);
  assert.equal((await post(`requests/${r.service_request_id}/erase.json`, { api_key: ADMIN })).status, 200);
  assert.equal((await post(`requests/${r.service_request_id}/erase.json`, {})).status, 401);
});

test('statistics count states, times, on-time shares and satisfaction, per service, department and ward', async () => {
  const code = 'den-tin-hieu';
  const a = await report({ service_code: code });
  const b = await report({ service_code: code });
  await report({ service_code: code });
  await staff({ service_request_id: a.service_request_id, status: 'acknowledged' });
  await staff({ service_request_id: a.service_request_id, status: 'resolved' });
  await staff({ service_request_id: b.service_request_id, status: 'rejected', description: 'Không thuộc thẩm quyền' });
  await post(`requests/${a.service_request_id}/feedback.json`, { token: a.token, rating: '5' });

  const s = await http.get(`/open311/v2/statistics.json?service_code=${code}&group_by=service`);
  assert.equal(s.status, 200, s.text);
  const [all, one] = s.body;
  assert.equal(all.group, 'all');
  assert.equal(all.total, 3);
  assert.deepEqual(all.by_status, { received: 1, rejected: 1, resolved: 1 });
  assert.equal(all.acknowledged, 2);
  assert.equal(all.acknowledged_on_time_share, 1);
  assert.equal(all.resolved, 1);
  assert.equal(all.resolved_on_time_share, 1);
  assert.ok(all.acknowledge_hours_median >= 0 && all.acknowledge_hours_median < 1);
  assert.equal(all.ratings, 1);
  assert.equal(all.satisfaction_mean, 5);
  assert.deepEqual([one.group, one.key, one.total], ['service', code, 3]);

  const byDept = await http.get('/open311/v2/statistics.json?group_by=department');
  const total = byDept.body[0].total;
  assert.equal(byDept.body.slice(1).reduce((n, g) => n + g.total, 0), total, 'departments add up');
  assert.ok(byDept.body.some((g) => g.key === 'Phòng Quản lý đô thị' || g.key.length > 0));
  const byWard = await http.get('/open311/v2/statistics.xml?group_by=ward');
  assert.match(byWard.text, /<statistics><group><group>all<\/group>/);
  assert.ok(byWard.text.includes('<group>ward</group>'));
  const none = await http.get('/open311/v2/statistics.json?start_date=2020-01-01T00:00:00Z&end_date=2020-02-01T00:00:00Z');
  assert.equal(none.body[0].total, 0);
  assert.equal(none.body[0].satisfaction_mean, null);
  assert.equal((await http.get('/open311/v2/statistics.json?group_by=colour')).status, 400);
  assert.equal((await http.get('/open311/v2/statistics.json?jurisdiction_id=atlantis')).status, 404);
});

test('an NGSI-LD subscription on ServiceRequest hears of new reports and their changes', async () => {
  const hook = await receiver().listen();
  try {
    const sub = await http.post(`${LD}/subscriptions`, {
      id: 'urn:ngsi-ld:Subscription:reports', type: 'Subscription', entities: [{ type: 'ServiceRequest' }],
      notification: { endpoint: { uri: hook.url, accept: 'application/json' }, format: 'keyValues' },
    }, { headers: { 'NGSILD-Tenant': 'demo' } });
    assert.equal(sub.status, 201, sub.text);
    const r = await report({ service_code: 'ngap-ung', 'attribute[do-sau-cm]': '30', 'attribute[loai]': 'tac-cong', email: 'ban.doc@example.vn', phone: '0987654321' });
    const id = `urn:ngsi-ld:ServiceRequest:${r.service_request_id}`;
    const created = await hook.waitFor((n) => n.body.data?.some((e) => e.id === id));
    const entity = created.body.data.find((e) => e.id === id);
    assert.equal(entity.service_code, 'ngap-ung');
    assert.equal(entity.status_detail, 'received');
    assert.deepEqual(entity.location, { type: 'Point', coordinates: [105.8530, 21.0290] });
    for (const secret of ['ban.doc@example.vn', '0987654321']) assert.ok(!JSON.stringify(created.body).includes(secret), 'no personal data');
    await staff({ service_request_id: r.service_request_id, status: 'acknowledged', by: 'Tổ tiếp nhận' });
    const changed = await hook.waitFor((n) => n.body.data?.some((e) => e.id === id && e.status_detail === 'acknowledged'));
    assert.ok(changed);
  } finally {
    await hook.close();
  }
});
