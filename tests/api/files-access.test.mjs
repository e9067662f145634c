// Who may read a file's bytes (GET /api/files/{id} and /thumb): whoever may
// read its room (core/rooms.h MayReadRoom, the rule search and GET
// /api/mentions apply), inside the room or not. An attachment shown on the
// Mentions page, in search results or in an export, or opened in a new tab
// after moving rooms, must open; anyone who may not read the room gets the
// 404 of a file that does not exist, at once after a removal or a ban.
// Before, only people inside the room (users.room_id) got the bytes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, startStack } from '../lib/stack.mjs';
import { pngRgb } from '../lib/images.mjs';
import { createRoom, join as joinRoom, say, users } from './helpers.mjs';

let stack;
let ann; // owner of the rooms below, inside whichever she uploads to
let ben;
let cat;
let dan;
let eve;

before(async () => {
  stack = await startStack({
    env: { CHAT_ROOM_CREATE_BURST: '1000', CHAT_JOIN_BURST: '1000', CHAT_POST_BURST: '1000', CHAT_UPLOAD_BURST: '1000' },
  });
  [ann, ben, cat, dan, eve] = await users(stack.base, ['ann', 'ben', 'cat', 'dan', 'eve']);
});
after(() => stack?.stop());

async function upload(client, roomId, bytes, name, type) {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), name);
  const res = await fetch(`${stack.base}/api/rooms/${roomId}/files`, {
    method: 'POST', body: form, headers: { cookie: client.cookie, origin: stack.base.replace(/\/$/, '') },
  });
  const body = await res.json();
  assert.equal(res.status, 201, JSON.stringify(body));
  return body.attachment;
}

// An image posted in `roomId` by ann (inside it): its attachment.
async function postedImage(roomId) {
  await joinRoom(ann, roomId);
  const a = await upload(ann, roomId, pngRgb(24, 16), 'shot.png', 'image/png');
  await say(ann, roomId, 'look', { attachments: [a.id] });
  return a;
}

async function get(client, path) {
  const res = await fetch(stack.base + path, { headers: client ? { cookie: client.cookie } : {} });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

// 200 with the file's headers, for the file and its thumbnail.
async function assertReads(client, a, what) {
  for (const path of [a.url, a.thumb_url]) {
    const r = await get(client, path);
    assert.equal(r.status, 200, `${what}: ${path} ${r.bytes}`);
    assert.match(r.headers.get('content-type'), /^image\//);
    // Still private content: kept by the reader's browser, never by a shared cache.
    assert.equal(r.headers.get('cache-control'), 'private, max-age=31536000, immutable');
    assert.match(r.headers.get('content-security-policy'), /^sandbox/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.match(r.headers.get('content-disposition'), /^inline/);
  }
}

// 404 file_not_found, the answer for a file that does not exist.
async function assertHidden(client, a, what) {
  for (const path of [a.url, a.thumb_url]) {
    const r = await get(client, path);
    assert.equal(r.status, 404, `${what}: ${path}`);
    assert.equal(JSON.parse(r.bytes).error.code, 'file_not_found', what);
    assert.equal(r.headers.get('cache-control'), 'no-store', what);
  }
}

function ctl(args) {
  return spawnSync(join(ROOT, 'build', 'bin', 'chatctl'), ['--db', stack.db, ...args], { encoding: 'utf8', timeout: 60000 });
}

test('an open room\'s file: anyone logged in and not banned reads it from anywhere; a ban is a 404 at once', async () => {
  const open = await createRoom(ann, 'Open files');
  const a = await postedImage(open.id);
  const same = await get(ann, a.url);
  // ben has never entered the room and is in no room at all.
  await assertReads(ben, a, 'in no room');
  assert.deepEqual((await get(ben, a.url)).bytes, same.bytes);
  // cat is inside another room (one room at a time).
  const other = await createRoom(cat);
  await joinRoom(cat, other.id);
  await assertReads(cat, a, 'inside another room');
  // ann moved on: her own file still opens in a new tab.
  await joinRoom(ann, other.id);
  await assertReads(ann, a, 'the uploader, elsewhere');
  // The owner bans cat from the open room: from the next request on, 404.
  assert.equal((await ann.del(`/api/rooms/${open.id}/members/${cat.user.id}`)).status, 204);
  await assertHidden(cat, a, 'banned');
  await assertReads(ben, a, 'others still read it');
  // Logged out: 401, as for every route that needs a session.
  assert.equal((await get(null, a.url)).status, 401);
  // A disabled account's sessions end: 401.
  const [fay] = await users(stack.base, ['fay']);
  await assertReads(fay, a, 'before her account is disabled');
  assert.equal(ctl(['user', 'disable', 'fay']).status, 0);
  assert.equal((await get(fay, a.url)).status, 401);
});

test('a private room\'s file: its members read it from anywhere, outsiders and a removed member get 404', async () => {
  const priv = (await ann.post('/api/rooms', { name: 'Private files', kind: 'private' })).body.room;
  assert.equal((await ann.post(`/api/rooms/${priv.id}/members`, { username: 'dan' })).status, 201);
  const a = await postedImage(priv.id);
  // dan is a member but has never entered; then he sits in another room.
  await assertReads(dan, a, 'a member, never inside');
  const elsewhere = await createRoom(dan);
  await joinRoom(dan, elsewhere.id);
  await assertReads(dan, a, 'a member inside another room');
  // eve is no member, wherever she is (even inside an open room with ann).
  await assertHidden(eve, a, 'not a member');
  // The owner removes dan: 404 from the next request on.
  assert.equal((await ann.del(`/api/rooms/${priv.id}/members/${dan.user.id}`)).status, 204);
  await assertHidden(dan, a, 'removed');
});

test('a direct room\'s file: its two people only, wherever they are', async () => {
  const direct = (await ann.post('/api/direct', { username: 'eve' })).body.room;
  const a = await postedImage(direct.id);
  await assertReads(eve, a, 'the other person, never inside');
  await assertHidden(dan, a, 'a third person');
});

test('an unposted upload is its uploader\'s alone, inside the room or not; a deleted room\'s files are 404 to all', async () => {
  const room = await createRoom(ann, 'Drafts');
  await joinRoom(ann, room.id);
  await joinRoom(ben, room.id);
  const draft = await upload(ann, room.id, pngRgb(10, 10), 'draft.png', 'image/png');
  await assertHidden(ben, draft, 'another member, before it is posted');
  const other = await createRoom(ann);
  await joinRoom(ann, other.id);
  await assertReads(ann, draft, 'the uploader, elsewhere');
  await joinRoom(ann, room.id);
  const a = await upload(ann, room.id, pngRgb(12, 12), 'kept.png', 'image/png');
  await say(ann, room.id, 'kept', { attachments: [a.id] });
  await assertReads(ben, a, 'before the deletion');
  assert.equal((await ann.del(`/api/rooms/${room.id}`)).status, 204);
  await assertHidden(ben, a, 'room deleted');
  await assertHidden(ann, a, 'room deleted, its owner');
});
