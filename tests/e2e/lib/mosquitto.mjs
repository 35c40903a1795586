// Starts a real Mosquitto broker (Debian package mosquitto) on 127.0.0.1 and a free port,
// anonymous, without persistence. Readiness: a TCP connect succeeds (polled, no sleeping).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function connects(port) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

// Returns { port, url(topic), stop() }; start it again on the same port with startMosquitto(port).
export async function startMosquitto(port) {
  port = port ?? await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'dothi-mosquitto-'));
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const bin = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';
  const proc = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const deadline = Date.now() + 10000;
  while (!(await connects(port))) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`mosquitto did not start: ${stderr}`);
    await new Promise((ok) => setImmediate(ok));
  }
  return {
    port,
    url: (topic) => `mqtt://127.0.0.1:${port}/${topic}`,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
