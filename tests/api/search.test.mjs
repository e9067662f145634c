// Search (issue 15, DESIGN.md "Version 2"; cgi-bin/search.cpp over the FTS5
// trigram index of sql/schema.sql): parts of words and text without spaces
// are found, phrases and several words, FTS5 syntax typed by a person is
// only text, private rooms of others and deleted messages never show, an
// edit is found by its new words only, and paging by before= has no gaps.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../lib/client.mjs';
import { startStack } from '../lib/stack.mjs';
import { assertError, createRoom, join, say, sql, unique, users } from './helpers.mjs';

let stack;
let ann;
let bob;
let eve;
let room; // open, ann posts here
let secret; // ann's private room; eve is no member

before(async () => {
  stack = await startStack({ env: { CHAT_POST_BURST: '1000', CHAT_ROOM_CREATE_BURST: '1000', CHAT_JOIN_BURST: '1000' } });
  [ann, bob, eve] = await users(stack.base, [unique('ann'), unique('bob'), unique('eve')]);
  room = await createRoom(ann);
  const r = await ann.post('/api/rooms', { name: unique('secret'), kind: 'private' });
  assert.equal(r.status, 201, r.text);
  secret = r.body.room;
});
after(() => stack?.stop());

const search = (who, params) => who.get(`/api/search?${new URLSearchParams(params)}`);
async function found(who, params) {
  const r = await search(who, params);
  assert.equal(r.status, 200, r.text);
  return r.body;
}
const ids = (body) => body.results.map((x) => x.message.id);

test('finds parts of words, case-insensitively, with code-point highlights', async () => {
  await join(ann, room.id);
  const m = await say(ann, room.id, 'Déjà vu: the Conference is at https://example.org/quarterly-report');
  const body = await found(bob, { q: 'FERENC' });
  assert.deepEqual(ids(body), [m.id]);
  const hit = body.results[0];
  assert.equal(hit.room.id, room.id);
  assert.equal(hit.message.text, m.text);
  assert.deepEqual(hit.highlights, [[16, 22]]); // code points: "Déjà vu: the Con" is 16 (18 bytes)
  assert.equal([...m.text].slice(16, 22).join(''), 'ferenc');
  assert.deepEqual(ids(await found(bob, { q: 'quarterly' })), [m.id], 'a word inside a URL');
  assert.equal(body.more, false);
});

test('Chinese, Japanese and Thai text without spaces; emoji', async () => {
  await join(ann, room.id);
  const zh = await say(ann, room.id, '今天的会议记录在这里');
  const ja = await say(ann, room.id, '明日の打ち合わせは十時からです');
  const th = await say(ann, room.id, 'พรุ่งนี้มีประชุมตอนสิบโมง');
  const emoji = await say(ann, room.id, 'ship it 🚀🚀 today');
  assert.deepEqual(ids(await found(bob, { q: '会议记录' })), [zh.id]);
  const j = await found(bob, { q: '打ち合わせ' });
  assert.deepEqual(ids(j), [ja.id]);
  assert.deepEqual(j.results[0].highlights, [[3, 8]]);
  assert.deepEqual(ids(await found(bob, { q: 'ประชุม' })), [th.id]);
  const e = await found(bob, { q: 'ship 🚀🚀' });
  assert.deepEqual(ids(e), [emoji.id]);
  // Two characters: no trigram; with room= the room is read with the same folding.
  assert.deepEqual(ids(await found(bob, { q: '会议', room: room.id })), [zh.id]);
  assertError(await search(bob, { q: '会议' }), 400, 'query_too_short');
});

test('several words must all match; a quoted phrase is one piece of text', async () => {
  await join(ann, room.id);
  const a = await say(ann, room.id, 'purple elephant dances');
  const b = await say(ann, room.id, 'elephant purple dances');
  await say(ann, room.id, 'purple giraffe');
  assert.deepEqual(ids(await found(bob, { q: 'elephant purple' })).sort(), [a.id, b.id].sort());
  const p = await found(bob, { q: '"purple elephant"' });
  assert.deepEqual(ids(p), [a.id]);
  assert.deepEqual(p.results[0].highlights, [[0, 15]]);
  // A short word beside a long one filters the long one's results.
  assert.deepEqual(ids(await found(bob, { q: 'elephant da' })).sort(), [a.id, b.id].sort());
});

test('FTS5 syntax typed by a person is text, never an error', async () => {
  await join(ann, room.id);
  const m = await say(ann, room.id, 'say "hi" * NEAR(x y) - col:on AND OR NOT ^start');
  for (const q of ['"', '""', '"hi"', '*', 'x*', 'NEAR(', 'NEAR(x y)', '-', 'a - b', ':', 'col:on', 'AND', 'OR NOT',
    '^start', '(', ')', '{a b}', "'", '\\', '%', '_', '"unclosed phrase', 'a"b"c']) {
    const r = await search(bob, { q });
    assert.ok(r.status === 200 || (r.status === 400 && r.body.error.code === 'query_too_short'), `${q}: ${r.status} ${r.text}`);
  }
  assert.ok(ids(await found(bob, { q: 'NEAR(x' })).includes(m.id));
  assert.ok(ids(await found(bob, { q: 'col:on' })).includes(m.id));
  assert.ok(ids(await found(bob, { q: '^start' })).includes(m.id));
  assertError(await search(bob, { q: '' }), 400, 'invalid_query');
  assertError(await search(bob, { q: '   ' }), 400, 'invalid_query');
  assertError(await search(bob, { q: 'x'.repeat(201) }), 400, 'invalid_query');
  assert.equal((await search(bob, { q: '語'.repeat(200) })).status, 200, '200 characters (600 bytes) is allowed');
  for (const raw of ['%FF%FEabc', 'abc%00def', '%E4%BCabc']) { // not UTF-8, a NUL (was a 500), a cut character
    assertError(await bob.get(`/api/search?q=${raw}`), 400, 'invalid_query', raw);
  }
  assertError(await search(bob, { q: 'abc', before: 'x' }), 400, 'invalid_cursor');
  assertError(await search(new Client(stack.base), { q: 'abc' }), 401, 'not_logged_in');
});

test('private rooms: only members find them; room= of an unreadable room is 404', async () => {
  await join(ann, secret.id);
  const word = unique('zebrafish');
  const m = await say(ann, secret.id, `the ${word} plan`);
  assert.deepEqual(ids(await found(ann, { q: word })), [m.id]);
  assert.deepEqual(ids(await found(eve, { q: word })), []);
  assertError(await search(eve, { q: word, room: secret.id }), 404, 'room_not_found');
  assertError(await search(eve, { q: word, room: 999999 }), 404, 'room_not_found');
  // A member who is removed loses the results at once.
  const add = await ann.post(`/api/rooms/${secret.id}/members`, { username: eve.user.username });
  assert.equal(add.status, 201, add.text);
  assert.deepEqual(ids(await found(eve, { q: word })), [m.id]);
  const del = await ann.del(`/api/rooms/${secret.id}/members/${eve.user.id}`);
  assert.ok(del.status < 300, del.text);
  assert.deepEqual(ids(await found(eve, { q: word })), []);
});

test('a member who leaves a private room for good no longer finds its messages, at once; nor anyone those of a deleted room', async () => {
  const r = await ann.post('/api/rooms', { name: unique('club'), kind: 'private' });
  assert.equal(r.status, 201, r.text);
  const club = r.body.room;
  await join(ann, club.id);
  const add = await ann.post(`/api/rooms/${club.id}/members`, { username: bob.user.username });
  assert.equal(add.status, 201, add.text);
  const word = unique('pangolin');
  const m = await say(ann, club.id, `club ${word}`);
  assert.deepEqual(ids(await found(bob, { q: word })), [m.id]);
  const left = await bob.del(`/api/rooms/${club.id}/members/${bob.user.id}`);
  assert.ok(left.status < 300, left.text);
  assert.deepEqual(ids(await found(bob, { q: word })), []);
  assertError(await search(bob, { q: word, room: club.id }), 404, 'room_not_found');
  assert.deepEqual(ids(await found(ann, { q: word })), [m.id], 'the owner still finds it');
  const gone = await ann.del(`/api/rooms/${club.id}`);
  assert.ok(gone.status < 300, gone.text);
  assert.deepEqual(ids(await found(ann, { q: word })), []);
});

test('the index has no positions: a message holding every trigram of a term, but not the term, is not found', async () => {
  await join(ann, room.id);
  const tag = unique('t').replace(/\W/g, '');
  // "abcd" has the trigrams abc and bcd; this text has both, apart.
  const m = await say(ann, room.id, `${tag} abcx xbcd`);
  assert.deepEqual(ids(await found(bob, { q: `${tag} abcd` })), []);
  assert.deepEqual(ids(await found(bob, { q: `${tag} bcd` })), [m.id]);
  const n = await say(ann, room.id, `${tag} abcd`);
  assert.deepEqual(ids(await found(bob, { q: `${tag} abcd` })), [n.id]);
});

test('a row deleted from messages by SQL (as retention does) leaves the index with it; the index stays sound', async () => {
  await join(ann, room.id);
  const word = unique('axolotl');
  const m = await say(ann, room.id, `old ${word}`);
  const keep = await say(ann, room.id, `kept ${word}`);
  assert.deepEqual(ids(await found(bob, { q: word })), [keep.id, m.id]);
  sql(stack.db, `DELETE FROM messages WHERE id = ${m.id}`);
  assert.deepEqual(ids(await found(bob, { q: word })), [keep.id]);
  // FTS5 compares the index with messages (https://sqlite.org/fts5.html#the_integrity_check_command).
  sql(stack.db, "INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)");
  // The candidates come from the index alone: a message the index lost would not be found.
  assert.equal(sql(stack.db, `SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '"${word.slice(0, 3)}"' AND rowid = ${m.id}`), '0');
});

test('a person banned from an open room no longer finds its messages', async () => {
  const open = await createRoom(ann);
  await join(ann, open.id);
  const word = unique('narwhal');
  const m = await say(ann, open.id, `open ${word}`);
  assert.deepEqual(ids(await found(bob, { q: word })), [m.id]);
  const ban = await ann.del(`/api/rooms/${open.id}/members/${bob.user.id}`);
  assert.ok(ban.status < 300, ban.text);
  assert.deepEqual(ids(await found(bob, { q: word })), []);
  assertError(await search(bob, { q: word, room: open.id }), 404, 'room_not_found');
  assert.deepEqual(ids(await found(eve, { q: word })), [m.id], 'others still find it');
});

test('edits are found by their new words only; deleted messages never', async () => {
  await join(ann, room.id);
  const old = unique('oldword');
  const neu = unique('newword');
  const m = await say(ann, room.id, `before ${old}`);
  assert.deepEqual(ids(await found(bob, { q: old })), [m.id]);
  const e = await ann.request('PATCH', `/api/messages/${m.id}`, { text: `after ${neu}` });
  assert.equal(e.status, 200, e.text);
  assert.deepEqual(ids(await found(bob, { q: old })), []);
  assert.deepEqual(ids(await found(bob, { q: neu })), [m.id]);
  const d = await ann.del(`/api/messages/${m.id}`);
  assert.ok(d.status < 300, d.text);
  assert.deepEqual(ids(await found(bob, { q: neu })), []);
  assert.ok(!ids(await found(bob, { q: neu.slice(0, 2), room: room.id })).includes(m.id), 'nor by the room scan');
});

test('from= and room= narrow; paging by before= has no gaps or repeats', async () => {
  const other = await createRoom(bob);
  await join(ann, room.id);
  await join(bob, other.id);
  const word = unique('pagingword');
  const posted = [];
  for (let i = 0; i < 45; i += 1) posted.push((await say(ann, room.id, `${word} number ${i}`)).id);
  const bobs = await say(bob, other.id, `${word} from bob`);
  const seen = [];
  let beforeId;
  for (;;) {
    const body = await found(eve, beforeId ? { q: word, before: beforeId } : { q: word });
    assert.ok(body.results.length <= 20);
    seen.push(...ids(body));
    if (!body.more) break;
    beforeId = seen[seen.length - 1];
  }
  assert.deepEqual(seen, [bobs.id, ...posted.slice().reverse()], 'newest first, each once');
  assert.deepEqual(ids(await found(eve, { q: word, from: bob.user.username.toUpperCase() })), [bobs.id]);
  assert.deepEqual(ids(await found(eve, { q: word, room: other.id })), [bobs.id]);
  assert.deepEqual(ids(await found(eve, { q: word, from: 'nobody_at_all' })), []);
  for (const from of ['a\u0000b', '%', '"', 'ü'.repeat(300)]) assert.deepEqual(ids(await found(eve, { q: word, from })), [], from);
  assertError(await eve.get(`/api/search?q=${word}&from=%FF`), 400, 'invalid_query');
  // room= of the older room, whose newest match is below other rooms' matches:
  // its pages are bounded by the room's own ids (search.cpp) and still complete.
  const inRoom = [];
  beforeId = undefined;
  for (;;) {
    const body = await found(eve, beforeId ? { q: word, room: room.id, before: beforeId } : { q: word, room: room.id });
    inRoom.push(...ids(body));
    if (!body.more) break;
    beforeId = inRoom[inRoom.length - 1];
  }
  assert.deepEqual(inRoom, posted.slice().reverse());
  assert.deepEqual(ids(await found(eve, { q: word, room: room.id, before: posted[0] })), []);
});

// GET /api/rooms/{id}/messages?around=N (cgi-bin/poll.cpp): a result opened in its room.
test('around= gives the message with its neighbours, at the first and last message too', async () => {
  const r = await createRoom(ann);
  await join(ann, r.id);
  const posted = [];
  for (let i = 0; i < 9; i += 1) posted.push((await say(ann, r.id, `around ${i}`)).id);
  const del = await ann.del(`/api/messages/${posted[3]}`);
  assert.ok(del.status < 300, del.text);
  const live = posted.filter((_, i) => i !== 3);
  const at = async (n, limit) => {
    const res = await ann.get(`/api/rooms/${r.id}/messages?around=${n}${limit ? `&limit=${limit}` : ''}`);
    assert.equal(res.status, 200, res.text);
    return res.body;
  };
  let b = await at(posted[5], 5); // 2 before (skipping the deleted one), itself, 2 after
  assert.deepEqual(b.messages.map((m) => m.id), [posted[2], posted[4], posted[5], posted[6], posted[7]]);
  assert.equal(b.more_before, true);
  assert.equal(b.more_after, true);
  b = await at(posted[0], 5);
  assert.deepEqual(b.messages.map((m) => m.id), live.slice(0, 3));
  assert.equal(b.more_before, false);
  assert.equal(b.more_after, true);
  b = await at(posted[8], 5);
  assert.deepEqual(b.messages.map((m) => m.id), live.slice(-3));
  assert.deepEqual([b.more_before, b.more_after], [true, false]);
  b = await at(posted[4]); // default limit: the whole room
  assert.deepEqual(b.messages.map((m) => m.id), live);
  assert.deepEqual([b.more_before, b.more_after], [false, false]);
  const other = await createRoom(ann);
  await join(ann, other.id);
  const elsewhere = await say(ann, other.id, 'elsewhere');
  await join(ann, r.id);
  for (const n of [posted[3], elsewhere.id, 999999]) {
    assertError(await ann.get(`/api/rooms/${r.id}/messages?around=${n}`), 404, 'message_not_found');
  }
  assertError(await ann.get(`/api/rooms/${r.id}/messages?around=x`), 400, 'invalid_cursor');
  assertError(await ann.get(`/api/rooms/${r.id}/messages?around=${posted[1]}&before=5`), 400, 'invalid_cursor');
  assertError(await ann.get(`/api/rooms/${r.id}/messages?around=${posted[1]}&limit=101`), 400, 'invalid_cursor');
  assertError(await eve.get(`/api/rooms/${r.id}/messages?around=${posted[1]}`), 409, 'not_in_room');
});

// nginx's limit_req (zone chat_search, conf/nginx.conf.in) keyed by the
// session: with CHAT_SEARCH_BURST=2, three searches at once pass and the
// fourth is a JSON 429 with Retry-After that never reaches the worker;
// another person's searches go on.
test('searching is rate limited per session: 429 rate_limited with Retry-After, others unaffected', async () => {
  const own = await startStack({ env: { CHAT_SEARCH_RATE: '6r/m', CHAT_SEARCH_BURST: '2' } });
  try {
    const [sam, tia] = await users(own.base, [unique('sam'), unique('tia')]);
    const q = (who) => who.get('/api/search?q=hello');
    for (let i = 0; i < 3; i += 1) assert.equal((await q(sam)).status, 200);
    const refused = await q(sam);
    assertError(refused, 429, 'rate_limited');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1, 'Retry-After says when to come back');
    assert.equal((await q(tia)).status, 200, 'another session is not limited by sam');
  } finally {
    own.stop();
  }
});
