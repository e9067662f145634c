// Starts the real stack for a test file: nginx and the FastCGI workers
// (conf/run.sh "nginx" and "workers", as two launches so a test can stop and
// restart the workers alone) over a fresh chat.db in a temp folder, on a free
// loopback port. Nothing is mocked. Stopping finds every process of the
// stack by a marker in its environment, so nothing outlives a test file
// whatever process groups or sessions run.sh puts its children in.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUN = join(ROOT, 'conf', 'run.sh');

export function freePort() {
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

// Waits until `check` resolves true, or throws after `ms` (at once when
// `check` throws an error marked `fatal`). A check still unsettled after 2 s
// counts as false and is tried again, whatever it awaits (twice in one
// `make test` a test file stood 12 minutes after its nginx started, no
// request sent and no timer left in the process).
export async function waitFor(check, ms = 10000, what = 'condition') {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const patience = Math.min(2000, Math.max(100, end - Date.now()));
      if (await Promise.race([check(), sleep(patience).then(() => false)])) return;
    } catch (e) {
      if (e?.fatal) throw e; // it will never happen: say so now
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// Live processes whose environment holds `marker` (a KEY=value line).
function pidsWithEnv(marker) {
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(marker)) found.push(Number(name));
    } catch {
      // gone already
    }
  }
  return found;
}

// The fields of /proc/<pid>/stat after the command name (state first), or
// null when the process is gone.
function statOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

// Running (neither gone nor a zombie waiting to be reaped).
function alive(pid) {
  const stat = statOf(pid);
  return stat !== null && stat[0] !== 'Z';
}

// Live children of `pid`.
function childrenOf(pid) {
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = statOf(name);
    if (stat && stat[0] !== 'Z' && Number(stat[1]) === pid) found.push(Number(name));
  }
  return found;
}

function exited(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

function exitOf(child, ms) {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => { clearTimeout(timer); resolve(true); });
  });
}

// Stops one run.sh (started with detached: true) and everything it started.
// SIGTERM goes to run.sh alone, which stops its children in order
// (signalling a whole group at once makes multiwatch respawn workers that die
// before it has seen its own SIGTERM). Whatever is still alive after that, or
// after 300 ms, is killed: every process carrying this launch's marker in its
// environment (run.sh, spawn-fcgi/multiwatch, the workers, wherever run.sh
// put them), plus `extra()` (nginx, which overwrites its environment).
async function stopRun(child, marker, extra = () => []) {
  if (!exited(child)) {
    try { process.kill(child.pid, 'SIGTERM'); } catch { /* gone */ }
    await exitOf(child, 300);
  }
  for (let round = 0; round < 50; round += 1) {
    const pids = [...new Set([...pidsWithEnv(marker), ...extra()])].filter(alive);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await sleep(20);
  }
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
  await exitOf(child, 5000);
}

// nginx's master (from its pid file) and its workers.
function nginxPids(runDir) {
  try {
    const master = Number(readFileSync(join(runDir, 'nginx.pid'), 'utf8').trim());
    return master > 1 && alive(master) ? [master, ...childrenOf(master)] : [];
  } catch {
    return [];
  }
}

/**
 * startStack({env}) → {base, port, dir, db, log, stop(), stopWorkers(), startWorkers({env})}
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
    CHAT_SEARCH_RATE: '100r/s',
    CHAT_SEARCH_BURST: '1000',
    CHAT_SEARCH_ADDR_RATE: '100r/s',
    CHAT_SEARCH_ADDR_BURST: '1000',
    ...env,
  };
  const runDir = fullEnv.CHAT_RUN_DIR;
  const out = openSync(log, 'a');
  // Each launch carries a marker in its environment, inherited by everything
  // it starts, so stop() can find every process of this stack and no other.
  const marker = (mode) => `CHAT_TEST_STACK=${dir}/${mode}`;
  const launch = (mode, extra = {}) => spawn('bash', [RUN, mode], {
    env: { ...fullEnv, ...extra, CHAT_TEST_STACK: `${dir}/${mode}` },
    stdio: ['ignore', out, out],
    detached: true,
  });
  const base = `http://127.0.0.1:${port}`;
  // A probe that never hears back is given up after 2 s and tried again:
  // waitFor's deadline is only checked between probes, so a fetch without a
  // timeout could hang the test file for good (one did, once, while
  // starting under heavy load, with no request reaching the workers).
  const ready = async () => (await fetch(`${base}/api/me`, { signal: AbortSignal.timeout(2000) })).status === 401;
  let workers = launch('workers');
  let nginx = null;
  const stopAll = () => Promise.all([
    stopRun(workers, marker('workers')),
    nginx && stopRun(nginx, marker('nginx'), () => nginxPids(runDir)),
  ]);
  try {
    // The workers create the database; wait for their sockets before nginx starts.
    const running = (child, what) => {
      if (exited(child)) throw Object.assign(new Error(`${what} exited while starting`), { fatal: true });
    };
    await waitFor(() => {
      running(workers, 'run.sh workers');
      return ['auth', 'rooms', 'post', 'poll', 'search'].every((p) => existsSync(join(runDir, `${p}.sock`)));
    }, 10000, 'worker sockets');
    nginx = launch('nginx');
    await waitFor(async () => {
      running(nginx, 'run.sh nginx');
      return ready();
    }, 10000, `stack on ${base}`);
  } catch (e) {
    // Leave nothing running; say what the stack printed.
    await stopAll();
    let printed = '';
    try { printed = readFileSync(log, 'utf8').slice(-3000); } catch { /* none */ }
    if (!process.env.KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
    throw new Error(`${e.message}\n--- stack log ---\n${printed}`);
  }
  return {
    base,
    port,
    dir,
    db,
    log,
    async stopWorkers() {
      await stopRun(workers, marker('workers'));
    },
    // env: extra environment for these workers only (e.g. a clock offset).
    async startWorkers({ env: extra = {} } = {}) {
      workers = launch('workers', extra);
      await waitFor(ready, 10000, 'workers after restart');
    },
    async stop() {
      await stopAll();
      if (!process.env.KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
    },
  };
}
