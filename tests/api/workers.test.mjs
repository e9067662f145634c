// The workers going away and coming back: while they are down, /api answers
// JSON 503 unavailable with Retry-After (from nginx, conf/api-errors.conf)
// and the pages are still served; once they are back, sessions, cursors and
// every acknowledged message are intact, and a send retried with its
// client_id is stored once. A single worker that dies is replaced by
// multiwatch without the API noticing. A database held locked past the busy
// timeout answers 503 busy with Retry-After while reads go on (WAL).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { startStack } from '../lib/stack.mjs';
import { count, createRoom, drain, holdWriteLock, join, say, users } from './helpers.mjs';
import { workerPids } from '../lib/procs.mjs';

let stack;
let una;
let vic;
let room;
let vicCursor;
const acked = [];

before(async () => {
  stack = await startStack({ env: { CHAT_POST_BURST: '1000', CHAT_BUSY_TIMEOUT_MS: '300' } });
  [una, vic] = await users(stack.base, ['una', 'vic']);
  room = await createRoom(una, 'Outage');
  await join(una, room.id);
  vicCursor = (await join(vic, room.id)).cursor;
});
after(() => stack?.stop());

const path = () => `/api/rooms/${room.id}/messages`;

test('with the workers stopped, /api answers JSON 503 unavailable with Retry-After and security headers; pages are still served', async () => {
  for (let i = 0; i < 5; i += 1) acked.push(await say(una, room.id, `before the outage ${i}`));
  await stack.stopWorkers();
  const requests = [
    ['GET /api/me', () => una.get('/api/me')],
    ['poll', () => vic.get(`${path()}?after=${vicCursor}`)],
    ['post', () => una.post(path(), { text: 'during the outage', client_id: 'outage-1' })],
    ['login', () => una.post('/api/login', { username: 'una', password: 'whatever' })],
    ['rooms', () => una.get('/api/rooms')],
  ];
  for (const [what, send] of requests) {
    const r = await send();
    assert.equal(r.status, 503, `${what}: ${r.status} ${r.text}`);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/, what);
    assert.equal(r.body?.error?.code, 'unavailable', `${what}: ${r.text}`);
    assert.equal(typeof r.body?.error?.message, 'string', what);
    assert.ok(Number(r.headers.get('retry-after')) >= 1, `${what}: Retry-After ${r.headers.get('retry-after')}`);
    assert.equal(r.headers.get('cache-control'), 'no-store', what);
    assert.match(r.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, what);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', what);
  }
  const page = await fetch(`${stack.base}/rooms/${room.id}`);
  assert.equal(page.status, 200, 'the room page itself is static');
  assert.match(page.headers.get('content-type'), /^text\/html/);
});

test('after the workers restart, the session, the cursor and every acknowledged message are intact; the retried send is stored once', async () => {
  await stack.startWorkers();
  const me = await una.get('/api/me');
  assert.equal(me.status, 200, 'the cookie from before the outage still works');
  assert.equal(me.body.room.id, room.id, 'and the user is still in the room');
  assert.equal(count(stack.db, 'messages', "client_id = 'outage-1'"), 0, 'the send during the outage was not stored');
  const retry = await una.post(path(), { text: 'during the outage', client_id: 'outage-1' });
  assert.equal(retry.status, 201, retry.text);
  acked.push(retry.body.message);
  const again = await una.post(path(), { text: 'during the outage', client_id: 'outage-1' });
  assert.equal(again.status, 200, 'a second retry finds the stored message');
  acked.push(await say(vic, room.id, 'after the outage'));
  const { messages } = await drain(vic, room.id, vicCursor);
  assert.deepEqual(messages, acked, "vic's poll resumes from his cursor with every message exactly once");
});


test('a worker that dies is replaced, and the API keeps answering', async () => {
  const before = workerPids(stack, 'post');
  assert.ok(before.length >= 1, 'post workers found');
  for (const pid of before) process.kill(pid, 'SIGKILL');
  // Until multiwatch restarts them (about a second), posts may get 502; a
  // client that retries with its client_id gets every message stored once.
  const sent = [];
  for (let i = 0; i < 3; i += 1) {
    const body = { text: `after the crash ${i}`, client_id: `crash-${i}` };
    const deadline = Date.now() + 10000;
    let r;
    do {
      r = await una.post(path(), body);
      if (r.status >= 500) await new Promise((res) => setTimeout(res, 100));
    } while (r.status >= 500 && Date.now() < deadline);
    assert.equal(r.status, 201, r.text);
    sent.push(r.body.message);
  }
  const after = workerPids(stack, 'post');
  assert.ok(after.length >= 1 && after.every((p) => !before.includes(p)), `new workers ${after} replace ${before}`);
  assert.equal(count(stack.db, 'messages', "client_id LIKE 'crash-%'"), 3);
  const { messages } = await drain(una, room.id, acked.at(-1).id);
  assert.deepEqual(messages, sent);
});

test('a database held locked past the busy timeout answers 503 busy with Retry-After; reads go on; writes resume after', async () => {
  // Another process takes SQLite's write lock and keeps it.
  const lock = await holdWriteLock(stack.db);
  try {
    const before = count(stack.db, 'messages');
    const r = await una.post(path(), { text: 'while locked', client_id: 'locked-1' });
    assert.equal(r.status, 503, r.text);
    assert.equal(r.body.error.code, 'busy');
    assert.ok(Number(r.headers.get('retry-after')) >= 1, `Retry-After ${r.headers.get('retry-after')}`);
    const poll = await vic.get(`${path()}?after=0`);
    assert.equal(poll.status, 200, 'a reader is not blocked by the writer');
    assert.equal(count(stack.db, 'messages'), before);
  } finally {
    await lock.release();
  }
  const r = await una.post(path(), { text: 'while locked', client_id: 'locked-1' });
  assert.equal(r.status, 201, r.text);
});
