// The login/register rate limit nginx applies per client address, on a stack
// started with a tight limit (1 a second, burst 2): the requests over it get
// 429 rate_limited as JSON with Retry-After, and never reach the programs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { Client } from '../lib/client.mjs';
import { PASSWORD, assertError, count } from './helpers.mjs';

let stack;

before(async () => {
  stack = await startStack({ env: { CHAT_AUTH_RATE: '1r/s', CHAT_AUTH_BURST: '2' } });
});
after(() => stack?.stop());

// A login the program refuses at once (400, no scrypt), so filling the
// bucket costs nothing; nginx counts it like any other.
const attempt = () => new Client(stack.base).post('/api/login', { username: 7, password: 7 });

test('parallel logins over the limit answer 429 rate_limited as JSON with Retry-After; the rest are answered', async () => {
  const replies = await Promise.all(Array.from({ length: 10 }, () => attempt()));
  const limited = replies.filter((r) => r.status === 429);
  const answered = replies.filter((r) => r.status === 400);
  assert.equal(limited.length + answered.length, 10, replies.map((r) => r.status).join(' '));
  assert.ok(answered.length >= 1 && answered.length <= 4, `1 + burst 2 (+1 refill) answered, got ${answered.length}`);
  assert.ok(limited.length >= 6, `the rest limited, got ${limited.length}`);
  for (const r of limited) {
    assertError(r, 429, 'rate_limited');
    assert.ok(Number(r.headers.get('retry-after')) >= 1, `Retry-After: ${r.headers.get('retry-after')}`);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.match(r.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  }
  for (const r of answered) assertError(r, 400, 'invalid_json');
});

test('register shares the limit: a register over it answers 429 and creates no account', async () => {
  const users = count(stack.db, 'users');
  const replies = await Promise.all(Array.from({ length: 6 }, () => attempt()));
  assert.ok(replies.some((r) => r.status === 429), 'the burst is spent');
  const r = await new Client(stack.base).post('/api/register', { username: 'limited', password: PASSWORD });
  assertError(r, 429, 'rate_limited');
  assert.equal(r.headers.get('set-cookie'), null);
  assert.equal(count(stack.db, 'users'), users);
});

test('logins are answered again once the limit has drained, and other routes were never limited', async () => {
  await Promise.all(Array.from({ length: 6 }, () => attempt()));
  const me = await Promise.all(Array.from({ length: 10 }, () => new Client(stack.base).get('/api/me')));
  assert.deepEqual(me.map((r) => r.status), Array(10).fill(401), '/api/me is not rate-limited');
  await new Promise((r) => setTimeout(r, 1100));
  const r = await new Client(stack.base).post('/api/login', { username: 'nobody', password: 'not the password' });
  assertError(r, 401, 'invalid_credentials', 'a second later one login goes through');
});
