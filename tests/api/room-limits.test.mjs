// Abuse limits per user (cgi-bin/core/throttle.h TakeUserToken): creating
// rooms and joining/leaving them each spend a token of the user's bucket
// (429 rate_limited with a Retry-After that is kept), and a user owns at
// most CHAT_ROOMS_PER_USER live rooms (403 room_limit). Refused requests
// change nothing; failed creations cost nothing; one user's bucket is not
// another's; a clock stepped back does not freeze a bucket. The first stack
// has small limits so each edge is reached in a few requests; the second
// keeps the defaults and replays the flood that made 1,000 rooms in 0.8 s.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { assertError, count, createRoom, sql, unique, users } from './helpers.mjs';

const ROOM_BURST = 3;
const JOIN_BURST = 4;
const CAP = 5;

function assertLimited(r, what) {
  assertError(r, 429, 'rate_limited', what);
  const wait = Number(r.headers.get('retry-after'));
  assert.ok(Number.isInteger(wait) && wait >= 1, `${what}: Retry-After ${r.headers.get('retry-after')}`);
  return wait;
}

describe('with small limits', () => {
  let stack;
  let carol; let dave; let erin; let frank; let gina;
  const bucket = (c, action) => sql(stack.db, `SELECT tokens, updated_at FROM user_buckets WHERE user_id = ${c.user.id} AND action = '${action}'`);
  const moveBucket = (c, action, ms) => sql(stack.db,
    `UPDATE user_buckets SET updated_at = updated_at + ${ms} WHERE user_id = ${c.user.id} AND action = '${action}'`);
  const roomOf = (c) => sql(stack.db, `SELECT ifnull(room_id, '') FROM users WHERE id = ${c.user.id}`);

  before(async () => {
    stack = await startStack({
      env: {
        CHAT_ROOM_CREATE_BURST: String(ROOM_BURST), CHAT_ROOM_CREATE_RATE: '0.01',
        CHAT_ROOMS_PER_USER: String(CAP), CHAT_JOIN_BURST: String(JOIN_BURST), CHAT_JOIN_RATE: '0.01',
      },
    });
    [carol, dave, erin, frank, gina] = await users(stack.base, ['lim_carol', 'lim_dave', 'lim_erin', 'lim_frank', 'lim_gina']);
  });
  after(() => stack?.stop());

  test('room creation past the burst is 429 rate_limited with Retry-After, and creates nothing', async () => {
    for (let i = 0; i < ROOM_BURST; i += 1) await createRoom(carol);
    const before = count(stack.db, 'rooms');
    const wait = assertLimited(await carol.post('/api/rooms', { name: unique('over') }), 'one room too many');
    assert.equal(wait, 100, 'one token at 0.01 a second');
    assert.equal(count(stack.db, 'rooms'), before);
    // Another user's bucket is full.
    await createRoom(dave);
  });

  test('the Retry-After is kept: once that much time has passed, a room can be created', async () => {
    const r = await carol.post('/api/rooms', { name: unique('again') });
    const wait = assertLimited(r, 'still limited');
    moveBucket(carol, 'room_create', -wait * 1000); // as if `wait` seconds had passed
    await createRoom(carol);
    assertLimited(await carol.post('/api/rooms', { name: unique('again') }), 'the token is spent again');
  });

  test('a clock stepped back an hour does not freeze the bucket', async () => {
    assertLimited(await carol.post('/api/rooms', { name: unique('clock') }), 'limited before');
    moveBucket(carol, 'room_create', 3600 * 1000); // last written "an hour from now"
    await createRoom(carol);
    const [tokens, at] = bucket(carol, 'room_create').split('|').map(Number);
    assert.ok(at <= Date.now(), 'rewritten with the present time');
    assert.ok(tokens >= ROOM_BURST - 1 - 0.01 && tokens <= ROOM_BURST - 1 + 0.01, `counted as full, less the one spent: ${tokens}`);
  });

  test('failed creations (bad name, name taken) spend no token', async () => {
    const taken = (await createRoom(gina)).name;
    for (let i = 0; i < 5; i += 1) {
      assertError(await gina.post('/api/rooms', { name: '' }), 400, 'invalid_room_name');
      assertError(await gina.post('/api/rooms', { name: taken.toUpperCase() }), 409, 'room_name_taken');
    }
    for (let i = 1; i < ROOM_BURST; i += 1) await createRoom(gina);
  });

  test('a user who owns CHAT_ROOMS_PER_USER live rooms gets 403 room_limit until one is deleted', async () => {
    const now = Date.now();
    const values = Array.from({ length: CAP }, (_, i) => `('erin cap ${i}', 'erin cap ${i}', ${erin.user.id}, ${now})`);
    sql(stack.db, `INSERT INTO rooms (name, name_key, owner_id, created_at) VALUES ${values.join(', ')}`);
    const before = count(stack.db, 'rooms');
    const r = await erin.post('/api/rooms', { name: unique('cap') });
    assertError(r, 403, 'room_limit');
    assert.match(r.body.error.message, new RegExp(`${CAP}`));
    assert.equal(count(stack.db, 'rooms'), before, 'nothing created');
    const [first] = (await erin.get('/api/rooms')).body.rooms.filter((room) => room.owner.id === erin.user.id);
    assert.equal((await erin.del(`/api/rooms/${first.id}`)).status, 204);
    await createRoom(erin); // deleted rooms do not count
    assertError(await erin.post('/api/rooms', { name: unique('cap') }), 403, 'room_limit');
  });

  test('joins and leaves share one bucket: past the burst they are 429 and move nobody', async () => {
    const a = await createRoom(dave);
    const b = await createRoom(dave);
    const steps = [`/api/rooms/${a.id}/join`, `/api/rooms/${a.id}/leave`, `/api/rooms/${b.id}/join`, `/api/rooms/${b.id}/leave`];
    for (const path of steps.slice(0, JOIN_BURST)) {
      const r = await frank.post(path);
      assert.ok(r.status === 200 || r.status === 204, `${path}: ${r.status} ${r.text}`);
    }
    assert.equal(roomOf(frank), '');
    assertLimited(await frank.post(`/api/rooms/${a.id}/join`), 'join past the burst');
    assert.equal(roomOf(frank), '', 'the refused join moved nobody');
    // The leave is refused too, and keeps the user where they are.
    moveBucket(frank, 'membership', -100 * 1000);
    assert.equal((await frank.post(`/api/rooms/${a.id}/join`)).status, 200);
    assertLimited(await frank.post(`/api/rooms/${a.id}/leave`), 'leave past the burst');
    assert.equal(roomOf(frank), String(a.id), 'the refused leave left the user inside');
    // Someone else joins freely.
    assert.equal((await gina.post(`/api/rooms/${a.id}/join`)).status, 200);
  });

  test('a join to a room that does not exist spends no token', async () => {
    for (let i = 0; i < JOIN_BURST + 2; i += 1) {
      assertError(await gina.post('/api/rooms/999999/join'), 404, 'room_not_found');
    }
    const [tokens] = bucket(gina, 'membership').split('|').map(Number);
    assert.ok(tokens >= JOIN_BURST - 1 - 0.01, `only the one real join was spent: ${tokens}`);
  });
});

describe('with the default limits', () => {
  let stack;
  let mallory;
  before(async () => {
    stack = await startStack();
    [mallory] = await users(stack.base, ['lim_mallory']);
  });
  after(() => stack?.stop());

  test('one account firing 60 room creations at once gets about its burst of 10; the rest are 429, never a 500', async () => {
    const replies = await Promise.all(Array.from({ length: 60 }, (_, i) => mallory.post('/api/rooms', { name: `flood ${i}` })));
    const created = replies.filter((r) => r.status === 201).length;
    console.log(`room-limits: 60 creations at once: ${created} created, ${60 - created} refused with 429`);
    for (const r of replies.filter((x) => x.status !== 201)) assertLimited(r, 'flood');
    // 10 at once, plus one each 10 s that the flood may have lasted.
    assert.ok(created >= 10 && created <= 12, `created ${created}`);
    assert.equal(count(stack.db, 'rooms', `owner_id = ${mallory.user.id}`), created);
  });

  test('one account firing 100 joins and leaves at once gets about its burst of 30; the rest are 429', async () => {
    const room = (await mallory.get('/api/rooms')).body.rooms[0];
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => mallory.post(`/api/rooms/${room.id}/${i % 2 ? 'leave' : 'join'}`)));
    const done = replies.filter((r) => r.status === 200 || r.status === 204).length;
    console.log(`room-limits: 100 joins/leaves at once: ${done} accepted, ${100 - done} refused with 429`);
    for (const r of replies.filter((x) => x.status !== 200 && x.status !== 204)) assertLimited(r, 'join flood');
    // 30 at once, plus one a second for as long as the flood lasted.
    assert.ok(done >= 30 && done <= 30 + 20, `accepted ${done}`);
  });
});
