// Open311 jurisdictions from a configuration file (--open311-catalogue): services,
// departments and deadlines per tenant, and a working calendar whose holidays the deadlines
// skip. The holidays here are the next days of the calendar, computed when the test runs,
// so the deadlines must jump over them. A broken file stops the server with a clear message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, DOTHI_BIN } from './lib/server.mjs';
import { client } from './lib/http.mjs';

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const OFFSET = 7 * 3600e3;
const localDate = (ms) => new Date(ms + OFFSET).toISOString().slice(0, 10);

test('a configured jurisdiction gets its services, and its deadlines skip its holidays', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dothi-o311cfg-'));
  const example = JSON.parse(readFileSync(new URL('../../docs/examples/open311-catalogue.json', import.meta.url)));
  // Today and the next nine days are holidays (local time): nothing counts before day ten.
  const holidays = Array.from({ length: 10 }, (_, i) => localDate(Date.now() + i * 86400e3));
  const firstWorking = Date.parse(`${localDate(Date.now() + 10 * 86400e3)}T00:00:00+07:00`);
  example.jurisdictions['da-nang'].calendar.holidays = holidays;
  example.jurisdictions['da-nang'].calendar.working_days = [];
  example.jurisdictions['hue'] = { services: [{ code: 'den-duong', name_vi: 'Đèn đường hỏng', department: 'Phòng Quản lý đô thị', acknowledge_hours: 8, resolve_days: 3 }] };
  const file = path.join(dir, 'open311.json');
  writeFileSync(file, JSON.stringify(example));
  const server = await startServer({ args: ['--open311-catalogue', file] });
  try {
    const http = client(server.url);
    const services = await http.get('/open311/v2/services.json?jurisdiction_id=da-nang');
    assert.equal(services.status, 200, services.text);
    assert.deepEqual(services.body.map((s) => s.service_code), ['ngap-ung', 'rac-thai', 'xay-dung-trai-phep']);
    const def = await http.get('/open311/v2/services/ngap-ung.xml?jurisdiction_id=da-nang');
    assert.match(def.text, /<code>do-sau-cm<\/code>/);
    assert.equal((await http.get('/open311/v2/services.json?jurisdiction_id=hue')).body[0].service_name, 'Đèn đường hỏng');
    assert.equal((await http.get('/open311/v2/services.json')).status, 404, 'no default jurisdiction without --demo');

    const post = await http.req('POST', '/open311/v2/requests.json', {
      raw: new URLSearchParams({ jurisdiction_id: 'da-nang', service_code: 'rac-thai', lat: '16.0544', long: '108.2022', address_string: '12 Bạch Đằng' }).toString(),
      headers: FORM });
    assert.equal(post.status, 201, post.text);
    const [r] = (await http.get(`/open311/v2/requests/${post.body[0].service_request_id}.json?jurisdiction_id=da-nang`)).body;
    assert.equal(r.agency_responsible, 'Công ty Môi trường đô thị Đà Nẵng');
    // rac-thai: acknowledge within 8 working hours; the days are 07:30-11:30 and 13:30-17:00
    // (7.5 h), so the deadline is 08:00 of the second working day after the holidays.
    const ack = Date.parse(r.acknowledge_by);
    assert.ok(ack >= firstWorking, `${r.acknowledge_by} after the holidays`);
    assert.equal(localDate(ack) > holidays.at(-1), true);
    const local = new Date(ack + OFFSET);
    assert.equal(`${local.getUTCHours()}:${local.getUTCMinutes()}`, '8:0', r.acknowledge_by);
    assert.ok(Date.parse(r.expected_datetime) >= ack, 'never due to be resolved before it is due to be acknowledged');
    // Reports of one jurisdiction are not another's.
    assert.equal((await http.get(`/open311/v2/requests/${r.service_request_id}.json?jurisdiction_id=hue`)).status, 404);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a broken catalogue file stops the server with the file, the place and the reason', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dothi-o311bad-'));
  try {
    for (const [content, reason] of [
      ['{"jurisdictions": {"x": {"services": [{"code": "a", "department": "d"}]}}}', /services\[0\]\.name_vi: required/],
      ['{"jurisdictions": {"x": {"calendar": {"holidays": ["2026-02-30"]}}}}', /holidays: dates as YYYY-MM-DD/],
      ['{"jurisdictions": {"x": {"calendar": {"periods": [["13:00", "12:00"]]}}}}', /period/],
      ['{"jurisdictions": {"x": {"services": [{"code": "a", "name_vi": "A", "department": "d", "attributes": [{"code": "k", "datatype": "colour", "description": "?"}]}]}}}', /datatype/],
      ['not json', /JSON|json/],
    ]) {
      const file = path.join(dir, 'bad.json');
      writeFileSync(file, content);
      const r = spawnSync(DOTHI_BIN, ['serve', '--port', '0', '--data-dir', path.join(dir, 'data'), '--open311-catalogue', file], { encoding: 'utf8', timeout: 20000 });
      assert.notEqual(r.status, 0, content);
      assert.match(r.stderr + r.stdout, new RegExp(file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      assert.match(r.stderr + r.stdout, reason, content);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
