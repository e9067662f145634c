// A message carries at most 20 different emoji (Discord's limit). Without
// a limit one person hung 1,029 different emoji under one message at one
// post token each (about 8 minutes at the default 2 a second): a wall of
// buttons on every screen and 55 KB more in every join, per message
// (10 such messages: a 382 KB join). Found by the attack session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { assertError, count, createRoom, join, sql, users } from './helpers.mjs';

let stack;
let ann;
let ben;
let room;

before(async () => {
  stack = await startStack({ env: { CHAT_POST_BURST: '1000' } });
  [ann, ben] = await users(stack.base, ['ann', 'ben']);
  room = await createRoom(ann);
  await join(ann, room.id);
  await join(ben, room.id);
});
after(() => stack?.stop());

const react = (who, id, emoji) => who.request('PUT', `/api/messages/${id}/reactions`, { emoji });

test('20 different emoji on a message, then 409 reaction_limit for a 21st; the 20 can still be added by others', async () => {
  const m = (await ann.post(`/api/rooms/${room.id}/messages`, { text: 'react to me' })).body.message;
  const twenty = Array.from({ length: 20 }, (_, i) => String.fromCodePoint(0x1F600 + i));
  for (const e of twenty) assert.equal((await react(ben, m.id, e)).status, 200, e);
  const seq = sql(stack.db, `SELECT seq FROM messages WHERE id = ${m.id}`);
  const rows = count(stack.db, 'reactions');
  for (const who of [ben, ann]) {
    assertError(await react(who, m.id, '🦄'), 409, 'reaction_limit');
  }
  assert.equal(count(stack.db, 'reactions'), rows, 'nothing stored');
  assert.equal(sql(stack.db, `SELECT seq FROM messages WHERE id = ${m.id}`), seq, 'no change number spent');
  // One of the twenty: still fine, for anyone.
  const r = await react(ann, m.id, twenty[7]);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.message.reactions[7].users.map((u) => u.username), ['ben', 'ann']);
  // Taking one away makes room for a new one.
  for (const who of [ann, ben]) {
    assert.equal((await who.del(`/api/messages/${m.id}/reactions?emoji=${encodeURIComponent(twenty[7])}`)).status, 200);
  }
  assert.equal((await react(ben, m.id, '🦄')).status, 200);
  assertError(await react(ben, m.id, '🐙'), 409, 'reaction_limit');
});
