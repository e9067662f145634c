// Attacks on files (issue 16) and attention (issue 14) as an outsider
// would make them, each with the answer it must get: a clear 4xx, never a
// 500, never bytes to someone outside the room. Real nginx, real workers,
// real chat.db.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, startStack } from '../lib/stack.mjs';
import { pngRgb } from '../lib/images.mjs';
import { assertError, createRoom, join as joinRoom, users } from './helpers.mjs';

let stack;
let ann;
let ben;
let cat;
let room;

before(async () => {
  stack = await startStack({
    env: {
      CHAT_POST_BURST: '100000', CHAT_ROOM_CREATE_BURST: '1000', CHAT_JOIN_BURST: '1000',
      CHAT_UPLOAD_BURST: '1000', CHAT_FILE_MAX_MB: '2',
    },
  });
  [ann, ben, cat] = await users(stack.base, ['ann', 'ben', 'cat']);
  room = await createRoom(ann, 'Attack3');
  await joinRoom(ann, room.id);
  await joinRoom(ben, room.id);
});
after(async () => { await stack?.stop(); });

const origin = () => stack.base.replace(/\/$/, '');

// A raw multipart upload: `body` as given, so its framing can be anything.
function rawUpload(client, roomId, body, contentType, extra = {}) {
  return new Promise((resolve, reject) => {
    const url = new URL(`${stack.base}/api/rooms/${roomId}/files`);
    const req = request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: { cookie: client.cookie, origin: origin(), 'content-type': contentType, ...extra },
    }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: { get: (k) => res.headers[k.toLowerCase()] }, body: json, text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function upload(client, roomId, bytes, name = 'f.bin', type = 'application/octet-stream') {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), name);
  const res = await fetch(`${stack.base}/api/rooms/${roomId}/files`, {
    method: 'POST', body: form, headers: { cookie: client.cookie, origin: origin() },
  });
  const text = await res.text();
  let body = null;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, body, text };
}

// The raw header lines of a GET (rawHeaders keeps repeats, which
// fetch's Headers would join with ", ").
function rawGet(client, path) {
  return new Promise((resolve, reject) => {
    const url = new URL(stack.base + path);
    request({ host: url.hostname, port: url.port, path: url.pathname, headers: { cookie: client.cookie } }, (res) => {
      res.resume();
      res.on('end', () => {
        const lines = [];
        for (let k = 0; k < res.rawHeaders.length; k += 2) lines.push([res.rawHeaders[k].toLowerCase(), res.rawHeaders[k + 1]]);
        resolve({ status: res.statusCode, lines });
      });
    }).on('error', reject).end();
  });
}

test('a file is served with one Content-Security-Policy (the sandbox) and one nosniff, not the site\'s beside them', async () => {
  await joinRoom(ann, room.id);
  const html = Buffer.from('<html><script>alert(1)</script></html>');
  const up = await upload(ann, room.id, html, 'x.html', 'text/html');
  assert.equal(up.status, 201, up.text);
  const img = await upload(ann, room.id, pngRgb(20, 20), 'p.png', 'image/png');
  assert.equal(img.status, 201, img.text);
  for (const path of [`/api/files/${up.body.attachment.id}`, `/api/files/${img.body.attachment.id}`,
    `/api/files/${img.body.attachment.id}/thumb`]) {
    const r = await rawGet(ann, path);
    assert.equal(r.status, 200, path);
    const csp = r.lines.filter(([k]) => k === 'content-security-policy').map(([, v]) => v);
    assert.deepEqual(csp, ["sandbox; default-src 'none'; style-src 'unsafe-inline'"], path);
    const nosniff = r.lines.filter(([k]) => k === 'x-content-type-options').map(([, v]) => v);
    assert.deepEqual(nosniff, ['nosniff'], path);
    // The other site headers are still there.
    assert.ok(r.lines.some(([k, v]) => k === 'x-frame-options' && v === 'DENY'), path);
  }
  // Every other reply keeps the site's policy, errors included.
  const missing = await rawGet(ann, '/api/files/999999');
  assert.equal(missing.status, 404);
  const csp = missing.lines.filter(([k]) => k === 'content-security-policy');
  assert.equal(csp.length, 1);
  assert.match(csp[0][1], /^default-src 'self'/);
  assert.equal(missing.lines.filter(([k]) => k === 'x-content-type-options').length, 1);
  const page = await rawGet(ann, '/');
  assert.equal(page.lines.filter(([k]) => k === 'content-security-policy').length, 1);
  assert.equal(page.lines.filter(([k]) => k === 'x-content-type-options').length, 1);
});

// GET as `client`: [status, bytes].
async function get(client, path, method = 'GET') {
  const r = await fetch(stack.base + path, { method, headers: { cookie: client.cookie } });
  return [r.status, Buffer.from(await r.arrayBuffer()).length];
}
// A JSON request as `client`: {status, headers, text, body}.
async function send(client, path, body, method = 'POST') {
  const r = await fetch(stack.base + path, {
    method, headers: { cookie: client.cookie, 'content-type': 'application/json', origin: origin() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, headers: r.headers, text, body: json };
}

test('multipart abuse (no file part, two, huge part headers, odd names, no boundary, wrong Origin) answers 4xx or a clean name (no bidi override), never 5xx; a quoted boundary is read', async () => {
  await joinRoom(ann, room.id);
  const B = 'XyZ';
  const part = (headers, data) => `--${B}\r\n${headers}\r\n\r\n${data}\r\n`;
  const end = `--${B}--\r\n`;
  const file = (name) => `Content-Disposition: form-data; name="file"; filename="${name}"`;
  const ct = `multipart/form-data; boundary=${B}`;
  const refused = {
    noFile: part('Content-Disposition: form-data; name="x"', 'hi') + end,
    noFilename: part('Content-Disposition: form-data; name="file"', 'hi') + end,
    two: part(file('a'), 'a') + part(file('b'), 'b') + end,
    unterminated: `--${B}\r\n${file('a')}\r\n\r\nabc`,
    noHeadersEnd: `--${B}\r\n${file('a')}`,
    empty: '',
    manyParts: Array.from({ length: 20000 }, (_, k) => part(`Content-Disposition: form-data; name="p${k}"`, 'v')).join('') + end,
  };
  for (const [what, body] of Object.entries(refused)) {
    const r = await rawUpload(ann, room.id, Buffer.from(body), ct);
    assertError(r, 415, 'unsupported_file', what);
  }
  assertError(await rawUpload(ann, room.id, 'abc', 'multipart/form-data'), 415, 'unsupported_file');
  // A quoted boundary (RFC 2046 5.1.1; .NET's HttpClient sends one) and an
  // upper-case parameter name (RFC 2045 5.1) are the same upload.
  for (const type of [`multipart/form-data; boundary="${B}"`, `Multipart/Form-Data; BOUNDARY=${B}`,
    `multipart/form-data; charset=utf-8; boundary=${B}`]) {
    const r = await rawUpload(ann, room.id, Buffer.from(part(file('q.txt'), 'quoted') + end), type);
    assert.equal(r.status, 201, `${type}: ${r.text}`);
    assert.equal(r.body.attachment.size, 6);
  }
  const named = {
    '../../etc/passwd': 'passwd', 'a\0b.txt': 'a_b.txt', '..': 'file', [`${'n'.repeat(10000)}`]: 'n'.repeat(255),
    '%2e%2e%2f%2e%2e%2fetc%2fpasswd': 'passwd', 'invoice\u202efdp.exe': 'invoice_fdp.exe',
    'a\u2066b\u2069\u0085.txt': 'a_b__.txt',
  };
  for (const [sent, kept] of Object.entries(named)) {
    const r = await rawUpload(ann, room.id, Buffer.from(part(file(sent), 'a') + end), ct);
    assert.equal(r.status, 201, `${sent.slice(0, 20)}: ${r.text}`);
    assert.equal(r.body.attachment.name, kept);
    const g = await rawGet(ann, `/api/files/${r.body.attachment.id}`);
    const cd = g.lines.find(([k]) => k === 'content-disposition')[1];
    // RFC 6266: an ASCII token fallback and the exact name in filename*.
    assert.match(cd, /^attachment; filename="[A-Za-z0-9._ -]*"; filename\*=UTF-8''[A-Za-z0-9._%-]*$/);
  }
  const huge = part(`${file('a')}\r\nX-Big: ${'a'.repeat(60000)}`, 'a') + end;
  assert.equal((await rawUpload(ann, room.id, Buffer.from(huge), ct)).status, 201);
  const ok = Buffer.from(part(file('a'), 'a') + end);
  for (const o of ['', 'http://evil.example', 'null']) {
    assertError(await rawUpload(ann, room.id, ok, ct, { origin: o }), 403, 'bad_origin', o);
  }
  assert.doesNotMatch(readFileSync(stack.log, 'utf8'), /files\[\d+\] \S+ \S+ 5\d\d /);
});

test('outsiders never get a file: removed from a private room, banned, room or message deleted, account disabled or deleted; chatctl check finds nothing left', async () => {
  const priv = (await send(ann, '/api/rooms', { name: 'Hidden', kind: 'private' })).body.room;
  assert.equal((await send(ann, `/api/rooms/${priv.id}/members`, { username: 'cat' })).status, 201);
  await joinRoom(ann, priv.id);
  await joinRoom(cat, priv.id);
  const secret = (await upload(ann, priv.id, pngRgb(30, 30), 'secret.png', 'image/png')).body.attachment;
  assert.equal((await send(ann, `/api/rooms/${priv.id}/messages`, { text: 'hi @cat', attachments: [secret.id] })).status, 201);
  assert.equal((await get(cat, `/api/files/${secret.id}`))[0], 200);
  const catOwn = (await upload(cat, priv.id, Buffer.from('cat'), 'c.txt')).body.attachment;
  assert.equal((await send(ann, `/api/rooms/${priv.id}/members/${cat.user.id}`, undefined, 'DELETE')).status, 204);
  for (const path of [`/api/files/${secret.id}`, `/api/files/${secret.id}/thumb`, `/api/files/${catOwn.id}`]) {
    assert.deepEqual(await get(cat, path), [404, 70], path);
  }
  assert.equal((await send(cat, `/api/rooms/${priv.id}/read`, { id: 1 })).status, 404);
  assert.equal((await send(cat, `/api/rooms/${priv.id}/typing`)).status, 404);
  const mentions = await send(cat, '/api/mentions', undefined, 'GET');
  assert.doesNotMatch(mentions.text, /Hidden/);
  assert.doesNotMatch((await send(cat, '/api/rooms', undefined, 'GET')).text, /Hidden/);

  // Banned from an open room: neither the room's files nor one's own upload.
  await joinRoom(ann, room.id);
  await joinRoom(ben, room.id);
  const bens = (await upload(ben, room.id, Buffer.from('ben'), 'b.txt')).body.attachment;
  const anns = (await upload(ann, room.id, Buffer.from('ann'), 'a.txt')).body.attachment;
  assert.equal((await send(ann, `/api/rooms/${room.id}/messages`, { text: 'f', attachments: [anns.id] })).status, 201);
  assert.equal((await send(ann, `/api/rooms/${room.id}/members/${ben.user.id}`, undefined, 'DELETE')).status, 204);
  assert.equal((await get(ben, `/api/files/${anns.id}`))[0], 404);
  assert.equal((await get(ben, `/api/files/${bens.id}`))[0], 404);
  // ...nor attach that upload in a room of his own, nor anyone a posted one.
  const other = await createRoom(ben, 'Bens');
  await joinRoom(ben, other.id);
  const cross = await send(ben, `/api/rooms/${other.id}/messages`, { text: 'x', attachments: [bens.id] });
  assertError(cross, 400, 'invalid_attachment');
  const again = await send(ann, `/api/rooms/${room.id}/messages`, { text: 'x', attachments: [anns.id] });
  assertError(again, 400, 'invalid_attachment');

  // A deleted room takes its files.
  assert.equal((await send(ann, `/api/rooms/${priv.id}`, undefined, 'DELETE')).status, 204);
  assert.equal((await get(ann, `/api/files/${secret.id}`))[0], 404);

  // A disabled, then deleted, account: its posted file stays for the room
  // until the account is deleted; its session gets nothing.
  await joinRoom(ben, other.id);
  const posted = (await upload(ben, other.id, pngRgb(20, 20), 'ben.png', 'image/png')).body.attachment;
  assert.equal((await send(ben, `/api/rooms/${other.id}/messages`, { text: 'b', attachments: [posted.id] })).status, 201);
  const ctl = (args) => spawnSync(join(ROOT, 'build', 'bin', 'chatctl'), ['--db', stack.db, ...args], { encoding: 'utf8', input: 'yes\n' });
  assert.equal(ctl(['user', 'disable', 'ben']).status, 0);
  assert.equal((await get(ben, `/api/files/${posted.id}`))[0], 401);
  assert.equal(ctl(['user', 'delete', 'ben']).status, 0);
  await joinRoom(ann, room.id);
  assert.equal((await get(ann, `/api/files/${posted.id}`))[0], 404);

  // A message deleted while its file downloads: the downloads finish whole,
  // the next one is 404.
  const big = (await upload(ann, room.id, Buffer.alloc(1900000, 7), 'big.bin')).body.attachment;
  const msg = (await send(ann, `/api/rooms/${room.id}/messages`, { text: 'big', attachments: [big.id] })).body.message;
  const downloads = Promise.all(Array.from({ length: 4 }, () => get(ann, `/api/files/${big.id}`)));
  const del = send(ann, `/api/messages/${msg.id}`, undefined, 'DELETE');
  for (const [status, length] of await downloads) {
    assert.ok(status === 404 || (status === 200 && length === 1900000), `${status} ${length}`);
  }
  assert.equal((await del).status, 204);
  assert.equal((await get(ann, `/api/files/${big.id}`))[0], 404);
  const check = ctl(['check']);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /0 missing/);
  assert.match(check.stdout, /\(0 orphan/);
  assert.doesNotMatch(readFileSync(stack.log, 'utf8'), /files\[\d+\] \S+ \S+ 5\d\d /);
});
