// `dothi serve` reads its options from a TOML file (--config) and DOTHI_* environment
// variables as well as flags; flags win over the environment, which wins over the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, readFileSync, copyFileSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, DOTHI_BIN } from './lib/server.mjs';
import { client, assertProblem, LD } from './lib/http.mjs';

async function seed(c, n) {
  const entities = [];
  for (let i = 0; i < n; i++) entities.push({ id: `urn:ngsi-ld:Thing:${i}`, type: 'Thing', n: { type: 'Property', value: i } });
  const r = await c.post(`${LD}/entityOperations/create`, entities);
  assert.equal(r.status, 201, r.text);
}

test('a TOML config file and DOTHI_* variables set the limits', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dothi-config-'));
  const file = path.join(dir, 'dothi.toml');
  writeFileSync(file, 'max-page-size = 7\ndefault-page-size = 3\n');
  const server = await startServer({ args: ['--config', file], env: { DOTHI_MAX_BATCH_ENTITIES: '12' } });
  try {
    const c = client(server.url);
    await seed(c, 10);
    // default-page-size from the file
    const page = await c.get(`${LD}/entities?type=Thing`);
    assert.equal(page.status, 200, page.text);
    assert.equal(page.body.length, 3);
    // max-page-size from the file
    assert.equal((await c.get(`${LD}/entities?type=Thing&limit=7`)).body.length, 7);
    assertProblem(await c.get(`${LD}/entities?type=Thing&limit=8`), 403, 'TooManyResults');
    // max-batch-entities from the environment
    const batch = [];
    for (let i = 0; i < 13; i++) batch.push({ id: `urn:ngsi-ld:Other:${i}`, type: 'Other' });
    assertProblem(await c.post(`${LD}/entityOperations/create`, batch), 413);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

// glibc reads its malloc tunables only at start: `serve` executes its binary again once
// with the thread cache size added to GLIBC_TUNABLES (--malloc-tcache, main.cc).
test('serve starts itself again with a larger malloc thread cache, keeping its pid and name', async () => {
  const environOf = (pid) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  const server = await startServer({ env: { GLIBC_TUNABLES: undefined } });
  try {
    assert.ok(environOf(server.proc.pid).includes('GLIBC_TUNABLES=glibc.malloc.tcache_count=64'),
      'the running image got the tunable');
    assert.equal(readFileSync(`/proc/${server.proc.pid}/comm`, 'utf8').trim(), 'dothi');
    assert.equal((await client(server.url).get('/health')).status, 200);
  } finally {
    await server.stop();
  }
  // 0 leaves glibc's default: no second start, no tunable.
  const off = await startServer({ args: ['--malloc-tcache', '0'], env: { GLIBC_TUNABLES: undefined } });
  try {
    assert.ok(!environOf(off.proc.pid).some((v) => v.startsWith('GLIBC_TUNABLES=')));
  } finally {
    await off.stop();
  }
  // A thread cache size the user set is kept as it is.
  const own = await startServer({ env: { GLIBC_TUNABLES: 'glibc.malloc.tcache_count=9' } });
  try {
    assert.ok(environOf(own.proc.pid).includes('GLIBC_TUNABLES=glibc.malloc.tcache_count=9'));
  } finally {
    await own.stop();
  }
  const bad = spawnSync(DOTHI_BIN, ['serve', '--malloc-tcache', '70000'], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr + bad.stdout, /malloc-tcache/);
});

// A binary with file capabilities (to bind port 80, say) run by an ordinary user puts glibc
// in secure mode, where it erases malloc tunables: serve must start once and serve, not
// execute itself again and again. Needs root (setcap) and setcap/setpriv (libcap2-bin,
// util-linux).
const canSetcap = process.getuid?.() === 0 &&
  spawnSync('sh', ['-c', 'command -v setcap && command -v setpriv']).status === 0;
test('serve with file capabilities, run by an unprivileged user, starts once', { skip: !canSetcap && 'needs root and setcap' }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dothi-caps-'));
  chmodSync(dir, 0o755);
  try {
    const bin = path.join(dir, 'dothi');
    copyFileSync(DOTHI_BIN, bin);
    chmodSync(bin, 0o755);
    const caps = spawnSync('setcap', ['cap_net_bind_service=+ep', bin], { encoding: 'utf8' });
    assert.equal(caps.status, 0, caps.stderr);
    const data = path.join(dir, 'data');
    mkdirSync(data);
    chmodSync(data, 0o777);
    // Started over and over, it would never get to serving.
    const server = await startServer({
      bin, prefix: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'],
      dataDir: data, env: { GLIBC_TUNABLES: undefined }, readyTimeoutMs: 20000,
    });
    try {
      assert.equal((await client(server.url).get('/health')).status, 200);
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a flag wins over the environment', async () => {
  const server = await startServer({ args: ['--max-page-size', '4'], env: { DOTHI_MAX_PAGE_SIZE: '50' } });
  try {
    const c = client(server.url);
    await seed(c, 6);
    assert.equal((await c.get(`${LD}/entities?type=Thing&limit=4`)).status, 200);
    assertProblem(await c.get(`${LD}/entities?type=Thing&limit=5`), 403, 'TooManyResults');
  } finally {
    await server.stop();
  }
});

test('every serve option has help text and `version` prints the version', () => {
  const help = spawnSync(DOTHI_BIN, ['serve', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  for (const flag of ['--port', '--data-dir', '--max-body-bytes', '--max-page-size', '--config', '--demo']) {
    assert.match(help.stdout, new RegExp(`${flag}\\b[^\\n]*\\S`), flag);
  }
  const version = spawnSync(DOTHI_BIN, ['version'], { encoding: 'utf8' });
  assert.equal(version.status, 0);
  assert.match(version.stdout, /^dothi \d+\.\d+\.\d+/);
});

test('an unknown key or a malformed config file stops start-up with a clear message', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dothi-config-'));
  try {
    const bad = path.join(dir, 'bad.toml');
    writeFileSync(bad, 'max-page-sise = 7\n');
    let r = spawnSync(DOTHI_BIN, ['serve', '--config', bad, '--port', '0', '--data-dir', dir], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /unknown option max-page-sise/);
    writeFileSync(bad, 'port = = 1\n');
    r = spawnSync(DOTHI_BIN, ['serve', '--config', bad, '--port', '0', '--data-dir', dir], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /config file .*line 1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
