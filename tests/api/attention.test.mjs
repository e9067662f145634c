// Attention (issue 14) through the real nginx + workers + chat.db: read
// marks and unread counts on the room list, mentions stored only for people
// allowed in the room, GET /api/mentions and its paging, typing (rate limit,
// 409 outside the room, the room's push stream), the per-person stream
// (refused without a session, rung by a mention, ended on logout), and the
// poll's "attention" block, sent only when the caller's attention number
// changed. The push parts skip, loudly, without nginx's nchan module.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { openEvents } from '../lib/events.mjs';
import { startStack } from '../lib/stack.mjs';
import { PASSWORD, assertError, count, createRoom, join, say, sql, users } from './helpers.mjs';

const MODULE = '/usr/lib/nginx/modules/ngx_nchan_module.so';
const HAVE_NCHAN = existsSync(MODULE);
if (!HAVE_NCHAN) console.error(`!!! SKIPPED attention push tests: ${MODULE} is missing !!!`);
const skip = HAVE_NCHAN ? false : `nchan module missing (${MODULE})`;

let stack;
let alice;
let bob;
let carol;
let dave;

before(async () => {
  stack = await startStack({ env: { CHAT_POST_BURST: '1000', CHAT_JOIN_BURST: '1000', CHAT_WORKERS: '2' } });
  [alice, bob, carol, dave] = await users(stack.base, ['alice', 'bob', 'carol', 'dave']);
});
after(() => stack?.stop());

const roomsOf = async (client) => {
  const r = await client.get('/api/rooms');
  assert.equal(r.status, 200, r.text);
  return Object.fromEntries(r.body.rooms.map((room) => [room.id, room]));
};
const names = (list) => list.map((u) => u.username).sort();

test('unread counts for a person in another room grow with posts and fall after /read; the mark never moves back', async () => {
  const a = await createRoom(alice);
  const b = await createRoom(alice);
  await join(bob, b.id); // bob has entered b once: his mark starts at its newest message
  await join(bob, a.id); // and now sits in a
  await join(alice, b.id);
  assert.equal((await roomsOf(bob))[b.id].unread, 0);
  const posted = [];
  for (let i = 1; i <= 3; i += 1) {
    posted.push(await say(alice, b.id, `news ${i}`));
    const room = (await roomsOf(bob))[b.id];
    assert.equal(room.unread, i, `after ${i} posts`);
    assert.equal(room.mentions, 0);
  }
  // Alice's own messages are not unread for her.
  assert.equal((await roomsOf(alice))[b.id].unread, 0);
  // /read needs bob inside the room, like posting.
  assertError(await bob.post(`/api/rooms/${b.id}/read`, { id: posted[1].id }), 409, 'not_in_room');
  await join(bob, b.id);
  let r = await bob.post(`/api/rooms/${b.id}/read`, { id: posted[1].id });
  assert.equal(r.status, 204, r.text);
  assert.equal((await roomsOf(bob))[b.id].unread, 1);
  // An older id changes nothing: the mark never moves back.
  r = await bob.post(`/api/rooms/${b.id}/read`, { id: posted[0].id });
  assert.equal(r.status, 204, r.text);
  assert.equal((await roomsOf(bob))[b.id].unread, 1);
  assert.equal(Number(sql(stack.db, `SELECT message_id FROM read_marks WHERE room_id = ${b.id} AND user_id = (SELECT id FROM users WHERE username = 'bob')`)), posted[1].id);
  // Past the newest message: stops at the newest.
  r = await bob.post(`/api/rooms/${b.id}/read`, { id: posted[2].id + 1000000 });
  assert.equal(r.status, 204, r.text);
  assert.equal(Number(sql(stack.db, `SELECT message_id FROM read_marks WHERE room_id = ${b.id} AND user_id = (SELECT id FROM users WHERE username = 'bob')`)), posted[2].id);
  assert.equal((await roomsOf(bob))[b.id].unread, 0);
  // The join reply says where the mark was, for the "New messages" divider.
  await join(bob, a.id);
  await say(alice, b.id, 'one more');
  assert.equal((await join(bob, b.id)).last_read, posted[2].id);
});

test('unread counts stop at 100 and leave out deleted messages', async () => {
  const room = await createRoom(alice);
  await join(bob, room.id);
  await join(bob, (await createRoom(bob)).id);
  await join(alice, room.id);
  const first = await say(alice, room.id, 'to delete');
  assert.equal((await roomsOf(bob))[room.id].unread, 1);
  assert.equal((await alice.del(`/api/messages/${first.id}`)).status, 204);
  assert.equal((await roomsOf(bob))[room.id].unread, 0);
  for (let i = 0; i < 105; i += 1) await say(alice, room.id, `flood ${i}`);
  assert.equal((await roomsOf(bob))[room.id].unread, 100);
});

test('/read refuses a bad id (400), an unknown or hidden room (404), a deleted room (410), and changes nothing', async () => {
  const room = await createRoom(carol);
  await join(carol, room.id);
  const m = await say(carol, room.id, 'x');
  for (const body of [{}, { id: 'x' }, { id: 0 }, { id: -3 }, { id: 1.5 }, { id: '7' }, { id: null }]) {
    assertError(await carol.post(`/api/rooms/${room.id}/read`, body), 400, 'invalid_message_id', JSON.stringify(body));
  }
  assertError(await carol.post('/api/rooms/99999999/read', { id: m.id }), 404, 'room_not_found');
  const secret = await carol.post('/api/rooms', { name: 'carol secret', kind: 'private' });
  assertError(await dave.post(`/api/rooms/${secret.body.room.id}/read`, { id: m.id }), 404, 'room_not_found');
  const before = count(stack.db, 'read_marks');
  assert.equal((await carol.del(`/api/rooms/${room.id}`)).status, 204);
  assertError(await carol.post(`/api/rooms/${room.id}/read`, { id: m.id }), 410, 'room_deleted');
  assert.equal(count(stack.db, 'read_marks'), before);
});

test('a message mentions the @names of people allowed in the room: stored, counted as unread mentions, listed by /api/mentions', async () => {
  const room = await createRoom(alice);
  await join(alice, room.id);
  await join(bob, room.id);
  await join(bob, (await createRoom(bob)).id); // bob elsewhere
  const m = await say(alice, room.id, 'hi @bob and @Carol, not bob@example.com nor @nobody_here; @alice is me. Thanks @dave.');
  assert.deepEqual(names(m.mentions), ['bob', 'carol', 'dave']);
  const polled = await alice.get(`/api/rooms/${room.id}/messages?after=${m.id - 1}`);
  assert.deepEqual(names(polled.body.messages[0].mentions), ['bob', 'carol', 'dave']);
  const mine = (await roomsOf(bob))[room.id];
  assert.equal(mine.mentions, 1);
  assert.ok(mine.unread >= 1);
  // Carol never entered the open room: its mentions are its unread.
  assert.deepEqual([(await roomsOf(carol))[room.id].unread, (await roomsOf(carol))[room.id].mentions], [1, 1]);
  const list = await carol.get('/api/mentions');
  assert.equal(list.status, 200, list.text);
  assert.equal(list.body.messages[0].id, m.id);
  assert.equal(list.body.messages[0].room.id, room.id);
  // An edit makes them again; a deletion removes them.
  const edited = await alice.request('PATCH', `/api/messages/${m.id}`, { text: 'only @carol now' });
  assert.equal(edited.status, 200, edited.text);
  assert.deepEqual(names(edited.body.message.mentions), ['carol']);
  assert.equal((await roomsOf(bob))[room.id].mentions, 0);
  assert.equal((await alice.del(`/api/messages/${m.id}`)).status, 204);
  assert.equal(count(stack.db, 'mentions', `message_id = ${m.id}`), 0);
  assert.equal((await carol.get('/api/mentions')).body.messages.some((x) => x.id === m.id), false);
});

test('a mention of an outsider in a private room notifies nobody and leaks nothing', async () => {
  const made = await alice.post('/api/rooms', { name: 'alice and bob only', kind: 'private' });
  assert.equal(made.status, 201, made.text);
  const room = made.body.room;
  assert.equal((await alice.post(`/api/rooms/${room.id}/members`, { username: 'bob' })).status, 201);
  await join(alice, room.id);
  const before = Number(sql(stack.db, "SELECT attention FROM users WHERE username = 'carol'"));
  const m = await say(alice, room.id, '@carol would like this, @bob');
  assert.deepEqual(names(m.mentions), ['bob'], 'only the member is mentioned');
  assert.equal(count(stack.db, 'mentions', `message_id = ${m.id} AND user_id = (SELECT id FROM users WHERE username = 'carol')`), 0);
  assert.equal(Number(sql(stack.db, "SELECT attention FROM users WHERE username = 'carol'")), before, 'carol is not called');
  assert.equal((await carol.get('/api/mentions')).body.messages.some((x) => x.id === m.id), false);
  assert.equal((await roomsOf(carol))[room.id], undefined);
  // Bob's mention goes when he leaves the private room for good.
  assert.ok((await bob.get('/api/mentions')).body.messages.some((x) => x.id === m.id));
  const bobId = Number(sql(stack.db, "SELECT id FROM users WHERE username = 'bob'"));
  assert.equal((await alice.del(`/api/rooms/${room.id}/members/${bobId}`)).status, 204);
  assert.equal((await bob.get('/api/mentions')).body.messages.some((x) => x.id === m.id), false);
});

test('/api/mentions pages newest first, 50 at a time, with before=', async () => {
  const room = await createRoom(dave);
  await join(dave, room.id);
  const ids = [];
  for (let i = 0; i < 55; i += 1) ids.push((await say(dave, room.id, `@carol page ${i}`)).id);
  const first = await carol.get('/api/mentions');
  assert.equal(first.status, 200, first.text);
  assert.equal(first.body.messages.length, 50);
  assert.equal(first.body.more, true);
  assert.deepEqual(first.body.messages.slice(0, 50).map((m) => m.id), ids.slice().reverse().slice(0, 50));
  const last = first.body.messages.at(-1).id;
  const second = await carol.get(`/api/mentions?before=${last}`);
  assert.deepEqual(second.body.messages.slice(0, 5).map((m) => m.id), ids.slice(0, 5).reverse());
  for (const m of second.body.messages) assert.ok(m.id < last);
  assertError(await carol.get('/api/mentions?before=x'), 400, 'invalid_cursor');
  assertError(await new (bob.constructor)(stack.base).get('/api/mentions'), 401, 'not_logged_in');
});

test('the poll carries "attention" only when the caller\'s attention version changed', async () => {
  const here = await createRoom(bob);
  const there = await createRoom(alice);
  await join(alice, there.id);
  await join(bob, here.id);
  let r = await bob.get(`/api/rooms/${here.id}/messages?after=0&attention=`);
  assert.equal(r.status, 200, r.text);
  const version = r.body.attention.version;
  assert.match(version, /^\d+\.\d+$/, 'an opaque string');
  r = await bob.get(`/api/rooms/${here.id}/messages?after=0&attention=${version}`);
  assert.equal(r.body.attention, undefined, 'unchanged: not sent');
  r = await bob.get(`/api/rooms/${here.id}/messages?after=0`);
  assert.equal(r.body.attention, undefined, 'not asked: not sent');
  const m = await say(alice, there.id, 'ping @bob');
  // A mention reaches the version once the post program's fan-out copied it
  // to bob's inbox (core/fanout.h: ~50 ms after the post), not before.
  for (const until = Date.now() + 2000; ; await sleep(10)) {
    r = await bob.get(`/api/rooms/${here.id}/messages?after=0&attention=${version}`);
    if (r.body.attention || Date.now() > until) break;
  }
  assert.ok(r.body.attention, `no attention 2 s after the mention: ${r.text}`);
  assert.notEqual(r.body.attention.version, version);
  assert.ok(r.body.attention.mentions >= 1);
  assert.equal(r.body.attention.messages[0].id, m.id);
  assert.equal(r.body.attention.messages[0].room.id, there.id);
  // A direct message calls too.
  const dm = await alice.post('/api/direct', { username: 'bob' });
  assert.ok(dm.status === 201 || dm.status === 200, dm.text);
  await join(alice, dm.body.room.id);
  const v2 = r.body.attention.version;
  await say(alice, dm.body.room.id, 'psst');
  r = await bob.get(`/api/rooms/${here.id}/messages?after=0&attention=${v2}`);
  assert.notEqual(r.body.attention.version, v2);
  assert.equal(r.body.attention.direct, 1);
  assert.equal(r.body.attention.messages[0].text, 'psst');
});

test('typing: 204, at most one a session each 3 s (429 rate_limited), 409 outside the room', async () => {
  const room = await createRoom(carol);
  await join(carol, room.id);
  assert.equal((await carol.post(`/api/rooms/${room.id}/typing`)).status, 204);
  assertError(await carol.post(`/api/rooms/${room.id}/typing`), 429, 'rate_limited');
  assertError(await dave.post(`/api/rooms/${room.id}/typing`), 409, 'not_in_room');
  assertError(await new (dave.constructor)(stack.base).post(`/api/rooms/${room.id}/typing`), 401, 'not_logged_in');
});

test('typing says {"type":"typing","user"} on the room\'s push stream', { skip }, async () => {
  const room = await createRoom(dave);
  await join(dave, room.id);
  await join(alice, room.id);
  const sub = await openEvents(stack.base, dave.cookie, `/api/rooms/${room.id}/events`);
  assert.equal(sub.status, 200, sub.text);
  try {
    await new Promise((r) => { setTimeout(r, 300); });
    assert.equal((await alice.post(`/api/rooms/${room.id}/typing`)).status, 204);
    let event;
    do event = await sub.next(2000); while (event.data.type !== 'typing');
    assert.deepEqual(event.data.user, { id: Number(sql(stack.db, "SELECT id FROM users WHERE username = 'alice'")), username: 'alice' });
  } finally {
    sub.close();
  }
});

test('the person stream: refused without a session, rung by a mention, ended on logout', { skip }, async () => {
  const none = await openEvents(stack.base, '', '/api/me/events');
  assertError({ ...none, headers: none.headers }, 401, 'not_logged_in');
  const [erin] = await users(stack.base, ['erin']);
  const sub = await openEvents(stack.base, erin.cookie, '/api/me/events');
  assert.equal(sub.status, 200, sub.text);
  try {
    const room = await createRoom(alice);
    await join(alice, room.id);
    let event;
    for (let i = 0; i < 5 && !event; i += 1) {
      await say(alice, room.id, `@erin ${i}`);
      event = await sub.next(1000).catch(() => null);
    }
    assert.deepEqual(event?.data, { type: 'attention' });
    assert.equal((await erin.post('/api/logout')).status, 204);
    const ended = await Promise.race([sub.ended, new Promise((r) => { setTimeout(() => r(null), 3000); })]);
    assert.ok(ended, 'the stream ended on logout');
  } finally {
    sub.close();
  }
});

// The rings of the people a post or an edit names go out once the reply has
// gone (post.cpp RingPeopleAfter, serve.cc): an edit that names someone anew
// still rings their stream, after its 200.
test('an edit that names someone anew rings their person stream', { skip }, async () => {
  const [gil] = await users(stack.base, ['gil']);
  const sub = await openEvents(stack.base, gil.cookie, '/api/me/events');
  assert.equal(sub.status, 200, sub.text);
  try {
    const room = await createRoom(alice);
    await join(alice, room.id);
    let event;
    for (let i = 0; i < 5 && !event; i += 1) {
      const m = await say(alice, room.id, `hello ${i}`);
      const edited = await alice.request('PATCH', `/api/messages/${m.id}`, { text: `hello @gil ${i}` });
      assert.equal(edited.status, 200, edited.text);
      assert.deepEqual(edited.body.message.mentions.map((u) => u.username), ['gil']);
      event = await sub.next(1000).catch(() => null);
    }
    assert.deepEqual(event?.data, { type: 'attention' });
  } finally {
    sub.close();
  }
});

test('a password change ends the person streams of the other sessions, not its own', { skip }, async () => {
  const [here] = await users(stack.base, ['fay']);
  const there = new (here.constructor)(stack.base);
  const logged = await there.post('/api/login', { username: 'fay', password: PASSWORD });
  assert.equal(logged.status, 200, logged.text);
  const own = await openEvents(stack.base, here.cookie, '/api/me/events');
  const other = await openEvents(stack.base, there.cookie, '/api/me/events');
  assert.equal(own.status, 200, own.text);
  assert.equal(other.status, 200, other.text);
  try {
    await new Promise((r) => { setTimeout(r, 300); });
    const r = await here.post('/api/password', { old: PASSWORD, new: 'another fine password' });
    assert.equal(r.status, 204, r.text);
    const ended = await Promise.race([other.ended, new Promise((res) => { setTimeout(() => res(null), 3000); })]);
    assert.ok(ended, 'the other session\'s person stream ended');
    // The session that changed it keeps its stream: a mention still rings it.
    const room = await createRoom(alice);
    await join(alice, room.id);
    let event;
    for (let i = 0; i < 5 && !event; i += 1) {
      await say(alice, room.id, `@fay ${i}`);
      event = await own.next(1000).catch(() => null);
    }
    assert.deepEqual(event?.data, { type: 'attention' });
    const again = await openEvents(stack.base, there.cookie, '/api/me/events');
    assertError({ ...again, headers: again.headers }, 401, 'not_logged_in');
  } finally {
    own.close();
    other.close();
  }
});
