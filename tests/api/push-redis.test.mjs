// Push across nginx nodes through Redis (issue 7, README "More than one
// nginx"): a redis-server of the test's own (free loopback port, its own
// folder, no persistence, stopped by pid), two stacks, A and B, each its own
// nginx with nchan and its own FastCGI workers, over ONE chat.db, both with
// CHAT_PUSH_REDIS pointing at that Redis. A member subscribed through A hears
// at once a message posted through B (B's worker rings B's publisher; nchan
// carries it through Redis to A) and then fetches it by polling A; a room
// deleted through A is heard by a subscriber of B. A third stack C over the
// same chat.db without Redis hears nothing of B's post (Redis is what
// carries it), though its stream hears a post made through C itself.
// Skipped loudly without the nchan module or redis-server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { Client } from '../lib/client.mjs';
import { openEvents } from '../lib/events.mjs';
import { freePort, startStack, waitFor } from '../lib/stack.mjs';
import { createRoom, join, say, users } from './helpers.mjs';

const MODULE = '/usr/lib/nginx/modules/ngx_nchan_module.so';
const REDIS = (() => {
  try { return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim(); } catch { return ''; }
})();
const missing = [!existsSync(MODULE) && MODULE, !REDIS && 'redis-server (Debian package redis-server; make deps installs it)']
  .filter(Boolean);
if (missing.length) console.error(`!!! SKIPPED push through Redis: missing ${missing.join(' and ')} !!!`);
const skip = missing.length ? `missing ${missing.join(', ')}` : false;

let redis;
let redisDir;
let a;
let b;
let ann; // through A
let ben; // through A
let annViaB; // ann's session, through B
let cy; // Cyd: walks in and out of rooms to check that a stream is live
let room;

// One Redis command over a raw socket; resolves with the first reply line.
function redisCommand(port, line) {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.write(`${line}\r\n`));
    sock.setEncoding('utf8');
    sock.on('data', (d) => { resolve(d.split('\r\n')[0]); sock.destroy(); });
    sock.on('error', reject);
  });
}

// Ann's session cookie, on another node.
function via(stack, client) {
  const c = new Client(stack.base);
  c.cookie = client.cookie;
  return c;
}

before(async () => {
  if (skip) return;
  redisDir = mkdtempSync(joinPath(tmpdir(), 'chat-redis-'));
  const port = await freePort();
  redis = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--dir', redisDir,
    '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', joinPath(redisDir, 'redis.log')],
  { stdio: 'ignore' });
  redis.port = port;
  await waitFor(async () => (await redisCommand(port, 'PING')) === '+PONG', 10000, 'redis-server');
  const url = `redis://127.0.0.1:${port}`;
  a = await startStack({ env: { CHAT_PUSH_REDIS: url } });
  // B: its own nginx and workers over A's chat.db (and so A's cookie key).
  b = await startStack({ env: { CHAT_PUSH_REDIS: url, CHAT_DB: a.db } });
  [ann, ben, cy] = await users(a.base, ['ann', 'ben', 'cyd']);
  room = await createRoom(ann, 'Shared');
  await join(ann, room.id);
  await join(ben, room.id);
  annViaB = via(b, ann);
});

after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  if (redis && redis.exitCode === null) {
    const gone = new Promise((r) => { redis.once('exit', r); });
    redis.kill('SIGTERM');
    await gone;
  }
  if (redisDir) rmSync(redisDir, { recursive: true, force: true });
});

const eventsPath = (id) => `/api/rooms/${id}/events`;

// Through Redis, nchan subscribes a new stream with a round trip to Redis
// after answering 200, and an event published in between can miss it (the
// page's 2 s poll covers that). So before a test relies on a stream, Cyd
// walks into the room and out again until the stream carries one of those
// members events (it must within 5 s), then the strays are dropped. (In
// nchan's default storage mode some streams never carried one: see README
// "More than one nginx"; run.sh uses nostore.)
async function live(sub, roomId) {
  for (let i = 0; i < 20; i += 1) {
    await cy.post(`/api/rooms/${roomId}/${i % 2 ? 'leave' : 'join'}`);
    try {
      await sub.next(250);
      await cy.post(`/api/rooms/${roomId}/leave`);
      await sub.flush(300);
      return;
    } catch { /* not live yet */ }
  }
  throw new Error('the event stream never carried an event');
}

test('both nginx configurations keep the rooms\' channels in the test\'s Redis', { skip }, () => {
  for (const stack of [a, b]) {
    const conf = readFileSync(joinPath(stack.dir, 'run', 'push-publisher.conf'), 'utf8');
    assert.match(conf, new RegExp(`nchan_redis_server redis://127\\.0\\.0\\.1:${redis.port};`));
    assert.match(conf, /nchan_redis_storage_mode nostore;/);
    assert.match(conf, /nchan_redis_pass chat_push_redis;/);
  }
  assert.notEqual(a.dir, b.dir);
});

test('a member subscribed through nginx A hears at once a post made through nginx B, then polls it via A', { skip }, async () => {
  const { body: before } = await ben.get(`/api/rooms/${room.id}/messages?after=0`);
  const sub = await openEvents(a.base, ben.cookie, eventsPath(room.id));
  assert.equal(sub.status, 200, sub.text);
  try {
    await live(sub, room.id);
    const delays = [];
    for (let i = 0; i < 3; i += 1) {
      const t0 = performance.now();
      const msg = await say(annViaB, room.id, `across ${i}`);
      const event = await sub.next(1500);
      assert.deepEqual(event.data, { type: 'message', id: msg.id });
      delays.push(Math.round(event.at - t0));
      const poll = await ben.get(`/api/rooms/${room.id}/messages?after=${before.cursor}`);
      assert.equal(poll.status, 200, poll.text);
      assert.deepEqual(poll.body.messages.at(-1), msg);
    }
    console.log(`push through Redis, B to A: post-to-event ${delays.join(', ')} ms`);
    for (const d of delays) assert.ok(d < 1000, `event after ${d} ms (the poll alone takes up to 2 s)`);
  } finally {
    sub.close();
  }
});

test('a room deleted through nginx A rings room_deleted for a subscriber of nginx B', { skip }, async () => {
  const doomed = await createRoom(ann, 'Doomed across');
  await join(ben, doomed.id);
  const sub = await openEvents(b.base, ben.cookie, eventsPath(doomed.id));
  assert.equal(sub.status, 200, sub.text);
  try {
    await live(sub, doomed.id);
    const r = await ann.del(`/api/rooms/${doomed.id}`);
    assert.equal(r.status, 204, r.text);
    assert.deepEqual((await sub.next(1500)).data, { type: 'room_deleted' });
  } finally {
    sub.close();
  }
});

test('leaving the room through nginx B closes the member\'s stream held by nginx A (the DELETE crosses Redis)', { skip }, async () => {
  const [dee] = await users(a.base, ['dee']);
  await join(dee, room.id);
  const sub = await openEvents(a.base, dee.cookie, eventsPath(room.id));
  assert.equal(sub.status, 200, sub.text);
  try {
    await live(sub, room.id);
    const t0 = performance.now();
    const r = await via(b, dee).post(`/api/rooms/${room.id}/leave`);
    assert.equal(r.status, 204, r.text);
    const done = await Promise.race([sub.ended, new Promise((res) => { setTimeout(() => res(null), 2000); })]);
    assert.ok(done !== null, 'the stream through A is still open 2 s after leaving through B');
    console.log(`push through Redis: leave via B closed the stream via A after ${Math.round(done - t0)} ms`);
  } finally {
    sub.close();
  }
});

// C's stream must be able to hear at all, or "it did not hear B's post"
// proves nothing: a post made through C itself (C's worker rings C's own
// publisher) is heard on it both before and after the second in which B's
// post must not arrive, so the stream was live the whole time.
test('without Redis a third nginx over the same chat.db does not hear B\'s post (Redis carries it), yet hears its own', { skip }, async () => {
  const c = await startStack({ env: { CHAT_DB: a.db } });
  try {
    await join(ben, room.id);
    const annViaC = via(c, ann);
    const viaC = await openEvents(c.base, ben.cookie, eventsPath(room.id));
    const viaA = await openEvents(a.base, ben.cookie, eventsPath(room.id));
    assert.equal(viaC.status, 200, viaC.text);
    assert.equal(viaA.status, 200, viaA.text);
    try {
      await live(viaA, room.id);
      await viaC.flush(0);
      const own = await say(annViaC, room.id, 'through C itself');
      assert.deepEqual((await viaC.next(1500)).data, { type: 'message', id: own.id }, 'C hears a post made through C');
      const msg = await say(annViaB, room.id, 'only through Redis');
      assert.deepEqual((await viaA.next(1500)).data, { type: 'message', id: msg.id });
      await assert.rejects(viaC.next(1000), /no event within/);
      const again = await say(annViaC, room.id, 'through C again');
      assert.deepEqual((await viaC.next(1500)).data, { type: 'message', id: again.id }, 'C still hears its own');
    } finally {
      viaC.close();
      viaA.close();
    }
  } finally {
    await c.stop();
  }
});
