// Acknowledged citizen reports survive kill -9: under concurrent submissions (some with a
// photo) and staff updates, the server is killed after N acknowledgements; after a restart
// on the same data every acknowledged report is there with its token, its photo and its
// reporter, and every acknowledged update is there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startServer, freshDataDir } from './lib/server.mjs';

const LOOPS = 8;
const KILL_AFTER_ACKS = 300;
const ADMIN = 'durability-admin';
// A 1x1 PNG (IHDR, IDAT, IEND).
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b55' +
  '0000000a4944415478da63600000000200013f5b0a360000000049454e44ae426082', 'hex');

test('every acknowledged report and update survives kill -9', async () => {
  const dataDir = freshDataDir();
  const args = ['--demo', '--demo-sensors', '20', '--open311-admin-keys', ADMIN];
  try {
    const server = await startServer({ dataDir, args });
    const acked = [];   // {id, token, email, photo}
    const updated = new Map();  // id -> acknowledged state
    let acks = 0;
    let killed = null;
    const killOnce = () => { killed ??= server.kill9(); return killed; };

    async function loop(n) {
      for (let k = 0; ; k++) {
        const email = `nguoi.dan.${n}.${k}@example.vn`;
        const form = new FormData();
        for (const [key, v] of Object.entries({ service_code: 'cay-xanh', lat: String(21.02 + n * 0.001), long: String(105.845 + k * 0.0001), email })) form.append(key, v);
        const photo = k % 3 === 0;
        if (photo) form.append('media', new Blob([PNG]), 'a.png');
        let r;
        try {
          r = await fetch(`${server.url}/open311/v2/requests.json`, { method: 'POST', body: form });
        } catch {
          return;  // the server is gone
        }
        const body = await r.json().catch(() => null);
        if (r.status !== 201) return;
        const { service_request_id: id, token } = body[0];
        acked.push({ id, token, email, photo });
        if (++acks === KILL_AFTER_ACKS) killOnce();
        try {
          const u = await fetch(`${server.url}/open311/v2/servicerequestupdates.json`, {
            method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ api_key: ADMIN, service_request_id: id, status: 'acknowledged', description: 'đã nhận' }).toString(),
          });
          await u.arrayBuffer();
          if (u.status === 201) updated.set(id, 'acknowledged');
        } catch {
          return;
        }
      }
    }
    await Promise.all(Array.from({ length: LOOPS }, (_, n) => loop(n)));
    await killOnce();
    assert.ok(acks >= KILL_AFTER_ACKS, `${acks} acknowledged before the kill`);

    const again = await startServer({ dataDir, args });
    try {
      for (const a of acked) {
        const r = await fetch(`${again.url}/open311/v2/requests/${a.id}.json`);
        assert.equal(r.status, 200, `report ${a.id} lost`);
        const [req] = await r.json();
        if (updated.has(a.id)) assert.equal(req.detailed_status, 'acknowledged', `update of ${a.id} lost`);
        if (a.photo) {
          assert.match(req.media_url, /\/open311\/v2\/media\//, `photo of ${a.id}`);
          const p = await fetch(req.media_url);
          assert.equal(p.status, 200, `photo of ${a.id} lost`);
          assert.deepEqual(Buffer.from(await p.arrayBuffer()), PNG);
        }
        const t = await fetch(`${again.url}/open311/v2/tokens/${a.token}.json`);
        assert.equal(t.status, 200, `token of ${a.id} lost`);
        const who = await (await fetch(`${again.url}/open311/v2/requests/${a.id}/reporter.json?api_key=${ADMIN}`)).json();
        assert.equal(who[0].email, a.email, `reporter of ${a.id} lost`);
      }
    } finally {
      await again.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
