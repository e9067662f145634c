// Files and images (issue 16, DESIGN.md "Version 2"): POST
// /api/rooms/{id}/files, GET /api/files/{id} and /thumb, and posts that
// carry "attachments". Real nginx, real workers (the files program with
// libvips), real chat.db and blobs on disk; test images made at test time
// (tests/lib/images.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ROOT, startStack } from '../lib/stack.mjs';
import { workerPids } from '../lib/procs.mjs';
import { GPS_MARKER, convert, header, jpegWithGps, pngBomb, pngRgb } from '../lib/images.mjs';
import { assertError, count, createRoom, join as joinRoom, say, sql, users } from './helpers.mjs';

let stack;
let ann; // owner of `room`, inside it
let ben; // inside `room`
let cat; // logged in, in no room
let room;

before(async () => {
  stack = await startStack({
    env: {
      CHAT_POST_BURST: '100000', CHAT_ROOM_CREATE_BURST: '1000', CHAT_JOIN_BURST: '1000',
      CHAT_UPLOAD_BURST: '1000', CHAT_FILE_MAX_MB: '2',
    },
  });
  [ann, ben, cat] = await users(stack.base, ['ann', 'ben', 'cat']);
  room = await createRoom(ann, 'Files');
  await joinRoom(ann, room.id);
  await joinRoom(ben, room.id);
});
after(async () => {
  await stack?.stop();
  if (scratch && !process.env.KEEP_TEST_DIRS) rmSync(scratch, { recursive: true, force: true });
});

const scratch = mkdtempSync(join(tmpdir(), 'chat-files-'));
// chatctl on the stack's database; {code, out, err}.
function ctl(args) {
  const r = spawnSync(join(ROOT, 'build', 'bin', 'chatctl'), ['--db', stack.db, ...args], { encoding: 'utf8', timeout: 60000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const origin = () => stack.base.replace(/\/$/, '');

// Uploads `bytes` as the one `file` part, from this site's origin as a
// browser's fetch(FormData) sends it. Returns {status, headers, body, text}.
async function upload(client, roomId, bytes, name = 'file.bin', type = 'application/octet-stream',
  { headers = {}, field = 'file' } = {}) {
  const form = new FormData();
  form.append(field, new Blob([bytes], { type }), name);
  const res = await fetch(`${stack.base}/api/rooms/${roomId}/files`, {
    method: 'POST', body: form, headers: { cookie: client.cookie, origin: origin(), ...headers },
  });
  const text = await res.text();
  let body = null;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, body, text };
}

// GET as `client`: {status, headers, bytes}.
async function fetchBytes(client, path) {
  const res = await fetch(stack.base + path, { headers: client ? { cookie: client.cookie } : {} });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

function blobsOnDisk() {
  const dir = `${stack.db}.files`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((d) => d.length === 2).flatMap((d) => readdirSync(join(dir, d)));
}

test('an image upload answers 201 {attachment} with id, name, type, size, width, height, url, thumb_url', async () => {
  const png = pngRgb(800, 600);
  const r = await upload(ann, room.id, png, 'photo.png', 'image/png');
  assert.equal(r.status, 201, r.text);
  const a = r.body.attachment;
  assert.deepEqual(Object.keys(a).sort(), ['height', 'id', 'name', 'size', 'thumb_url', 'type', 'url', 'width']);
  assert.equal(a.name, 'photo.png');
  assert.equal(a.type, 'image/png');
  assert.equal(a.width, 800);
  assert.equal(a.height, 600);
  assert.equal(a.url, `/api/files/${a.id}`);
  assert.equal(a.thumb_url, `/api/files/${a.id}/thumb`);
  const got = await fetchBytes(ann, a.url);
  assert.equal(got.status, 200);
  assert.equal(got.headers.get('content-type'), 'image/png');
  assert.equal(got.bytes.length, a.size);
  assert.match(got.headers.get('content-disposition'), /^inline;/);
  assert.match(got.headers.get('x-content-type-options'), /nosniff/);
  assert.match(got.headers.get('content-security-policy'), /sandbox/);
  assert.match(got.headers.get('cache-control'), /private/);
  assert.match(got.headers.get('cache-control'), /immutable/);
  const thumb = await fetchBytes(ann, a.thumb_url);
  assert.equal(thumb.status, 200);
  assert.equal(thumb.headers.get('content-type'), 'image/webp');
  const h = header(thumb.bytes, 'webp');
  const w = Number(/^width: (\d+)/m.exec(h)[1]);
  const hh = Number(/^height: (\d+)/m.exec(h)[1]);
  assert.equal(w, 400, h);
  assert.equal(hh, 300, h);
});

test('JPEG, GIF and WebP are decoded too, with their own types', async () => {
  const png = pngRgb(120, 90);
  for (const [ext, type] of [['jpg', 'image/jpeg'], ['gif', 'image/gif'], ['webp', 'image/webp']]) {
    const r = await upload(ann, room.id, convert(png, ext), `x.${ext}`, 'application/octet-stream');
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.attachment.type, type, ext);
    assert.equal(r.body.attachment.width, 120, ext);
    assert.equal(r.body.attachment.height, 90, ext);
    const got = await fetchBytes(ann, r.body.attachment.url);
    assert.equal(got.headers.get('content-type'), type);
  }
});

test('a JPEG with GPS EXIF is served without it (and without any EXIF at all)', async () => {
  const jpeg = jpegWithGps();
  assert.match(header(jpeg, 'jpg'), /GPSLatitude/, 'the fixture carries a GPS position');
  assert.ok(jpeg.includes(Buffer.from(GPS_MARKER)));
  const r = await upload(ann, room.id, jpeg, 'holiday.jpg', 'image/jpeg');
  assert.equal(r.status, 201, r.text);
  const got = await fetchBytes(ann, r.body.attachment.url);
  assert.equal(got.status, 200);
  assert.equal(got.bytes[0], 0xff);
  assert.equal(got.bytes[1], 0xd8);
  assert.ok(!got.bytes.includes(Buffer.from('Exif\0\0', 'latin1')), 'no EXIF segment');
  assert.ok(!got.bytes.includes(Buffer.from(GPS_MARKER)), 'no EXIF text');
  assert.doesNotMatch(header(got.bytes, 'jpg'), /GPS|exif-/);
});

test('a WebP with GPS EXIF is served without it, thumbnail included (libvips 8.14 webpsave ignores strip)', async () => {
  const webp = convert(jpegWithGps(), 'webp');
  assert.match(header(webp, 'webp'), /GPSLatitude/, 'the fixture carries a GPS position');
  const r = await upload(ann, room.id, webp, 'holiday.webp', 'image/webp');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.attachment.type, 'image/webp');
  for (const path of [r.body.attachment.url, r.body.attachment.thumb_url]) {
    const got = await fetchBytes(ann, path);
    assert.equal(got.status, 200);
    assert.ok(!got.bytes.includes(Buffer.from(GPS_MARKER)), `${path}: no EXIF text`);
    assert.doesNotMatch(header(got.bytes, 'webp'), /GPS|ImageDescription/, path);
  }
});

test('no other decoder is even in the files workers: libvips\' modules (ImageMagick, poppler, libheif, libjxl, OpenSlide) are not loaded, and no other program maps libvips', () => {
  const maps = (program) => workerPids(stack, program).map((pid) => readFileSync(`/proc/${pid}/maps`, 'latin1'));
  const files = maps('files');
  assert.ok(files.length > 0);
  for (const m of files) {
    assert.match(m, /libvips\.so/);
    assert.doesNotMatch(m, /vips-modules|Magick|poppler|libheif|libjxl|openslide/);
  }
  for (const program of ['auth', 'rooms', 'post', 'poll']) {
    for (const m of maps(program)) assert.doesNotMatch(m, /libvips/, program);
  }
});

test('an .html or .svg upload is stored opaque and never served inline as active content', async () => {
  const html = Buffer.from('<!doctype html><script>alert(document.cookie)</script>');
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>');
  for (const [bytes, name, type] of [[html, 'page.html', 'text/html'], [svg, 'logo.svg', 'image/svg+xml']]) {
    const r = await upload(ann, room.id, bytes, name, type);
    assert.equal(r.status, 201, r.text);
    const a = r.body.attachment;
    assert.equal(a.thumb_url, undefined);
    assert.equal(a.width, undefined);
    assert.equal(a.size, bytes.length);
    assert.notEqual(a.type, 'image/svg+xml', 'an undecoded file is never called an image');
    const got = await fetchBytes(ann, a.url);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'application/octet-stream', name);
    assert.match(got.headers.get('content-disposition'), /^attachment;/, name);
    assert.match(got.headers.get('x-content-type-options'), /nosniff/);
    assert.match(got.headers.get('content-security-policy'), /sandbox/);
    assert.deepEqual(got.bytes, bytes, 'the bytes as sent');
    assertError(await ann.get(`/api/files/${a.id}/thumb`), 404, 'file_not_found');
  }
});

test('a file name keeps its text but no folder, and goes out in Content-Disposition encoded (RFC 6266)', async () => {
  const r = await upload(ann, room.id, Buffer.from('x'), '../../etc/Grüße "q".txt', 'text/plain');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.attachment.name, 'Grüße "q".txt');
  assert.equal(r.body.attachment.type, 'text/plain');
  const got = await fetchBytes(ann, r.body.attachment.url);
  assert.equal(got.headers.get('content-disposition'),
    'attachment; filename="Gr__e _q_.txt"; filename*=UTF-8\'\'Gr%C3%BC%C3%9Fe%20%22q%22.txt');
});

test('a truncated image is stored as an opaque file, not a crash', async () => {
  const png = pngRgb(300, 200);
  const jpeg = convert(png, 'jpg');
  for (const [bytes, name] of [[png.subarray(0, png.length - 40), 't.png'], [jpeg.subarray(0, jpeg.length / 2), 't.jpg']]) {
    const r = await upload(ann, room.id, bytes, name, 'image/png');
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.attachment.type, 'application/octet-stream');
    assert.equal(r.body.attachment.thumb_url, undefined);
    const got = await fetchBytes(ann, r.body.attachment.url);
    assert.equal(got.headers.get('content-type'), 'application/octet-stream');
    assert.deepEqual(got.bytes, Buffer.from(bytes));
  }
});

test('a PNG of 30,000 x 30,000 pixels (tiny on disk) is refused quickly with 413 file_too_large', async () => {
  const bomb = await pngBomb(30000, 30000);
  assert.ok(bomb.length < 200000, `${bomb.length} bytes`);
  const before = count(stack.db, 'files');
  const t = Date.now();
  const r = await upload(ann, room.id, bomb, 'bomb.png', 'image/png');
  assertError(r, 413, 'file_too_large');
  // Decoding it would take minutes and 112 MB even at one bit a pixel; the
  // header alone is read. A generous bound for a loaded machine.
  assert.ok(Date.now() - t < 10000, `${Date.now() - t} ms`);
  assert.equal(count(stack.db, 'files'), before);
});

test('over CHAT_FILE_MAX_MB: 413 file_too_large as JSON from nginx, nothing stored', async () => {
  const before = count(stack.db, 'files');
  const big = Buffer.alloc(3 * 1024 * 1024, 7);
  const r = await upload(ann, room.id, big, 'big.bin');
  assertError(r, 413, 'file_too_large');
  // Just over the file limit but under nginx's (framing slack): the worker says it.
  const edge = Buffer.alloc(2 * 1024 * 1024 + 1000, 7);
  assertError(await upload(ann, room.id, edge, 'edge.bin'), 413, 'file_too_large');
  assert.equal(count(stack.db, 'files'), before);
});

test('415 unsupported_file: not multipart, no file part, an empty file', async () => {
  const before = count(stack.db, 'files');
  const json = await fetch(`${stack.base}/api/rooms/${room.id}/files`, {
    method: 'POST', body: '{}', headers: { cookie: ann.cookie, origin: origin(), 'content-type': 'application/json' },
  });
  assert.equal(json.status, 415);
  assert.equal((await json.json()).error.code, 'unsupported_file');
  assertError(await upload(ann, room.id, Buffer.from('x'), 'a.txt', 'text/plain', { field: 'other' }), 415, 'unsupported_file');
  assertError(await upload(ann, room.id, Buffer.alloc(0), 'empty.txt'), 415, 'unsupported_file');
  assert.equal(count(stack.db, 'files'), before);
});

test('CSRF: an upload needs a same-origin Origin header (403 bad_origin without one or from another site)', async () => {
  const before = count(stack.db, 'files');
  assertError(await upload(ann, room.id, Buffer.from('x'), 'a.txt', 'text/plain', { headers: { origin: 'https://evil.example' } }), 403, 'bad_origin');
  const form = new FormData();
  form.append('file', new Blob([Buffer.from('x')]), 'a.txt');
  const res = await fetch(`${stack.base}/api/rooms/${room.id}/files`, { method: 'POST', body: form, headers: { cookie: ann.cookie } });
  assert.equal(res.status, 403);
  assert.equal((await res.json()).error.code, 'bad_origin');
  assert.equal(count(stack.db, 'files'), before);
});

test('upload errors of the room: 401 logged out, 404 no room, 409 not in it, 410 deleted', async () => {
  const anon = { cookie: '' };
  assertError(await upload(anon, room.id, Buffer.from('x')), 401, 'not_logged_in');
  assertError(await upload(ann, 999999, Buffer.from('x')), 404, 'room_not_found');
  assertError(await upload(cat, room.id, Buffer.from('x')), 409, 'not_in_room');
  const gone = await createRoom(cat);
  await joinRoom(cat, gone.id);
  assert.equal((await cat.del(`/api/rooms/${gone.id}`)).status, 204);
  assertError(await upload(cat, gone.id, Buffer.from('x')), 410, 'room_deleted');
});

test('a post carries attachments; polls and history show them; text may then be empty', async () => {
  const a = (await upload(ann, room.id, pngRgb(50, 40), 'a.png', 'image/png')).body.attachment;
  const b = (await upload(ann, room.id, Buffer.from('%PDF-1.4 fake'), 'doc.pdf', 'application/pdf')).body.attachment;
  const r = await ann.post(`/api/rooms/${room.id}/messages`, { text: '', attachments: [b.id, a.id] });
  assert.equal(r.status, 201, r.text);
  const m = r.body.message;
  assert.equal(m.text, '');
  assert.deepEqual(m.attachments.map((x) => x.id), [b.id, a.id]);
  assert.deepEqual(m.attachments[1], a);
  assert.equal(m.attachments[0].type, 'application/pdf');
  const polled = await ben.get(`/api/rooms/${room.id}/messages?after=${m.id - 1}`);
  assert.deepEqual(polled.body.messages.find((x) => x.id === m.id).attachments, m.attachments);
  const plain = await say(ann, room.id, 'no files');
  assert.deepEqual(plain.attachments, []);
  // ben may read both now that they are posted.
  assert.equal((await fetchBytes(ben, a.url)).status, 200);
  assert.equal((await fetchBytes(ben, a.thumb_url)).status, 200);
  assert.equal((await fetchBytes(ben, b.url)).status, 200);
});

test('400 invalid_attachment: not yours, another room, posted already, unknown, over 10, not ids; nothing posted', async () => {
  const mine = (await upload(ann, room.id, Buffer.from('m'), 'm.txt')).body.attachment;
  const bens = (await upload(ben, room.id, Buffer.from('b'), 'b.txt')).body.attachment;
  const other = await createRoom(ann);
  await joinRoom(ann, other.id);
  const elsewhere = (await upload(ann, other.id, Buffer.from('e'), 'e.txt')).body.attachment;
  await joinRoom(ann, room.id);
  const posted = (await upload(ann, room.id, Buffer.from('p'), 'p.txt')).body.attachment;
  await say(ann, room.id, 'with p', { attachments: [posted.id] });
  const many = [];
  for (let i = 0; i < 11; i += 1) many.push((await upload(ann, room.id, Buffer.from(`n${i}`), 'n.txt')).body.attachment.id);
  const before = count(stack.db, 'messages');
  for (const attachments of [[bens.id], [elsewhere.id], [posted.id], [999999], many, [mine.id, mine.id],
    ['1'], [1.5], [-1], 'x', {}, [mine.id, bens.id]]) {
    assertError(await ann.post(`/api/rooms/${room.id}/messages`, { text: 'hi', attachments }), 400,
      'invalid_attachment', JSON.stringify(attachments));
  }
  assertError(await ann.post(`/api/rooms/${room.id}/messages`, { text: '', attachments: [] }), 400, 'invalid_text');
  assert.equal(count(stack.db, 'messages'), before);
  assert.equal(count(stack.db, 'files', `id = ${mine.id} AND message_id IS NULL`), 1, 'mine is still unposted');
  // Ten at once is allowed.
  const ok = await ann.post(`/api/rooms/${room.id}/messages`, { text: 'ten', attachments: many.slice(0, 10) });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.body.message.attachments.length, 10);
});

// Who may read a file is the room's read rule, inside the room or not:
// tests/api/files-access.test.mjs has the whole table.
test('outsiders never get bytes: logged out, outside a private room, another\'s unposted upload', async () => {
  const r = await upload(ann, room.id, pngRgb(20, 20), 's.png', 'image/png');
  const a = r.body.attachment;
  await say(ann, room.id, 'secret', { attachments: [a.id] });
  for (const path of [a.url, a.thumb_url]) {
    const anon = await fetchBytes(null, path);
    assert.equal(anon.status, 401, path);
    assert.equal(JSON.parse(anon.bytes).error.code, 'not_logged_in');
  }
  // a private room: dan is not a member
  const [dan] = await users(stack.base, ['dan']);
  const priv = (await ann.post('/api/rooms', { name: 'Hidden files', kind: 'private' })).body.room;
  await joinRoom(ann, priv.id);
  const p = (await upload(ann, priv.id, pngRgb(20, 20), 'p.png', 'image/png')).body.attachment;
  await say(ann, priv.id, 'private', { attachments: [p.id] });
  for (const path of [p.url, p.thumb_url]) {
    const out = await fetchBytes(dan, path);
    assert.equal(out.status, 404, path);
    assert.equal(JSON.parse(out.bytes).error.code, 'file_not_found');
  }
  assertError(await upload(dan, priv.id, Buffer.from('x')), 404, 'room_not_found');
  // An unposted upload is its uploader's alone, even inside the room.
  await joinRoom(ann, room.id);
  const unposted = (await upload(ann, room.id, Buffer.from('draft'), 'd.txt')).body.attachment;
  assert.equal((await fetchBytes(ben, unposted.url)).status, 404);
  assert.equal((await fetchBytes(ann, unposted.url)).status, 200);
  // Unknown and malformed ids.
  assert.equal((await fetchBytes(ann, '/api/files/999999')).status, 404);
  assert.equal((await fetchBytes(ann, '/api/files/abc')).status, 404);
});

test('deleting the message removes its files from storage; the same bytes elsewhere stay', async () => {
  const bytes = pngRgb(33, 33);
  const a = (await upload(ann, room.id, bytes, 'a.png', 'image/png')).body.attachment;
  const twin = (await upload(ann, room.id, bytes, 'twin.png', 'image/png')).body.attachment;
  const m = await say(ann, room.id, 'bye', { attachments: [a.id] });
  const [blob, thumb] = sql(stack.db, `SELECT blob || ' ' || thumb_blob FROM files WHERE id = ${a.id}`).split(' ');
  assert.ok(blobsOnDisk().includes(blob) && blobsOnDisk().includes(thumb));
  assert.equal((await ann.del(`/api/messages/${m.id}`)).status, 204);
  assert.equal(count(stack.db, 'files', `id = ${a.id}`), 0);
  assert.equal((await fetchBytes(ann, a.url)).status, 404);
  assert.ok(blobsOnDisk().includes(blob), 'the twin upload still names the same bytes');
  const m2 = await say(ann, room.id, 'twin', { attachments: [twin.id] });
  assert.equal((await ann.del(`/api/messages/${m2.id}`)).status, 204);
  assert.ok(!blobsOnDisk().includes(blob), 'gone from disk once nothing names it');
  assert.ok(!blobsOnDisk().includes(thumb));
  assert.equal(count(stack.db, 'blob_trash'), 0);
});

test('deleting the room removes its files, posted and unposted', async () => {
  const r = await createRoom(ann);
  await joinRoom(ann, r.id);
  const a = (await upload(ann, r.id, Buffer.from('room file one'), 'one.txt')).body.attachment;
  const b = (await upload(ann, r.id, Buffer.from('room file two'), 'two.txt')).body.attachment;
  await say(ann, r.id, 'x', { attachments: [a.id] });
  const blobs = sql(stack.db, `SELECT blob FROM files WHERE id IN (${a.id}, ${b.id})`).split('\n');
  assert.equal((await ann.del(`/api/rooms/${r.id}`)).status, 204);
  assert.equal(count(stack.db, 'files', `room_id = ${r.id}`), 0);
  for (const blob of blobs) assert.ok(!blobsOnDisk().includes(blob));
  await joinRoom(ann, room.id);
});

test('backup then restore keeps every file byte for byte; files added after the backup go', async () => {
  const r = await createRoom(ann);
  await joinRoom(ann, r.id);
  const originals = [pngRgb(64, 64), jpegWithGps(), randomBytes(1024 * 1024)];
  const ids = [];
  for (const [i, bytes] of originals.entries()) {
    ids.push((await upload(ann, r.id, bytes, `b${i}`, 'application/octet-stream')).body.attachment);
  }
  const m = await say(ann, r.id, 'backed up', { attachments: ids.map((a) => a.id) });
  const served = [];
  for (const a of m.attachments) served.push((await fetchBytes(ann, a.url)).bytes);
  const thumbs = [];
  for (const a of m.attachments.filter((x) => x.thumb_url)) thumbs.push((await fetchBytes(ann, a.thumb_url)).bytes);
  assert.deepEqual(served[2], originals[2], 'an opaque file is served as uploaded');
  const copy = join(scratch, 'with-files.db');
  const b = ctl(['backup', copy]);
  assert.equal(b.code, 0, b.err);
  assert.match(b.out, /file\(s\) to .*with-files\.db\.files/);
  assert.ok(existsSync(`${copy}.files`));
  // After the backup: the message (and its files) deleted, another file uploaded.
  assert.equal((await ann.del(`/api/messages/${m.id}`)).status, 204);
  for (const a of m.attachments) assert.equal((await fetchBytes(ann, a.url)).status, 404);
  const later = (await upload(ann, r.id, Buffer.from('after the backup'), 'later.txt')).body.attachment;
  const laterBlob = sql(stack.db, `SELECT blob FROM files WHERE id = ${later.id}`);
  const rs = ctl(['restore', copy]);
  assert.equal(rs.code, 0, rs.err);
  for (const [i, a] of m.attachments.entries()) {
    const got = await fetchBytes(ann, a.url);
    assert.equal(got.status, 200, a.url);
    assert.ok(got.bytes.equals(served[i]), `file ${a.id} byte for byte`);
  }
  const again = [];
  for (const a of m.attachments.filter((x) => x.thumb_url)) again.push((await fetchBytes(ann, a.thumb_url)).bytes);
  assert.deepEqual(again, thumbs);
  assert.ok(!blobsOnDisk().includes(laterBlob), 'a file the restored database does not name is gone');
  const check = ctl(['check']);
  assert.equal(check.code, 0, check.out + check.err);
  await joinRoom(ann, room.id);
});

test('chatctl check finds files missing from disk and files on disk nobody names; files sweep removes orphans', async () => {
  const a = (await upload(ann, room.id, Buffer.from('checked file'), 'c.txt')).body.attachment;
  await say(ann, room.id, 'c', { attachments: [a.id] });
  assert.equal(ctl(['check']).code, 0);
  const blob = sql(stack.db, `SELECT blob FROM files WHERE id = ${a.id}`);
  const path = join(`${stack.db}.files`, blob.slice(0, 2), blob);
  renameSync(path, join(scratch, 'aside'));
  let c = ctl(['check']);
  assert.equal(c.code, 1);
  assert.match(c.out, /PROBLEM files named by the database .*1 missing/);
  assert.ok(c.out.includes(`missing: ${path}`));
  renameSync(join(scratch, 'aside'), path);
  const stray = 'ab'.repeat(32);
  const strayPath = join(`${stack.db}.files`, 'ab', stray);
  spawnSync('mkdir', ['-p', join(`${stack.db}.files`, 'ab')]);
  writeFileSync(strayPath, 'nobody names me');
  c = ctl(['check']);
  assert.equal(c.code, 1);
  assert.match(c.out, /PROBLEM no file on disk that the database does not name \(1 orphan/);
  const sweep = ctl(['files', 'sweep']);
  assert.equal(sweep.code, 0, sweep.err);
  assert.match(sweep.out, /1 orphan file/);
  assert.ok(!existsSync(strayPath));
  assert.ok(existsSync(path), 'a named file stays');
  assert.equal(ctl(['check']).code, 0);
});

test('deleting an account (chatctl user delete) removes its files from storage', async () => {
  const [eve] = await users(stack.base, ['eve']);
  await joinRoom(eve, room.id);
  const posted = (await upload(eve, room.id, Buffer.from('eve posted'), 'p.txt')).body.attachment;
  const draft = (await upload(eve, room.id, Buffer.from('eve draft'), 'd.txt')).body.attachment;
  await say(eve, room.id, 'mine', { attachments: [posted.id] });
  const blobs = sql(stack.db, `SELECT blob FROM files WHERE user_id = ${eve.user.id}`).split('\n');
  assert.equal(blobs.length, 2);
  const r = ctl(['user', 'delete', 'eve']);
  assert.equal(r.code, 0, r.err);
  assert.equal(count(stack.db, 'files', `id IN (${posted.id}, ${draft.id})`), 0);
  for (const blob of blobs) assert.ok(!blobsOnDisk().includes(blob));
});

test('retention (chatctl prune) deletes the files of the messages it deletes, bytes included', async () => {
  const r = await createRoom(ann);
  await joinRoom(ann, r.id);
  const a = (await upload(ann, r.id, Buffer.from('kept two days only'), 'old.txt')).body.attachment;
  const m = await say(ann, r.id, 'old news', { attachments: [a.id] });
  const blob = sql(stack.db, `SELECT blob FROM files WHERE id = ${a.id}`);
  assert.ok(blobsOnDisk().includes(blob));
  // The room keeps 2 days; the message is made 3 days old.
  sql(stack.db, `UPDATE rooms SET retention_days = 2 WHERE id = ${r.id};
    UPDATE messages SET created_at = created_at - 3 * 86400000 WHERE id = ${m.id};`);
  const p = ctl(['prune']);
  assert.equal(p.code, 0, p.err);
  assert.equal(count(stack.db, 'messages', `id = ${m.id}`), 0);
  assert.equal(count(stack.db, 'files', `id = ${a.id}`), 0);
  assert.ok(!blobsOnDisk().includes(blob), 'the bytes are gone too');
  assert.equal(count(stack.db, 'blob_trash'), 0);
  await joinRoom(ann, room.id);
});

test('one files worker by default (CHAT_FILES_WORKERS), whose threads take several uploads at once, and nginx keeps at most half of them idle', async () => {
  assert.equal(workerPids(stack, 'files').length, 1, 'one files process');
  assert.equal(workerPids(stack, 'poll').length, 2, 'CHAT_WORKERS for the others');
  const conf = readFileSync(join(stack.dir, 'run', 'nginx.conf'), 'utf8');
  const block = /upstream chat_files \{[^}]*\}/.exec(conf);
  assert.ok(block, 'a files upstream');
  const pool = /keepalive (\d+);/.exec(block[0]) ?? [];
  const processes = Number(spawnSync('getconf', ['_NPROCESSORS_ONLN'], { encoding: 'utf8' }).stdout.trim());
  const threads = Number(process.env.CHAT_WORKER_THREADS || 3);
  assert.ok(Number(pool[1] ?? 0) * processes * 2 <= threads, `files keepalive ${pool[1]} x ${processes} nginx processes`);
  const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => upload(ann, room.id, randomBytes(300 * 1024), `at-once-${i}.bin`)));
  for (const r of replies) assert.equal(r.status, 201, r.text);
});
