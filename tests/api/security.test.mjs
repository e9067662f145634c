// What every route shares: 401 without a session, 404/405 for unknown
// paths and methods, the body rules (413, 415, 400 invalid_json), the CSRF
// checks (403 bad_origin), refusal of forged cookies, the security headers
// on every kind of response, and files that must never be served.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, ROOT } from '../lib/stack.mjs';
import { Client } from '../lib/client.mjs';
import { PASSWORD, assertError, count, createRoom, join as joinRoom, say, sql, users } from './helpers.mjs';

let stack;
let sam; // logged in, owns `room` and is inside it
let room;

before(async () => {
  stack = await startStack();
  [sam] = await users(stack.base, ['sam']);
  room = await createRoom(sam, 'Guarded');
  await joinRoom(sam, room.id);
});
after(() => stack?.stop());

const anon = () => new Client(stack.base);

// Every authenticated route, with a body where it takes one.
const AUTHENTICATED = () => [
  ['GET', '/api/me'],
  ['POST', '/api/logout'],
  ['GET', '/api/rooms'],
  ['POST', '/api/rooms', { name: 'Sneaky' }],
  ['GET', `/api/rooms/${room.id}`],
  ['DELETE', `/api/rooms/${room.id}`],
  ['POST', `/api/rooms/${room.id}/join`],
  ['POST', `/api/rooms/${room.id}/leave`],
  ['GET', `/api/rooms/${room.id}/messages?after=0`],
  ['GET', `/api/rooms/${room.id}/messages?before=10&limit=5`],
  ['POST', `/api/rooms/${room.id}/messages`, { text: 'sneaky' }],
];

// Every write, with a valid body.
const WRITES = () => [
  ['POST', '/api/register', { username: 'intruder', password: PASSWORD }],
  ['POST', '/api/login', { username: 'sam', password: PASSWORD }],
  ['POST', '/api/logout'],
  ['POST', '/api/rooms', { name: 'Forged' }],
  ['DELETE', `/api/rooms/${room.id}`],
  ['POST', `/api/rooms/${room.id}/join`],
  ['POST', `/api/rooms/${room.id}/leave`],
  ['POST', `/api/rooms/${room.id}/messages`, { text: 'forged' }],
];

// Rows that a refused write must not have changed.
function snapshot() {
  return {
    users: count(stack.db, 'users'),
    sessions: count(stack.db, 'sessions'),
    rooms: sql(stack.db, 'SELECT group_concat(id || coalesce(deleted_at, \'\')) FROM rooms'),
    messages: count(stack.db, 'messages'),
    membership: sql(stack.db, `SELECT coalesce(room_id, 'none') FROM users WHERE username = 'sam'`),
  };
}

test('every route but register and login answers 401 not_logged_in without a session, and changes nothing', async () => {
  const before = snapshot();
  for (const [method, path, body] of AUTHENTICATED()) {
    assertError(await anon().request(method, path, body), 401, 'not_logged_in', `${method} ${path}`);
  }
  assert.deepEqual(snapshot(), before);
});

test('unknown /api paths answer 404 not_found as JSON', async () => {
  const paths = [
    '/api/', '/api/nope', '/api/me/', '/api/me/extra', '/api/rooms/', '/api/rooms/abc', '/api/rooms/0',
    '/api/rooms/-1', '/api/rooms/1.0', '/api/rooms/0x1', '/api/rooms/99999999999999999999',
    `/api/rooms/${room.id}/nope`, `/api/rooms/${room.id}/join/again`, `/api/rooms/${room.id}/messages/1`,
    '/api/rooms//join', '/api/LOGIN', '/api/v2/rooms',
  ];
  for (const path of paths) {
    const r = await sam.get(path);
    assertError(r, 404, 'not_found', path);
    assert.equal(r.headers.get('cache-control'), 'no-store', path);
  }
});

test('a method a route does not take answers 405 method_not_allowed with Allow', async () => {
  const cases = [
    ['PUT', '/api/me', 'GET'], ['DELETE', '/api/me', 'GET'], ['GET', '/api/login', 'POST'],
    ['GET', '/api/register', 'POST'], ['GET', '/api/logout', 'POST'], ['PATCH', '/api/rooms', 'GET, POST'],
    ['PUT', `/api/rooms/${room.id}`, 'GET, PATCH, DELETE'], ['PUT', `/api/rooms/${room.id}/members`, 'GET, POST'],
    ['GET', `/api/rooms/${room.id}/members/1`, 'DELETE'], ['GET', `/api/rooms/${room.id}/join`, 'POST'],
    ['DELETE', `/api/rooms/${room.id}/leave`, 'POST'], ['PUT', `/api/rooms/${room.id}/messages`, null],
  ];
  const before = snapshot();
  for (const [method, path, allow] of cases) {
    const r = await sam.request(method, path, method === 'GET' ? undefined : {});
    assertError(r, 405, 'method_not_allowed', `${method} ${path}`);
    const got = (r.headers.get('allow') ?? '').split(/,\s*/).sort().join(', ');
    if (allow) assert.equal(got, allow.split(', ').sort().join(', '), `Allow for ${method} ${path}`);
    else assert.ok(got.length > 0, `Allow for ${method} ${path}`);
  }
  assert.deepEqual(snapshot(), before);
});

test('a body over 64 KiB answers 413 body_too_large as JSON; exactly 64 KiB is read', async () => {
  const before = snapshot();
  const pad = (n) => {
    const text = 'x'.repeat(n - JSON.stringify({ text: '' }).length);
    return JSON.stringify({ text });
  };
  const path = `/api/rooms/${room.id}/messages`;
  assert.equal(Buffer.byteLength(pad(65536)), 65536);
  const big = await sam.post(path, pad(65537));
  assertError(big, 413, 'body_too_large');
  assert.equal(big.headers.get('cache-control'), 'no-store');
  assertError(await anon().post('/api/register', pad(200000)), 413, 'body_too_large', 'register');
  // 64 KiB itself gets through to the program, which finds the text too long.
  assertError(await sam.post(path, pad(65536)), 400, 'invalid_text', '65536 bytes');
  // A chunked body (no Content-Length) is measured too.
  const chunks = [Buffer.from('{"text":"'), Buffer.alloc(70000, 'y'), Buffer.from('"}')];
  const res = await fetch(stack.base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: sam.cookie },
    body: new ReadableStream({
      pull(controller) {
        if (chunks.length) controller.enqueue(chunks.shift());
        else controller.close();
      },
    }),
    duplex: 'half',
  });
  assert.equal(res.status, 413, 'chunked');
  assert.equal((await res.json()).error.code, 'body_too_large');
  assert.deepEqual(snapshot(), before);
});

test('a write that is not Content-Type: application/json answers 415 unsupported_media_type and changes nothing', async () => {
  const before = snapshot();
  const types = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
    'text/json', 'application/jsonp', 'application/json-patch+json', 'application/xml', ''];
  for (const [method, path, body] of WRITES()) {
    for (const type of types) {
      const r = await sam.request(method, path, body ?? {}, { 'content-type': type });
      assertError(r, 415, 'unsupported_media_type', `${method} ${path} as "${type}"`);
    }
  }
  // No Content-Type at all (a Uint8Array body makes fetch send none).
  const res = await fetch(`${stack.base}/api/rooms`, {
    method: 'POST', headers: { cookie: sam.cookie }, body: new TextEncoder().encode('{"name":"Untyped"}'),
  });
  assert.equal(res.status, 415);
  assert.equal((await res.json()).error.code, 'unsupported_media_type');
  assert.deepEqual(snapshot(), before);
});

test('application/json with a charset, or in capitals, is accepted', async () => {
  for (const type of ['application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=UTF-8']) {
    const r = await sam.request('POST', `/api/rooms/${room.id}/messages`, { text: type }, { 'content-type': type });
    assert.equal(r.status, 201, `${type}: ${r.text}`);
  }
});

test('a body that is not exactly one JSON object answers 400 invalid_json and changes nothing', async () => {
  const bodies = [
    '', '   ', '{', '{"name":"x"', '[]', '[{"name":"x"}]', '"name"', '42', 'null', 'true',
    '{"name":"x"} trailing', '{"name":"x"}{}', '{"name":"x"}\u0000{"junk":1}', '{"name":"x"}\u0000',
    '{"name":"First","name":"Second"}', '{/* comment */"name":"x"}', '// comment\n{"name":"x"}',
    '{"name":"x"} // comment', '{"name":"x",}', "{'name':'x'}", '{name:"x"}', '{"name":NaN}',
    `${'['.repeat(10000)}${']'.repeat(10000)}`,
    `{"name":"x","deep":${'{"a":'.repeat(10000)}1${'}'.repeat(10000)}}`,
  ];
  const before = snapshot();
  for (const body of bodies) {
    const label = JSON.stringify(body).slice(0, 50);
    assertError(await sam.post('/api/rooms', body), 400, 'invalid_json', `create ${label}`);
    assertError(await anon().post('/api/register', body), 400, 'invalid_json', `register ${label}`);
  }
  for (const body of ['[', '[]', '{"x":1']) {
    assertError(await sam.post(`/api/rooms/${room.id}/join`, body), 400, 'invalid_json', `join ${body}`);
  }
  assert.deepEqual(snapshot(), before);
});

test('a write with a foreign Origin or Sec-Fetch-Site: cross-site answers 403 bad_origin and changes nothing', async () => {
  const { port } = stack;
  const foreign = [
    { origin: 'http://evil.example' },
    { origin: 'null' },
    { origin: `http://127.0.0.1:${port + 1}` },
    { origin: `https://127.0.0.1:${port}` },
    { origin: `http://localhost:${port}` },
    { origin: `http://127.0.0.1:${port}.evil.example` },
    { 'sec-fetch-site': 'cross-site' },
    { origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'cross-site' },
  ];
  const before = snapshot();
  const cookie = sam.cookie;
  for (const [method, path, body] of WRITES()) {
    for (const headers of foreign) {
      const r = await sam.request(method, path, body ?? {}, headers);
      assertError(r, 403, 'bad_origin', `${method} ${path} ${JSON.stringify(headers)}`);
      assert.equal(r.headers.get('set-cookie'), null);
    }
  }
  assert.equal(sam.cookie, cookie);
  assert.deepEqual(snapshot(), before);
  assert.equal((await sam.get('/api/me')).status, 200, 'the session survived the forged logout');
});

test('a same-origin Origin, and Sec-Fetch-Site same-origin or none, are accepted', async () => {
  const path = `/api/rooms/${room.id}/messages`;
  for (const headers of [
    { origin: `http://127.0.0.1:${stack.port}` },
    { 'sec-fetch-site': 'same-origin', origin: `http://127.0.0.1:${stack.port}` },
    { 'sec-fetch-site': 'none' },
  ]) {
    const r = await sam.request('POST', path, { text: 'from home' }, headers);
    assert.equal(r.status, 201, `${JSON.stringify(headers)}: ${r.text}`);
  }
});

// Base64url without padding, as the server writes it.
const b64url = (buf) => Buffer.from(buf).toString('base64url');

test('the API sends no CORS headers, so another site cannot read its answers', async () => {
  for (const headers of [{ origin: 'http://evil.example' }, { origin: 'http://evil.example', 'access-control-request-method': 'POST' }]) {
    for (const method of ['GET', 'OPTIONS']) {
      const res = await fetch(`${stack.base}/api/me`, { method, headers: { ...headers, cookie: sam.cookie } });
      await res.arrayBuffer();
      assert.equal(res.headers.get('access-control-allow-origin'), null, `${method} ${JSON.stringify(headers)}`);
      assert.equal(res.headers.get('access-control-allow-credentials'), null);
      assert.ok(res.status < 500);
    }
  }
});

test('a forged, truncated, re-signed or bit-flipped session cookie answers 401', async () => {
  const value = sam.cookie.slice('chat_session='.length);
  const [token, mac] = value.split('.');
  assert.ok(token && mac, `cookie shape token.mac: ${value}`);
  const tokenBytes = Buffer.from(token, 'base64url');
  const flip = (s, i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  const forged = [
    `${b64url(randomBytes(tokenBytes.length))}.${b64url(randomBytes(32))}`,
    value.slice(0, -1),
    value.slice(1),
    token,
    `${token}.`,
    `.${mac}`,
    `${value}A`,
    `${value}.${mac}`,
    `${token}.${b64url(createHmac('sha256', randomBytes(32)).update(tokenBytes).digest())}`,
    `${flip(token, 3)}.${mac}`,
    `${token}.${flip(mac, 10)}`,
    `${b64url(randomBytes(tokenBytes.length))}.${mac}`,
    `${token}.${mac.toUpperCase()}`,
    `${token}=.${mac}`,
    '',
    'null',
  ];
  for (const v of forged) {
    const c = anon();
    c.cookie = `chat_session=${v}`;
    assertError(await c.get('/api/me'), 401, 'not_logged_in', `cookie ${v}`);
  }
  // A token whose last character differs only in unused bits decodes to the
  // same bytes; the server takes the canonical spelling only.
  const last = token.at(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const sibling = alphabet[(alphabet.indexOf(last) & ~0xf) | ((alphabet.indexOf(last) + 1) & 0xf)];
  const c = anon();
  c.cookie = `chat_session=${token.slice(0, -1)}${sibling}.${mac}`;
  assertError(await c.get('/api/me'), 401, 'not_logged_in', 'non-canonical base64');
  assert.equal((await sam.get('/api/me')).status, 200, 'the real cookie still works');
});

test('a cookie signed with the real key but naming no session, or an expired one, answers 401', async () => {
  const key = readFileSync(`${stack.db}.secret`);
  const token = randomBytes(16);
  const c = anon();
  c.cookie = `chat_session=${b64url(token)}.${b64url(createHmac('sha256', key).update(token).digest())}`;
  assertError(await c.get('/api/me'), 401, 'not_logged_in', 'no such session');

  const [ex] = await users(stack.base, ['expiring']);
  assert.equal((await ex.get('/api/me')).status, 200);
  sql(stack.db, `UPDATE sessions SET expires_at = 1 WHERE user_id = ${ex.user.id}`);
  assertError(await ex.get('/api/me'), 401, 'not_logged_in', 'expired');
});

test('the session secret is a 32-byte file of mode 0600 beside the database', async () => {
  const { statSync } = await import('node:fs');
  const st = statSync(`${stack.db}.secret`);
  assert.equal(st.size, 32);
  assert.equal(st.mode & 0o777, 0o600);
});

const CSP_RULES = (csp, where) => {
  assert.ok(csp, `${where}: Content-Security-Policy present`);
  assert.match(csp, /frame-ancestors 'none'/, where);
  assert.match(csp, /(default|script)-src 'self'/, where);
  assert.doesNotMatch(csp, /unsafe-inline/, where);
  assert.doesNotMatch(csp, /unsafe-eval/, where);
};

function assertSecurityHeaders(res, where) {
  CSP_RULES(res.headers.get('content-security-policy'), where);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', where);
  assert.match(res.headers.get('referrer-policy') ?? '', /^(no-referrer|same-origin|strict-origin|strict-origin-when-cross-origin)$/, where);
}

test('security headers are on API answers, API errors, nginx errors, pages, assets and 404s; the API is no-store', async () => {
  const api = [
    ['API 200', () => sam.get('/api/me')],
    ['API 401', () => anon().get('/api/me')],
    ['API 400', () => sam.post('/api/rooms', '[')],
    ['API 404 (program)', () => sam.get('/api/rooms/abc')],
    ['API 404 (nginx)', () => sam.get('/api/nope')],
    ['API 405', () => sam.request('PUT', '/api/me', {})],
    ['API 204', () => sam.post(`/api/rooms/${room.id}/join`).then(() => sam.post(`/api/rooms/${room.id}/leave`))],
    ['API 413', () => sam.post('/api/rooms', 'x'.repeat(70000))],
  ];
  for (const [where, send] of api) {
    const r = await send();
    assertSecurityHeaders(r, where);
    assert.equal(r.headers.get('cache-control'), 'no-store', where);
  }
  await joinRoom(sam, room.id);
  const pages = ['/', '/rooms', `/rooms/${room.id}`, '/js/api.js', '/css/base.css', '/favicon.svg', '/nope.html', '/.env'];
  for (const path of pages) {
    const res = await fetch(stack.base + path);
    await res.arrayBuffer();
    assertSecurityHeaders(res, path);
  }
  const page = await fetch(`${stack.base}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  const js = await fetch(`${stack.base}/js/api.js`);
  assert.match(js.headers.get('content-type'), /^text\/javascript/, 'modules need a JavaScript type under nosniff');
});

test('chat.db, its secret, its WAL, the run folder and dotfiles are never served', async () => {
  const secret = readFileSync(`${stack.db}.secret`);
  const hidden = join(ROOT, 'htdocs', `.chat-test-${process.pid}`);
  const hiddenDir = join(ROOT, 'htdocs', `.chat-test-dir-${process.pid}`);
  writeFileSync(hidden, 'hidden file content');
  mkdirSync(hiddenDir, { recursive: true });
  writeFileSync(join(hiddenDir, 'inside.txt'), 'hidden dir content');
  try {
    const paths = [
      '/chat.db', '/chat.db.secret', '/chat.db-wal', '/chat.db-shm', '/run/nginx.conf', '/nginx.conf',
      '/stack.log', '/../chat.db', '/%2e%2e/chat.db', '/..%2fchat.db', '/js/../../sql/schema.sql',
      '/.git/config', '/.env', '/.htaccess', '/sql/schema.sql', '/conf/nginx.conf.in', '/cgi-bin/auth.cpp',
      `/.chat-test-${process.pid}`, `/.chat-test-dir-${process.pid}/inside.txt`, `/js/.chat-test-${process.pid}`,
      `/%2echat-test-${process.pid}`,
    ];
    for (const path of paths) {
      const res = await fetch(stack.base + path);
      const body = Buffer.from(await res.arrayBuffer());
      assert.ok(res.status === 404 || res.status === 400 || res.status === 403, `${path}: ${res.status}`);
      assert.ok(!body.includes(secret), `${path} leaks the secret`);
      assert.ok(!body.includes('SQLite format'), `${path} leaks the database`);
      assert.ok(!body.includes('hidden'), `${path} leaks a dotfile`);
    }
  } finally {
    rmSync(hidden, { force: true });
    rmSync(hiddenDir, { recursive: true, force: true });
  }
});

// Each odd request with the exact answer it must get (a bare `< 500` let a
// 200 through). The client sends the Cookie header given here instead of its
// jar's, so the odd cookies really reach the server. Two chat_session
// cookies: the first one counts (serve.cc; a browser sends the cookie of the
// longest path first, RFC 6265 section 5.4), whichever of the two is forged;
// a repeated query parameter likewise takes its first value (cgicc).
test('odd requests get their exact answer, never a 500', async () => {
  const path = `/api/rooms/${room.id}/messages`;
  const first = await say(sam, room.id, 'first of two');
  const second = await say(sam, room.id, 'second of two');
  const requests = [
    ['after=%00', () => sam.get(`${path}?after=%00`), 400, 'invalid_cursor'],
    ['after=%zz', () => sam.get(`${path}?after=%zz`), 400, 'invalid_cursor'],
    ['after=%', () => sam.get(`${path}?after=%`), 400, 'invalid_cursor'],
    ['after twice: the first counts', () => sam.get(`${path}?after=${first.id}&after=${second.id}`), 200,
      { sameAs: `${path}?after=${first.id}` }],
    ['before=%FF%FE', () => sam.get(`${path}?before=%FF%FE&limit=1`), 400, 'invalid_cursor'],
    ['a 2000-digit room id', () => sam.get(`/api/rooms/${'9'.repeat(2000)}`), 404, 'not_found'],
    ['the real cookie, then a bogus one', () => sam.get('/api/me', { cookie: `${sam.cookie}; chat_session=bogus` }), 200,
      { user: 'sam' }],
    ['a bogus cookie, then the real one', () => sam.get('/api/me', { cookie: `chat_session=bogus; ${sam.cookie}` }), 401,
      'not_logged_in'],
    ['a quoted cookie', () => sam.get('/api/me', { cookie: 'chat_session="quoted"; other=1' }), 401, 'not_logged_in'],
    ['only a 3000-byte other cookie', () => sam.get('/api/me', { cookie: `x=${'y'.repeat(3000)}` }), 401, 'not_logged_in'],
    ['no cookie at all', () => sam.get('/api/me', { cookie: '' }), 401, 'not_logged_in'],
    ['text as an object', () => sam.post(path, { text: { nested: ['deep'] } }), 400, 'invalid_text'],
    ['a lone surrogate escape', () => sam.post(path, '{"text":"\\ud800"}'), 400, 'invalid_json'],
    ['a 60000-character room name', () => sam.post('/api/rooms', { name: 'n'.repeat(60000) }), 400, 'invalid_room_name'],
    ['a 120 KB login', () => anon().post('/api/login', { username: 'u'.repeat(60000), password: 'p'.repeat(60000) }), 413,
      'body_too_large'],
    ['a 60000-byte password', () => anon().post('/api/register', { username: 'valid_name', password: 'p'.repeat(60000) }),
      400, 'invalid_password'],
  ];
  for (const [what, send, status, expected] of requests) {
    const r = await send();
    if (typeof expected === 'string') {
      assertError(r, status, expected, what);
      continue;
    }
    assert.equal(r.status, status, `${what}: ${r.status} ${r.text.slice(0, 200)}`);
    if (expected.sameAs) {
      assert.deepEqual(r.body, (await sam.get(expected.sameAs)).body, what);
      assert.ok(r.body.messages.some((m) => m.id === second.id), `${what}: ${r.text.slice(0, 200)}`);
    }
    if (expected.user !== undefined) assert.equal(r.body.user?.username, expected.user, `${what}: ${r.text.slice(0, 200)}`);
  }
  assert.equal(count(stack.db, 'users', "username = 'valid_name'"), 0, 'the refused register created nobody');
});
