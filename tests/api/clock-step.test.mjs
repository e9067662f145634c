// The wall clock stepping back (an NTP correction) under the rate limits.
// The workers are restarted with CHAT_TEST_CLOCK_OFFSET_MS=-3600000, so
// their clock stands an hour behind the one that filled the buckets, as
// after a one-hour step back. An empty post bucket must refill from the step
// on and a full login bucket drain from it, and each 429's Retry-After must
// be kept: waiting it is enough. Before the fix the post bucket answered 429
// `Retry-After: 1` for the whole hour and the login bucket stayed shut for
// the hour plus its window.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { Client } from '../lib/client.mjs';
import { assertError, createRoom, join, users, PASSWORD } from './helpers.mjs';

const HOUR_BACK = { CHAT_TEST_CLOCK_OFFSET_MS: String(-3600 * 1000) };
const sleep = (s) => new Promise((r) => setTimeout(r, s * 1000));

let stack;
let una;
let room;

before(async () => {
  stack = await startStack({
    env: {
      CHAT_POST_BURST: '2',
      CHAT_POST_RATE: '1',
      CHAT_LOGIN_PAIR_BURST: '2',
      CHAT_LOGIN_WINDOW_MINUTES: '0.1', // 6 s: a unit of the pair bucket drains in 3 s
    },
  });
  [una] = await users(stack.base, ['una']);
  room = await createRoom(una, 'Clock');
  await join(una, room.id);
});
after(() => stack?.stop());

const post = (text) => una.post(`/api/rooms/${room.id}/messages`, { text });
const login = (password) => new Client(stack.base).post('/api/login', { username: 'una', password });

test('after the clock steps back an hour, an empty post bucket and a full login bucket open again when their Retry-After says', async () => {
  // Empty the post bucket and fill the login pair bucket with the clock as it was.
  for (let i = 0; i < 2; i += 1) assert.equal((await post(`before ${i}`)).status, 201);
  assertError(await post('one too many'), 429, 'rate_limited');
  for (let i = 0; i < 2; i += 1) assertError(await login('wrong password'), 401, 'invalid_credentials');
  assertError(await login(PASSWORD), 429, 'rate_limited', 'the pair bucket is full');

  await stack.stopWorkers();
  await stack.startWorkers({ env: HOUR_BACK });

  // Post: still empty (no time has passed as far as anyone can tell), and
  // the Retry-After is short and kept.
  const refused = await post('right after the step');
  assertError(refused, 429, 'rate_limited');
  const wait = Number(refused.headers.get('retry-after'));
  assert.ok(wait >= 1 && wait <= 2, `Retry-After ${wait}`);
  await sleep(wait);
  const sent = await post('after waiting as told');
  assert.equal(sent.status, 201, `the post bucket refills after the step: ${sent.text}`);

  // Login: the full pair bucket drains from the step on, within its window.
  const locked = await login(PASSWORD);
  assertError(locked, 429, 'rate_limited');
  const lockWait = Number(locked.headers.get('retry-after'));
  assert.ok(lockWait >= 1 && lockWait <= 7, `Retry-After ${lockWait} is within the 6 s window, not the hour`);
  await sleep(lockWait);
  const in_ = await login(PASSWORD);
  assert.equal(in_.status, 200, `the login bucket drains after the step: ${in_.text}`);
});
