// Private rooms and the one access rule (issue 13, DESIGN.md "Who may see
// what"; core/rooms.h CheckRoomAccess): an open room is for everyone logged
// in, a private room only for its members (room_members). Every route about
// a room answers anyone else exactly as if the room did not exist: 404
// room_not_found (404 message_not_found for the message routes), even once
// the room is deleted (no 410 with its name); logged out, 401. The list
// shows a private room to its members only. Creation takes "kind" and
// "topic", each refused with its own 400 and nothing written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Client } from '../lib/client.mjs';
import { openEvents } from '../lib/events.mjs';
import { startStack } from '../lib/stack.mjs';
import { assertError, count, createRoom, join, say, sql, unique, users } from './helpers.mjs';

const HAVE_NCHAN = existsSync('/usr/lib/nginx/modules/ngx_nchan_module.so');

let stack;
let olive; // owns the private room
let mia; // a member of it, added beside olive
let mallory; // logged in, not a member
let anon; // logged out

before(async () => {
  stack = await startStack({ env: { CHAT_POST_BURST: '1000', CHAT_ROOM_CREATE_BURST: '1000', CHAT_JOIN_BURST: '1000' } });
  [olive, mia, mallory] = await users(stack.base, ['olive', 'mia', 'mallory']);
  anon = new Client(stack.base);
});
after(() => stack?.stop());

// The owner adds `client` as a member of the private room.
async function addMember(roomId, client) {
  const r = await olive.post(`/api/rooms/${roomId}/members`, { username: client.user.username });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.body, { member: { user: client.user, role: 'member', here: false } });
}

async function privateRoom(name = unique('secret')) {
  const r = await olive.post('/api/rooms', { name, kind: 'private', topic: '  plans  ' });
  assert.equal(r.status, 201, r.text);
  return r.body.room;
}

// Every route about a room or its messages, as [label, (client, roomId, messageId) => response].
const ROUTES = [
  ['GET room', (c, id) => c.get(`/api/rooms/${id}`)],
  ['DELETE room', (c, id) => c.del(`/api/rooms/${id}`)],
  ['PATCH room', (c, id) => c.request('PATCH', `/api/rooms/${id}`, { name: unique('taken over'), topic: 'mine' })],
  ['join', (c, id) => c.post(`/api/rooms/${id}/join`)],
  ['leave', (c, id) => c.post(`/api/rooms/${id}/leave`)],
  ['poll', (c, id) => c.get(`/api/rooms/${id}/messages?after=0`)],
  ['history', (c, id) => c.get(`/api/rooms/${id}/messages?before=1000000&limit=5`)],
  ['post', (c, id) => c.post(`/api/rooms/${id}/messages`, { text: 'let me in' })],
  ['events', (c, id) => c.get(`/api/rooms/${id}/events`, { accept: 'text/event-stream' })],
  ['edit message', (c, id, m) => c.request('PATCH', `/api/messages/${m}`, { text: 'mine now' })],
  ['delete message', (c, id, m) => c.del(`/api/messages/${m}`)],
  ['react', (c, id, m) => c.request('PUT', `/api/messages/${m}/reactions`, { emoji: '👍' })],
  ['unreact', (c, id, m) => c.del(`/api/messages/${m}/reactions?emoji=${encodeURIComponent('👍')}`)],
  ['list members', (c, id) => c.get(`/api/rooms/${id}/members`)],
  ['add member', (c, id) => c.post(`/api/rooms/${id}/members`, { username: 'mallory' })],
  ['remove member', (c, id) => c.del(`/api/rooms/${id}/members/${mia.user.id}`)],
];
const MESSAGE_ROUTES = new Set(['edit message', 'delete message', 'react', 'unreact']);

test('creating a private room: kind and topic in the room object, the creator its owner member; open is the default', async () => {
  const room = await privateRoom();
  assert.equal(room.kind, 'private');
  assert.equal(room.topic, 'plans', 'trimmed as names are');
  assert.equal(sql(stack.db, `SELECT user_id || ' ' || role FROM room_members WHERE room_id = ${room.id}`), `${olive.user.id} owner`);
  const open = await createRoom(olive);
  assert.equal(open.kind, 'open');
  assert.equal(open.topic, '');
  assert.equal(count(stack.db, 'room_members', `room_id = ${open.id}`), 0, 'an open room has no member list to keep');
  const got = await olive.get(`/api/rooms/${room.id}`);
  assert.equal(got.status, 200, got.text);
  assert.deepEqual(got.body.room, room);
});

test('create refuses a bad kind (400 invalid_room_kind) and a bad topic (400 invalid_topic), writing nothing', async () => {
  const before = count(stack.db, 'rooms');
  for (const kind of ['secret', 'Private', '', 1, null, true, ['private'], {}]) {
    assertError(await olive.post('/api/rooms', { name: unique('k'), kind }), 400, 'invalid_room_kind', JSON.stringify(kind));
  }
  for (const topic of ['x'.repeat(251), '😀'.repeat(251), 'a\u0000b', 'line\nbreak', 'bidi\u202e', 5, null, ['t']]) {
    assertError(await olive.post('/api/rooms', { name: unique('t'), topic }), 400, 'invalid_topic', JSON.stringify(topic));
  }
  assert.equal(count(stack.db, 'rooms'), before);
  const ok = await olive.post('/api/rooms', { name: unique('t'), topic: `${'é'.repeat(250)} \t` });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.body.room.topic, 'é'.repeat(250), '250 characters after trimming');
  const blank = await olive.post('/api/rooms', { name: unique('t'), topic: '   ' });
  assert.equal(blank.body.room.topic, '', 'a blank topic is no topic');
});

test('the room list shows a private room to its members only', async () => {
  const room = await privateRoom();
  await addMember(room.id, mia);
  const open = await createRoom(olive);
  for (const [who, sees] of [[olive, true], [mia, true], [mallory, false]]) {
    const ids = (await who.get('/api/rooms')).body.rooms.map((r) => r.id);
    assert.equal(ids.includes(room.id), sees, `${who.user.username} sees the private room: ${sees}`);
    assert.ok(ids.includes(open.id), `${who.user.username} sees the open room`);
  }
});

test('every route about a private room answers a non-member as if it did not exist, and a logged-out caller 401; nothing changes', async () => {
  const room = await privateRoom();
  await addMember(room.id, mia);
  await join(olive, room.id);
  await join(mia, room.id);
  const m = (await say(olive, room.id, 'for members only'));
  const messageId = m.id ?? m.message?.id;
  assert.ok(Number.isInteger(messageId), JSON.stringify(m));
  const snapshot = () => sql(stack.db, `SELECT (SELECT group_concat(id || text || coalesce(edited_at, '') || coalesce(deleted_at, ''), '|') FROM messages WHERE room_id = ${room.id}), (SELECT count(*) FROM reactions), (SELECT group_concat(id || ':' || coalesce(room_id, ''), ',') FROM users), (SELECT (deleted_at IS NULL) || name || topic FROM rooms WHERE id = ${room.id})`);
  const before = snapshot();
  for (const [label, call] of ROUTES) {
    const r = await call(mallory, room.id, messageId);
    if (MESSAGE_ROUTES.has(label)) assertError(r, 404, 'message_not_found', `non-member ${label}`);
    else if (label === 'events' && !HAVE_NCHAN) assertError(r, 404, 'not_found', `non-member ${label} (push off)`);
    else assertError(r, 404, 'room_not_found', `non-member ${label}`);
    assertError(await call(anon, room.id, messageId), 401, 'not_logged_in', `logged-out ${label}`);
  }
  assert.equal(snapshot(), before, 'no outsider changed anything');
  // The same room id answers a member.
  const member = await mia.get(`/api/rooms/${room.id}/messages?after=0`);
  assert.equal(member.status, 200, member.text);
  assert.ok(member.body.messages.some((x) => x.id === messageId));
  // Its owner deletes it: members still inside hear 410, an outsider still 404.
  assert.equal((await olive.del(`/api/rooms/${room.id}`)).status, 204);
  assertError(await mia.get(`/api/rooms/${room.id}/messages?after=0`), 410, 'room_deleted', 'member after deletion');
  for (const [label, call] of ROUTES.filter(([l]) => !MESSAGE_ROUTES.has(l) && l !== 'events')) {
    assertError(await call(mallory, room.id, messageId), 404, 'room_not_found', `non-member ${label} of a deleted private room`);
  }
});

test('an open room is still everyone\'s: a non-owner joins, polls, posts and reacts as before', async () => {
  const room = await createRoom(olive);
  await join(mallory, room.id);
  const posted = await say(mallory, room.id, 'hello open room');
  const poll = await mallory.get(`/api/rooms/${room.id}/messages?after=0`);
  assert.equal(poll.status, 200, poll.text);
  assert.equal(poll.body.messages.length, 1, JSON.stringify(posted));
  assert.equal((await mallory.get(`/api/rooms/${room.id}`)).status, 200);
});

test('the poll\'s fast path applies the rule too: a member row gone while users.room_id still points in answers 404 on the next poll and post', async () => {
  const room = await privateRoom();
  await addMember(room.id, mia);
  await join(mia, room.id);
  assert.equal((await mia.get(`/api/rooms/${room.id}/messages?after=0`)).status, 200);
  // Only the member row goes (as a removal's would); the "inside now" column stays.
  sql(stack.db, `DELETE FROM room_members WHERE room_id = ${room.id} AND user_id = ${mia.user.id}`);
  assert.equal(sql(stack.db, `SELECT room_id FROM users WHERE id = ${mia.user.id}`), String(room.id));
  assertError(await mia.get(`/api/rooms/${room.id}/messages?after=0`), 404, 'room_not_found', 'poll (fast path)');
  assertError(await mia.post(`/api/rooms/${room.id}/messages`, { text: 'still here?' }), 404, 'room_not_found', 'post');
  assertError(await mia.get(`/api/rooms/${room.id}`), 404, 'room_not_found', 'GET room');
});

test('members: the list of a private room and of an open room (owner plus whoever is inside), with "here"', async () => {
  const room = await privateRoom();
  await addMember(room.id, mia);
  await join(mia, room.id);
  const r = await mia.get(`/api/rooms/${room.id}/members`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body, { members: [
    { user: olive.user, role: 'owner', here: false },
    { user: mia.user, role: 'member', here: true },
  ] });
  const open = await createRoom(olive);
  await join(mallory, open.id);
  const o = await mallory.get(`/api/rooms/${open.id}/members`);
  assert.equal(o.status, 200, o.text);
  assert.deepEqual(o.body, { members: [
    { user: olive.user, role: 'owner', here: false },
    { user: mallory.user, role: 'member', here: true },
  ] });
});

test('adding members: owner only, of a private room; each refusal exact and writing nothing', async () => {
  const room = await privateRoom();
  await addMember(room.id, mia);
  const open = await createRoom(olive);
  const before = count(stack.db, 'room_members');
  assertError(await olive.post(`/api/rooms/${room.id}/members`, { username: 'mia' }), 409, 'already_member');
  assertError(await olive.post(`/api/rooms/${room.id}/members`, { username: 'MIA' }), 409, 'already_member', 'usernames fold case');
  assertError(await olive.post(`/api/rooms/${room.id}/members`, { username: 'nobody_here' }), 404, 'user_not_found');
  assertError(await olive.post(`/api/rooms/${room.id}/members`, { username: 'bad name!' }), 404, 'user_not_found');
  assertError(await olive.post(`/api/rooms/${room.id}/members`, { username: 5 }), 400, 'invalid_json');
  assertError(await mia.post(`/api/rooms/${room.id}/members`, { username: 'mallory' }), 403, 'not_owner');
  assertError(await olive.post(`/api/rooms/${open.id}/members`, { username: 'mallory' }), 400, 'room_not_private');
  assertError(await mallory.post(`/api/rooms/${room.id}/members`, { username: 'mallory' }), 404, 'room_not_found');
  assertError(await olive.del(`/api/rooms/${room.id}/members/${mallory.user.id}`), 404, 'member_not_found');
  assertError(await olive.del(`/api/rooms/${room.id}/members/${olive.user.id}`), 409, 'owner_stays');
  assertError(await mia.del(`/api/rooms/${room.id}/members/${olive.user.id}`), 403, 'not_owner');
  assertError(await olive.del(`/api/rooms/${room.id}/members/abc`), 404, 'not_found');
  assert.equal(count(stack.db, 'room_members'), before);
});

test('removal puts a member out at once: room_id cleared, the next poll and post 404, the push stream closed; every route then as for any outsider', async () => {
  const room = await privateRoom();
  await addMember(room.id, mia);
  await join(olive, room.id);
  await join(mia, room.id);
  const m = await say(olive, room.id, 'before the removal');
  let sub = null;
  if (HAVE_NCHAN) {
    sub = await openEvents(stack.base, mia.cookie, `/api/rooms/${room.id}/events`);
    assert.equal(sub.status, 200, sub.text);
  }
  try {
    const r = await olive.del(`/api/rooms/${room.id}/members/${mia.user.id}`);
    assert.equal(r.status, 204, r.text);
    assert.equal(sql(stack.db, `SELECT room_id IS NULL FROM users WHERE id = ${mia.user.id}`), '1', 'put out in the same transaction');
    if (sub) {
      const done = await Promise.race([sub.ended, new Promise((res) => { setTimeout(() => res(null), 2000); })]);
      assert.ok(done !== null, 'the removed member\'s stream is still open 2 s after the removal');
    }
  } finally {
    sub?.close();
  }
  for (const [label, call] of ROUTES) {
    const res = await call(mia, room.id, m.id ?? m.message?.id);
    if (MESSAGE_ROUTES.has(label)) assertError(res, 404, 'message_not_found', `removed ${label}`);
    else if (label === 'events' && !HAVE_NCHAN) assertError(res, 404, 'not_found', `removed ${label} (push off)`);
    else assertError(res, 404, 'room_not_found', `removed ${label}`);
  }
  assert.ok(!(await mia.get('/api/rooms')).body.rooms.some((x) => x.id === room.id), 'gone from the list');
  // A member may leave by removing themself; then they are an outsider too.
  await addMember(room.id, mallory);
  await join(mallory, room.id);
  assert.equal((await mallory.del(`/api/rooms/${room.id}/members/${mallory.user.id}`)).status, 204);
  assertError(await mallory.get(`/api/rooms/${room.id}/messages?after=0`), 404, 'room_not_found', 'after removing themself');
});

test('PATCH /api/rooms/{id}: the owner renames it and changes its topic; the same NFKC key rule as creation; others refused', async () => {
  const room = await privateRoom();
  await addMember(room.id, mia);
  const other = await createRoom(olive, unique('Other'));
  const patch = (who, body) => who.request('PATCH', `/api/rooms/${room.id}`, body);
  const renamed = unique('Renamed');
  const r = await patch(olive, { name: `  ${renamed} `, topic: ' new topic ' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.room.name, renamed);
  assert.equal(r.body.room.topic, 'new topic');
  assert.equal(r.body.room.kind, 'private');
  assert.deepEqual((await mia.get(`/api/rooms/${room.id}`)).body.room, r.body.room);
  const t = await patch(olive, { topic: '' });
  assert.equal(t.status, 200, t.text);
  assert.deepEqual([t.body.room.name, t.body.room.topic], [renamed, ''], 'a field left out stays');
  const self = await patch(olive, { name: renamed.toUpperCase() });
  assert.equal(self.status, 200, 'its own name in another case is not "taken"');
  const before = sql(stack.db, `SELECT name || '|' || topic FROM rooms WHERE id = ${room.id}`);
  // Fullwidth letters have the other room's NFKC key (core/text.h NameKey).
  const fullwidth = other.name.replace(/[A-Za-z0-9]/g, (c) => String.fromCodePoint(c.codePointAt(0) + 0xFEE0));
  assertError(await patch(olive, { name: other.name.toLowerCase() }), 409, 'room_name_taken');
  assertError(await patch(olive, { name: fullwidth }), 409, 'room_name_taken', 'NFKC look-alike');
  assertError(await patch(olive, { name: '' }), 400, 'invalid_room_name');
  assertError(await patch(olive, { name: null }), 400, 'invalid_room_name');
  assertError(await patch(olive, { topic: 'x'.repeat(251) }), 400, 'invalid_topic');
  assertError(await patch(mia, { topic: 'member tries' }), 403, 'not_owner');
  assertError(await patch(mallory, { topic: 'outsider tries' }), 404, 'room_not_found');
  assertError(await mallory.request('PATCH', `/api/rooms/${other.id}`, { name: unique('x') }), 403, 'not_owner', 'open room, not owner');
  assert.equal(sql(stack.db, `SELECT name || '|' || topic FROM rooms WHERE id = ${room.id}`), before, 'nothing changed');
});
