// Outsider attacks on what changed on 2026-11-30 (helper attack4): each a
// fault found by trying it on a real stack and fixed; the test says what
// the attacker did and what must happen instead.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { Client } from '../lib/client.mjs';
import { PASSWORD, assertError, users } from './helpers.mjs';

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

// Search's limit (zone chat_search) is per session, and a session costs one
// login: the same account logged in again and again got a fresh 20 at once
// and one a second for each session, so one person from one address took
// as many search workers as they had logins (600 sessions after a minute at
// the login limit). nginx now also counts searches per address (zone
// chat_search_addr, CHAT_SEARCH_ADDR_RATE and CHAT_SEARCH_ADDR_BURST).
test('search: logging in again and again does not multiply the searches one address may make', async () => {
  const own = await startStack({
    env: { CHAT_SEARCH_RATE: '1r/m', CHAT_SEARCH_BURST: '2', CHAT_SEARCH_ADDR_RATE: '1r/m', CHAT_SEARCH_ADDR_BURST: '5' },
  });
  try {
    const [first] = await users(own.base, ['sam']);
    const sessions = [first];
    for (let i = 0; i < 5; i += 1) {
      const c = new Client(own.base);
      const r = await c.post('/api/login', { username: 'sam', password: PASSWORD });
      assert.equal(r.status, 200, r.text);
      sessions.push(c);
    }
    assert.equal(new Set(sessions.map((c) => c.cookie)).size, 6, 'six sessions');
    const statuses = [];
    for (const c of sessions) {
      for (let i = 0; i < 3; i += 1) {
        const r = await c.get('/api/search?q=hello');
        if (r.status !== 200) assertError(r, 429, 'rate_limited');
        statuses.push(r.status);
      }
    }
    const passed = statuses.filter((s) => s === 200).length;
    // Each session alone would pass 3 (1 + its burst of 2): 18 in all.
    assert.ok(passed <= 6, `${passed} of 18 searches passed from one address (at most 1 + 5)`);
    assert.ok(passed >= 3, `the first session's own ${passed}`);
  } finally {
    await own.stop();
  }
});

// Typing's limit (zone chat_typing, one a session each 3 s) was per session
// only, so the same trick multiplied it: six logins, six typing events at
// once into a room's push streams, and 600 sessions after a minute. nginx
// now also counts typing per address (zone chat_typing_addr,
// CHAT_TYPING_ADDR_RATE and CHAT_TYPING_ADDR_BURST).
test('typing: logging in again and again does not multiply the typing events one address may send', async () => {
  const own = await startStack({ env: { CHAT_TYPING_ADDR_RATE: '1r/m', CHAT_TYPING_ADDR_BURST: '2' } });
  try {
    const [first] = await users(own.base, ['tim']);
    const created = await first.post('/api/rooms', { name: 'typing-room' });
    assert.equal(created.status, 201, created.text);
    const roomId = created.body.room.id;
    const sessions = [first];
    for (let i = 0; i < 5; i += 1) {
      const c = new Client(own.base);
      const r = await c.post('/api/login', { username: 'tim', password: PASSWORD });
      assert.equal(r.status, 200, r.text);
      sessions.push(c);
    }
    assert.equal((await first.post(`/api/rooms/${roomId}/join`)).status, 200);
    const statuses = [];
    for (const c of sessions) {
      const r = await c.post(`/api/rooms/${roomId}/typing`);
      if (r.status !== 204) assertError(r, 429, 'rate_limited');
      statuses.push(r.status);
    }
    const passed = statuses.filter((s) => s === 204).length;
    // Each session alone may send one: 6 in all before the address zone.
    assert.ok(passed <= 3, `${passed} of 6 typing events passed from one address (at most 1 + 2)`);
    assert.ok(passed >= 1, 'the first one passes');
  } finally {
    await own.stop();
  }
});
