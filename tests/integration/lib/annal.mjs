// Starts and stops real `annal serve` processes for the integration tests.
//
// Every server listens on 127.0.0.1 with `--port 0` (the OS picks a free port; annal logs the
// bound port, which we parse), uses its own temporary data dir, and is stopped by PID: SIGTERM,
// then SIGKILL after a deadline. `stopAll()` (call it from an `after` hook) and a process exit
// hook make sure no server outlives the test file.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '../../..');
export const ANNAL_BIN = process.env.ANNAL_BIN || path.join(REPO_ROOT, 'build', 'annal');

const live = new Set();  // servers not yet known to have exited
const tempDirs = new Set();

process.on('exit', () => {
  for (const s of live) {
    try { process.kill(s.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
});

export function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

// Polls `probe` until it returns a truthy value; throws `what` after `timeoutMs`.
export async function waitFor(probe, { timeoutMs = 20000, intervalMs = 25, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      if (e.fatal) throw e;
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` +
                      (lastError ? ` (last error: ${lastError.message})` : ''));
    }
    await sleep(intervalMs);
  }
}

export async function makeTempDir(prefix = 'annal-it-') {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export async function removeTempDirs() {
  if (process.env.ANNAL_KEEP_TMP) return;
  for (const d of tempDirs) await rm(d, { recursive: true, force: true });
  tempDirs.clear();
}

// The child's environment: ours minus anything that would configure annal behind the test's back.
function cleanEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('ALLSOURCE_') || k.startsWith('ANNAL_') || k === 'PORT') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

// Runs `annal` with `args` to completion (for commands that are expected to exit by themselves).
export function runAnnal(args, { env = {}, timeoutMs = 20000 } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(ANNAL_BIN, args, { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    proc.stdout.on('data', (d) => { stdout += d; });
    proc.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      try { process.kill(proc.pid, 'SIGKILL'); } catch { /* gone */ }
      reject(new Error(`annal ${args.join(' ')} did not exit within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    proc.on('error', (e) => { clearTimeout(timer); reject(e); });
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export class AnnalServer {
  constructor(proc, dataDir) {
    this.proc = proc;
    this.pid = proc.pid;
    this.dataDir = dataDir;
    this.port = null;
    this.log = '';
    this.exitInfo = null;
    this.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        live.delete(this);
        resolve(this.exitInfo);
      });
    });
    const collect = (d) => { this.log += d; };
    proc.stdout.on('data', collect);
    proc.stderr.on('data', collect);
  }

  get url() { return `http://127.0.0.1:${this.port}`; }
  get running() { return this.exitInfo === null; }

  // SIGTERM, wait for exit up to `timeoutMs`, then SIGKILL. Returns {code, signal}.
  async stop({ signal = 'SIGTERM', timeoutMs = 20000 } = {}) {
    if (!this.running) return this.exitInfo;
    this.signal(signal);
    let timer;
    const deadline = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); });
    const outcome = await Promise.race([this.exited, deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.signal('SIGKILL');
      await this.exited;
      throw new Error(`annal (pid ${this.pid}) ignored ${signal} for ${timeoutMs} ms; killed.\n` +
                      this.tail());
    }
    return this.exitInfo;
  }

  // SIGKILL and wait for the process to be gone.
  async kill() {
    if (!this.running) return this.exitInfo;
    this.signal('SIGKILL');
    return this.exited;
  }

  signal(sig) {
    try { process.kill(this.pid, sig); } catch { /* already gone */ }
  }

  tail(lines = 30) { return this.log.split('\n').slice(-lines).join('\n'); }
}

// Starts `annal serve` and waits until /health answers 200. Rejects (with the server's output)
// if the process exits first or the deadline passes. `rawArgs` replaces the default
// `--data-dir <tmp> --host 127.0.0.1 --port 0` (the caller then owns those settings).
export async function startAnnal({ dataDir, args = [], rawArgs, env = {}, readyTimeoutMs = 30000 } = {}) {
  if (!rawArgs) dataDir ??= await makeTempDir();
  const argv = rawArgs ? ['serve', ...rawArgs]
    : ['serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0', ...args];
  const proc = spawn(ANNAL_BIN, argv, { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const server = new AnnalServer(proc, dataDir);
  live.add(server);
  const spawnError = new Promise((_, reject) => proc.on('error', reject));

  const ready = waitFor(async () => {
    if (!server.running) {
      throw Object.assign(new Error(`annal exited early (${JSON.stringify(server.exitInfo)}):\n${server.tail()}`),
                          { fatal: true });
    }
    if (server.port === null) {
      const m = /listening on http:\/\/[^\s]*:(\d+)/.exec(server.log);
      if (!m) return false;
      server.port = Number(m[1]);
    }
    const res = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  }, { timeoutMs: readyTimeoutMs, what: `annal on ${dataDir} to answer /health` });

  let started = false;
  const exitedEarly = server.exited.then(() => {
    if (!started) {
      throw new Error(`annal exited during start-up (${JSON.stringify(server.exitInfo)}):\n${server.tail()}`);
    }
  });
  try {
    await Promise.race([ready, spawnError, exitedEarly]);
  } catch (e) {
    await server.kill();
    throw e;
  } finally {
    started = true;
  }
  return server;
}

// Stops every server still running (SIGKILL after the deadline) and removes the temp dirs.
export async function stopAll() {
  const errors = [];
  for (const s of [...live]) {
    try { await s.stop({ timeoutMs: 10000 }); } catch (e) { errors.push(e); }
  }
  await removeTempDirs();
  if (errors.length) throw errors[0];
}
