// Each program as plain CGI (as Apache mod_cgi or fcgiwrap would run it):
// one request from the environment and stdin, the reply on stdout as a
// Status: line, headers and JSON, then exit 0. No nginx, no FastCGI; the
// database is made with `sqlite3 db < sql/schema.sql` as README says.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../lib/stack.mjs';
import { PASSWORD, count } from './helpers.mjs';

let dir;
let db;
let cookie; // the session of the user registered through CGI
let roomId;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'chat-cgi-'));
  db = join(dir, 'chat.db');
  execFileSync('sqlite3', [db], { input: readFileSync(join(ROOT, 'sql', 'schema.sql')) });
});
after(() => {
  if (dir && !process.env.KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs build/bin/<program> once as CGI. Returns {status, reason, headers
 * (lower-case names; repeated ones such as set-cookie one a line), body (parsed JSON or null),
 * raw, code}.
 */
function cgi(program, { method = 'GET', uri, body, query = '', type = 'application/json', cookie: c = '', env = {} }) {
  const input = body === undefined ? Buffer.alloc(0) : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const fullEnv = {
    PATH: process.env.PATH,
    CHAT_DB: db,
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REQUEST_METHOD: method,
    REQUEST_URI: query ? `${uri}?${query}` : uri,
    QUERY_STRING: query,
    HTTP_HOST: 'chat.example',
    ...(method === 'GET' ? {} : { CONTENT_TYPE: type, CONTENT_LENGTH: String(input.length) }),
    ...(c ? { HTTP_COOKIE: c } : {}),
    ...(process.env.ASAN_OPTIONS ? { ASAN_OPTIONS: process.env.ASAN_OPTIONS } : {}),
    ...(process.env.UBSAN_OPTIONS ? { UBSAN_OPTIONS: process.env.UBSAN_OPTIONS } : {}),
    ...env,
  };
  const bin = process.env.CHAT_BIN || join(ROOT, 'build', 'bin'); // make test SAN=1 sets CHAT_BIN
  const run = spawnSync(join(bin, program), { input, env: fullEnv, timeout: 20000 });
  const raw = run.stdout.toString('utf8');
  const split = raw.indexOf('\r\n\r\n');
  assert.ok(split > 0, `${program}: no header block in ${JSON.stringify(raw)} (stderr ${run.stderr})`);
  const headers = {};
  for (const line of raw.slice(0, split).split('\r\n')) {
    const i = line.indexOf(':');
    const name = line.slice(0, i).toLowerCase();
    // Repeated headers (the session and the device cookie) one a line, in order.
    headers[name] = headers[name] ? `${headers[name]}\n${line.slice(i + 1).trim()}` : line.slice(i + 1).trim();
  }
  const m = /^(\d{3}) (.+)$/.exec(headers.status ?? '');
  assert.ok(m, `${program}: Status line ${headers.status}`);
  const text = raw.slice(split + 4);
  return { status: Number(m[1]), reason: m[2], headers, body: text ? JSON.parse(text) : null, raw, code: run.status };
}

function assertCgiError(r, status, code, what) {
  assert.equal(r.status, status, `${what}: ${r.raw}`);
  assert.equal(r.body?.error?.code, code, `${what}: ${r.raw}`);
  assert.match(r.headers['content-type'], /^application\/json/, what);
  assert.equal(r.code, 0, `${what}: exit status`);
}

test('auth as CGI: register answers Status: 201 with the user and a session cookie, then exits 0', () => {
  const r = cgi('auth', { method: 'POST', uri: '/api/register', body: { username: 'cgi_user', password: PASSWORD } });
  assert.equal(r.status, 201, r.raw);
  assert.equal(r.reason, 'Created');
  assert.equal(r.code, 0);
  assert.equal(r.body.user.username, 'cgi_user');
  assert.match(r.headers['content-type'], /^application\/json/);
  assert.equal(r.headers['cache-control'], 'no-store');
  assert.match(r.headers['set-cookie'], /^chat_session=[^;]+; .*HttpOnly.*SameSite=Lax/);
  assert.doesNotMatch(r.headers['set-cookie'], /Secure/, 'no Secure without HTTPS');
  cookie = r.headers['set-cookie'].split(';')[0];
  assert.equal(count(db, 'users'), 1);
  const st = statSync(`${db}.secret`);
  assert.equal(st.mode & 0o777, 0o600, 'the secret was made at first start, mode 0600');
  assert.equal(st.size, 32);
});

test('auth as CGI: me with the cookie answers 200 with the user and room null; without it 401', () => {
  const r = cgi('auth', { uri: '/api/me', cookie });
  assert.equal(r.status, 200, r.raw);
  assert.deepEqual(r.body, { user: { id: 1, username: 'cgi_user' }, room: null });
  assertCgiError(cgi('auth', { uri: '/api/me' }), 401, 'not_logged_in', 'no cookie');
});

test('rooms as CGI: create answers 201, list 200, join 200 with the room, messages and cursor', () => {
  const created = cgi('rooms', { method: 'POST', uri: '/api/rooms', body: { name: 'Plain CGI' }, cookie });
  assert.equal(created.status, 201, created.raw);
  roomId = created.body.room.id;
  const list = cgi('rooms', { uri: '/api/rooms', cookie });
  assert.equal(list.status, 200, list.raw);
  assert.deepEqual(list.body.rooms.map((x) => x.name), ['Plain CGI']);
  const joined = cgi('rooms', { method: 'POST', uri: `/api/rooms/${roomId}/join`, cookie });
  assert.equal(joined.status, 200, joined.raw);
  assert.deepEqual(joined.body.messages, []);
  assert.equal(joined.body.cursor, 0);
  assert.equal(joined.body.room.member_count, 1);
});

test('post and poll as CGI: a message answers 201, and after=0 returns it with its cursor', () => {
  const text = '<b>plain</b> CGI & "quotes"';
  const sent = cgi('post', { method: 'POST', uri: `/api/rooms/${roomId}/messages`, body: { text }, cookie });
  assert.equal(sent.status, 201, sent.raw);
  assert.equal(sent.body.message.text, text);
  const polled = cgi('poll', { uri: `/api/rooms/${roomId}/messages`, query: 'after=0', cookie });
  assert.equal(polled.status, 200, polled.raw);
  assert.deepEqual(polled.body.messages, [sent.body.message]);
  assert.equal(polled.body.cursor, sent.body.message.id);
  const page = cgi('poll', { uri: `/api/rooms/${roomId}/messages`, query: `before=${sent.body.message.id + 1}&limit=5`, cookie });
  assert.equal(page.status, 200, page.raw);
  assert.deepEqual(page.body.messages, [sent.body.message]);
  assertCgiError(cgi('poll', { uri: `/api/rooms/${roomId}/messages`, query: 'after=-1', cookie }), 400, 'invalid_cursor', 'after=-1');
});

test('every program answers its errors as CGI: 401, 404, 405, 415, 400, 413 and 403 as JSON, and exits 0', () => {
  const messages = `/api/rooms/${roomId}/messages`;
  const cases = [
    ['auth', { uri: '/api/me', cookie: 'chat_session=forged.value' }, 401, 'not_logged_in'],
    ['auth', { uri: '/api/nope' }, 404, 'not_found'],
    ['auth', { method: 'GET', uri: '/api/login' }, 405, 'method_not_allowed'],
    ['auth', { method: 'POST', uri: '/api/login', body: 'username=a', type: 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type'],
    ['auth', { method: 'POST', uri: '/api/register', body: '{"username":' }, 400, 'invalid_json'],
    ['auth', { method: 'POST', uri: '/api/login', body: { username: 'cgi_user', password: PASSWORD }, env: { HTTP_ORIGIN: 'https://evil.example' } }, 403, 'bad_origin'],
    ['rooms', { uri: '/api/rooms' }, 401, 'not_logged_in'],
    ['rooms', { uri: '/api/rooms/abc', cookie }, 404, 'not_found'],
    ['rooms', { uri: '/api/rooms/999', cookie }, 404, 'room_not_found'],
    ['rooms', { method: 'PUT', uri: '/api/rooms', body: {}, cookie }, 405, 'method_not_allowed'],
    ['rooms', { method: 'POST', uri: '/api/rooms', body: '[]', cookie }, 400, 'invalid_json'],
    ['rooms', { method: 'POST', uri: '/api/rooms', body: { name: ' ' }, cookie }, 400, 'invalid_room_name'],
    ['rooms', { method: 'POST', uri: '/api/rooms', body: { name: 'x' }, cookie, env: { HTTP_SEC_FETCH_SITE: 'cross-site' } }, 403, 'bad_origin'],
    ['post', { method: 'POST', uri: messages, body: { text: 'x' } }, 401, 'not_logged_in'],
    ['post', { method: 'POST', uri: messages, body: { text: '' }, cookie }, 400, 'invalid_text'],
    ['post', { method: 'POST', uri: messages, body: 'text', type: 'text/plain', cookie }, 415, 'unsupported_media_type'],
    ['post', { method: 'POST', uri: messages, body: { text: 'x' }, cookie, env: { CONTENT_LENGTH: '70000' } }, 413, 'body_too_large'],
    ['post', { method: 'POST', uri: '/api/rooms/999/messages', body: { text: 'x' }, cookie }, 404, 'room_not_found'],
    ['poll', { uri: messages }, 401, 'not_logged_in'],
    ['poll', { method: 'DELETE', uri: messages, body: {}, cookie }, 405, 'method_not_allowed'],
    ['poll', { uri: '/api/rooms/1/messages/2', cookie }, 404, 'not_found'],
  ];
  const before = [count(db, 'users'), count(db, 'rooms'), count(db, 'messages'), count(db, 'sessions')];
  for (const [program, req, status, code] of cases) {
    assertCgiError(cgi(program, req), status, code, `${program} ${req.method ?? 'GET'} ${req.uri}`);
  }
  assert.deepEqual([count(db, 'users'), count(db, 'rooms'), count(db, 'messages'), count(db, 'sessions')], before);
});

test('over HTTPS (HTTPS=on) the session cookie is Secure and an https Origin of the same host is accepted', () => {
  const r = cgi('auth', {
    method: 'POST', uri: '/api/login', body: { username: 'cgi_user', password: PASSWORD },
    env: { HTTPS: 'on', HTTP_ORIGIN: 'https://chat.example' },
  });
  assert.equal(r.status, 200, r.raw);
  assert.match(r.headers['set-cookie'], /^__Host-chat_session=[^;]+; Path=\/;.*; Secure/);
  assert.doesNotMatch(r.headers['set-cookie'], /Domain=/i, '__Host- cookies carry no Domain');
  const http = cgi('auth', {
    method: 'POST', uri: '/api/logout', cookie, env: { HTTPS: 'on', HTTP_ORIGIN: 'http://chat.example' },
  });
  assertCgiError(http, 403, 'bad_origin', 'an http Origin on an https request');
});

test('logout as CGI answers 204 with no body and revokes the session', () => {
  const r = cgi('auth', { method: 'POST', uri: '/api/logout', cookie });
  assert.equal(r.status, 204, r.raw);
  assert.equal(r.body, null);
  assert.match(r.headers['set-cookie'], /^chat_session=; .*Max-Age=0/);
  assertCgiError(cgi('auth', { uri: '/api/me', cookie }), 401, 'not_logged_in', 'replayed cookie');
});
