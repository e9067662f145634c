// Files and images, the limits (issue 16): the per-user and total quotas
// (507 quota_exceeded), uploads per minute (429 rate_limited), and uploads
// never posted, removed once CHAT_FILE_UNPOSTED_MINUTES passed (bytes
// included), and decoding stopped after CHAT_IMAGE_DECODE_SECONDS. Small
// limits set for this stack only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startStack, waitFor } from '../lib/stack.mjs';
import { pngBomb, pngRgb } from '../lib/images.mjs';
import { assertError, count, createRoom, join as joinRoom, say, sql, users } from './helpers.mjs';

let stack;
let room;
let people;

const KIB = 1024;
before(async () => {
  stack = await startStack({
    env: {
      CHAT_ROOM_CREATE_BURST: '1000', CHAT_JOIN_BURST: '1000', CHAT_POST_BURST: '1000',
      CHAT_FILE_USER_QUOTA_MB: String(100 / 1024), // 100 KiB
      CHAT_FILE_TOTAL_QUOTA_MB: String(200 / 1024), // 200 KiB
      CHAT_UPLOAD_BURST: '3', CHAT_UPLOADS_PER_MINUTE: '0.01',
      CHAT_FILE_UNPOSTED_MINUTES: String(2 / 60), // 2 s
      CHAT_IMAGE_DECODE_SECONDS: '0.1',
    },
  });
  people = await users(stack.base, ['ann', 'ben', 'cat', 'dan', 'eve', 'fay', 'gus']);
  room = await createRoom(people[0], 'Limits');
  for (const p of people) await joinRoom(p, room.id);
});
after(() => stack?.stop());

async function upload(client, bytes, name = 'f.bin') {
  const form = new FormData();
  form.append('file', new Blob([bytes]), name);
  const res = await fetch(`${stack.base}/api/rooms/${room.id}/files`, {
    method: 'POST', body: form, headers: { cookie: client.cookie, origin: stack.base.replace(/\/$/, '') },
  });
  const text = await res.text();
  let body = null;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, body, text };
}

function blobsOnDisk() {
  const dir = `${stack.db}.files`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((d) => d.length === 2).flatMap((d) => readdirSync(join(dir, d)));
}

test('decoding is stopped after CHAT_IMAGE_DECODE_SECONDS: a 48-megapixel image (under the pixel limit) is kept as an opaque file', async () => {
  const gus = people[6];
  const small = await upload(gus, pngRgb(16, 16), 's.png');
  assert.equal(small.status, 201, small.text);
  assert.equal(small.body.attachment.type, 'image/png', 'a small image decodes within the limit');
  // 8000 x 6000 one-bit pixels, ~6 KB on disk: re-encoding it takes the
  // worker most of a second on an idle machine, well over 0.1 s.
  const slow = await upload(gus, await pngBomb(8000, 6000), 'slow.png');
  assert.equal(slow.status, 201, slow.text);
  assert.equal(slow.body.attachment.type, 'application/octet-stream');
  assert.equal(slow.body.attachment.thumb_url, undefined);
});

test('507 quota_exceeded: one user past CHAT_FILE_USER_QUOTA_MB, everyone past CHAT_FILE_TOTAL_QUOTA_MB; nothing stored', async () => {
  const [ann, ben, cat, dan] = people;
  const sixty = () => randomBytes(60 * KIB);
  const a = await upload(ann, sixty());
  assert.equal(a.status, 201, a.text);
  await say(ann, room.id, 'a', { attachments: [a.body.attachment.id] });
  const files = count(stack.db, 'files');
  const disk = blobsOnDisk().length;
  assertError(await upload(ann, sixty()), 507, 'quota_exceeded', 'ann: 120 KiB > 100 KiB');
  assert.equal(count(stack.db, 'files'), files);
  assert.equal(blobsOnDisk().length, disk, 'no bytes left behind');
  for (const p of [ben, cat]) {
    const r = await upload(p, sixty());
    assert.equal(r.status, 201, r.text);
    await say(p, room.id, 'x', { attachments: [r.body.attachment.id] });
  }
  assertError(await upload(dan, sixty()), 507, 'quota_exceeded', 'total: 240 KiB > 200 KiB');
  const small = await upload(dan, randomBytes(2 * KIB));
  assert.equal(small.status, 201, 'what still fits is taken');
});

test('429 rate_limited with Retry-After past CHAT_UPLOAD_BURST; nothing stored', async () => {
  const eve = people[4];
  for (let i = 0; i < 3; i += 1) assert.equal((await upload(eve, Buffer.from(`e${i}`))).status, 201);
  const files = count(stack.db, 'files');
  const r = await upload(eve, Buffer.from('one too many'));
  assertError(r, 429, 'rate_limited');
  assert.ok(Number(r.headers.get('retry-after')) > 0);
  assert.equal(count(stack.db, 'files'), files);
});

test('an upload not posted within CHAT_FILE_UNPOSTED_MINUTES is refused by a post and removed, bytes included', async () => {
  const fay = people[5];
  const r = await upload(fay, Buffer.from('never posted'));
  assert.equal(r.status, 201, r.text);
  const id = r.body.attachment.id;
  const blob = sql(stack.db, `SELECT blob FROM files WHERE id = ${id}`);
  assert.ok(blobsOnDisk().includes(blob));
  await new Promise((resolve) => setTimeout(resolve, 2500));
  assertError(await fay.post(`/api/rooms/${room.id}/messages`, { text: 'late', attachments: [id] }), 400, 'invalid_attachment');
  // The next upload (anyone's) sweeps it.
  assert.equal((await upload(fay, Buffer.from('fresh'))).status, 201);
  await waitFor(() => count(stack.db, 'files', `id = ${id}`) === 0, 5000, 'the stale upload removed');
  assert.ok(!blobsOnDisk().includes(blob), 'its bytes too');
  const got = await fetch(`${stack.base}${r.body.attachment.url}`, { headers: { cookie: fay.cookie } });
  assert.equal(got.status, 404);
});
