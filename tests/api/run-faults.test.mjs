// Faults around the processes: what the supervisors (conf/run.sh under
// `make run`, spawn-fcgi + multiwatch) do when the set-up breaks or a part
// is killed.
//
// - A broken session key file (`printf short > chat.db.secret`): workers
//   started on it used to exit at once, multiwatch restarted them about
//   2,000 times in 12 s, requests hung, multiwatch gave up and `make run`
//   stopped everything. Now a worker says which file and what is wrong,
//   answers 503 secret_invalid, is not restarted over and over, and serves
//   again (old sessions intact) once the file is mended; run.sh refuses to
//   start on it with the same message.
// - nginx's master killed: run.sh stopped, but the master's two workers kept
//   the port and answered 502 for ever, and the next `make run` could not
//   bind. Now everything in nginx's process group goes with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, createServer } from 'node:net';
import { ROOT, startStack, waitFor } from '../lib/stack.mjs';
import { assertError, users } from './helpers.mjs';
import { workerPids } from '../lib/procs.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Distinct pids that wrote log lines as `program` since `from` (a log offset).
function loggingPids(log, program, from = 0) {
  const text = readFileSync(log, 'utf8').slice(from);
  return new Set([...text.matchAll(new RegExp(`\\b${program}\\[(\\d+)\\]`, 'g'))].map((m) => m[1]));
}

// Live processes whose environment holds `marker` (a KEY=value line).
function marked(marker) {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((pid) => {
    try { return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(marker); } catch { return false; }
  });
}


test('a broken session key file: restarted workers name the file and the fault, answer 503 secret_invalid without respawning, and serve again once it is mended', async () => {
  const stack = await startStack();
  try {
    const [cy] = await users(stack.base, ['cyd']);
    const secret = `${stack.db}.secret`;
    const good = join(stack.dir, 'secret.good');
    copyFileSync(secret, good);
    writeFileSync(secret, 'short');
    const from = readFileSync(stack.log, 'utf8').length;
    const old = workerPids(stack, 'auth');
    for (const pid of old) process.kill(pid, 'SIGKILL');
    await waitFor(() => {
      const now = workerPids(stack, 'auth');
      return now.length >= 1 && now.every((p) => !old.includes(p));
    }, 10000, 'new auth workers');

    const health = await fetch(`${stack.base}/api/health`, { signal: AbortSignal.timeout(5000) });
    const body = await health.json();
    assert.equal(health.status, 503, JSON.stringify(body));
    assert.equal(body.ok, false);
    assert.equal(body.error.code, 'secret_invalid');
    assert.ok(Number(health.headers.get('retry-after')) >= 1);
    assertError(await cy.get('/api/me'), 503, 'secret_invalid', 'a request to a worker without its key');
    const log = readFileSync(stack.log, 'utf8').slice(from);
    assert.ok(log.includes(`session key file ${secret} holds 5 bytes, not the 32`), `the log names the file and the fault:\n${log.slice(-2000)}`);

    await sleep(3000);
    const pids = loggingPids(stack.log, 'auth', from);
    assert.ok(pids.size <= 4, `auth workers started ${pids.size} times in 3 s+ (2 expected): no respawn storm`);

    copyFileSync(good, secret);
    await waitFor(async () => (await cy.get('/api/me')).status === 200, 10000, 'the old session to work again');
    assert.equal((await fetch(`${stack.base}/api/health`)).status, 200);
  } finally {
    await stack.stop();
  }
});

test('run.sh refuses to start workers over a broken session key file, saying which file and what is wrong', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chat-run-secret-'));
  const marker = `CHAT_TEST_STACK=${dir}/refused`;
  try {
    const db = join(dir, 'chat.db');
    writeFileSync(`${db}.secret`, 'short');
    const child = spawn('bash', [join(ROOT, 'conf', 'run.sh'), 'workers'], {
      env: { ...process.env, CHAT_DB: db, CHAT_RUN_DIR: join(dir, 'run'), CHAT_TEST_STACK: `${dir}/refused` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    const code = await new Promise((resolve) => {
      const timer = setTimeout(() => { child.kill('SIGKILL'); resolve('still running after 20 s'); }, 20000);
      child.on('exit', (c) => { clearTimeout(timer); resolve(c); });
    });
    assert.equal(code, 1, err);
    assert.ok(err.includes(`session key file ${db}.secret holds 5 bytes`), err);
    assert.match(err, /not starting/);
    assert.deepEqual(marked(marker), [], 'nothing was started');
    assert.equal(readFileSync(`${db}.secret`, 'utf8'), 'short', 'the broken file is left for the admin');
  } finally {
    for (const pid of marked(marker)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

test('chatroom-spawn (the deployment supervisor) refuses to start over a broken key file, checked as the workers\' user', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chat-spawn-secret-'));
  chmodSync(dir, 0o755); // the workers' user (nobody here) must reach the files
  try {
    const script = join(dir, 'chatroom-spawn');
    const lib = join(ROOT, 'build', 'bin');
    writeFileSync(script, readFileSync(join(ROOT, 'conf', 'deploy', 'chatroom-spawn.in'), 'utf8')
      .replaceAll('@STATE@', dir).replaceAll('@RUN@', join(dir, 'run')).replaceAll('@LIB@', lib));
    const db = join(dir, 'chat.db');
    writeFileSync(`${db}.secret`, 'short');
    chmodSync(`${db}.secret`, 0o644);
    const marker = `CHAT_TEST_STACK=${dir}/spawn`;
    const asUser = process.getuid() === 0 ? { CHAT_USER: 'nobody', CHAT_SOCKET_GROUP: 'nogroup' } : { CHAT_USER: '' };
    const r = spawnSync('sh', [script], {
      env: { ...process.env, ...asUser, CHAT_DB: db, CHAT_TEST_STACK: `${dir}/spawn` },
      encoding: 'utf8',
      timeout: 20000,
    });
    for (const pid of marked(marker)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    assert.equal(r.status, 1, r.stderr);
    assert.ok(r.stderr.includes(`session key file ${db}.secret holds 5 bytes`), r.stderr);
    assert.match(r.stderr, /chatroom-spawn: .*not starting/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function freePort() {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function listening(port) {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

// Live members of process group `pgid`.
function groupMembers(pgid) {
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z' && Number(fields[2]) === pgid) found.push(Number(name));
    } catch { /* gone */ }
  }
  return found;
}

// Processes whose environment names this run's database.
const startedBy = (db) => marked(`CHAT_DB=${db}`);

test('nginx master killed: make run stops, nothing keeps the port, and the next make run serves on it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chat-run-nginx-'));
  const port = await freePort();
  const db = join(dir, 'chat.db');
  const runDir = join(dir, 'run');
  const log = join(dir, 'make-run.log');
  const base = `http://127.0.0.1:${port}`;
  const makeRun = () => spawn('make', ['--no-print-directory', 'run'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), CHAT_DB: db, CHAT_RUN_DIR: runDir, CHAT_NGINX_PROCESSES: '2' },
    stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')],
    detached: true,
  });
  const exited = (child) => child.exitCode !== null || child.signalCode !== null;
  let child = makeRun();
  // nginx processes seen while they ran: the only ones the clean-up may
  // kill (a process group's number can be reused once it is empty).
  const seen = new Set();
  const nginxOf = () => {
    try {
      const master = Number(readFileSync(join(runDir, 'nginx.pid'), 'utf8').trim());
      const group = groupMembers(master);
      for (const pid of group) seen.add(pid);
      return { master, group };
    } catch {
      return { master: 0, group: [] };
    }
  };
  try {
    await waitFor(async () => (await fetch(`${base}/api/me`)).status === 401, 60000, 'make run');
    const { master, group } = nginxOf();
    assert.ok(group.length >= 3, `nginx's master and its 2 workers share a process group: ${group}`);
    process.kill(master, 'SIGKILL');
    await waitFor(() => exited(child), 15000, 'make run to stop after nginx died');
    const orphans = () => group.filter((pid) => pid !== master && groupMembers(master).includes(pid));
    await waitFor(() => orphans().length === 0, 5000, "nginx's workers to go").catch(() => {});
    assert.deepEqual(orphans(), [], 'no orphaned nginx worker is left');
    assert.equal(await listening(port), false, 'nothing listens on the port any more');
    assert.deepEqual(startedBy(db), [], 'no worker is left');

    child = makeRun();
    await waitFor(async () => (await fetch(`${base}/api/me`)).status === 401, 60000, 'the next make run');
    nginxOf();
    assert.equal((await fetch(`${base}/api/health`)).status, 200);
  } finally {
    if (!exited(child)) {
      process.kill(-child.pid, 'SIGINT');
      await waitFor(() => exited(child), 15000, 'make run to stop').catch(() => {});
    }
    const nginxLeft = [...seen].filter((pid) => {
      try { return readFileSync(`/proc/${pid}/cmdline`, 'latin1').startsWith('nginx'); } catch { return false; }
    });
    for (const pid of [...startedBy(db), ...nginxLeft]) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
