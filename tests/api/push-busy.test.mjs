// The doorbell reaches nchan even when nginx is too busy to read it at once
// (README "Instant delivery (push)"). A worker hands nginx its doorbell over
// the publisher's unix socket and waits 5 ms for the answer; nginx drops a
// request whose client has closed before nginx read it, so a worker that
// closed after those 5 ms lost the ring whenever nginx was busier than that
// (delivering one post to 10,000 streams takes an nginx worker hundreds of
// milliseconds: S7 in `make bench` lost a fifth of its posts that way).
// "Busy" is made certain here by stopping nginx's worker processes
// (SIGSTOP) while the ring is sent and resuming them 300 ms-1.5 s later:
// a post's event must still reach a member's stream, and a revocation by
// chatctl (which exits right after) must still close the stream.
// Without the nchan module: skipped, loudly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { openEvents } from '../lib/events.mjs';
import { ROOT, startStack } from '../lib/stack.mjs';
import { createRoom, join, say, sql, users } from './helpers.mjs';

const MODULE = '/usr/lib/nginx/modules/ngx_nchan_module.so';
const HAVE_NCHAN = existsSync(MODULE);
if (!HAVE_NCHAN) {
  console.error(`!!! SKIPPED push-busy tests: ${MODULE} is missing (make deps installs libnginx-mod-nchan) !!!`);
}
const skip = HAVE_NCHAN ? false : `nchan module missing (${MODULE})`;
const CHATCTL = joinPath(process.env.CHAT_BIN || joinPath(ROOT, 'build', 'bin'), 'chatctl'); // make test SAN=1 sets CHAT_BIN
const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

let stack;
let gates;
let ann;
let room;

before(async () => {
  if (!HAVE_NCHAN) return;
  gates = mkdtempSync(joinPath(tmpdir(), 'chat-gates-'));
  stack = await startStack({ env: { CHAT_POST_BURST: '1000', CHAT_TEST_GATE_DIR: gates } });
  [ann] = await users(stack.base, ['ann']);
  room = await createRoom(ann, 'Main');
  await join(ann, room.id);
});
after(async () => {
  await stack?.stop();
  if (gates) rmSync(gates, { recursive: true, force: true });
});

// nginx's worker processes (the children of its master).
function nginxWorkers() {
  const master = Number(readFileSync(joinPath(stack.dir, 'run', 'nginx.pid'), 'utf8'));
  const pids = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === master) pids.push(Number(name));
    } catch { /* gone */ }
  }
  assert.ok(pids.length > 0, 'nginx has worker processes');
  return pids;
}

// Runs `during` with every nginx worker stopped; resumes them whatever happens.
async function withNginxStopped(during) {
  const pids = nginxWorkers();
  for (const pid of pids) process.kill(pid, 'SIGSTOP');
  try {
    return await during();
  } finally {
    for (const pid of pids) process.kill(pid, 'SIGCONT');
  }
}

async function waitFor(check, ms, what) {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

// A member's stream that has carried a message event (nchan subscribes a
// new stream just after answering 200; README "Instant delivery").
async function liveStream(client) {
  const sub = await openEvents(stack.base, client.cookie, `/api/rooms/${room.id}/events`);
  assert.equal(sub.status, 200, sub.text);
  for (let i = 0; ; i += 1) {
    const msg = await say(ann, room.id, `are you there? ${i}`);
    try {
      for (;;) {
        const { data } = await sub.next(2000);
        if (data.type === 'message' && data.id === msg.id) break;
      }
      await sub.flush(100);
      return sub;
    } catch (e) {
      if (i === 4) throw e;
    }
  }
}

const userId = (name) => Number(sql(stack.db, `SELECT id FROM users WHERE username = '${name}'`));

test('a post\'s doorbell rung while nginx is too busy to read it still reaches the room\'s streams', { skip }, async () => {
  const [ben] = await users(stack.base, ['ben']);
  await join(ben, room.id);
  const sub = await liveStream(ben);
  try {
    // ann's post stops at its gate after the commit, before the ring; nginx
    // is stopped; the gate opens and the worker rings a doorbell nobody reads
    // for 300 ms (its own wait is 5 ms).
    const gate = joinPath(gates, `ring-${userId('ann')}`);
    writeFileSync(gate, '');
    const posting = say(ann, room.id, 'rung while nginx was busy');
    await waitFor(() => existsSync(`${gate}.reached`), 30000, 'the post at its gate');
    await withNginxStopped(async () => {
      rmSync(gate);
      await waitFor(() => !existsSync(gate), 1000, 'the gate to open');
      await sleep(300);
    });
    const msg = await posting;
    let event;
    do {
      event = await sub.next(3000); // rejects when the event never comes
    } while (event.data.type !== 'message');
    assert.deepEqual(event.data, { type: 'message', id: msg.id });
  } finally {
    sub.close();
  }
});

test('a revocation by chatctl while nginx is too busy to read it still closes the stream', { skip }, async () => {
  const [dis] = await users(stack.base, ['dis']);
  await join(dis, room.id);
  const sub = await liveStream(dis);
  try {
    let exited;
    let stderr = '';
    // chatctl sends its DELETE, and the same once more 1 s later
    // (core/streams.h), both while nginx is stopped; before exiting it must
    // wait until nginx has read them.
    await withNginxStopped(async () => {
      const env = { ...process.env, CHAT_PUSH_SOCKET: joinPath(stack.dir, 'run', 'push.sock') };
      const child = spawn(CHATCTL, ['--db', stack.db, 'user', 'disable', 'dis'], { env });
      child.stderr.on('data', (d) => { stderr += d; });
      exited = new Promise((resolve) => { child.on('exit', resolve); });
      await sleep(1500);
    });
    assert.equal(await exited, 0, stderr);
    const done = await Promise.race([sub.ended, sleep(3000).then(() => null)]);
    assert.ok(done !== null, 'the stream is still open 3 s after nginx resumed');
  } finally {
    sub.close();
  }
});
