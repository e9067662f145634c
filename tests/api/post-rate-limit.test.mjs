// The per-user post rate limit, on a stack started with a small bucket
// (3 at once, then one every 2 s): the post over it gets 429 rate_limited
// with Retry-After and is not stored; other users are not affected; a retry
// of an already stored message is still answered; after Retry-After seconds
// posting works again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { assertError, count, createRoom, join, users } from './helpers.mjs';

let stack;
let pat;
let quinn;
let ray;
let room;

before(async () => {
  stack = await startStack({ env: { CHAT_POST_BURST: '3', CHAT_POST_RATE: '0.5' } });
  [pat, quinn, ray] = await users(stack.base, ['pat', 'quinn', 'ray']);
  room = await createRoom(pat, 'Busy');
  await join(pat, room.id);
  await join(quinn, room.id);
  await join(ray, room.id);
});
after(() => stack?.stop());

const path = () => `/api/rooms/${room.id}/messages`;
let retryAfter;

test('posting past the burst answers 429 rate_limited with Retry-After, and the refused post is not stored', async () => {
  for (let i = 1; i <= 3; i += 1) {
    const r = await pat.post(path(), { text: `burst ${i}`, client_id: `burst-${i}` });
    assert.equal(r.status, 201, `post ${i}: ${r.text}`);
  }
  const r = await pat.post(path(), { text: 'one too many' });
  assertError(r, 429, 'rate_limited');
  retryAfter = r.headers.get('retry-after');
  assert.match(retryAfter ?? '', /^\d+$/, 'Retry-After is whole seconds');
  assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 2, `one post per 2 s: Retry-After ${retryAfter}`);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.equal(count(stack.db, 'messages', "text = 'one too many'"), 0);
  assert.equal(count(stack.db, 'messages', `user_id = ${pat.user.id}`), 3);
});

test('the limit is per user: another user in the same room can still post', async () => {
  const r = await quinn.post(path(), { text: 'I am fine' });
  assert.equal(r.status, 201, r.text);
});

test('a retry of an already stored client_id is answered 200 even while rate-limited', async () => {
  const r = await pat.post(path(), { text: 'burst 2', client_id: 'burst-2' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.message.text, 'burst 2');
  assert.equal(count(stack.db, 'messages', `user_id = ${pat.user.id}`), 3);
});

test('after waiting Retry-After seconds the user can post again', async () => {
  let r0;
  for (let i = 0; i < 4; i += 1) { // spend whatever refilled meanwhile
    r0 = await pat.post(path(), { text: 'still too soon' });
    if (r0.status === 429) break;
  }
  assertError(r0, 429, 'rate_limited');
  const stored = count(stack.db, 'messages', `user_id = ${pat.user.id}`);
  await new Promise((r) => setTimeout(r, Number(r0.headers.get('retry-after')) * 1000 + 100));
  const r = await pat.post(path(), { text: 'patience pays' });
  assert.equal(r.status, 201, r.text);
  assertError(await pat.post(path(), { text: 'and again at once' }), 429, 'rate_limited');
  assert.equal(count(stack.db, 'messages', `user_id = ${pat.user.id}`), stored + 1);
});

test('the limit holds for parallel posts across workers: of 10 sent at once, only the burst is stored', async () => {
  const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => ray.post(path(), { text: `flood ${i}` })));
  const ok = replies.filter((r) => r.status === 201).length;
  for (const r of replies.filter((x) => x.status !== 201)) assertError(r, 429, 'rate_limited');
  assert.ok(ok >= 3 && ok <= 4, `3 at once (+1 if the bucket refilled meanwhile), got ${ok}`);
  assert.equal(count(stack.db, 'messages', `user_id = ${ray.user.id}`), ok, 'exactly the acknowledged posts are stored');
});
