// Sessions end after an idle limit, which background requests (message
// polls, the room list's refresh timer) do not extend, and after an absolute
// limit, which nothing extends. The stack runs with tiny limits (5 s idle,
// 12 s absolute) so each test takes seconds; the margins allow a slow,
// loaded machine (make test SAN=1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { Client } from '../lib/client.mjs';
import { PASSWORD, assertError, createRoom, join } from './helpers.mjs';

const IDLE_S = 5;
const ABSOLUTE_S = 12;

let stack;

before(async () => {
  stack = await startStack({
    env: {
      CHAT_SESSION_IDLE_HOURS: String(IDLE_S / 3600),
      CHAT_SESSION_DAYS: String(ABSOLUTE_S / 86400),
    },
  });
});
after(() => stack?.stop());

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function login(username, password = PASSWORD) {
  const c = new Client(stack.base);
  const r = await c.post('/api/login', { username, password });
  return { c, r };
}

test(`background polls do not keep a session alive: it ends ${IDLE_S} s after the last thing the person did`, async () => {
  const owner = new Client(stack.base);
  await owner.register('idler');
  const room = await createRoom(owner);
  await join(owner, room.id); // the last activity
  const start = Date.now();
  let ended = null;
  while (Date.now() - start < (IDLE_S + 4) * 1000) {
    const r = await owner.get(`/api/rooms/${room.id}/messages?after=0`);
    const list = await owner.get('/api/rooms'); // the profile page's timer
    const elapsed = (Date.now() - start) / 1000;
    if (r.status === 401) {
      assertError(r, 401, 'not_logged_in');
      assertError(list, 401, 'not_logged_in');
      ended = elapsed;
      break;
    }
    assert.equal(r.status, 200, r.text);
    assert.equal(list.status, 200, list.text);
    await sleep(250);
  }
  assert.ok(ended !== null, 'polling every 250 ms kept the session alive past the idle limit');
  assert.ok(ended >= IDLE_S - 0.5, `ended after ${ended} s, before the idle limit`);
  assertError(await owner.get('/api/me'), 401, 'not_logged_in', 'and it stays ended');
});

test(`what a person does keeps a session past the idle limit, but never past the absolute ${ABSOLUTE_S} s`, async () => {
  const a = new Client(stack.base);
  await a.register('busybee');
  const start = Date.now();
  let lastOk = 0;
  let ended = null;
  while (Date.now() - start < (ABSOLUTE_S + 4) * 1000) {
    const r = await a.get('/api/me');
    const elapsed = (Date.now() - start) / 1000;
    if (r.status !== 200) {
      assertError(r, 401, 'not_logged_in');
      ended = elapsed;
      break;
    }
    lastOk = elapsed;
    await sleep(400);
  }
  assert.ok(lastOk > IDLE_S * 2, `alive at ${lastOk} s, well past the ${IDLE_S} s idle limit`);
  assert.ok(ended !== null, 'activity kept the session alive past the absolute limit');
  assert.ok(ended >= ABSOLUTE_S - 0.5, `ended at ${ended} s, before the absolute limit`);
  const again = await login('busybee');
  assert.equal(again.r.status, 200, 'logging in again starts a new session');
});

