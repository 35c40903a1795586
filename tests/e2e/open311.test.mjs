// Open311 GeoReport v2 at /open311/v2 (services and service definitions so far), in JSON
// and XML, for the demo jurisdiction: its eight services with Vietnamese and English names,
// attribute definitions, and errors in Open311's own format with the right status.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { client } from './lib/http.mjs';

let server;
let http;
before(async () => {
  server = await startServer({ args: ['--demo', '--demo-sensors', '100'] });
  http = client(server.url);
});
after(async () => server?.stop());

// The text of every <name>...</name> element, in order (the answers are flat enough).
const elements = (xml, name) => [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]);

test('services list in JSON and XML agree, in Vietnamese or English', async () => {
  const json = await http.get('/open311/v2/services.json?jurisdiction_id=demo');
  assert.equal(json.status, 200, json.text);
  assert.match(json.headers.get('content-type'), /application\/json/);
  const codes = json.body.map((s) => s.service_code);
  assert.deepEqual(codes, ['ngap-ung', 'den-duong', 'rac-thai', 'duong-via-he', 'cay-xanh', 'den-tin-hieu', 'tieng-on', 'xay-dung-trai-phep']);
  for (const s of json.body) {
    for (const key of ['service_name', 'description', 'metadata', 'type', 'keywords', 'group']) assert.ok(key in s, `${s.service_code}.${key}`);
    assert.equal(s.type, 'realtime');
  }
  assert.equal(json.body[0].service_name, 'Ngập úng, tắc cống thoát nước');
  assert.equal(json.body[0].metadata, true);
  assert.equal(json.body[3].metadata, false, 'roads and pavements asks no questions');

  const xml = await http.get('/open311/v2/services.xml');  // the default jurisdiction under --demo
  assert.equal(xml.status, 200);
  assert.match(xml.headers.get('content-type'), /text\/xml/);
  assert.ok(xml.text.startsWith('<?xml'));
  assert.deepEqual(elements(xml.text, 'service_code'), codes);
  assert.deepEqual(elements(xml.text, 'service_name'), json.body.map((s) => s.service_name));

  const en = await http.get('/open311/v2/services.json?lang=en');
  assert.equal(en.body[0].service_name, 'Flooding, blocked drain');
  const accept = await http.get('/open311/v2/services.json', { headers: { 'Accept-Language': 'en-GB,en;q=0.9' } });
  assert.equal(accept.body[1].service_name, 'Streetlight out');
});

test('a service definition lists its attributes', async () => {
  const json = await http.get('/open311/v2/services/ngap-ung.json');
  assert.equal(json.status, 200, json.text);
  assert.equal(json.body.service_code, 'ngap-ung');
  const [depth, kind] = json.body.attributes;
  assert.deepEqual([depth.code, depth.datatype, depth.required, depth.order], ['do-sau-cm', 'number', true, 1]);
  assert.equal(kind.datatype, 'singlevaluelist');
  assert.deepEqual(kind.values.map((v) => v.key), ['ngap-duong', 'tac-cong', 'nap-cong']);
  const xml = await http.get('/open311/v2/services/ngap-ung.xml');
  assert.deepEqual(elements(xml.text, 'code'), ['do-sau-cm', 'loai']);
  assert.deepEqual(elements(xml.text, 'key'), ['ngap-duong', 'tac-cong', 'nap-cong']);
  const waste = await http.get('/open311/v2/services/rac-thai.json');
  assert.equal(waste.body.attributes[0].datatype, 'multivaluelist');
});

test('errors come in Open311 format with the right status', async () => {
  const jurisdiction = await http.get('/open311/v2/services.json?jurisdiction_id=atlantis');
  assert.equal(jurisdiction.status, 404);
  assert.deepEqual(jurisdiction.body, [{ code: 404, description: 'jurisdiction_id not found: atlantis' }]);
  const service = await http.get('/open311/v2/services/khong-co.xml');
  assert.equal(service.status, 404);
  assert.deepEqual(elements(service.text, 'code'), ['404']);
  assert.match(elements(service.text, 'description')[0], /service_code not found/);
  const noFormat = await http.get('/open311/v2/services/ngap-ung');
  assert.equal(noFormat.status, 404);
  assert.equal(noFormat.body[0].code, 404);
  const unknown = await http.get('/open311/v2/whatever.xml');
  assert.equal(unknown.status, 404);
  assert.deepEqual(elements(unknown.text, 'code'), ['404']);
  const post = await http.post('/open311/v2/services.json', {});
  assert.equal(post.status, 405);
});
