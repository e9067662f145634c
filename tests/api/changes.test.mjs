// The change feed and what travels on it (issue 12, DESIGN.md "Version 2"):
// edits, deletions, reactions and replies, each through the same step
// (core/feed.h), so every poll carries every creation and change once, in
// its current state, in one order. Every route and error code of DESIGN's
// rows; two readers who poll while a third edits, deletes and reacts end
// with the same state and see each change exactly once; deleted text is
// gone from chat.db; 8 people editing and reacting at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { ROOT, startStack } from '../lib/stack.mjs';
import { assertError, createRoom, join, sql, users } from './helpers.mjs';

let stack;
let ann; // owner of `room`
let ben;
let cat;
let dan; // never in `room`
let room;
const BIN = process.env.CHAT_BIN || joinPath(ROOT, 'build', 'bin');

before(async () => {
  stack = await startStack({ env: { CHAT_POST_BURST: '100000' } });
  [ann, ben, cat, dan] = await users(stack.base, ['ann', 'ben', 'cat', 'dan']);
  room = await createRoom(ann, 'Changes');
  for (const c of [ann, ben, cat]) await join(c, room.id);
});
after(() => stack?.stop());

const say = async (who, text, extra = {}) => {
  const r = await who.post(`/api/rooms/${room.id}/messages`, { text, ...extra });
  assert.equal(r.status, 201, r.text);
  return r.body.message;
};
const edit = (who, id, text) => who.request('PATCH', `/api/messages/${id}`, { text });
const react = (who, id, emoji) => who.request('PUT', `/api/messages/${id}/reactions`, { emoji });
const unreact = (who, id, emoji) => who.del(`/api/messages/${id}/reactions?emoji=${encodeURIComponent(emoji)}`);
const poll = (who, after, roomId = room.id) => who.get(`/api/rooms/${roomId}/messages?after=${after}`);

// Polls until nothing is left; returns every message object received, in order.
async function drainFrom(who, cursor, roomId = room.id) {
  const got = [];
  for (;;) {
    const r = await poll(who, cursor, roomId);
    assert.equal(r.status, 200, r.text);
    got.push(...r.body.messages);
    assert.ok(r.body.cursor >= cursor, 'the cursor never goes back');
    cursor = r.body.cursor;
    if (!r.body.more) return { got, cursor };
  }
}

test('an edit by the author: 200 with the new text and edited_at; the next poll carries it once, as one change', async () => {
  const m = await say(ben, 'helo');
  const { cursor } = await drainFrom(cat, m.id);
  const r = await edit(ben, m.id, 'hello');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.message.id, m.id);
  assert.equal(r.body.message.text, 'hello');
  assert.equal(r.body.message.created_at, m.created_at);
  assert.ok(Date.parse(r.body.message.edited_at) >= Date.parse(m.created_at));
  const first = await drainFrom(cat, cursor);
  assert.deepEqual(first.got, [r.body.message], 'the edited message, in its current state');
  assert.ok(first.cursor > m.id, 'an edit takes a new number, after the message id');
  assert.deepEqual((await drainFrom(cat, first.cursor)).got, [], 'and only once');
  // after=<the message id> still means "everything since that message".
  assert.deepEqual((await drainFrom(cat, m.id)).got.map((x) => x.text), ['hello']);
  assert.equal(sql(stack.db, `SELECT text FROM messages WHERE id = ${m.id}`), 'hello');
});

test('edit refusals: not_author, invalid_text, message_not_found, not_in_room, not_logged_in; nothing changes', async () => {
  const m = await say(ben, 'original');
  const seq = () => sql(stack.db, `SELECT seq || ' ' || text FROM messages WHERE id = ${m.id}`);
  const was = seq();
  assertError(await edit(ann, m.id, 'x'), 403, 'not_author', 'the owner is not the author');
  assertError(await edit(ben, m.id, '   '), 400, 'invalid_text');
  assertError(await edit(ben, m.id, 'x'.repeat(4001)), 400, 'invalid_text');
  assertError(await ben.request('PATCH', `/api/messages/${m.id}`, { text: 5 }), 400, 'invalid_text');
  assertError(await edit(ben, 999999999, 'x'), 404, 'message_not_found');
  assertError(await edit(dan, m.id, 'x'), 409, 'not_in_room');
  const anon = await fetch(`${stack.base}/api/messages/${m.id}`, {
    method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"text":"x"}',
  });
  assert.equal(anon.status, 401);
  assertError(await ben.request('PATCH', '/api/messages/abc', { text: 'x' }), 404, 'not_found');
  assert.equal(seq(), was, 'nothing changed');
});

test('delete: by author, by the room owner, by an admin; not_allowed for others; text and reactions gone from chat.db', async () => {
  const secret = `secret-${Date.now()}`;
  const byBen = await say(ben, secret);
  assert.equal((await react(cat, byBen.id, '👍')).status, 200);
  const { cursor } = await drainFrom(cat, byBen.id);
  assertError(await cat.del(`/api/messages/${byBen.id}`), 403, 'not_allowed');
  const r = await ben.del(`/api/messages/${byBen.id}`);
  assert.equal(r.status, 204, r.text);
  const got = (await drainFrom(cat, cursor)).got;
  assert.deepEqual(got, [{ id: byBen.id, room_id: room.id, deleted: true }]);
  assert.equal(sql(stack.db, `SELECT count(*) FROM messages WHERE text LIKE '%${secret}%'`), '0');
  assert.equal(sql(stack.db, `SELECT count(*) FROM reactions WHERE message_id = ${byBen.id}`), '0');
  // Gone from the file itself, not only from queries: secure_delete zeroes
  // the freed bytes; after a checkpoint neither chat.db nor its WAL holds them.
  sql(stack.db, 'PRAGMA wal_checkpoint(TRUNCATE)');
  for (const f of [stack.db, `${stack.db}-wal`]) {
    let bytes = Buffer.alloc(0);
    try { bytes = readFileSync(f); } catch { /* no WAL file */ }
    assert.ok(!bytes.includes(Buffer.from(secret)), `${f} still holds the deleted text`);
  }
  assertError(await ben.del(`/api/messages/${byBen.id}`), 404, 'message_not_found', 'twice');
  assertError(await edit(ben, byBen.id, 'back'), 404, 'message_not_found', 'no edit of a deleted message');
  assertError(await react(ben, byBen.id, '👍'), 404, 'message_not_found');
  // History leaves it out.
  const page = await cat.get(`/api/rooms/${room.id}/messages?before=${byBen.id + 1}&limit=100`);
  assert.ok(!page.body.messages.some((x) => x.id === byBen.id), 'not in history');

  const byCat = await say(cat, 'the owner may delete this');
  assert.equal((await ann.del(`/api/messages/${byCat.id}`)).status, 204, 'room owner');

  const byAnn = await say(ann, 'an admin may delete this');
  assertError(await ben.del(`/api/messages/${byAnn.id}`), 403, 'not_allowed');
  const admin = (flag) => spawnSync(joinPath(BIN, 'chatctl'), ['--db', stack.db, 'user', 'admin', 'ben', flag], { encoding: 'utf8' });
  const on = admin('on');
  assert.equal(on.status, 0, on.stderr);
  assert.equal((await ben.get('/api/me')).body.user.admin, true, '/api/me says so, for the page');
  try {
    assert.equal((await ben.del(`/api/messages/${byAnn.id}`)).status, 204, 'admin');
  } finally {
    assert.equal(admin('off').status, 0);
  }
  assert.equal((await ben.get('/api/me')).body.user.admin, undefined);
  const again = await say(ann, 'no longer');
  assertError(await ben.del(`/api/messages/${again.id}`), 403, 'not_allowed', 'admin off');
  assert.notEqual(admin('maybe').status, 0, 'on or off only');
});

test('reactions: add (twice changes nothing), remove, first-use order, who reacted; one change each', async () => {
  const m = await say(ann, 'react to me');
  let { cursor } = await drainFrom(cat, m.id);
  const a = await react(ben, m.id, '🎉');
  assert.equal(a.status, 200, a.text);
  assert.deepEqual(a.body.message.reactions, [{ emoji: '🎉', users: [ben.user] }]);
  const again = await react(ben, m.id, '🎉');
  assert.equal(again.status, 200);
  assert.deepEqual(again.body.message, a.body.message, 'adding twice changes nothing');
  await react(cat, m.id, '👍');
  await react(ann, m.id, '🎉');
  const now = (await react(ann, m.id, '👩‍💻')).body.message.reactions;
  assert.deepEqual(now, [
    { emoji: '🎉', users: [ben.user, ann.user] },
    { emoji: '👍', users: [cat.user] },
    { emoji: '👩‍💻', users: [ann.user] },
  ]);
  const seen = await drainFrom(cat, cursor);
  assert.equal(seen.got.length, 1, 'four changes to one message arrive as its current state, once');
  assert.deepEqual(seen.got[0].reactions, now);
  cursor = seen.cursor;
  const off = await unreact(ben, m.id, '🎉');
  assert.equal(off.status, 200, off.text);
  // Order of first use among the reactions still there: ann's 🎉 came after cat's 👍.
  assert.deepEqual(off.body.message.reactions, [
    { emoji: '👍', users: [cat.user] },
    { emoji: '🎉', users: [ann.user] },
    { emoji: '👩‍💻', users: [ann.user] },
  ]);
  const none = await unreact(ben, m.id, '🎉');
  assert.deepEqual(none.body.message, off.body.message, 'removing what is not there changes nothing');
  assert.equal((await drainFrom(cat, cursor)).got.length, 1);
  assertError(await react(dan, m.id, '👍'), 409, 'not_in_room');
});

test('invalid_emoji: not one emoji, or over 8 code points', async () => {
  const m = await say(ann, 'emoji rules');
  for (const bad of ['abc', '👍👍', 'ok👍', '1', '', ' ', '👍 ', '\u200d', '👨‍👩‍👧‍👦👍', 5, null]) {
    assertError(await ben.request('PUT', `/api/messages/${m.id}/reactions`, { emoji: bad }), 400, 'invalid_emoji', JSON.stringify(bad));
  }
  assertError(await unreact(ben, m.id, 'abc'), 400, 'invalid_emoji');
  for (const good of ['👍', '❤', '❤️', '🇫🇷', '1️⃣', '👍🏽', '👨‍👩‍👧‍👦']) {
    const r = await react(ben, m.id, good);
    assert.equal(r.status, 200, `${good}: ${r.text}`);
  }
});

test('reply_to: a live message of the same room, quoted (author, first 200 characters); a deleted original says so', async () => {
  const long = 'é'.repeat(250);
  const original = await say(ben, long);
  const reply = await say(cat, 'answer', { reply_to: original.id });
  assert.deepEqual(reply.reply_to, { id: original.id, user: ben.user, text: 'é'.repeat(200) });
  const other = await createRoom(dan);
  await join(dan, other.id);
  const elsewhere = (await dan.post(`/api/rooms/${other.id}/messages`, { text: 'there' })).body.message;
  const before = sql(stack.db, 'SELECT count(*) FROM messages');
  for (const bad of [elsewhere.id, 999999999, 0, -1, 'x', 1.5, {}]) {
    assertError(await cat.post(`/api/rooms/${room.id}/messages`, { text: 'r', reply_to: bad }), 400, 'invalid_reply_to', JSON.stringify(bad));
  }
  assert.equal(sql(stack.db, 'SELECT count(*) FROM messages'), before, 'nothing stored');
  assert.equal((await ben.del(`/api/messages/${original.id}`)).status, 204);
  assertError(await cat.post(`/api/rooms/${room.id}/messages`, { text: 'r', reply_to: original.id }), 400, 'invalid_reply_to', 'deleted');
  const page = await cat.get(`/api/rooms/${room.id}/messages?before=${reply.id + 1}&limit=1`);
  assert.deepEqual(page.body.messages[0].reply_to, { id: original.id, deleted: true });
});

test('two readers polling while a writer edits, deletes and reacts see each change once and the same final state', async () => {
  const r = await createRoom(ann);
  for (const c of [ann, ben, cat]) await join(c, r.id);
  const post = (text) => ann.post(`/api/rooms/${r.id}/messages`, { text });
  const ids = [];
  for (let i = 0; i < 5; i += 1) ids.push((await post(`m${i}`)).body.message.id);
  const readers = [ben, cat].map((who) => ({ who, cursor: 0, state: new Map(), numbers: [] }));
  const step = async (rd) => {
    const p = await poll(rd.who, rd.cursor, r.id);
    assert.equal(p.status, 200, p.text);
    for (const m of p.body.messages) rd.state.set(m.id, m);
    rd.numbers.push(...p.body.messages.map(() => p.body.cursor));
    rd.cursor = p.body.cursor;
  };
  const actions = [
    () => ann.request('PATCH', `/api/messages/${ids[0]}`, { text: 'm0 edited' }),
    () => react(ben, ids[1], '👀'),
    () => ann.del(`/api/messages/${ids[2]}`),
    () => post('m5'),
    () => ann.request('PATCH', `/api/messages/${ids[0]}`, { text: 'm0 edited twice' }),
    () => unreact(ben, ids[1], '👀'),
    () => react(cat, ids[3], '😂'),
  ];
  await Promise.all(readers.map(step)); // the 5 creations
  for (const act of actions) {
    const res = await act();
    assert.ok(res.status < 300, `${act}: ${res.status} ${res.text}`);
    await Promise.all(readers.map(step));
  }
  for (const rd of readers) await step(rd);
  const [b, c] = readers.map((rd) => [...rd.state.values()].sort((x, y) => x.id - y.id));
  assert.deepEqual(b, c, 'the same final state');
  assert.equal(b.find((m) => m.id === ids[0]).text, 'm0 edited twice');
  assert.deepEqual(b.find((m) => m.id === ids[1]).reactions, []);
  assert.deepEqual(b.find((m) => m.id === ids[2]), { id: ids[2], room_id: r.id, deleted: true });
  assert.deepEqual(b.find((m) => m.id === ids[3]).reactions, [{ emoji: '😂', users: [cat.user] }]);
  // Each reader received 5 creations + 7 changes: one message object per change, none twice.
  const total = readers.map((rd) => rd.numbers.length);
  assert.deepEqual(total, [12, 12]);
  // A fresh join shows live messages only and a cursor after every change.
  const joined = await join(cat, r.id);
  assert.deepEqual(joined.messages.map((m) => m.text), ['m0 edited twice', 'm1', 'm3', 'm4', 'm5']);
  assert.equal(joined.cursor, readers[1].cursor);
  assert.deepEqual((await poll(cat, joined.cursor, r.id)).body.messages, []);
});

test('8 people editing and reacting at once: no 5xx, every change numbered once, one order for every reader', async () => {
  const r = await createRoom(ann);
  const people = await users(stack.base, ['edit1', 'edit2', 'edit3', 'edit4', 'edit5', 'edit6', 'edit7', 'edit8']);
  for (const p of people) await join(p, r.id);
  const mine = await Promise.all(people.map(async (p) => (await p.post(`/api/rooms/${r.id}/messages`, { text: 'v0' })).body.message));
  const target = mine[0].id;
  const statuses = [];
  await Promise.all(people.map(async (p, i) => {
    for (let k = 1; k <= 6; k += 1) {
      const e = await p.request('PATCH', `/api/messages/${mine[i].id}`, { text: `v${k}` });
      const x = await react(p, target, ['👍', '🎉', '👀'][k % 3]);
      statuses.push(`${e.status} ${e.status === 200 ? '' : e.text}`, `${x.status} ${x.status === 200 ? '' : x.text}`);
    }
  }));
  assert.ok(statuses.every((s) => s.startsWith('200')), `statuses: ${[...new Set(statuses)]}`);
  const seqs = sql(stack.db, `SELECT seq FROM messages WHERE room_id = ${r.id} ORDER BY seq`).split('\n').map(Number);
  assert.equal(new Set(seqs).size, seqs.length, 'no two messages share a change number');
  const a = await drainFrom(people[1], 0, r.id);
  const b = await drainFrom(people[2], 0, r.id);
  assert.deepEqual(a.got.map((m) => m.id), b.got.map((m) => m.id), 'one order');
  for (const m of a.got) assert.ok(m.text === 'v6', `${m.id}: ${m.text}`);
});

test('the migration to version with the change feed numbers every old message by its id', () => {
  const file = readdirSync(joinPath(ROOT, 'sql', 'migrations')).find((f) => /_change_feed\.sql$/.test(f));
  assert.ok(file, 'a change-feed migration exists');
  // Upgrading from the previous schema keeping every row is covered by
  // migrations.test.mjs (release 1's database through every migration, every
  // row and value kept, the same shape as schema.sql); here the feed's part.
  assert.equal(sql(stack.db, 'SELECT count(*) FROM messages WHERE seq IS NULL'), '0');
  assert.equal(sql(stack.db, "SELECT count(*) FROM sqlite_master WHERE name IN ('messages_feed', 'messages_seq', 'reactions')"), '3');
});
