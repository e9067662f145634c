// Bans of open rooms (issue 13, DESIGN.md "Version 2"): DELETE
// /api/rooms/{id}/members/{user} by the owner of an OPEN room bans that
// person. They are put out at once (users.room_id cleared in the same
// transaction, their held push stream closed), their join then answers 403
// banned, and the room stays listed to them (an open room is everyone's to
// see). Everyone else's refusals are exact and change nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Client } from '../lib/client.mjs';
import { openEvents } from '../lib/events.mjs';
import { startStack } from '../lib/stack.mjs';
import { assertError, count, createRoom, join, say, sql, users } from './helpers.mjs';

const HAVE_NCHAN = existsSync('/usr/lib/nginx/modules/ngx_nchan_module.so');

let stack;
let olive; // owns the open room
let mia; // is banned
let mallory; // neither
let anon;

before(async () => {
  stack = await startStack({ env: { CHAT_POST_BURST: '1000', CHAT_ROOM_CREATE_BURST: '1000', CHAT_JOIN_BURST: '1000' } });
  [olive, mia, mallory] = await users(stack.base, ['olive', 'mia', 'mallory']);
  anon = new Client(stack.base);
});
after(() => stack?.stop());

test('the owner bans someone from an open room: put out at once (room_id, held push stream), join then 403 banned, the room still listed', async () => {
  const room = await createRoom(olive);
  await join(olive, room.id);
  await join(mia, room.id);
  await say(mia, room.id, 'hello before the ban');
  let sub = null;
  if (HAVE_NCHAN) {
    sub = await openEvents(stack.base, mia.cookie, `/api/rooms/${room.id}/events`);
    assert.equal(sub.status, 200, sub.text);
  }
  try {
    const r = await olive.del(`/api/rooms/${room.id}/members/${mia.user.id}`);
    assert.equal(r.status, 204, r.text);
    assert.equal(sql(stack.db, `SELECT room_id IS NULL FROM users WHERE id = ${mia.user.id}`), '1', 'put out in the same transaction');
    assert.equal(count(stack.db, 'room_bans', `room_id = ${room.id} AND user_id = ${mia.user.id}`), 1, 'the ban is stored');
    if (sub) {
      const done = await Promise.race([sub.ended, new Promise((res) => { setTimeout(() => res(null), 2000); })]);
      assert.ok(done !== null, 'the banned person\'s stream is still open 2 s after the ban');
    }
  } finally {
    sub?.close();
  }
  assertError(await mia.get(`/api/rooms/${room.id}/messages?after=0`), 409, 'not_in_room', 'their next poll');
  assertError(await mia.post(`/api/rooms/${room.id}/messages`, { text: 'still here?' }), 409, 'not_in_room', 'their next post');
  const before = sql(stack.db, `SELECT coalesce(room_id, '-') FROM users WHERE id = ${mia.user.id}`);
  assertError(await mia.post(`/api/rooms/${room.id}/join`), 403, 'banned');
  assert.equal(sql(stack.db, `SELECT coalesce(room_id, '-') FROM users WHERE id = ${mia.user.id}`), before, 'a refused join moves nobody');
  assert.ok((await mia.get('/api/rooms')).body.rooms.some((x) => x.id === room.id), 'an open room stays listed to the banned');
  assert.equal((await mia.get(`/api/rooms/${room.id}`)).status, 200, 'and readable as a room object');
  // Banning again: 204, the ban stands (one row).
  assert.equal((await olive.del(`/api/rooms/${room.id}/members/${mia.user.id}`)).status, 204);
  assert.equal(count(stack.db, 'room_bans', `room_id = ${room.id}`), 1);
  // Anyone else still joins; a ban is of one room only.
  assert.equal((await mallory.post(`/api/rooms/${room.id}/join`)).status, 200);
  const other = await createRoom(olive);
  assert.equal((await mia.post(`/api/rooms/${other.id}/join`)).status, 200, 'another room of the same owner');
});

test('banning an open-room outsider who is not inside stores the ban too; each refusal exact and writing nothing', async () => {
  const room = await createRoom(olive);
  await join(mallory, room.id);
  const snapshot = () => sql(stack.db, `SELECT (SELECT count(*) FROM room_bans), (SELECT group_concat(id || ':' || coalesce(room_id, ''), ',') FROM users)`);
  const before = snapshot();
  assertError(await mia.del(`/api/rooms/${room.id}/members/${mallory.user.id}`), 403, 'not_owner', 'a non-owner bans someone');
  assertError(await mallory.del(`/api/rooms/${room.id}/members/${mallory.user.id}`), 403, 'not_owner', 'banning oneself');
  assertError(await olive.del(`/api/rooms/${room.id}/members/${olive.user.id}`), 409, 'owner_stays');
  assertError(await olive.del(`/api/rooms/${room.id}/members/999999`), 404, 'user_not_found');
  assertError(await olive.del(`/api/rooms/${room.id}/members/abc`), 404, 'not_found');
  assertError(await olive.del(`/api/rooms/999999/members/${mia.user.id}`), 404, 'room_not_found');
  assertError(await anon.del(`/api/rooms/${room.id}/members/${mia.user.id}`), 401, 'not_logged_in');
  assert.equal(snapshot(), before, 'no refusal changed anything');
  // Not inside: the ban still holds for their first join.
  assert.equal((await olive.del(`/api/rooms/${room.id}/members/${mia.user.id}`)).status, 204);
  assertError(await mia.post(`/api/rooms/${room.id}/join`), 403, 'banned');
  // A deleted room: 410 as for every route of it.
  assert.equal((await olive.del(`/api/rooms/${room.id}`)).status, 204);
  assertError(await olive.del(`/api/rooms/${room.id}/members/${mallory.user.id}`), 410, 'room_deleted');
});
