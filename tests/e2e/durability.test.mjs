// The acknowledged-write proof: under concurrent keep-alive write load, kill -9 the server
// after N acknowledgements, restart on the same data dir and find every acknowledged write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startServer, freshDataDir } from './lib/server.mjs';
import { LD } from './lib/http.mjs';

const LOOPS = 8;
const KILL_AFTER_ACKS = 600;
const PATCHES_PER_ENTITY = 4;

test('every write acknowledged with 201/204 survives kill -9', async () => {
  const dataDir = freshDataDir();
  try {
    const server = await startServer({ dataDir });
    // id -> { created: bool, acked: last acknowledged counter value, sent: highest value sent }
    const state = new Map();
    let acks = 0;
    let killed = null;
    const killOnce = () => { killed ??= server.kill9(); return killed; };

    async function loop(n) {
      for (let k = 0; ; k++) {
        const id = `urn:ngsi-ld:Load:${n}-${k}`;
        const s = { created: false, acked: -1, sent: 0 };
        state.set(id, s);
        try {
          const r = await fetch(`${server.url}${LD}/entities`, {
            method: 'POST', headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ id, type: 'Load', counter: { type: 'Property', value: 0 }, loop: { type: 'Property', value: n } }),
          });
          await r.arrayBuffer();
          if (r.status !== 201) throw new Error(`create ${id}: ${r.status}`);
          s.created = true;
          s.acked = 0;
          if (++acks === KILL_AFTER_ACKS) killOnce();
          for (let v = 1; v <= PATCHES_PER_ENTITY; v++) {
            s.sent = v;
            const p = await fetch(`${server.url}${LD}/entities/${encodeURIComponent(id)}/attrs`, {
              method: 'PATCH', headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify({ counter: { type: 'Property', value: v } }),
            });
            await p.arrayBuffer();
            if (p.status !== 204) throw new Error(`patch ${id}: ${p.status}`);
            s.acked = v;
            if (++acks === KILL_AFTER_ACKS) killOnce();
          }
        } catch (err) {
          if (killed) return;  // the connection died with the server: expected
          throw err;
        }
      }
    }

    await Promise.all(Array.from({ length: LOOPS }, (_, n) => loop(n)));
    const exit = await killed;
    assert.equal(exit.signal, 'SIGKILL');
    assert.ok(acks >= KILL_AFTER_ACKS);

    const restarted = await startServer({ dataDir });
    try {
      let checked = 0;
      for (const [id, s] of state) {
        const r = await fetch(`${restarted.url}${LD}/entities/${encodeURIComponent(id)}?options=keyValues`);
        const body = r.status === 200 ? await r.json() : await r.text();
        if (!s.created) continue;  // never acknowledged: may or may not exist
        assert.equal(r.status, 200, `acknowledged entity ${id} is missing`);
        // The stored counter is the last acknowledged value, or the one in flight at the kill.
        assert.ok(body.counter === s.acked || (body.counter === s.sent && s.sent === s.acked + 1),
          `${id}: stored ${body.counter}, acknowledged ${s.acked}, in flight ${s.sent}`);
        assert.equal(body.loop, Number(id.split(':').pop().split('-')[0]));
        checked++;
      }
      assert.ok(checked >= KILL_AFTER_ACKS / (PATCHES_PER_ENTITY + 1) - LOOPS, `checked ${checked} entities`);
    } finally {
      await restarted.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
