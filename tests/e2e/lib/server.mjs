// Starts the real dothi binary on 127.0.0.1 with an ephemeral port and a fresh data dir.
// Readiness is the "serving on http://..." line on stdout; nothing here sleeps.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const DOTHI_BIN = process.env.DOTHI_BIN
  ? path.resolve(process.env.DOTHI_BIN)
  : path.resolve(here, '../../../build/release/src/app/dothi');

export function freshDataDir() {
  return mkdtempSync(path.join(tmpdir(), 'dothi-e2e-'));
}

// options: { dataDir, args: [...extra CLI flags], env: {...} (undefined: unset), keepDataDir,
//   bin (the dothi binary; DOTHI_BIN), prefix: [...] (a command that runs the binary, e.g.
//   setpriv and its flags), readyTimeoutMs (kill the server and fail when it is not serving
//   by then; no limit by default) }
// Returns { url, dataDir, proc, stop(), kill9(), exited, output() }.
export async function startServer(options = {}) {
  const dataDir = options.dataDir ?? freshDataDir();
  const ownsDir = options.dataDir === undefined && !options.keepDataDir;
  const args = ['serve', '--port', '0', '--address', '127.0.0.1', '--data-dir', dataDir,
    '--access-log', options.accessLog ? 'true' : 'false', ...(options.args ?? [])];
  const [command, ...commandArgs] = [...(options.prefix ?? []), options.bin ?? DOTHI_BIN, ...args];
  const proc = spawn(command, commandArgs, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: Object.fromEntries(Object.entries({ ...process.env, ...(options.env ?? {}) })
      .filter(([, v]) => v !== undefined)),
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const url = await new Promise((resolve, reject) => {
    const timer = options.readyTimeoutMs === undefined ? undefined : setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`dothi not serving after ${options.readyTimeoutMs} ms:\n${stdout}${stderr}`));
    }, options.readyTimeoutMs);
    const onData = (chunk) => {
      stdout += chunk;
      const m = /serving on (http:\/\/[^\s]+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        proc.stdout.off('data', onData);
        resolve(m[1].replace(/\/$/, ''));
      }
    };
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', onData);
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (c) => { stderr += c; });
    proc.on('error', reject);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`dothi exited before ready (code ${code}, signal ${signal}):\n${stderr}`));
    });
  });
  // Keep draining stdout so the child never blocks on a full pipe.
  proc.stdout.on('data', (c) => { stdout += c; });

  let cleaned = false;
  const cleanup = () => {
    if (cleaned || !ownsDir) return;
    cleaned = true;
    rmSync(dataDir, { recursive: true, force: true });
  };
  return {
    url,
    dataDir,
    proc,
    exited,
    output: () => ({ stdout, stderr }),
    // SIGTERM and wait for the process to exit; resolves to {code, signal}.
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const r = await exited;
      cleanup();
      return r;
    },
    // SIGKILL (no chance to flush); the data dir is kept for a restart.
    async kill9() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      return exited;
    },
    cleanup,
  };
}
