// Join and delete of one room, raced 1,000 times: an owner creates a room,
// then at once another user joins it and posts while the owner deletes it.
// Every reply is one the API table allows, in its JSON shape (never a 5xx):
// join 200 or 410 room_deleted, post 201 or 409 not_in_room / 410
// room_deleted, delete 204; the joiner is in no room afterwards. At the end
// no row outlives its room: no message of a deleted room (so none was stored
// after the deletion committed: the deletion removes what came before), no
// user inside a deleted or missing room, no foreign key broken. 25 pairs run
// side by side, 40 rounds each.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { assertError, count, sql, users } from './helpers.mjs';

const PAIRS = 25;
const ROUNDS = 40;

let stack;
let owners;
let joiners;

before(async () => {
  // The races are under test, not the per-user limits (room-limits.test.mjs):
  // each owner creates ROUNDS rooms and each joiner joins ROUNDS times at once.
  stack = await startStack({
    env: {
      CHAT_POST_BURST: '1000000', CHAT_POST_RATE: '1000000',
      CHAT_ROOM_CREATE_BURST: '1000000', CHAT_ROOM_CREATE_RATE: '1000000', CHAT_ROOMS_PER_USER: '1000000',
      CHAT_JOIN_BURST: '1000000', CHAT_JOIN_RATE: '1000000',
    },
  });
  owners = await users(stack.base, Array.from({ length: PAIRS }, (_, i) => `owner${i}`));
  joiners = await users(stack.base, Array.from({ length: PAIRS }, (_, i) => `joiner${i}`));
});
after(() => stack?.stop());

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Checks `r` is one of the allowed outcomes: a status with no body to check,
// or [status, error code]. Returns a short label for the tally.
function allowed(what, r, outcomes) {
  for (const o of outcomes) {
    if (typeof o === 'number' && r.status === o) return `${what} ${o}`;
    if (Array.isArray(o) && r.status === o[0]) {
      assertError(r, o[0], o[1], what);
      return `${what} ${o[0]} ${o[1]}`;
    }
  }
  assert.fail(`${what}: unexpected ${r.status} ${r.text.slice(0, 300)}`);
}

test(`join + post racing the owner's delete, ${PAIRS * ROUNDS} times: expected replies only, the joiner in no room, no orphans`, { timeout: 300000 }, async () => {
  const tally = {};
  const count1 = (label) => { tally[label] = (tally[label] ?? 0) + 1; };
  const rooms = [];
  const started = Date.now();
  await Promise.all(owners.map(async (owner, i) => {
    const joiner = joiners[i];
    for (let k = 0; k < ROUNDS; k += 1) {
      const created = await owner.post('/api/rooms', { name: `Race ${i}.${k}` });
      assert.equal(created.status, 201, created.text);
      const id = created.body.room.id;
      rooms.push(id);
      // Vary who goes first by a few milliseconds either way.
      const lead = Math.random() * 6 - 3;
      const joining = (async () => {
        if (lead > 0) await sleep(lead);
        const j = await joiner.post(`/api/rooms/${id}/join`);
        count1(allowed('join', j, [200, [410, 'room_deleted']]));
        const p = await joiner.post(`/api/rooms/${id}/messages`, { text: `into ${id}` });
        count1(allowed('post', p, [201, [409, 'not_in_room'], [410, 'room_deleted']]));
        if (j.status === 410) assert.notEqual(p.status, 201, 'posted into a room whose join said deleted');
      })();
      const deleting = (async () => {
        if (lead < 0) await sleep(-lead);
        const d = await owner.del(`/api/rooms/${id}`);
        count1(allowed('delete', d, [204]));
      })();
      await Promise.all([joining, deleting]);
      const me = await joiner.get('/api/me');
      assert.equal(me.status, 200, me.text);
      assert.equal(me.body.room, null, `joiner ${i} still in a room after round ${k}: ${me.text}`);
    }
  }));
  console.log(`join-delete-race: ${rooms.length} rounds in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(tally)}`);
  assert.equal(rooms.length, PAIRS * ROUNDS);

  const list = rooms.join(',');
  assert.equal(count(stack.db, 'rooms', `id IN (${list}) AND deleted_at IS NULL`), 0, 'every raced room is deleted');
  // Tables that refer to rooms: messages.room_id and users.room_id.
  assert.equal(count(stack.db, 'messages', 'room_id NOT IN (SELECT id FROM rooms WHERE deleted_at IS NULL)'), 0,
    'no message of a deleted or missing room');
  assert.equal(count(stack.db, 'users', 'room_id IS NOT NULL AND room_id NOT IN (SELECT id FROM rooms WHERE deleted_at IS NULL)'), 0,
    'no user inside a deleted or missing room');
  assert.equal(sql(stack.db, 'PRAGMA foreign_key_check'), '');
  assert.equal(sql(stack.db, 'PRAGMA integrity_check'), 'ok');
  // Both ways of the race happened, or the test proved little.
  assert.ok(tally['post 201'] > 0, 'some posts made it in before the deletion');
  assert.ok((tally['join 410 room_deleted'] ?? 0) + (tally['post 410 room_deleted'] ?? 0) > 0, 'some came too late');
});
