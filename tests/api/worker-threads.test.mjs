// Persistent FastCGI connections (issue 17): conf/run.sh starts each worker
// with CHAT_WORKER_THREADS accepting threads and lets nginx keep connections
// open (fastcgi_keep_conn, an upstream keepalive pool). What must hold: the
// pools of all nginx processes together may keep at most half the threads
// idle, so a new connection always finds a thread; many requests at once
// through every nginx process are all answered; a worker told to stop
// (SIGTERM as systemd does, SIGUSR1 as multiwatch does) ends with all its threads instead
// of hanging in accept(), and its replacement serves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { startStack, waitFor } from '../lib/stack.mjs';
import { PROGRAMS, workerPids } from '../lib/procs.mjs';
import { Client } from '../lib/client.mjs';
import { PASSWORD, createRoom, join, say, users } from './helpers.mjs';

const WORKERS = 2;
const THREADS = 4;
let stack;
let people;
let room;
let gates; // CHAT_TEST_GATE_DIR (core/test_gate.h): logins held at a gate

before(async () => {
  gates = mkdtempSync(joinPath(tmpdir(), 'chat-gates-'));
  stack = await startStack({
    env: { CHAT_WORKERS: String(WORKERS), CHAT_FILES_WORKERS: String(WORKERS), CHAT_WORKER_THREADS: String(THREADS), CHAT_TEST_GATE_DIR: gates },
  });
  people = await users(stack.base, ['thr0', 'thr1', 'thr2', 'thr3']);
  room = await createRoom(people[0], 'Threads');
  for (const p of people) await join(p, room.id);
  await say(people[0], room.id, 'hello');
});
after(async () => {
  await stack?.stop();
  if (gates) rmSync(gates, { recursive: true, force: true });
});

const threadsOf = (pid) => readFileSync(`/proc/${pid}/status`, 'latin1').match(/^Threads:\s+(\d+)/m)[1] * 1;

test('every worker accepts on CHAT_WORKER_THREADS threads, and nginx may keep at most half of them idle', () => {
  // At least: a worker may run threads of its own besides (the checkpointer,
  // the members-event coalescer).
  for (const pid of workerPids(stack)) assert.ok(threadsOf(pid) >= THREADS, `worker ${pid}: ${threadsOf(pid)} threads`);
  const conf = readFileSync(joinPath(stack.dir, 'run', 'nginx.conf'), 'utf8');
  assert.match(conf, /^\s*fastcgi_keep_conn on;/m);
  const pools = [...conf.matchAll(/upstream chat_\w+ \{[^}]*keepalive (\d+);/g)].map((m) => Number(m[1]));
  assert.equal(pools.length, PROGRAMS.length, 'a pool for each program');
  const processes = Number(execFileSync('getconf', ['_NPROCESSORS_ONLN'], { encoding: 'utf8' }).trim());
  assert.match(conf, /^worker_processes auto;/m);
  for (const keep of pools) assert.ok(keep * processes * 2 <= WORKERS * THREADS, `keepalive ${keep} x ${processes} nginx processes`);
});

test('many polls and posts at once, over kept connections, are all answered', async () => {
  for (let round = 0; round < 5; round += 1) {
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 8 === 0
      ? people[i % 4].post(`/api/rooms/${room.id}/messages`, { text: `r${round} ${i}` })
      : people[i % 4].get(`/api/rooms/${room.id}/messages?after=0`))));
    for (const r of replies) assert.ok(r.status === 200 || r.status === 201 || r.status === 429, `${r.status} ${r.text}`);
  }
});

for (const signal of ['SIGTERM', 'SIGUSR1']) {
  test(`a worker told to stop (${signal}: systemd's, multiwatch's) ends with all its threads, and its replacement serves`, async () => {
    const [pid] = workerPids(stack, 'poll');
    assert.ok(pid, 'a poll worker');
    // A kept connection to it first, so one thread is busy with it.
    assert.equal((await people[1].get(`/api/rooms/${room.id}/messages?after=0`)).status, 200);
    process.kill(pid, signal);
    await waitFor(() => !existsSync(`/proc/${pid}`) || /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'latin1')),
      15000, `poll worker ${pid} to stop`);
    await waitFor(() => workerPids(stack, 'poll').length === WORKERS, 15000, 'multiwatch to start another');
    for (let i = 0; i < 10; i += 1) {
      const r = await people[i % 4].get(`/api/rooms/${room.id}/messages?after=0`);
      assert.equal(r.status, 200, r.text);
    }
  });
}

test('requests in progress when their workers are told to stop are answered, however long they take (four logins held 3 s at their gates after SIGTERM)', async () => {
  // Four logins held inside the auth workers: with 2 workers there are only
  // 2 main threads, so at least two are held on other threads. Before, the
  // main thread gave the others 2 s and then exit()ed under them: nginx
  // answered 502 and the logins were lost.
  const held = people.map((p, i) => {
    const gate = joinPath(gates, `login-thr${i}`);
    writeFileSync(gate, '');
    return { gate, reply: new Client(stack.base).post('/api/login', { username: `thr${i}`, password: PASSWORD }) };
  });
  await waitFor(() => held.every((h) => existsSync(`${h.gate}.reached`)), 60000, 'the four logins at their gates');
  const stopped = workerPids(stack, 'auth');
  for (const pid of stopped) process.kill(pid, 'SIGTERM');
  await new Promise((r) => setTimeout(r, 3000));
  for (const h of held) rmSync(h.gate, { force: true });
  for (const [i, h] of held.entries()) {
    const r = await h.reply;
    assert.equal(r.status, 200, `login ${i}: ${r.status} ${r.text}`);
    assert.equal(r.body.user.username, `thr${i}`);
  }
  const gone = (pid) => !existsSync(`/proc/${pid}`) || /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'latin1'));
  await waitFor(() => stopped.every(gone), 15000, 'the stopped auth workers to end');
  await waitFor(() => workerPids(stack, 'auth').length === WORKERS, 15000, 'multiwatch to start others');
  assert.equal((await people[0].get('/api/me')).status, 200);
});
