// A room's rename or new topic reaches the people inside (issue 13, "the
// change reaches people inside within a poll or a push event"): PATCH
// /api/rooms/{id} takes the next change-feed number (rooms.changed_seq), so
// the next poll after a smaller cursor carries "room" and moves the cursor
// past the change, once; with push on, the room's stream rings
// {"type":"room"}. A page of a long poll ("more") leaves the room to the
// last page, whose cursor passes it. The first change of a database where no
// message was ever stored (no sqlite_sequence row yet) works too, and the
// next message's id is past its number.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { openEvents } from '../lib/events.mjs';
import { startStack } from '../lib/stack.mjs';
import { createRoom, join, say, sql, unique, users } from './helpers.mjs';

const HAVE_NCHAN = existsSync('/usr/lib/nginx/modules/ngx_nchan_module.so');

let stack;
let olive;
let mia;

before(async () => {
  stack = await startStack({ env: { CHAT_POST_BURST: '1000', CHAT_POST_RATE: '1000', CHAT_ROOM_CREATE_BURST: '1000', CHAT_JOIN_BURST: '1000' } });
  [olive, mia] = await users(stack.base, ['olive', 'mia']);
});
after(() => stack?.stop());

const poll = async (who, id, after) => {
  const r = await who.get(`/api/rooms/${id}/messages?after=${after}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
};

test('a rename in a database with no message yet: 200, the poll carries it, and the first message comes after it', async () => {
  assert.equal(sql(stack.db, "SELECT count(*) FROM sqlite_sequence WHERE name = 'messages'"), '0', 'a fresh database');
  const room = await createRoom(olive);
  const { cursor } = await join(olive, room.id);
  const joined = await join(mia, room.id);
  const name = unique('Renamed');
  const r = await olive.request('PATCH', `/api/rooms/${room.id}`, { name, topic: 'fresh topic' });
  assert.equal(r.status, 200, r.text);
  const p = await poll(mia, room.id, joined.cursor);
  assert.deepEqual(p.messages, []);
  assert.equal(p.room.name, name);
  assert.equal(p.room.topic, 'fresh topic');
  assert.ok(p.cursor > cursor, 'the cursor passes the change');
  const m = await say(olive, room.id, 'first message');
  assert.ok(m.id > p.cursor, `message ${m.id} after change ${p.cursor}`);
});

test('a topic change reaches someone inside on their next poll, once; an unchanged room adds nothing to a poll', async () => {
  const room = await createRoom(olive);
  await join(olive, room.id);
  await say(olive, room.id, 'before');
  const joined = await join(mia, room.id);
  let p = await poll(mia, room.id, joined.cursor);
  assert.deepEqual(p, { messages: [], more: false, cursor: joined.cursor }, 'nothing new: no room, same cursor');
  const r = await olive.request('PATCH', `/api/rooms/${room.id}`, { topic: 'Plans for Friday' });
  assert.equal(r.status, 200, r.text);
  p = await poll(mia, room.id, joined.cursor);
  assert.deepEqual(p.messages, []);
  assert.equal(p.room.id, room.id);
  assert.equal(p.room.topic, 'Plans for Friday');
  assert.equal(p.room.name, room.name);
  assert.ok(p.cursor > joined.cursor);
  const again = await poll(mia, room.id, p.cursor);
  assert.deepEqual(again, { messages: [], more: false, cursor: p.cursor }, 'carried once');
  // A message after the change: the room is not sent again with it.
  const m = await say(olive, room.id, 'after');
  const next = await poll(mia, room.id, p.cursor);
  assert.deepEqual(next.messages.map((x) => x.id), [m.id]);
  assert.equal(next.room, undefined);
  // A refused change (not the owner) changes nothing and carries nothing.
  assert.equal((await mia.request('PATCH', `/api/rooms/${room.id}`, { topic: 'mine' })).status, 403);
  assert.deepEqual(await poll(olive, room.id, next.cursor), { messages: [], more: false, cursor: next.cursor });
});

test('a long poll ("more") leaves the room to its last page, and no message is skipped', async () => {
  const room = await createRoom(olive);
  const joined = await join(olive, room.id);
  const now = Date.now();
  sql(stack.db, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 250) INSERT INTO messages (room_id, user_id, text, created_at) SELECT ${room.id}, ${olive.user.id}, 'bulk ' || i, ${now} + i FROM n`);
  sql(stack.db, `UPDATE messages SET seq = id WHERE room_id = ${room.id}`);
  const name = unique('Late name');
  assert.equal((await olive.request('PATCH', `/api/rooms/${room.id}`, { name })).status, 200);
  const first = await poll(olive, room.id, joined.cursor);
  assert.equal(first.more, true);
  assert.equal(first.room, undefined, 'not on a page with more');
  const second = await poll(olive, room.id, first.cursor);
  assert.equal(second.more, false);
  assert.equal(second.room.name, name);
  assert.equal(first.messages.length + second.messages.length, 250);
});

test('with push on, a change rings {"type":"room"} in the room\'s stream', { skip: HAVE_NCHAN ? false : 'nchan missing' }, async () => {
  const room = await createRoom(olive);
  await join(olive, room.id);
  await join(mia, room.id);
  const sub = await openEvents(stack.base, mia.cookie, `/api/rooms/${room.id}/events`);
  assert.equal(sub.status, 200, sub.text);
  try {
    // nchan subscribes just after answering: wait until a post gets through.
    for (let i = 0; ; i += 1) {
      await say(olive, room.id, `live? ${i}`);
      try { await sub.next(500); break; } catch (e) { if (i === 4) throw e; }
    }
    await sub.flush(300);
    assert.equal((await olive.request('PATCH', `/api/rooms/${room.id}`, { topic: 'rung' })).status, 200);
    const event = await sub.next(3000);
    assert.deepEqual(event.data, { type: 'room' });
  } finally {
    sub.close();
  }
});
