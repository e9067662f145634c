// Invites to private rooms (issue 13, DESIGN.md "Version 2"): the owner of a
// private room makes a link (POST /api/rooms/{id}/invites: 201 {"invite":
// {"code", "url", "expires_at"}}, 7 days, 128 random bits base64url, only
// its hash stored); anyone logged in who brings the code (POST
// /api/invites/accept {"code"}) becomes a member: 200 {"room"}. 404
// invite_not_found, 410 invite_expired (expires_at moved into the past in
// chat.db). /invite/{code} serves the static page htdocs/invite.html.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../lib/client.mjs';
import { startStack } from '../lib/stack.mjs';
import { assertError, count, createRoom, join, sql, unique, users } from './helpers.mjs';

let stack;
let olive; // owns the private room
let mia; // a member
let nat; // invited
let mallory; // neither
let anon;

before(async () => {
  stack = await startStack({ env: { CHAT_ROOM_CREATE_BURST: '1000', CHAT_JOIN_BURST: '1000' } });
  [olive, mia, nat, mallory] = await users(stack.base, ['olive', 'mia', 'nat', 'mallory']);
  anon = new Client(stack.base);
});
after(() => stack?.stop());

async function privateRoom() {
  const r = await olive.post('/api/rooms', { name: unique('secret'), kind: 'private' });
  assert.equal(r.status, 201, r.text);
  return r.body.room;
}

test('the owner makes an invite: 22-character base64url code, /invite/{code}, 7 days; only a hash is stored', async () => {
  const room = await privateRoom();
  const t0 = Date.now();
  const r = await olive.post(`/api/rooms/${room.id}/invites`);
  assert.equal(r.status, 201, r.text);
  const { code, url, expires_at: expires } = r.body.invite;
  assert.match(code, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(url, `/invite/${code}`);
  const week = 7 * 24 * 3600 * 1000;
  const at = Date.parse(expires);
  assert.ok(at >= t0 + week - 5000 && at <= Date.now() + week + 5000, expires);
  assert.equal(count(stack.db, 'room_invites', `room_id = ${room.id}`), 1);
  const stored = sql(stack.db, `SELECT hex(code_hash) FROM room_invites WHERE room_id = ${room.id}`);
  assert.equal(stored.length, 64, 'a 32-byte hash, not the 16-byte code nor its 22 characters');
  assert.ok(!stored.includes(Buffer.from(code).toString('hex').toUpperCase()), 'the code itself is not stored');
  const again = await olive.post(`/api/rooms/${room.id}/invites`);
  assert.notEqual(again.body.invite.code, code, 'each invite its own code');
  // The link's page is a static file served for /invite/{code}.
  const page = await anon.get(url);
  assert.equal(page.status, 200);
  assert.match(page.headers.get ? page.headers.get('content-type') : page.headers['content-type'], /^text\/html/);
});

test('accepting: the invited person becomes a member, sees, joins and reads the room; accepting again changes nothing', async () => {
  const room = await privateRoom();
  const { code } = (await olive.post(`/api/rooms/${room.id}/invites`)).body.invite;
  assertError(await nat.get(`/api/rooms/${room.id}`), 404, 'room_not_found', 'before accepting');
  const r = await nat.post('/api/invites/accept', { code });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.room.id, room.id);
  assert.equal(sql(stack.db, `SELECT role FROM room_members WHERE room_id = ${room.id} AND user_id = ${nat.user.id}`), 'member');
  assert.ok((await nat.get('/api/rooms')).body.rooms.some((x) => x.id === room.id));
  await join(nat, room.id);
  const again = await nat.post('/api/invites/accept', { code });
  assert.equal(again.status, 200, again.text);
  assert.equal(count(stack.db, 'room_members', `room_id = ${room.id}`), 2, 'owner and nat, once');
  // The same link works for someone else while it lasts.
  assert.equal((await mallory.post('/api/invites/accept', { code })).status, 200);
});

test('refusals: only the owner of a private room invites; bad, unknown, expired and dead codes; each writes nothing', async () => {
  const room = await privateRoom();
  const open = await createRoom(olive);
  await olive.post(`/api/rooms/${room.id}/members`, { username: 'mia' });
  const direct = (await olive.post('/api/direct', { username: 'mia' })).body.room;
  const before = () => sql(stack.db, `SELECT (SELECT count(*) FROM room_invites), (SELECT count(*) FROM room_members)`);
  const b = before();
  assertError(await mia.post(`/api/rooms/${room.id}/invites`), 403, 'not_owner');
  assertError(await mallory.post(`/api/rooms/${room.id}/invites`), 404, 'room_not_found', 'an outsider of a private room');
  assertError(await olive.post(`/api/rooms/${open.id}/invites`), 400, 'room_not_private');
  assertError(await olive.post('/api/rooms/999999/invites'), 404, 'room_not_found');
  assertError(await anon.post(`/api/rooms/${room.id}/invites`), 401, 'not_logged_in');
  assertError(await olive.post(`/api/rooms/${direct.id}/invites`), 403, 'direct_room');
  for (const code of ['', 'x', 'A'.repeat(21), 'A'.repeat(23), '!'.repeat(22), 'AAAAAAAAAAAAAAAAAAAAAA']) {
    assertError(await nat.post('/api/invites/accept', { code }), 404, 'invite_not_found', JSON.stringify(code));
  }
  for (const code of [5, null, ['x']]) assertError(await nat.post('/api/invites/accept', { code }), 400, 'invalid_json');
  assertError(await nat.post('/api/invites/accept', {}), 400, 'invalid_json');
  assertError(await anon.post('/api/invites/accept', { code: 'A'.repeat(22) }), 401, 'not_logged_in');
  assert.equal(before(), b, 'no refusal wrote anything');
  // Expired: its expires_at moved into the past in chat.db.
  const { code } = (await olive.post(`/api/rooms/${room.id}/invites`)).body.invite;
  sql(stack.db, `UPDATE room_invites SET expires_at = ${Date.now() - 1000} WHERE room_id = ${room.id}`);
  assertError(await nat.post('/api/invites/accept', { code }), 410, 'invite_expired');
  assert.ok(!sql(stack.db, `SELECT 1 FROM room_members WHERE room_id = ${room.id} AND user_id = ${nat.user.id}`), 'not a member');
  // A live code of a deleted room: 404, as for no code at all.
  sql(stack.db, `UPDATE room_invites SET expires_at = ${Date.now() + 60000} WHERE room_id = ${room.id}`);
  assert.equal((await olive.del(`/api/rooms/${room.id}`)).status, 204);
  assertError(await nat.post('/api/invites/accept', { code }), 404, 'invite_not_found', 'room deleted');
});
