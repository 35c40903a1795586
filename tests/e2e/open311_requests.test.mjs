// Open311 GeoReport v2 service requests (citizen reports) on the demo jurisdiction: POST
// requests, GET requests with the spec's filters and defaults, GET requests/{id} and GET
// tokens/{token}, in JSON and XML; each report also an NGSI-LD ServiceRequest entity;
// deadlines, ward routing and possible duplicates; personal data never public; bad input a
// 4xx in Open311's error format with nothing stored; reports survive a restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { client, LD } from './lib/http.mjs';

let server;
let http;
before(async () => {
  server = await startServer({ args: ['--demo', '--demo-sensors', '100', '--open311-max-description-bytes', '500'] });
  http = client(server.url);
});
after(async () => server?.stop());

const elements = (xml, name) => [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]);
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
// POST requests with form fields (an object, or [key, value] pairs for repeated keys).
const submit = (fields, format = 'json', headers = FORM) =>
  http.req('POST', `/open311/v2/requests.${format}`, { raw: new URLSearchParams(fields).toString(), headers });

// Points inside the demo district (Hoàn Kiếm), near Hồ Gươm.
const HO_GUOM = { lat: '21.0287', long: '105.8524' };
const LIGHT = { service_code: 'den-duong', 'attribute[tinh-trang]': 'khong-sang' };
const PERSON = { email: 'nguyen.van.a@example.vn', phone: '0912 345 678', first_name: 'Văn A', last_name: 'Nguyễn', device_id: 'device-xyz-123' };
// Open311's own fields, in every GET requests answer.
const FIELDS = ['service_request_id', 'status', 'status_notes', 'service_name', 'service_code', 'description',
  'agency_responsible', 'service_notice', 'requested_datetime', 'updated_datetime', 'expected_datetime', 'address',
  'address_id', 'zipcode', 'lat', 'long', 'media_url'];

async function count() {
  const r = await http.get('/open311/v2/requests.json');
  assert.equal(r.status, 200, r.text);
  return r.body.length;
}

test('a report is taken, answered with its id and token, and read back in JSON, XML and NGSI-LD', async () => {
  const posted = await submit({ ...LIGHT, ...HO_GUOM, ...PERSON, description: 'Đèn đường trước số 5 Đinh Tiên Hoàng không sáng' });
  assert.equal(posted.status, 201, posted.text);
  assert.equal(posted.body.length, 1);
  const [ack] = posted.body;
  // A service that takes no anonymous reports takes one with a phone number.
  const named = await submit({ service_code: 'xay-dung-trai-phep', ...HO_GUOM, phone: '0912 000 111' });
  assert.equal(named.status, 201, named.text);
  assert.match(ack.service_request_id, /^\d+$/);
  assert.match(ack.token, /^[0-9a-f]{32}$/);
  assert.match(ack.service_notice, /Hạn xác nhận/);

  const one = await http.get(`/open311/v2/requests/${ack.service_request_id}.json`);
  assert.equal(one.status, 200, one.text);
  const [r] = one.body;
  for (const f of FIELDS) assert.ok(f in r, f);
  assert.equal(r.service_request_id, ack.service_request_id);
  assert.equal(r.status, 'open');
  assert.equal(r.detailed_status, 'received');
  assert.equal(r.service_code, 'den-duong');
  assert.equal(r.service_name, 'Đèn chiếu sáng công cộng hỏng');
  assert.equal(r.description, 'Đèn đường trước số 5 Đinh Tiên Hoàng không sáng');
  assert.equal(r.agency_responsible, 'Công ty Chiếu sáng đô thị');
  assert.equal(r.lat, 21.0287);
  assert.equal(r.long, 105.8524);
  assert.match(r.requested_datetime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$/);
  const en = await http.get(`/open311/v2/requests/${ack.service_request_id}.json?lang=en`);
  assert.equal(en.body[0].service_name, 'Streetlight out');

  const xml = await http.get(`/open311/v2/requests/${ack.service_request_id}.xml`);
  assert.equal(xml.status, 200);
  assert.match(xml.headers.get('content-type'), /text\/xml/);
  assert.ok(xml.text.startsWith('<?xml version="1.0" encoding="utf-8"?><service_requests><request>'));
  for (const f of ['service_request_id', 'status', 'service_code', 'description', 'expected_datetime', 'ward']) {
    assert.deepEqual(elements(xml.text, f), [String(r[f])], f);
  }

  const token = await http.get(`/open311/v2/tokens/${ack.token}.xml`);
  assert.equal(token.status, 200);
  assert.deepEqual(elements(token.text, 'service_request_id'), [ack.service_request_id]);
  assert.deepEqual(elements(token.text, 'token'), [ack.token]);
  const tokenJson = await http.get(`/open311/v2/tokens/${ack.token}.json`);
  assert.deepEqual(tokenJson.body, [{ service_request_id: ack.service_request_id, token: ack.token }]);
  assert.equal((await http.get('/open311/v2/tokens/0123456789abcdef0123456789abcdef.json')).status, 404);

  // The same report as an NGSI-LD entity of the demo tenant.
  const entity = await http.get(`${LD}/entities/urn:ngsi-ld:ServiceRequest:${ack.service_request_id}?options=keyValues`,
    { headers: { 'NGSILD-Tenant': 'demo' } });
  assert.equal(entity.status, 200, entity.text);
  assert.equal(entity.body.type, 'ServiceRequest');
  assert.equal(entity.body.service_code, 'den-duong');
  assert.equal(entity.body.status, 'open');
  assert.deepEqual(entity.body.location, { type: 'Point', coordinates: [105.8524, 21.0287] });
  const byType = await http.get(`${LD}/entities?type=ServiceRequest&options=keyValues&limit=1000`, { headers: { 'NGSILD-Tenant': 'demo' } });
  assert.ok(byType.body.some((e) => e.id === entity.body.id));

  // Personal data appears nowhere public.
  for (const text of [one.text, xml.text, entity.text, byType.text, (await http.get('/open311/v2/requests.xml')).text]) {
    for (const secret of Object.values(PERSON)) assert.ok(!text.includes(secret), `${secret} leaked`);
  }
});

test('deadlines follow the working calendar and the report goes to the ward containing it', async () => {
  const posted = await submit({ ...LIGHT, ...HO_GUOM, description: 'deadline check' });
  assert.equal(posted.status, 201, posted.text);
  const [r] = (await http.get(`/open311/v2/requests/${posted.body[0].service_request_id}.json`)).body;
  const requested = Date.parse(r.requested_datetime);
  const ack = Date.parse(r.acknowledge_by);
  const expected = Date.parse(r.expected_datetime);
  // den-duong: acknowledge within 8 working hours (one working day), resolve within 3 days.
  assert.ok(ack >= requested + 8 * 3600e3, 'eight working hours take at least eight hours');
  assert.ok(expected > ack);
  for (const t of [r.acknowledge_by, r.expected_datetime]) {
    // Local (+07:00) time: a weekday, inside office hours (a deadline may end a period).
    const local = new Date(Date.parse(t) + 7 * 3600e3);
    assert.ok(local.getUTCDay() >= 1 && local.getUTCDay() <= 5, `${t} is a weekday`);
    const minutes = local.getUTCHours() * 60 + local.getUTCMinutes();
    assert.ok((minutes > 8 * 60 && minutes <= 12 * 60) || (minutes > 13 * 60 && minutes <= 17 * 60), `${t} in office hours`);
  }
  // Three working days of eight hours: the expected time is 24 working hours after submission,
  // which is at least three calendar days later.
  assert.ok(expected - requested >= 3 * 24 * 3600e3 - 16 * 3600e3);

  const lookup = await http.get(`/planning/v1/lookup?lon=${HO_GUOM.long}&lat=${HO_GUOM.lat}`);
  assert.equal(lookup.status, 200, lookup.text);
  const wardNames = lookup.body.administrative.map((a) => a.fields.find((f) => f.field === 'name')?.value);
  assert.ok(r.ward.length > 0);
  assert.ok(wardNames.includes(r.ward), `${r.ward} among ${wardNames}`);

  // A ward's and a department's lists; nothing is overdue yet.
  const inWard = await http.get(`/open311/v2/requests.json?ward=${encodeURIComponent(r.ward)}`);
  assert.ok(inWard.body.length >= 1 && inWard.body.every((x) => x.ward === r.ward));
  assert.ok(inWard.body.some((x) => x.service_request_id === r.service_request_id));
  assert.deepEqual((await http.get('/open311/v2/requests.json?ward=Nowhere')).body, []);
  const lighting = await http.get(`/open311/v2/requests.json?agency_responsible=${encodeURIComponent('Công ty Chiếu sáng đô thị')}`);
  assert.ok(lighting.body.length >= 1 && lighting.body.every((x) => x.service_code === 'den-duong'));
  assert.deepEqual((await http.get('/open311/v2/requests.json?agency_responsible=Nobody')).body, []);
  assert.deepEqual((await http.get('/open311/v2/requests.json?overdue=true')).body, []);
  assert.equal((await http.get('/open311/v2/requests.json?overdue=maybe')).status, 400);
});

test('an open report of the same service nearby is offered as a possible duplicate', async () => {
  const first = await submit({ service_code: 'cay-xanh', lat: '21.0300', long: '105.8500', description: 'cây đổ' });
  assert.equal(first.status, 201, first.text);
  const id = first.body[0].service_request_id;
  // About 11 m north: a possible duplicate.
  const near = await submit({ service_code: 'cay-xanh', lat: '21.0301', long: '105.8500' }, 'xml');
  assert.equal(near.status, 201, near.text);
  assert.ok(elements(near.text, 'service_request_id').slice(1).includes(id), near.text);
  // About 110 m away, or another service: not.
  const far = await submit({ service_code: 'cay-xanh', lat: '21.0310', long: '105.8500' });
  assert.ok(!far.body[0].possible_duplicates.includes(id));
  const other = await submit({ service_code: 'duong-via-he', lat: '21.0300', long: '105.8500' });
  assert.deepEqual(other.body[0].possible_duplicates, []);
});

test('GET requests filters by id, service, status and dates, newest first, with paging', async () => {
  const ids = [];
  for (const code of ['tieng-on', 'tieng-on', 'duong-via-he']) {
    const r = await submit({ service_code: code, address_string: '12 Hàng Bạc, Hoàn Kiếm' });
    assert.equal(r.status, 201, r.text);
    ids.push(r.body[0].service_request_id);
  }
  const noise = await http.get('/open311/v2/requests.json?service_code=tieng-on');
  assert.deepEqual(noise.body.map((r) => r.service_request_id), [ids[1], ids[0]]);
  assert.equal(noise.body[0].address, '12 Hàng Bạc, Hoàn Kiếm');
  assert.equal(noise.body[0].lat, null);
  const two = await http.get('/open311/v2/requests.json?service_code=tieng-on,duong-via-he');
  assert.deepEqual(two.body.map((r) => r.service_request_id).slice(0, 3), [ids[2], ids[1], ids[0]]);
  // service_request_id overrides the other filters.
  const byId = await http.get(`/open311/v2/requests.xml?service_request_id=${ids[0]},${ids[2]}&service_code=cay-xanh`);
  assert.deepEqual(elements(byId.text, 'service_request_id'), [ids[0], ids[2]]);
  assert.equal((await http.get('/open311/v2/requests.json?status=closed')).body.length, 0);
  const open = await http.get('/open311/v2/requests.json?status=open');
  assert.equal(open.body.length, await count());
  assert.ok(open.body.length >= 3);
  const received = await http.get('/open311/v2/requests.json?status=received');
  assert.equal(received.body.length, open.body.length);
  // Dates: the last hour has them all; a window in the past has none.
  const hourAgo = new Date(Date.now() - 3600e3).toISOString();
  assert.equal((await http.get(`/open311/v2/requests.json?start_date=${hourAgo}`)).body.length, open.body.length);
  const old = await http.get('/open311/v2/requests.json?start_date=2025-01-01T00:00:00Z&end_date=2025-02-01T00:00:00%2B07:00');
  assert.equal(old.status, 200);
  assert.deepEqual(old.body, []);
  // An offset whose '+' was not percent-encoded is read as meant.
  const local = new Date(Date.now() + 7 * 3600e3 - 3600e3).toISOString().slice(0, 19);
  const plus = await http.get(`/open311/v2/requests.json?start_date=${local}+07:00`);
  assert.equal(plus.status, 200, plus.text);
  assert.equal(plus.body.length, open.body.length);
  // Paging.
  const page1 = await http.get('/open311/v2/requests.json?page_size=2');
  const page2 = await http.get('/open311/v2/requests.json?page_size=2&page=2');
  assert.equal(page1.body.length, 2);
  assert.deepEqual([...page1.body, ...page2.body].map((r) => r.service_request_id),
    open.body.slice(0, 2 + page2.body.length).map((r) => r.service_request_id));
});

test('bad input is a 4xx in Open311 format and stores nothing', async () => {
  const before = await count();
  const cases = [
    [{ lat: '21.03', long: '105.85' }, 400, /service_code is required/],
    [{ service_code: 'khong-co', ...HO_GUOM }, 400, /service_code not found/],
    [{ ...LIGHT }, 400, /location is required/],
    [{ ...LIGHT, lat: '21.03' }, 400, /lat and long/],
    [{ ...LIGHT, lat: 'abc', long: '105.85' }, 400, /lat and long/],
    [{ ...LIGHT, lat: '10.77', long: '106.70' }, 400, /outside the jurisdiction/],  // Hồ Chí Minh City
    [{ ...LIGHT, lat: '48.85', long: '2.35' }, 400, /outside the jurisdiction/],
    [{ service_code: 'den-duong', ...HO_GUOM }, 400, /tinh-trang is required/],
    [{ ...LIGHT, ...HO_GUOM, 'attribute[tinh-trang]': 'tat' }, 400, /no such value/],
    [{ ...LIGHT, ...HO_GUOM, 'attribute[khong-biet]': 'x' }, 400, /khong-biet/],
    [{ ...LIGHT, ...HO_GUOM, 'attribute[tinh-trang': 'x' }, 400, /malformed attribute/],
    [{ ...LIGHT, ...HO_GUOM, email: 'not-an-email' }, 400, /email/],
    [{ ...LIGHT, ...HO_GUOM, phone: 'call me' }, 400, /phone/],
    [{ ...LIGHT, ...HO_GUOM, description: 'x'.repeat(501) }, 400, /longer than 500 bytes/],
    [{ ...LIGHT, ...HO_GUOM, media_url: 'javascript:alert(1)' }, 400, /media_url/],
    [{ service_code: 'xay-dung-trai-phep', ...HO_GUOM }, 400, /needs the reporter/],
  ];
  for (const [fields, status, message] of cases) {
    const r = await submit(fields);
    assert.equal(r.status, status, `${JSON.stringify(fields)}: ${r.text}`);
    assert.equal(r.body.length, 1);
    assert.equal(r.body[0].code, status);
    assert.match(r.body[0].description, message, JSON.stringify(fields));
  }
  // The same in XML.
  const xml = await submit({ lat: '21.03', long: '105.85' }, 'xml');
  assert.equal(xml.status, 400);
  assert.deepEqual(elements(xml.text, 'code'), ['400']);
  // Invalid UTF-8 in the description.
  const bad = await http.req('POST', '/open311/v2/requests.json', {
    raw: 'service_code=cay-xanh&lat=21.03&long=105.85&description=%C3%28', headers: FORM });
  assert.equal(bad.status, 400);
  assert.match(bad.body[0].description, /UTF-8/);
  // Unknown jurisdiction: 404; a body that is not a form: 415.
  const nowhere = await submit({ ...LIGHT, ...HO_GUOM, jurisdiction_id: 'atlantis' });
  assert.equal(nowhere.status, 404);
  assert.match(nowhere.body[0].description, /jurisdiction_id not found/);
  const json = await http.post('/open311/v2/requests.json', { service_code: 'cay-xanh' });
  assert.equal(json.status, 415);
  assert.equal(json.body[0].code, 415);
  // Dates and paging of GET requests.
  for (const q of ['start_date=yesterday', 'end_date=2026-13-01T00:00:00Z', 'start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z',
    'start_date=2025-01-01T00:00:00Z&end_date=2025-12-31T00:00:00Z', 'status=lost', 'page=0', 'page_size=1001', 'service_request_id=abc']) {
    const r = await http.get(`/open311/v2/requests.json?${q}`);
    assert.equal(r.status, 400, `${q}: ${r.text}`);
    assert.equal(r.body[0].code, 400);
  }
  assert.equal((await http.get('/open311/v2/requests/999999.json')).status, 404);
  assert.equal((await http.get('/open311/v2/requests.json?jurisdiction_id=atlantis')).status, 404);
  assert.equal(await count(), before, 'nothing was stored');
});

test('reports and tokens survive a restart; api_key is enforced when configured', async () => {
  const dataDir = (await import('node:fs')).mkdtempSync('/tmp/dothi-open311-');
  let s = await startServer({ dataDir, args: ['--demo', '--demo-sensors', '50', '--open311-api-keys', 'k-one,k-two'] });
  try {
    const c = client(s.url);
    const post = (fields) => c.req('POST', '/open311/v2/requests.json', { raw: new URLSearchParams(fields).toString(), headers: FORM });
    const none = await post({ ...LIGHT, ...HO_GUOM });
    assert.equal(none.status, 403);
    assert.equal(none.body[0].code, 403);
    assert.equal((await post({ ...LIGHT, ...HO_GUOM, api_key: 'k-three' })).status, 403);
    const ok = await post({ ...LIGHT, ...HO_GUOM, api_key: 'k-two', ...PERSON });
    assert.equal(ok.status, 201, ok.text);
    const { service_request_id: id, token } = ok.body[0];
    await s.stop();
    s = await startServer({ dataDir, keepDataDir: true, args: ['--demo', '--demo-sensors', '50'] });
    const c2 = client(s.url);
    const again = await c2.get(`/open311/v2/requests/${id}.json`);
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body[0].service_code, 'den-duong');
    assert.deepEqual((await c2.get(`/open311/v2/tokens/${token}.json`)).body, [{ service_request_id: id, token }]);
    // The next report gets a new number.
    const next = await c2.req('POST', '/open311/v2/requests.json', { raw: new URLSearchParams({ ...LIGHT, ...HO_GUOM }).toString(), headers: FORM });
    assert.equal(next.status, 201);
    assert.ok(Number(next.body[0].service_request_id) > Number(id));
  } finally {
    await s.stop();
    (await import('node:fs')).rmSync(dataDir, { recursive: true, force: true });
  }
});
