// Hostile-user attacks on the issue 13-15 routes (private and direct rooms,
// bans, search, mentions, typing, export), each a fault found by trying it
// on a real stack and fixed: the test says what the attacker did and what
// must happen instead.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { startStack, waitFor } from '../lib/stack.mjs';
import { assertError, createRoom, join, say, sql, users } from './helpers.mjs';

let stack;
let gates; // CHAT_TEST_GATE_DIR (core/test_gate.h)
let olive; // owns the rooms
let mallory; // the attacker, logged in

before(async () => {
  gates = mkdtempSync(joinPath(tmpdir(), 'chat-gates-'));
  stack = await startStack({ env: { CHAT_POST_BURST: '1000', CHAT_ROOM_CREATE_BURST: '1000', CHAT_JOIN_BURST: '1000', CHAT_TEST_GATE_DIR: gates } });
  [olive, mallory] = await users(stack.base, ['olive', 'mallory']);
});
after(async () => {
  await stack?.stop();
  if (gates) rmSync(gates, { recursive: true, force: true });
});

// nginx keys the typing limit (zone chat_typing) on a session cookie's
// value; the worker reads the FIRST cookie of the exact name its scheme uses
// (chat_session over http, __Host-chat_session over https: core/serve.cc).
// An attacker who put a fresh junk cookie of the other name (or spaces) in
// front of the real one made nginx count a new key each time while the
// worker still found the session: an unlimited typing flood into the room's
// stream. Every spelling the worker accepts must meet the same limit.
test('typing: no Cookie spelling the worker accepts escapes the one-each-3-s limit', async () => {
  const room = await createRoom(olive);
  await join(mallory, room.id);
  const value = mallory.cookie.slice(mallory.cookie.indexOf('=') + 1);
  const path = `/api/rooms/${room.id}/typing`;
  const spellings = (i) => [
    `__Host-chat_session=junk${i}; chat_session=${value}`,
    `__Host-chat_session=junk${i};chat_session=${value}; x=1`,
    `x=${i}; __Host-chat_session=j${i}; chat_session=${value}`,
    `chat_session=${value}${' '.repeat(i + 1)}; x=1`,
    `chat_session=${value}\t; __Host-chat_session=junk${i}`,
  ];
  for (let i = 0; i < 4; i += 1) {
    for (const cookie of spellings(i)) {
      // The plain cookie first (its 3 s may be running still: 204 or 429),
      // then at once the other spelling: never a second 204.
      const first = await mallory.post(path);
      assert.ok(first.status === 204 || first.status === 429, `${first.status} ${first.text}`);
      const r = await mallory.request('POST', path, undefined, { cookie });
      assert.notEqual(r.status, 204, `${JSON.stringify(cookie.replace(value, 'SESSION'))} reached the worker past the limit`);
      if (r.status !== 401) assertError(r, 429, 'rate_limited', JSON.stringify(cookie.replace(value, 'SESSION')));
    }
  }
});

// A private room's invite link works for anyone, many times, for 7 days.
// The owner removed an unwanted member, who kept the link and accepted it
// again at once: back in (200), reading everything. Removing someone else
// now ends the room's links made so far (the owner makes a new one when
// needed); leaving of one's own accord keeps them.
test('invites: a member the owner removed cannot walk back in with the link they had', async () => {
  const [mia] = await users(stack.base, ['mia_inv']);
  const room = (await olive.post('/api/rooms', { name: 'no way back', kind: 'private' })).body.room;
  const { code } = (await olive.post(`/api/rooms/${room.id}/invites`)).body.invite;
  assert.equal((await mallory.post('/api/invites/accept', { code })).status, 200);
  assert.equal((await mia.post('/api/invites/accept', { code })).status, 200);
  // Mia leaves of her own accord: the link still works, for her too.
  assert.equal((await mia.del(`/api/rooms/${room.id}/members/${mia.user.id}`)).status, 204);
  assert.equal((await mia.post('/api/invites/accept', { code })).status, 200, 'leaving keeps the links');
  // The owner removes mallory: the link is over, for mallory and everyone.
  assert.equal((await olive.del(`/api/rooms/${room.id}/members/${mallory.user.id}`)).status, 204);
  assertError(await mallory.post('/api/invites/accept', { code }), 404, 'invite_not_found', 'the removed member again');
  assertError(await mallory.get(`/api/rooms/${room.id}`), 404, 'room_not_found', 'still outside');
  assert.equal(sql(stack.db, `SELECT count(*) FROM room_members WHERE room_id = ${room.id} AND user_id = ${mallory.user.id}`), '0');
  // A new link is the owner's choice again.
  const fresh = (await olive.post(`/api/rooms/${room.id}/invites`)).body.invite;
  assert.equal((await mallory.post('/api/invites/accept', { code: fresh.code })).status, 200);
});

// A ban means the room's messages are no longer the person's to read
// (search drops them: README "Bans of open rooms"). A mention made before
// the ban still showed the message in its current state (reactions added
// after the ban, later state) in GET /api/mentions and in the poll's
// attention summary, with a notification count. Both now leave out rooms
// the caller is banned from, as search does.
test('mentions: a banned person no longer reads the banned room\'s messages through /api/mentions, the attention summary or the list\'s count', async () => {
  const room = await createRoom(olive);
  await join(olive, room.id);
  await join(mallory, room.id);
  const m = await say(olive, room.id, '@mallory before the ban');
  assert.deepEqual(m.mentions.map((u) => u.id), [mallory.user.id]);
  const seen = await mallory.get('/api/mentions');
  assert.ok(seen.body.messages.some((x) => x.id === m.id), 'mentioned before the ban: listed');
  assert.equal((await olive.del(`/api/rooms/${room.id}/members/${mallory.user.id}`)).status, 204);
  assert.equal((await olive.request('PUT', `/api/messages/${m.id}/reactions`, { emoji: '👍' })).status, 200);
  const after = await mallory.get('/api/mentions');
  assert.equal(after.status, 200, after.text);
  assert.ok(!after.body.messages.some((x) => x.room?.id === room.id), `banned, still reads the room: ${after.text.slice(0, 300)}`);
  const elsewhere = await createRoom(olive);
  await join(mallory, elsewhere.id);
  const poll = await mallory.get(`/api/rooms/${elsewhere.id}/messages?after=0&attention=`);
  assert.equal(poll.status, 200, poll.text);
  assert.equal(poll.body.attention.mentions, 0, JSON.stringify(poll.body.attention));
  assert.ok(!poll.body.attention.messages.some((x) => x.room_id === room.id), JSON.stringify(poll.body.attention));
  // The room stays listed to them (an open room is everyone's to see), with no mention to read.
  const listed = (await mallory.get('/api/rooms')).body.rooms.find((r) => r.id === room.id);
  assert.ok(listed, 'still listed');
  assert.equal(listed.mentions, 0, JSON.stringify(listed));
});

// An export is written page by page (200 messages each) after its headers,
// each page in a short read of its own (core/export.h). Someone removed from
// a private room while their export of it ran went on receiving the rest,
// messages posted after the removal included. Each page now first checks
// that the caller is still inside the room (removal, ban, deletion and a
// disabled account all end that), and the download stops short otherwise.
// The test holds the export after its first page at a gate while the owner
// removes the member and posts.
test('export: a member removed while their export runs gets nothing written after the removal', async () => {
  const [mia] = await users(stack.base, ['mia_exp']);
  const room = (await olive.post('/api/rooms', { name: 'long history', kind: 'private' })).body.room;
  assert.equal((await olive.post(`/api/rooms/${room.id}/members`, { username: mia.user.username })).status, 201);
  await join(olive, room.id);
  await join(mia, room.id);
  for (let i = 0; i < 210; i += 1) await say(olive, room.id, `old ${i}`);
  const gate = joinPath(gates, 'export-mia_exp');
  writeFileSync(gate, '');
  try {
    const download = mia.get(`/api/rooms/${room.id}/export?format=jsonl`);
    await waitFor(() => existsSync(`${gate}.reached`), 30000, 'the export at its gate after the first page');
    assert.equal((await olive.del(`/api/rooms/${room.id}/members/${mia.user.id}`)).status, 204);
    await say(olive, room.id, 'posted after the removal');
    rmSync(gate);
    const r = await download;
    assert.equal(r.status, 200);
    const lines = r.text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.ok(!lines.some((m) => m.text === 'posted after the removal'), 'the removed member got a message posted after the removal');
    assert.equal(lines.length, 200, 'the first page, then nothing');
  } finally {
    rmSync(gate, { force: true });
  }
  // Still inside, the whole history comes (the gate closed).
  const whole = await olive.get(`/api/rooms/${room.id}/export?format=jsonl`);
  assert.equal(whole.text.split('\n').filter(Boolean).length, 211);
});
