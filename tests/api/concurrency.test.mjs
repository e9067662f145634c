// Many clients at once against the real workers: every acknowledged message
// reaches every reader exactly once and in one order (id order is commit
// order, so a poller never skips a message committed late), and the
// uniqueness rules hold under races (client_id, usernames, room names,
// posting into a room being deleted, joining two rooms at once).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { Client } from '../lib/client.mjs';
import { PASSWORD, assertAscending, count, createRoom, drain, join, users } from './helpers.mjs';

let stack;
let crowd; // 8 logged-in users

before(async () => {
  stack = await startStack({ env: { CHAT_POST_BURST: '1000' } });
  crowd = await users(stack.base, Array.from({ length: 8 }, (_, i) => `user${i}`));
});
after(() => stack?.stop());

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('8 users posting 20 messages each at once: every reader gets every acknowledged message exactly once, in one order', async () => {
  const room = await createRoom(crowd[0], 'Stampede');
  const cursors = [];
  for (const c of crowd) cursors.push((await join(c, room.id)).cursor);

  // Every user polls as the page does (after=cursor) while everyone posts.
  let posting = true;
  const streams = crowd.map(() => []);
  const pollers = crowd.map(async (c, i) => {
    let cursor = cursors[i];
    while (posting) {
      const r = await c.get(`/api/rooms/${room.id}/messages?after=${cursor}`);
      assert.equal(r.status, 200, r.text);
      streams[i].push(...r.body.messages);
      cursor = r.body.cursor;
      await sleep(5);
    }
    const rest = await drain(c, room.id, cursor);
    streams[i].push(...rest.messages);
  });

  const sends = crowd.flatMap((c, u) => Array.from({ length: 20 }, (_, k) =>
    c.post(`/api/rooms/${room.id}/messages`, { text: `user${u} message ${k}`, client_id: `u${u}-m${k}` })));
  const replies = await Promise.all(sends);
  posting = false;
  await Promise.all(pollers);

  const statuses = replies.map((r) => r.status);
  assert.deepEqual(statuses.filter((s) => s !== 201), [], 'every post was acknowledged with 201');
  const acked = replies.map((r) => r.body.message);
  const ackedIds = acked.map((m) => m.id).sort((a, b) => a - b);
  assert.equal(new Set(ackedIds).size, 160, 'every acknowledged message has its own id');

  const expected = ackedIds.map((id) => acked.find((m) => m.id === id));
  for (const [i, stream] of streams.entries()) {
    const ids = stream.map((m) => m.id);
    assert.equal(new Set(ids).size, ids.length, `reader ${i} got no message twice`);
    assertAscending(stream, `reader ${i}`);
    assert.deepEqual(ids, ackedIds, `reader ${i} got every acknowledged message and nothing else`);
    assert.deepEqual(stream, expected, `reader ${i} got them as stored`);
  }
  assert.equal(count(stack.db, 'messages', `room_id = ${room.id}`), 160);
  assert.equal(new Set(streams[0].map((m) => m.text)).size, 160);
});

test('the same client_id sent three times at once is stored once: one 201, two 200 with the same message', async () => {
  const room = await createRoom(crowd[1], 'Twice');
  const c = crowd[1];
  await join(c, room.id);
  for (let i = 0; i < 5; i += 1) {
    const body = { text: `double ${i}`, client_id: `double-click-${i}` };
    const pair = await Promise.all([1, 2, 3].map(() => c.post(`/api/rooms/${room.id}/messages`, body)));
    const statuses = pair.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 201], `attempt ${i}: ${pair.map((r) => r.text).join(' | ')}`);
    assert.equal(new Set(pair.map((r) => r.body.message.id)).size, 1, 'all three name the same message');
  }
  assert.equal(count(stack.db, 'messages', `room_id = ${room.id}`), 5);
});

test('the same client_id sent 50 times at once is stored once: one 201 and 49 times 200, all with that message', async () => {
  const c = crowd[2];
  const room = await createRoom(c, 'Fifty');
  await join(c, room.id);
  const body = { text: 'pressed fifty times', client_id: '0b7e1c52-9d4f-4f43-8a1e-5f2b3c4d5e6f' };
  const replies = await Promise.all(Array.from({ length: 50 }, () => c.post(`/api/rooms/${room.id}/messages`, body)));
  const statuses = replies.map((r) => r.status);
  assert.equal(statuses.filter((s) => s === 201).length, 1, `one 201: ${statuses}`);
  assert.equal(statuses.filter((s) => s === 200).length, 49, `the rest 200: ${statuses}`);
  const first = replies.find((r) => r.status === 201).body.message;
  for (const r of replies) assert.deepEqual(r.body.message, first, 'every reply carries the stored message');
  assert.equal(count(stack.db, 'messages', `room_id = ${room.id}`), 1);
});

test('registering one username from four clients at once makes one account; the rest get 409 username_taken', async () => {
  const names = ['racer', 'RACER', 'Racer', 'rAcEr'];
  const replies = await Promise.all(names.map((username) =>
    new Client(stack.base).post('/api/register', { username, password: PASSWORD })));
  const statuses = replies.map((r) => r.status).sort();
  assert.deepEqual(statuses, [201, 409, 409, 409], replies.map((r) => r.text).join(' | '));
  for (const r of replies.filter((x) => x.status === 409)) assert.equal(r.body.error.code, 'username_taken');
  assert.equal(count(stack.db, 'users', "username_key = 'racer'"), 1);
});

test('creating one room name from eight users at once makes one room; the rest get 409 room_name_taken', async () => {
  const replies = await Promise.all(crowd.map((c, i) => c.post('/api/rooms', { name: i % 2 ? 'Rush Hour' : 'RUSH HOUR' })));
  const statuses = replies.map((r) => r.status).sort();
  assert.deepEqual(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);
  assert.equal(count(stack.db, 'rooms', "name_key = 'rush hour' AND deleted_at IS NULL"), 1);
});

// The race must really happen both ways, or "stored before or refused
// after" proves nothing (with a fixed 15 ms head start every post could land
// on one side). Every member keeps posting while the owner deletes the room
// once a few posts are in; a post *sent before the DELETE was answered* must
// be seen both stored (201) and refused (410). A round where the timing put
// every in-flight post on one side is run again (at most ROUNDS rounds);
// every round checks the invariants.
test('posts racing the room deletion are stored before it (and deleted with it) or refused with 410; none is left behind; both outcomes happen', async () => {
  const ROUNDS = 20;
  const owner = crowd[2];
  const seen = { stored: 0, refused: 0, storedInFlight: 0, refusedInFlight: 0 };
  for (let round = 0; round < ROUNDS && !(seen.storedInFlight && seen.refusedInFlight); round += 1) {
    const room = await createRoom(owner, `Crumbling ${round}`);
    for (const c of crowd) await join(c, room.id);
    let acked = 0;
    let startDelete;
    const deleteNow = new Promise((r) => { startDelete = r; });
    const del = { sent: Infinity, answered: Infinity };
    const deletion = deleteNow.then(async () => {
      del.sent = performance.now();
      const r = await owner.del(`/api/rooms/${room.id}`);
      del.answered = performance.now();
      return r;
    });
    const replies = [];
    // Each member posts until refused (or 200 posts, a bound that a working
    // deletion never reaches).
    const posters = crowd.map(async (c, u) => {
      for (let k = 0; k < 200; k += 1) {
        const sent = performance.now();
        const r = await c.post(`/api/rooms/${room.id}/messages`, { text: `last words ${u}.${k}` });
        replies.push({ r, sent });
        if (r.status === 201 && (acked += 1) === 2 * crowd.length) startDelete();
        if (r.status !== 201) return;
      }
    });
    const [d] = await Promise.all([deletion, ...posters]);
    assert.equal(d.status, 204, d.text);
    for (const { r, sent } of replies) {
      assert.ok(r.status === 201 || r.status === 410, `${r.status} ${r.text}`);
      const inFlight = sent < del.answered; // sent before the client knew of the deletion
      if (r.status === 201) {
        seen.stored += 1;
        if (inFlight && sent > del.sent) seen.storedInFlight += 1;
      } else {
        assert.deepEqual(r.body.room, { id: room.id, name: `Crumbling ${round}` });
        seen.refused += 1;
        if (inFlight) seen.refusedInFlight += 1;
      }
    }
    assert.equal(count(stack.db, 'messages', `room_id = ${room.id}`), 0, 'no message outlives its room');
    for (const c of crowd) {
      const r = await c.get(`/api/rooms/${room.id}/messages?after=0`);
      assert.equal(r.status, 410, r.text);
    }
  }
  console.log(`post vs delete: ${JSON.stringify(seen)}`);
  assert.ok(seen.storedInFlight > 0, `a post sent while the DELETE was in flight was stored: ${JSON.stringify(seen)}`);
  assert.ok(seen.refusedInFlight > 0, `a post sent before the DELETE was answered was refused: ${JSON.stringify(seen)}`);
});

test('one user joining two rooms at once ends up in exactly one of them', async () => {
  const [a, b] = [await createRoom(crowd[3], 'Left Door'), await createRoom(crowd[3], 'Right Door')];
  const c = crowd[4];
  for (let i = 0; i < 5; i += 1) {
    await Promise.all([c.post(`/api/rooms/${a.id}/join`), c.post(`/api/rooms/${b.id}/join`)]);
    const me = await c.get('/api/me');
    assert.ok([a.id, b.id].includes(me.body.room.id));
    const other = me.body.room.id === a.id ? b.id : a.id;
    assert.equal((await c.get(`/api/rooms/${other}/messages?after=0`)).status, 409);
    const counts = [(await c.get(`/api/rooms/${a.id}`)).body.room.member_count,
      (await c.get(`/api/rooms/${b.id}`)).body.room.member_count];
    assert.equal(counts[0] + counts[1], 1, `member counts ${counts}`);
  }
});
