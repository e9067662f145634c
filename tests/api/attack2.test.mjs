// Hostile-user attacks on the issue 13-15 routes (private and direct rooms,
// bans, search, mentions, typing, export), each a fault found by trying it
// on a real stack and fixed: the test says what the attacker did and what
// must happen instead.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { assertError, createRoom, join, say, users } from './helpers.mjs';

let stack;
let olive; // owns the rooms
let mallory; // the attacker, logged in

before(async () => {
  stack = await startStack({ env: { CHAT_POST_BURST: '1000', CHAT_ROOM_CREATE_BURST: '1000', CHAT_JOIN_BURST: '1000' } });
  [olive, mallory] = await users(stack.base, ['olive', 'mallory']);
});
after(() => stack?.stop());

// nginx keys the typing limit (zone chat_typing) on a session cookie's
// value; the worker reads the FIRST cookie of the exact name its scheme uses
// (chat_session over http, __Host-chat_session over https: core/serve.cc).
// An attacker who put a fresh junk cookie of the other name (or spaces) in
// front of the real one made nginx count a new key each time while the
// worker still found the session: an unlimited typing flood into the room's
// stream. Every spelling the worker accepts must meet the same limit.
test('typing: no Cookie spelling the worker accepts escapes the one-each-3-s limit', async () => {
  const room = await createRoom(olive);
  await join(mallory, room.id);
  const value = mallory.cookie.slice(mallory.cookie.indexOf('=') + 1);
  const path = `/api/rooms/${room.id}/typing`;
  const spellings = (i) => [
    `__Host-chat_session=junk${i}; chat_session=${value}`,
    `__Host-chat_session=junk${i};chat_session=${value}; x=1`,
    `x=${i}; __Host-chat_session=j${i}; chat_session=${value}`,
    `chat_session=${value}${' '.repeat(i + 1)}; x=1`,
    `chat_session=${value}\t; __Host-chat_session=junk${i}`,
  ];
  for (let i = 0; i < 4; i += 1) {
    for (const cookie of spellings(i)) {
      // The plain cookie first (its 3 s may be running still: 204 or 429),
      // then at once the other spelling: never a second 204.
      const first = await mallory.post(path);
      assert.ok(first.status === 204 || first.status === 429, `${first.status} ${first.text}`);
      const r = await mallory.request('POST', path, undefined, { cookie });
      assert.notEqual(r.status, 204, `${JSON.stringify(cookie.replace(value, 'SESSION'))} reached the worker past the limit`);
      if (r.status !== 401) assertError(r, 429, 'rate_limited', JSON.stringify(cookie.replace(value, 'SESSION')));
    }
  }
});
