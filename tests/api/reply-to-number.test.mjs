// reply_to is an id: a JSON integer written as one (DESIGN.md "Version 2",
// README "ids and cursors as plain decimals"). jsoncpp reads 1.0 and 1e0
// as reals that isInt64() still accepts, so they used to answer a message
// as if 1 had been sent, while 1.5 got 400. Found by the attack session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { assertError, count, createRoom, join, users } from './helpers.mjs';

let stack;
let ann;
let room;
let original;

before(async () => {
  stack = await startStack();
  [ann] = await users(stack.base, ['ann']);
  room = await createRoom(ann);
  await join(ann, room.id);
  const r = await ann.post(`/api/rooms/${room.id}/messages`, { text: 'the original' });
  assert.equal(r.status, 201, r.text);
  original = r.body.message;
});
after(() => stack?.stop());

test('reply_to written as a real (1.0, 1e0, 1E+0, 10e-1) is 400 invalid_reply_to and stores nothing', async () => {
  const id = original.id;
  for (const spelled of [`${id}.0`, `${id}e0`, `${id}E+0`, `${id}0e-1`, `${id}.00000`]) {
    const before = count(stack.db, 'messages');
    const r = await ann.post(`/api/rooms/${room.id}/messages`, `{"text":"answer","reply_to":${spelled}}`);
    assertError(r, 400, 'invalid_reply_to', spelled);
    assert.equal(count(stack.db, 'messages'), before, `${spelled}: nothing stored`);
  }
  // The integer itself still answers the message.
  const r = await ann.post(`/api/rooms/${room.id}/messages`, `{"text":"answer","reply_to":${id}}`);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.message.reply_to.id, id);
});
