// Contention: the workers of all four programs write at once. 24 clients for
// a few seconds, six each: sign-up, login and logout (auth); create, join,
// leave and delete rooms (rooms); posts (post); polls (poll). Every reply
// must be the success the request asks for: never a 5xx, never an error
// mentioning busy or locked (SQLITE_BUSY reaching a client), and afterwards
// every 201'd message, account and room is in chat.db as acknowledged, and
// no worker logged an error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startStack } from '../lib/stack.mjs';
import { Client } from '../lib/client.mjs';
import { PASSWORD, createRoom, join, sql, users } from './helpers.mjs';

const SECONDS = 6;
const PER_ROLE = 6;

let stack;
let hub;
let posters;
let pollers;
let roomers;

before(async () => {
  stack = await startStack({
    // Contention is under test, not the per-user limits (room-limits.test.mjs).
    env: {
      CHAT_POST_BURST: '1000000', CHAT_POST_RATE: '1000000', CHAT_AUTH_RATE: '1000r/s', CHAT_AUTH_BURST: '1000',
      CHAT_ROOM_CREATE_BURST: '1000000', CHAT_JOIN_BURST: '1000000',
    },
  });
  [posters, pollers, roomers] = await Promise.all(['poster', 'poller', 'roomer'].map((role) =>
    users(stack.base, Array.from({ length: PER_ROLE }, (_, i) => `${role}${i}`))));
  hub = await createRoom(posters[0], 'Hub');
  for (const c of [...posters, ...pollers]) await join(c, hub.id);
});
after(() => stack?.stop());

test(`${4 * PER_ROLE} clients writing through all four programs at once for ${SECONDS} s: no 5xx, no busy, nothing acknowledged is missing`, { timeout: 120000 }, async () => {
  const end = Date.now() + SECONDS * 1000;
  const tally = {};
  const problems = [];
  // Sends one request and checks its reply is `want`; returns the reply.
  const expect = async (what, want, send) => {
    const r = await send();
    tally[what] = (tally[what] ?? 0) + 1;
    if (r.status !== want || /busy|locked/i.test(r.text)) problems.push(`${what}: ${r.status} ${r.text.slice(0, 200)}`);
    return r;
  };
  const path = `/api/rooms/${hub.id}/messages`;

  const acked = []; // messages that got 201
  const posting = posters.map(async (c, i) => {
    for (let k = 0; Date.now() < end; k += 1) {
      const text = `poster ${i} says ${k}`;
      const r = await expect('post', 201, () => c.post(path, { text, client_id: `p${i}-${k}` }));
      if (r.status === 201) acked.push(r.body.message);
    }
  });
  const polling = pollers.map(async (c) => {
    let cursor = 0;
    while (Date.now() < end) {
      const r = await expect('poll', 200, () => c.get(`${path}?after=${cursor}`));
      if (r.status === 200) cursor = r.body.cursor;
    }
  });
  const accounts = []; // usernames that got 201
  const signing = Array.from({ length: PER_ROLE }, async (_, i) => {
    for (let k = 0; Date.now() < end; k += 1) {
      const username = `new${i}_${k}`;
      const r = await expect('register', 201, () => new Client(stack.base).post('/api/register', { username, password: PASSWORD }));
      if (r.status === 201) accounts.push(r.body.user);
      const again = new Client(stack.base);
      await expect('login', 200, () => again.post('/api/login', { username, password: PASSWORD }));
      await expect('logout', 204, () => again.post('/api/logout'));
    }
  });
  const rooms = new Map(); // id -> name, for rooms created and not deleted
  const rooming = roomers.map(async (c, i) => {
    for (let k = 0; Date.now() < end; k += 1) {
      const name = `Room ${i}.${k}`;
      const created = await expect('create room', 201, () => c.post('/api/rooms', { name }));
      if (created.status !== 201) continue;
      const id = created.body.room.id;
      rooms.set(id, name);
      await expect('join', 200, () => c.post(`/api/rooms/${id}/join`));
      await expect('join', 200, () => c.post(`/api/rooms/${hub.id}/join`));
      await expect('leave', 204, () => c.post(`/api/rooms/${hub.id}/leave`));
      await expect('room list', 200, () => c.get('/api/rooms'));
      if (k % 2 === 0) {
        const del = await expect('delete room', 204, () => c.del(`/api/rooms/${id}`));
        if (del.status === 204) rooms.delete(id);
      }
    }
  });
  await Promise.all([...posting, ...polling, ...signing, ...rooming]);

  const total = Object.values(tally).reduce((a, b) => a + b, 0);
  console.log(`contention: ${total} requests in ${SECONDS} s: ${JSON.stringify(tally)}`);
  assert.deepEqual(problems, [], 'every reply was the expected success');
  for (const what of ['post', 'poll', 'register', 'login', 'create room', 'join', 'delete room']) {
    assert.ok(tally[what] > 0, `some ${what} happened`);
  }

  // Everything acknowledged is stored as acknowledged.
  const stored = new Map(sql(stack.db, `SELECT id, text FROM messages WHERE room_id = ${hub.id}`)
    .split('\n').filter(Boolean).map((line) => { const [id, text] = line.split('|'); return [Number(id), text]; }));
  for (const m of acked) assert.equal(stored.get(m.id), m.text, `message ${m.id} stored`);
  assert.equal(stored.size, acked.length, 'nothing stored that was not acknowledged');
  const names = new Set(sql(stack.db, 'SELECT username FROM users').split('\n'));
  for (const u of accounts) assert.ok(names.has(u.username), `account ${u.username} stored`);
  for (const [id, name] of rooms) {
    assert.equal(sql(stack.db, `SELECT name FROM rooms WHERE id = ${id} AND deleted_at IS NULL`), name);
  }
  assert.equal(sql(stack.db, 'PRAGMA integrity_check'), 'ok');
  const errors = readFileSync(stack.log, 'utf8').split('\n')
    .filter((l) => /\] (error|[A-Z]+ \S+ 5\d\d )|\[(error|crit|alert|emerg)\]/.test(l));
  assert.deepEqual(errors, [], 'no worker logged an error or a 5xx');
});
