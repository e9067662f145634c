// Outsider attacks on what changed on 2026-11-30 (helper attack4): each a
// fault found by trying it on a real stack and fixed; the test says what
// the attacker did and what must happen instead.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { users } from './helpers.mjs';

let stack;
let ann;

before(async () => {
  stack = await startStack();
  [ann] = await users(stack.base, ['ann']);
});
after(() => stack?.stop());

// A file's bytes are kept by the browser for a year under their address
// alone (files.cpp: private, immutable), so on a shared computer the next
// person got them from the cache after a logout. The logout reply tells the
// browser to drop its cache of the site (tests/browser/attack4.test.mjs
// shows the browser doing it).
test('logging out tells the browser to drop its cache of the site (Clear-Site-Data: "cache")', async () => {
  const r = await ann.post('/api/logout');
  assert.equal(r.status, 204, r.text);
  assert.equal(r.headers.get('clear-site-data'), '"cache"');
  assert.match(r.headers.get('set-cookie') ?? '', /Max-Age=0/);
});
