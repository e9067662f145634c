// Direct rooms (issue 13, DESIGN.md "Version 2"): POST /api/direct
// {"username"} opens (201) or returns (200, the same room) the one direct
// room of two people: kind "direct", "name": null, "members": [user, user].
// It goes through the one access rule (core/rooms.h CheckRoomAccess): only
// the two see it, everyone else gets 404 on every route. Neither side deletes,
// renames or adds to it (403 direct_room); each may hide it from their own
// list (DELETE /api/rooms/{id}/members/{me}); it comes back with a newer
// message or when opened again. Two POSTs at once make one room.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../lib/client.mjs';
import { startStack } from '../lib/stack.mjs';
import { assertError, count, join, say, sql, users } from './helpers.mjs';

let stack;
let dana;
let eli;
let mallory; // logged in, not one of the two
let anon;

before(async () => {
  stack = await startStack({ env: { CHAT_POST_BURST: '1000', CHAT_ROOM_CREATE_BURST: '1000', CHAT_JOIN_BURST: '1000' } });
  [dana, eli, mallory] = await users(stack.base, ['dana', 'eli', 'mallory']);
  anon = new Client(stack.base);
});
after(() => stack?.stop());

const listed = async (c, id) => (await c.get('/api/rooms')).body.rooms.some((r) => r.id === id);

test('opening a direct room: 201 the first time, 200 and the same room after (from either side); its shape', async () => {
  const first = await dana.post('/api/direct', { username: 'eli' });
  assert.equal(first.status, 201, first.text);
  const room = first.body.room;
  assert.equal(room.kind, 'direct');
  assert.equal(room.name, null);
  const pair = [dana.user, eli.user].sort((a, b) => a.id - b.id);
  assert.deepEqual(room.members, pair);
  const again = await dana.post('/api/direct', { username: 'ELI' });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.body.room.id, room.id);
  const other = await eli.post('/api/direct', { username: 'dana' });
  assert.equal(other.status, 200, other.text);
  assert.deepEqual(other.body.room, again.body.room);
  assert.ok(await listed(dana, room.id));
  assert.ok(await listed(eli, room.id));
  assert.ok(!(await listed(mallory, room.id)), 'listed only to the two');
  // Both may join and talk.
  await join(dana, room.id);
  await join(eli, room.id);
  await say(eli, room.id, 'hi dana');
  const poll = await dana.get(`/api/rooms/${room.id}/messages?after=0`);
  assert.equal(poll.status, 200, poll.text);
  assert.equal(poll.body.messages.length, 1);
  const members = await dana.get(`/api/rooms/${room.id}/members`);
  assert.deepEqual(members.body.members.map((m) => m.user.id).sort(), pair.map((u) => u.id).sort());
});

test('refusals of POST /api/direct are exact and write nothing', async () => {
  const before = count(stack.db, 'rooms');
  assertError(await dana.post('/api/direct', { username: 'dana' }), 400, 'invalid_username', 'yourself');
  assertError(await dana.post('/api/direct', { username: 'DANA' }), 400, 'invalid_username', 'yourself, other case');
  assertError(await dana.post('/api/direct', { username: 'bad name!' }), 400, 'invalid_username');
  assertError(await dana.post('/api/direct', { username: '' }), 400, 'invalid_username');
  assertError(await dana.post('/api/direct', { username: 5 }), 400, 'invalid_json');
  assertError(await dana.post('/api/direct', {}), 400, 'invalid_json');
  assertError(await dana.post('/api/direct', { username: 'nobody_here' }), 404, 'user_not_found');
  assertError(await anon.post('/api/direct', { username: 'eli' }), 401, 'not_logged_in');
  assert.equal(count(stack.db, 'rooms'), before);
});

test('every route about a direct room answers an outsider 404 and a logged-out caller 401; neither side deletes, renames or adds (403 direct_room)', async () => {
  const room = (await dana.post('/api/direct', { username: 'mallory' })).body.room;
  const between = (await dana.post('/api/direct', { username: 'eli' })).body.room;
  await join(dana, between.id);
  const m = await say(dana, between.id, 'just us');
  const messageId = m.id ?? m.message?.id;
  const routes = [
    ['GET room', (c) => c.get(`/api/rooms/${between.id}`)],
    ['DELETE room', (c) => c.del(`/api/rooms/${between.id}`)],
    ['PATCH room', (c) => c.request('PATCH', `/api/rooms/${between.id}`, { topic: 'mine' })],
    ['join', (c) => c.post(`/api/rooms/${between.id}/join`)],
    ['leave', (c) => c.post(`/api/rooms/${between.id}/leave`)],
    ['poll', (c) => c.get(`/api/rooms/${between.id}/messages?after=0`)],
    ['post', (c) => c.post(`/api/rooms/${between.id}/messages`, { text: 'let me in' })],
    ['list members', (c) => c.get(`/api/rooms/${between.id}/members`)],
    ['add member', (c) => c.post(`/api/rooms/${between.id}/members`, { username: 'mallory' })],
    ['hide', (c) => c.del(`/api/rooms/${between.id}/members/${dana.user.id}`)],
    ['edit message', (c) => c.request('PATCH', `/api/messages/${messageId}`, { text: 'x' }), 'message_not_found'],
    ['delete message', (c) => c.del(`/api/messages/${messageId}`), 'message_not_found'],
  ];
  const snapshot = () => sql(stack.db, `SELECT (SELECT group_concat(id || text, '|') FROM messages WHERE room_id = ${between.id}), (SELECT group_concat(user_id || ':' || coalesce(hidden_after, ''), ',') FROM room_members WHERE room_id = ${between.id}), (SELECT (deleted_at IS NULL) || topic FROM rooms WHERE id = ${between.id}), (SELECT group_concat(id || ':' || coalesce(room_id, ''), ',') FROM users)`);
  const before = snapshot();
  for (const [label, call, code = 'room_not_found'] of routes) {
    assertError(await call(mallory), 404, code, `outsider ${label}`);
    assertError(await call(anon), 401, 'not_logged_in', `logged-out ${label}`);
  }
  assert.equal(snapshot(), before, 'no outsider changed anything');
  // The two themselves: delete, rename, add and hiding the other are refused.
  for (const c of [dana, eli]) {
    assertError(await c.del(`/api/rooms/${between.id}`), 403, 'direct_room');
    assertError(await c.request('PATCH', `/api/rooms/${between.id}`, { name: 'ours' }), 403, 'direct_room');
    assertError(await c.post(`/api/rooms/${between.id}/members`, { username: 'mallory' }), 403, 'direct_room');
  }
  assertError(await dana.del(`/api/rooms/${between.id}/members/${eli.user.id}`), 403, 'direct_room');
  assert.equal(snapshot(), before, 'nothing changed');
  assert.ok(room.id !== between.id);
});

test('hiding: gone from my list only, back when a newer message arrives or when I open it again', async () => {
  const [fay, gus] = await users(stack.base, ['fay', 'gus']);
  const room = (await fay.post('/api/direct', { username: 'gus' })).body.room;
  await join(gus, room.id);
  await say(gus, room.id, 'first');
  assert.equal((await fay.del(`/api/rooms/${room.id}/members/${fay.user.id}`)).status, 204);
  assert.ok(!(await listed(fay, room.id)), 'hidden for me');
  assert.ok(await listed(gus, room.id), 'the other side keeps it');
  await say(gus, room.id, 'second');
  assert.ok(await listed(fay, room.id), 'back with a newer message');
  assert.equal((await fay.del(`/api/rooms/${room.id}/members/${fay.user.id}`)).status, 204);
  assert.ok(!(await listed(fay, room.id)));
  const opened = await fay.post('/api/direct', { username: 'gus' });
  assert.equal(opened.status, 200, opened.text);
  assert.equal(opened.body.room.id, room.id);
  assert.ok(await listed(fay, room.id), 'back when opened again');
});

test('two people opening their direct room at the same time get one room (UNIQUE ordered pair)', async () => {
  const names = Array.from({ length: 6 }, (_, i) => `race${i}`);
  const people = await users(stack.base, names);
  for (let i = 0; i + 1 < people.length; i += 2) {
    const [a, b] = [people[i], people[i + 1]];
    const replies = await Promise.all(Array.from({ length: 8 }, (_, k) => (k % 2 ? a.post('/api/direct', { username: b.user.username }) : b.post('/api/direct', { username: a.user.username }))));
    for (const r of replies) assert.ok(r.status === 200 || r.status === 201, r.text);
    assert.equal(replies.filter((r) => r.status === 201).length, 1, 'exactly one made it');
    assert.equal(new Set(replies.map((r) => r.body.room.id)).size, 1, 'all got the same room');
    const lo = Math.min(a.user.id, b.user.id);
    const hi = Math.max(a.user.id, b.user.id);
    assert.equal(count(stack.db, 'direct_rooms', `user_low = ${lo} AND user_high = ${hi}`), 1);
  }
  // The index itself refuses a second row for a pair.
  assert.throws(() => sql(stack.db, `INSERT INTO direct_rooms (room_id, user_low, user_high) SELECT room_id, user_low, user_high FROM direct_rooms LIMIT 1`));
});
