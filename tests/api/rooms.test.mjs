// Rooms: the list, creating (name rules), deleting (owner only; members
// inside get 410 with the room's name; the name is free again; the messages
// go), joining (last 50 messages and the cursor), leaving, and the rule that
// a user is in one room at a time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import {
  RFC3339_MS, assertAscending, assertError, count, createRoom, join, say, sql, unique, users,
} from './helpers.mjs';

let stack;
let olive; // owns most rooms
let bob;
let carol;

before(async () => {
  // Limits are tested in post-rate-limit and room-limits; here they stay out of the way.
  stack = await startStack({ env: { CHAT_POST_BURST: '1000', CHAT_ROOM_CREATE_BURST: '1000', CHAT_JOIN_BURST: '1000' } });
  [olive, bob, carol] = await users(stack.base, ['olive', 'bob', 'carol']);
});
after(() => stack?.stop());

test('the room list is [] when no room exists', async () => {
  const r = await olive.get('/api/rooms');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body, { rooms: [] });
  assert.equal(r.headers.get('cache-control'), 'no-store');
});

test('create answers 201 with the room: id, trimmed name, owner, created_at (RFC 3339 ms), member_count 0', async () => {
  const t0 = Date.now();
  const r = await olive.post('/api/rooms', { name: '  Lobby \t' });
  assert.equal(r.status, 201, r.text);
  const room = r.body.room;
  assert.deepEqual(Object.keys(room).sort(), ['created_at', 'id', 'kind', 'member_count', 'name', 'owner', 'retention_days', 'topic']);
  assert.equal(room.kind, 'open', 'open is the default kind');
  assert.equal(room.topic, '');
  assert.ok(Number.isInteger(room.id) && room.id > 0);
  assert.equal(room.name, 'Lobby');
  assert.deepEqual(room.owner, olive.user);
  assert.equal(room.member_count, 0, 'creating a room does not enter it');
  assert.match(room.created_at, RFC3339_MS);
  assert.ok(Math.abs(Date.parse(room.created_at) - t0) < 60000, room.created_at);
  assert.equal(count(stack.db, 'rooms', `id = ${room.id} AND name = 'Lobby'`), 1);
  const list = await bob.get('/api/rooms');
  // The list adds the caller's unread counts (issue 14): none for a room never entered.
  assert.deepEqual(list.body.rooms.find((x) => x.id === room.id), { ...room, unread: 0, mentions: 0 }, 'every user sees it in the list');
});

test('the room list is ordered by name regardless of letter case', async () => {
  const tag = unique('ord');
  const names = [`${tag} beta`, `${tag} Alpha`, `${tag} gamma`, `${tag} Delta`];
  for (const name of names) await createRoom(olive, name);
  const r = await olive.get('/api/rooms');
  const mine = r.body.rooms.map((x) => x.name).filter((n) => n.startsWith(tag));
  assert.deepEqual(mine, [`${tag} Alpha`, `${tag} beta`, `${tag} Delta`, `${tag} gamma`]);
});

test('create refuses empty, blank, 65-character, control-character and non-string names: 400 invalid_room_name', async () => {
  const before = count(stack.db, 'rooms');
  const bad = [
    '', ' ', '   \t\n ', '\u00a0\u3000', 'x'.repeat(65), '😀'.repeat(65), 'é'.repeat(65),
    'a\u0000b', 'bell\u0007', 'line\nbreak', 'tab\tinside', 'del\u007f', 'c1\u0085x', 'bidi\u202eevil',
    42, null, true, ['Lobby'], { name: 'x' }, undefined,
  ];
  for (const name of bad) {
    const r = await olive.post('/api/rooms', { name });
    assertError(r, 400, 'invalid_room_name', JSON.stringify(name)?.slice(0, 30));
  }
  assert.equal(count(stack.db, 'rooms'), before, 'no room stored');
});

test('room names are counted in characters, not bytes: 64 emoji, 64 accented letters and 64 padded letters are accepted', async () => {
  for (const name of ['😀'.repeat(64), 'é'.repeat(64), 'r'.repeat(64)]) {
    const r = await olive.post('/api/rooms', { name });
    assert.equal(r.status, 201, `${name.length} UTF-16 units: ${r.text}`);
    assert.equal(r.body.room.name, name);
  }
  const padded = await olive.post('/api/rooms', { name: `  ${'p'.repeat(64)}  ` });
  assert.equal(padded.status, 201, 'the limit applies after trimming');
  assert.equal(padded.body.room.name, 'p'.repeat(64));
});

test('room names are trimmed of Unicode spaces too, and uniqueness applies to the trimmed name', async () => {
  const name = unique('Spacey');
  const r = await olive.post('/api/rooms', { name: `\u00a0\u3000${name}\u2003\n` });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.room.name, name);
  assertError(await bob.post('/api/rooms', { name: `\u00a0${name.toLowerCase()}\u00a0` }), 409, 'room_name_taken');
});

test('a room name that is not valid UTF-8 answers 400 invalid_room_name', async () => {
  const before = count(stack.db, 'rooms');
  for (const bytes of ['{"name":"bad \xff byte"}', '{"name":"\xc0\xafslash"}', '{"name":"\xed\xa0\x80"}']) {
    const res = await fetch(`${stack.base}/api/rooms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: olive.cookie },
      body: Buffer.from(bytes, 'latin1'),
    });
    assert.equal(res.status, 400, JSON.stringify(bytes));
    assert.equal((await res.json()).error.code, 'invalid_room_name');
  }
  assert.equal(count(stack.db, 'rooms'), before);
});

test('create answers 409 room_name_taken for a live room of the same name in any letter case', async () => {
  const name = unique('Taken');
  await createRoom(olive, name);
  const before = count(stack.db, 'rooms');
  for (const again of [name, name.toUpperCase(), name.toLowerCase(), `  ${name} `]) {
    assertError(await bob.post('/api/rooms', { name: again }), 409, 'room_name_taken', again);
  }
  assert.equal(count(stack.db, 'rooms'), before);
});

test('GET /api/rooms/{id} answers the room, 404 room_not_found when unknown', async () => {
  const room = await createRoom(olive);
  const r = await bob.get(`/api/rooms/${room.id}`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.room, room);
  assertError(await bob.get('/api/rooms/999999'), 404, 'room_not_found');
});

test('delete answers 204 for the owner; the room leaves the list and answers 410 room_deleted', async () => {
  const room = await createRoom(olive);
  const r = await olive.del(`/api/rooms/${room.id}`);
  assert.equal(r.status, 204, r.text);
  assert.equal(r.text, '');
  const list = await bob.get('/api/rooms');
  assert.ok(!list.body.rooms.some((x) => x.id === room.id), 'gone from the list');
  const get = await bob.get(`/api/rooms/${room.id}`);
  assertError(get, 410, 'room_deleted');
  assert.deepEqual(get.body.room, { id: room.id, name: room.name });
});

test('delete by anyone but the owner answers 403 not_owner and keeps the room and its messages', async () => {
  const room = await createRoom(olive);
  await join(olive, room.id);
  await say(olive, room.id, 'still here');
  assertError(await bob.del(`/api/rooms/${room.id}`), 403, 'not_owner');
  assert.equal((await bob.get(`/api/rooms/${room.id}`)).status, 200);
  assert.equal(count(stack.db, 'messages', `room_id = ${room.id}`), 1);
  assert.equal(count(stack.db, 'rooms', `id = ${room.id} AND deleted_at IS NULL`), 1);
});

test('delete of an unknown or already deleted room answers 404 room_not_found', async () => {
  assertError(await olive.del('/api/rooms/999999'), 404, 'room_not_found');
  const room = await createRoom(olive);
  assert.equal((await olive.del(`/api/rooms/${room.id}`)).status, 204);
  assertError(await olive.del(`/api/rooms/${room.id}`), 404, 'room_not_found');
});

test('join answers 200 with the room, the last 50 messages ascending and the cursor of the newest', async () => {
  const room = await createRoom(olive);
  await join(olive, room.id);
  const sent = [];
  for (let i = 1; i <= 55; i += 1) sent.push(await say(olive, room.id, `message ${i}`));
  const r = await bob.post(`/api/rooms/${room.id}/join`);
  assert.equal(r.status, 200, r.text);
  // "events" (the push stream) only when nginx has nchan (push.test.mjs).
  const keys = Object.keys(r.body).filter((k) => k !== 'events').sort();
  assert.deepEqual(keys, ['cursor', 'last_read', 'messages', 'room']);
  if ('events' in r.body) assert.equal(r.body.events, `/api/rooms/${room.id}/events`);
  assert.equal(r.body.room.id, room.id);
  assert.equal(r.body.room.member_count, 2, 'the count includes the joiner');
  assert.equal(r.body.messages.length, 50);
  assert.deepEqual(r.body.messages.map((m) => m.text), sent.slice(5).map((m) => m.text));
  assert.deepEqual(r.body.messages, sent.slice(5), 'the messages as they were stored');
  assertAscending(r.body.messages);
  assert.equal(r.body.cursor, sent.at(-1).id);
});

test('join of an empty room answers no messages and cursor 0', async () => {
  const room = await createRoom(olive);
  const body = await join(carol, room.id);
  assert.deepEqual(body.messages, []);
  assert.equal(body.cursor, 0);
  assert.equal(body.room.member_count, 1);
});

test('join of an unknown room answers 404 and of a deleted room 410 room_deleted, and leaves the user where they were', async () => {
  const home = await createRoom(olive);
  await join(carol, home.id);
  assertError(await carol.post('/api/rooms/999999/join'), 404, 'room_not_found');
  const gone = await createRoom(olive);
  assert.equal((await olive.del(`/api/rooms/${gone.id}`)).status, 204);
  const r = await carol.post(`/api/rooms/${gone.id}/join`);
  assertError(r, 410, 'room_deleted');
  assert.deepEqual(r.body.room, { id: gone.id, name: gone.name });
  const me = await carol.get('/api/me');
  assert.equal(me.body.room.id, home.id, 'a refused join does not move the user');
});

test('leave answers 204, the user is in no room and the member count drops; leaving again is still 204', async () => {
  const room = await createRoom(olive);
  await join(bob, room.id);
  await join(carol, room.id);
  const r = await bob.post(`/api/rooms/${room.id}/leave`);
  assert.equal(r.status, 204, r.text);
  assert.equal((await bob.get('/api/me')).body.room, null);
  assert.equal((await bob.get(`/api/rooms/${room.id}`)).body.room.member_count, 1);
  assertError(await bob.get(`/api/rooms/${room.id}/messages?after=0`), 409, 'not_in_room');
  assert.equal((await bob.post(`/api/rooms/${room.id}/leave`)).status, 204);
  assert.equal((await carol.get('/api/me')).body.room.id, room.id, 'others stay inside');
});

test('leave of an unknown room answers 404 room_not_found', async () => {
  assertError(await bob.post('/api/rooms/999999/leave'), 404, 'room_not_found');
});

test('one room at a time: after joining B, polling and posting in A answer 409 not_in_room', async () => {
  const a = await createRoom(olive);
  const b = await createRoom(olive);
  await join(bob, a.id);
  await say(bob, a.id, 'in A');
  await join(bob, b.id);
  const messages = count(stack.db, 'messages', `room_id = ${a.id}`);
  assertError(await bob.get(`/api/rooms/${a.id}/messages?after=0`), 409, 'not_in_room');
  assertError(await bob.post(`/api/rooms/${a.id}/messages`, { text: 'from the old tab' }), 409, 'not_in_room');
  assert.equal(count(stack.db, 'messages', `room_id = ${a.id}`), messages, 'the refused post is not stored');
  assert.equal((await bob.get('/api/me')).body.room.id, b.id);
  assert.equal((await bob.get(`/api/rooms/${a.id}`)).body.room.member_count, 0);
  assert.equal((await bob.get(`/api/rooms/${b.id}/messages?after=0`)).status, 200);
  assert.equal(count(stack.db, 'users', `id = ${bob.user.id} AND room_id = ${b.id}`), 1);
});

test('deleting a room: members still inside get 410 room_deleted with {room: {id, name}} on poll and post', async () => {
  const room = await createRoom(olive, unique('Doomed'));
  await join(olive, room.id);
  await join(bob, room.id);
  await join(carol, room.id);
  const { cursor } = await join(carol, room.id);
  await say(bob, room.id, 'before the end');
  assert.equal((await olive.del(`/api/rooms/${room.id}`)).status, 204);
  for (const [who, r] of [
    ['bob polls', await bob.get(`/api/rooms/${room.id}/messages?after=${cursor}`)],
    ['carol posts', await carol.post(`/api/rooms/${room.id}/messages`, { text: 'anyone?' })],
    ['olive polls', await olive.get(`/api/rooms/${room.id}/messages?before=999999&limit=10`)],
  ]) {
    assertError(r, 410, 'room_deleted', who);
    assert.deepEqual(r.body.room, { id: room.id, name: room.name }, who);
  }
  assert.equal(count(stack.db, 'messages', `room_id = ${room.id}`), 0, "the room's messages are gone");
  assert.equal((await bob.get('/api/me')).body.room, null, 'nobody is inside a deleted room');
});

// A deleted room keeps its row (so members get 410 with its name), which
// alone would keep its id from coming back; the promise is stronger: even
// when an admin purges the rows of the newest rooms, a new room never gets
// an old id, so an old link never opens a new room (schema.sql: rooms.id is
// AUTOINCREMENT, whose high-water mark sqlite_sequence keeps; SQLite
// "Autoincrement" docs).
test('room ids are never reused, even after the newest rooms\' rows are purged from chat.db', async () => {
  const a = await createRoom(olive, unique('Purged'));
  const b = await createRoom(olive, unique('Purged'));
  await join(olive, b.id);
  await say(olive, b.id, 'soon gone');
  assert.equal((await olive.del(`/api/rooms/${b.id}`)).status, 204);
  assert.equal((await olive.del(`/api/rooms/${a.id}`)).status, 204);
  sql(stack.db, `PRAGMA foreign_keys = ON; DELETE FROM rooms WHERE id IN (${a.id}, ${b.id})`);
  assert.equal(Number(sql(stack.db, 'SELECT coalesce(max(id), 0) FROM rooms')) < a.id, true, 'the newest rows are gone');
  const fresh = await createRoom(bob, unique('After purge'));
  assert.ok(fresh.id > b.id, `a new room after a purge gets a new id (${fresh.id}, the purged ones were ${a.id} and ${b.id})`);
  assert.equal(Number(sql(stack.db, "SELECT seq FROM sqlite_sequence WHERE name = 'rooms'")), fresh.id);
  assertError(await carol.get(`/api/rooms/${b.id}`), 404, 'room_not_found', 'a purged room is simply gone');
});

test("a deleted room's name can be used again, by anyone, for a new empty room", async () => {
  const name = unique('Reborn');
  const old = await createRoom(olive, name);
  await join(olive, old.id);
  await say(olive, old.id, 'old history');
  assert.equal((await olive.del(`/api/rooms/${old.id}`)).status, 204);
  const fresh = await createRoom(bob, name.toUpperCase());
  assert.deepEqual(fresh.owner, bob.user);
  const body = await join(carol, fresh.id);
  assert.deepEqual(body.messages, [], 'no message of the old room shows up');
  assertError(await carol.get(`/api/rooms/${old.id}`), 410, 'room_deleted');
});
