// Starts the real stack for a test file: nginx and the FastCGI workers
// (conf/run.sh "nginx" and "workers", as two process groups so a test can
// stop and restart the workers alone) over a fresh chat.db in a temp folder,
// on a free loopback port. Nothing is mocked.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUN = join(ROOT, 'conf', 'run.sh');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Waits until `check` resolves true, or throws after `ms`.
export async function waitFor(check, ms = 10000, what = 'condition') {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// Stops a process group started with detached: true, and waits for it.
// SIGTERM goes to run.sh alone, which stops what it started in order
// (signalling the whole group at once makes multiwatch respawn workers that
// die before it has seen its own SIGTERM, and the group then lingers until
// the SIGKILL). Whatever is left of the group afterwards is killed.
function stopGroup(child) {
  const killGroup = () => {
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
  };
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    if (child) killGroup();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(killGroup, 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      killGroup();
      resolve();
    });
    try { process.kill(child.pid, 'SIGTERM'); } catch { clearTimeout(timer); killGroup(); resolve(); }
  });
}

/**
 * startStack({env}) → {base, port, dir, db, log, stop(), stopWorkers(), startWorkers()}
 * env: extra environment for run.sh and the workers (e.g. CHAT_POST_BURST).
 */
export async function startStack({ env = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'chat-test-'));
  const port = await freePort();
  const db = join(dir, 'chat.db');
  const log = join(dir, 'stack.log');
  const fullEnv = {
    ...process.env,
    PORT: String(port),
    CHAT_DB: db,
    CHAT_RUN_DIR: join(dir, 'run'),
    CHAT_AUTH_RATE: '50r/s',
    CHAT_AUTH_BURST: '100',
    ...env,
  };
  const out = openSync(log, 'a');
  const launch = (mode) =>
    spawn('bash', [RUN, mode], { env: fullEnv, stdio: ['ignore', out, out], detached: true });
  const base = `http://127.0.0.1:${port}`;
  let workers = launch('workers');
  // The workers create the database; wait for their sockets before nginx starts.
  await waitFor(async () => {
    const { existsSync } = await import('node:fs');
    return ['auth', 'rooms', 'post', 'poll'].every((p) => existsSync(join(dir, 'run', `${p}.sock`)));
  }, 10000, 'worker sockets');
  const nginx = launch('nginx');
  const ready = async () => (await fetch(`${base}/api/me`)).status === 401;
  await waitFor(ready, 10000, `stack on ${base} (log: ${log})`);
  return {
    base,
    port,
    dir,
    db,
    log,
    async stopWorkers() {
      await stopGroup(workers);
    },
    async startWorkers() {
      workers = launch('workers');
      await waitFor(ready, 10000, 'workers after restart');
    },
    async stop() {
      await Promise.all([stopGroup(workers), stopGroup(nginx)]);
      if (!process.env.KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
    },
  };
}
