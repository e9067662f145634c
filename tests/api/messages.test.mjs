// Messages: posting (text rules, stored exactly as sent, client_id retries)
// and reading (after=N polls, before=N&limit=L history pages, cursors).
// The post rate limit is set out of the way here; post-rate-limit.test.mjs
// tests it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import {
  RFC3339_MS, assertAscending, assertError, count, createRoom, drain, join, say, sql, unique, users,
} from './helpers.mjs';

let stack;
let ann;
let ben;
let room; // ann and ben are inside

before(async () => {
  // Limits are tested in post-rate-limit and room-limits; here they stay out of the way.
  stack = await startStack({ env: { CHAT_POST_BURST: '100000', CHAT_ROOM_CREATE_BURST: '1000', CHAT_JOIN_BURST: '1000' } });
  [ann, ben] = await users(stack.base, ['ann', 'ben']);
  room = await createRoom(ann, 'Main');
  await join(ann, room.id);
  await join(ben, room.id);
});
after(() => stack?.stop());

const path = (id = room.id) => `/api/rooms/${id}/messages`;

// A room of its own for tests that count, with ann inside.
async function freshRoom() {
  const r = await createRoom(ann);
  await join(ann, r.id);
  return r;
}

// Sends a raw body (bytes) as ann.
function rawPost(body, roomId = room.id) {
  return fetch(stack.base + path(roomId), {
    method: 'POST', headers: { 'content-type': 'application/json', cookie: ann.cookie }, body,
  });
}

test('post answers 201 with the message: id, room_id, user, text, created_at (RFC 3339 ms), edited_at, reply_to, reactions, attachments', async () => {
  const t0 = Date.now();
  const r = await ann.post(path(), { text: 'hello' });
  assert.equal(r.status, 201, r.text);
  const m = r.body.message;
  assert.deepEqual(Object.keys(m).sort(),
    ['attachments', 'created_at', 'edited_at', 'id', 'mentions', 'reactions', 'reply_to', 'room_id', 'text', 'user']);
  assert.equal(m.edited_at, null);
  assert.equal(m.reply_to, null);
  assert.deepEqual(m.reactions, []);
  assert.ok(Number.isInteger(m.id) && m.id > 0);
  assert.equal(m.room_id, room.id);
  assert.deepEqual(m.user, ann.user);
  assert.equal(m.text, 'hello');
  assert.match(m.created_at, RFC3339_MS);
  assert.ok(Math.abs(Date.parse(m.created_at) - t0) < 60000);
  assert.equal(count(stack.db, 'messages', `id = ${m.id} AND room_id = ${room.id} AND text = 'hello'`), 1);
  const polled = await ben.get(`${path()}?after=${m.id - 1}`);
  assert.deepEqual(polled.body.messages, [m], 'a reader gets the same message');
});

test('text is stored and returned exactly as sent: markup, entities, quotes, newlines, surrounding spaces', async () => {
  const texts = [
    '<img src=x onerror=alert(1)>',
    '<script>alert("x")</script>',
    '&amp; &lt;b&gt; &#x27;',
    '  padded both sides  ',
    'line one\nline two\r\n\ttabbed',
    '"double" \'single\' `back` \\ backslash',
    'emoji 😀👍🏽 and 中文 and עברית',
    '{"json": "inside"}',
    "Robert'); DROP TABLE messages;--",
  ];
  const r = await freshRoom();
  const sent = [];
  for (const text of texts) sent.push(await say(ann, r.id, text));
  assert.deepEqual(sent.map((m) => m.text), texts, 'the post reply');
  const { messages } = await drain(ann, r.id);
  assert.deepEqual(messages.map((m) => m.text), texts, 'the poll');
  assert.deepEqual((await join(ann, r.id)).messages.map((m) => m.text), texts, 'the join history');
  const stored = sql(stack.db, `SELECT hex(text) FROM messages WHERE room_id = ${r.id} ORDER BY id`).split('\n');
  assert.deepEqual(stored, texts.map((t) => Buffer.from(t, 'utf8').toString('hex').toUpperCase()), 'the database bytes');
});

test('post refuses empty, blank, 4001-character, NUL-containing and non-string text: 400 invalid_text', async () => {
  const r = await freshRoom();
  const bad = [
    '', ' ', ' \t\r\n ', '\u00a0\u3000\u2003\ufeff', 'x'.repeat(4001), '😀'.repeat(4001), `${'é'.repeat(4000)}!`,
    '\u0000', 'before\u0000after', 42, null, true, ['hi'], { text: 'hi' }, undefined,
  ];
  for (const text of bad) {
    assertError(await ann.post(path(r.id), { text }), 400, 'invalid_text', JSON.stringify(text)?.slice(0, 30));
  }
  assert.equal(count(stack.db, 'messages', `room_id = ${r.id}`), 0, 'nothing stored');
});

test('post refuses text that is not valid UTF-8 (raw bytes or a lone surrogate) with 400', async () => {
  const r = await freshRoom();
  const bodies = [
    Buffer.from('{"text":"a\xffb"}', 'latin1'),
    Buffer.from('{"text":"\xc0\x80"}', 'latin1'), // overlong NUL
    Buffer.from('{"text":"\xed\xa0\x80"}', 'latin1'), // UTF-8 encoded surrogate
    '{"text":"\\ud800"}',
    '{"text":"\\udc00 tail"}',
  ];
  for (const body of bodies) {
    const res = await rawPost(body, r.id);
    const text = await res.text();
    assert.equal(res.status, 400, `${JSON.stringify(body.toString())}: ${text}`);
    assert.match(JSON.parse(text).error.code, /^(invalid_text|invalid_json)$/);
  }
  assert.equal(count(stack.db, 'messages', `room_id = ${r.id}`), 0);
});

test('message length is counted in characters: 4000 emoji, 4000 letters, and 4000 letters padded with spaces are accepted', async () => {
  const r = await freshRoom();
  for (const text of ['😀'.repeat(4000), 'é'.repeat(4000), 'w'.repeat(4000), `  ${'p'.repeat(4000)}\n`]) {
    const m = await say(ann, r.id, text);
    assert.equal(m.text, text, 'returned untrimmed');
  }
  assert.equal(count(stack.db, 'messages', `room_id = ${r.id}`), 4);
});

test('4000 emoji sent as escaped surrogate pairs count as 4000 characters', async () => {
  const r = await freshRoom();
  const res = await rawPost(`{"text":"${'\\ud83d\\ude00'.repeat(4000)}"}`, r.id);
  const body = await res.json();
  assert.equal(res.status, 201, JSON.stringify(body).slice(0, 200));
  assert.equal(body.message.text, '😀'.repeat(4000));
  const over = await rawPost(`{"text":"${'\\ud83d\\ude00'.repeat(4001)}"}`, r.id);
  assert.equal(over.status, 400);
  assert.equal((await over.json()).error.code, 'invalid_text');
});

test('a retried post with the same client_id answers 200 with the first message and stores it once', async () => {
  const r = await freshRoom();
  const clientId = '5b0c9f7e-1a2b-4c3d-8e9f-0123456789ab';
  const first = await ann.post(path(r.id), { text: 'only once', client_id: clientId });
  assert.equal(first.status, 201, first.text);
  const retry = await ann.post(path(r.id), { text: 'only once', client_id: clientId });
  assert.equal(retry.status, 200, retry.text);
  assert.deepEqual(retry.body.message, first.body.message);
  const changed = await ann.post(path(r.id), { text: 'different text, same id', client_id: clientId });
  assert.equal(changed.status, 200);
  assert.deepEqual(changed.body.message, first.body.message, 'the stored message wins');
  assert.equal(count(stack.db, 'messages', `room_id = ${r.id}`), 1);
  const { messages } = await drain(ann, r.id);
  assert.deepEqual(messages, [first.body.message]);
});

test("client_id belongs to its sender: another user's same client_id is a new message", async () => {
  const r = await freshRoom();
  await join(ben, r.id);
  const clientId = 'shared-id-123';
  const a = await ann.post(path(r.id), { text: 'from ann', client_id: clientId });
  const b = await ben.post(path(r.id), { text: 'from ben', client_id: clientId });
  assert.equal(a.status, 201, a.text);
  assert.equal(b.status, 201, b.text);
  assert.notEqual(a.body.message.id, b.body.message.id);
  assert.equal(b.body.message.text, 'from ben');
  await join(ben, room.id);
});

test('post refuses a malformed client_id with 400 invalid_client_id', async () => {
  const r = await freshRoom();
  for (const clientId of ['', 'x'.repeat(65), 'has space', 'semi;colon', 'ü', 42, null]) {
    assertError(await ann.post(path(r.id), { text: 'hi', client_id: clientId }), 400, 'invalid_client_id', JSON.stringify(clientId));
  }
  assert.equal((await ann.post(path(r.id), { text: 'hi', client_id: 'A'.repeat(64) })).status, 201);
  assert.equal(count(stack.db, 'messages', `room_id = ${r.id}`), 1);
});

test('post and poll answer 404 room_not_found for an unknown room, 409 not_in_room for a room not joined', async () => {
  assertError(await ann.post(path(999999), { text: 'hi' }), 404, 'room_not_found');
  assertError(await ann.get(`${path(999999)}?after=0`), 404, 'room_not_found');
  const other = await createRoom(ben);
  assertError(await ann.post(path(other.id), { text: 'hi' }), 409, 'not_in_room');
  assertError(await ann.get(`${path(other.id)}?after=0`), 409, 'not_in_room');
  assertError(await ann.get(`${path(other.id)}?before=10&limit=5`), 409, 'not_in_room');
  assert.equal(count(stack.db, 'messages', `room_id = ${other.id}`), 0);
});

test('409 not_in_room says only what is true: never joined (no room) is not "you joined another one"; moved away names the room now in', async () => {
  const [cal] = await users(stack.base, [unique('cal')]);
  const room = await createRoom(ben);
  for (const r of [await cal.post(path(room.id), { text: 'hi' }), await cal.get(`${path(room.id)}?after=0`)]) {
    assertError(r, 409, 'not_in_room');
    assert.equal(r.body.error.message, 'You are not in this room; join it to read or post here.');
    assert.doesNotMatch(r.body.error.message, /another/);
    assert.equal(r.body.in_room, null);
  }
  const elsewhere = await createRoom(ben);
  await join(cal, elsewhere.id);
  for (const r of [await cal.post(path(room.id), { text: 'hi' }), await cal.get(`${path(room.id)}?after=0`)]) {
    assertError(r, 409, 'not_in_room');
    assert.equal(r.body.error.message, 'You are in another room now; join this one to read or post here.');
    assert.equal(r.body.in_room, elsewhere.id);
  }
  assert.equal(count(stack.db, 'messages', `room_id = ${room.id}`), 0);
});

test('poll after=N answers only newer messages, ascending, with the cursor of the last one', async () => {
  const r = await freshRoom();
  const sent = [];
  for (let i = 0; i < 5; i += 1) sent.push(await say(ann, r.id, `m${i}`));
  const p = await ann.get(`${path(r.id)}?after=${sent[1].id}`);
  assert.equal(p.status, 200, p.text);
  assert.deepEqual(p.body.messages, sent.slice(2));
  assert.equal(p.body.cursor, sent[4].id);
  assert.equal(p.body.more, false);
  const empty = await ann.get(`${path(r.id)}?after=${p.body.cursor}`);
  assert.deepEqual(empty.body.messages, []);
  assert.equal(empty.body.cursor, p.body.cursor, 'nothing new keeps the cursor');
  const all = await ann.get(`${path(r.id)}?after=0`);
  assert.deepEqual(all.body.messages, sent);
  assert.equal(all.headers.get('cache-control'), 'no-store');
});

test('poll never answers messages of another room', async () => {
  const a = await freshRoom();
  const b = await createRoom(ben);
  await join(ben, b.id);
  await say(ben, b.id, 'in b');
  const mine = await say(ann, a.id, 'in a');
  await say(ben, b.id, 'in b again');
  const { messages } = await drain(ann, a.id);
  assert.deepEqual(messages, [mine]);
  await join(ben, room.id);
});

let big; // a room with 250 messages, and their ids in order
async function bigRoom() {
  if (big) return big;
  const r = await freshRoom();
  const sent = [];
  for (let i = 0; i < 250; i += 10) {
    const batch = await Promise.all(Array.from({ length: 10 }, (_, k) => say(ann, r.id, `n${i + k}`)));
    sent.push(...batch);
  }
  sent.sort((x, y) => x.id - y.id);
  big = { room: r, ids: sent.map((m) => m.id) };
  return big;
}

test('poll after=N answers at most 200 messages with more: true, and the next poll brings the rest', async () => {
  const { room: r, ids } = await bigRoom();
  const first = await ann.get(`${path(r.id)}?after=0`);
  assert.equal(first.status, 200);
  assert.equal(first.body.messages.length, 200);
  assert.equal(first.body.more, true);
  assert.deepEqual(first.body.messages.map((m) => m.id), ids.slice(0, 200));
  assert.equal(first.body.cursor, ids[199]);
  const second = await ann.get(`${path(r.id)}?after=${first.body.cursor}`);
  assert.deepEqual(second.body.messages.map((m) => m.id), ids.slice(200));
  assert.equal(second.body.more, false);
  assert.equal(second.body.cursor, ids[249]);
});

test('poll before=N&limit=L answers the L messages just before N, ascending, and whether older ones exist', async () => {
  const { room: r, ids } = await bigRoom();
  const page = await ann.get(`${path(r.id)}?before=${ids[100]}&limit=30`);
  assert.equal(page.status, 200, page.text);
  assert.deepEqual(page.body.messages.map((m) => m.id), ids.slice(70, 100));
  assert.equal(page.body.more, true);
  const oldest = await ann.get(`${path(r.id)}?before=${ids[10]}&limit=100`);
  assert.deepEqual(oldest.body.messages.map((m) => m.id), ids.slice(0, 10));
  assert.equal(oldest.body.more, false);
  const max = await ann.get(`${path(r.id)}?before=${ids[249] + 1}&limit=100`);
  assert.deepEqual(max.body.messages.map((m) => m.id), ids.slice(150), 'L = 100 is allowed');
  const dflt = await ann.get(`${path(r.id)}?before=${ids[249] + 1}`);
  assert.deepEqual(dflt.body.messages.map((m) => m.id), ids.slice(200), 'L defaults to 50');
  const exact = await ann.get(`${path(r.id)}?before=${ids[10]}&limit=10`);
  assert.equal(exact.body.messages.length, 10);
  assert.equal(exact.body.more, false, 'no older message exists');
});

test('poll with neither after nor before answers the latest 50 and their cursor, like join', async () => {
  const { room: r, ids } = await bigRoom();
  const p = await ann.get(path(r.id));
  assert.equal(p.status, 200);
  assert.deepEqual(p.body.messages.map((m) => m.id), ids.slice(200));
  assert.equal(p.body.cursor, ids[249]);
  assertAscending(p.body.messages);
});

test('a cursor that is negative, not a decimal number or beyond 2^63-1 answers 400 invalid_cursor, for after and before', async () => {
  const r = await freshRoom();
  const bad = ['-1', 'abc', '', '1.5', '+1', ' 1', '1 ', '0x10', '1e3', '１', '9223372036854775808', '18446744073709551616', '99999999999999999999'];
  for (const v of bad) {
    const q = encodeURIComponent(v);
    assertError(await ann.get(`${path(r.id)}?after=${q}`), 400, 'invalid_cursor', `after=${v}`);
    assertError(await ann.get(`${path(r.id)}?before=${q}&limit=10`), 400, 'invalid_cursor', `before=${v}`);
  }
  const top = await ann.get(`${path(r.id)}?after=9223372036854775807`);
  assert.equal(top.status, 200, '2^63-1 is a valid cursor');
  assert.deepEqual(top.body.messages, []);
});

test('after and before together, or a limit outside 1..100 or without before, answer 400 invalid_cursor', async () => {
  const r = await freshRoom();
  for (const q of ['after=1&before=5', 'after=0&before=0', 'before=10&limit=0', 'before=10&limit=101', 'before=10&limit=-1', 'before=10&limit=x', 'limit=10', 'after=0&limit=10']) {
    assertError(await ann.get(`${path(r.id)}?${q}`), 400, 'invalid_cursor', q);
  }
});
