// The bad-input table of issue 5: hostile or broken requests, each answered
// with its status and error code, and none changing the database (a
// fingerprint of every table is compared before and after each case).
// Together with security.test.mjs and odd-requests.test.mjs (routes without
// a session, 404/405/413/415, foreign Origin, forged cookies, odd URIs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startStack } from '../lib/stack.mjs';
import { Client } from '../lib/client.mjs';
import { PASSWORD, assertError, createRoom, join, sql } from './helpers.mjs';

let stack;
let alice; // logged in, owner of `room`, inside it
let bob; // logged in, not inside
let room;

before(async () => {
  stack = await startStack({ env: { CHAT_POST_BURST: '1000' } });
  alice = new Client(stack.base);
  await alice.register('alice');
  bob = new Client(stack.base);
  await bob.register('bob');
  room = await createRoom(alice, 'Table');
  await join(alice, room.id);
});
after(() => stack?.stop());

// Everything a refused request must leave as it was.
const fingerprint = () => sql(stack.db,
  "SELECT (SELECT count(*) || '/' || ifnull(max(id), 0) FROM users) || ' ' || " +
  "(SELECT count(*) || '/' || ifnull(sum(deleted_at IS NULL), 0) FROM rooms) || ' ' || " +
  "(SELECT count(*) || '/' || ifnull(max(id), 0) FROM messages) || ' ' || " +
  "(SELECT count(*) FROM sessions) || ' ' || " +
  "(SELECT group_concat(id || ':' || ifnull(room_id, '-') || ':' || username, ',') FROM users) || ' ' || " +
  "(SELECT group_concat(name, ',') FROM rooms)");

// A raw request with bytes as given, with alice's cookie unless told.
async function raw(method, path, body, { cookie = alice.cookie, headers = {} } = {}) {
  const h = { 'content-type': 'application/json', ...headers };
  if (cookie) h.cookie = cookie;
  const res = await fetch(stack.base + path, { method, headers: h, body });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, body: json, text };
}

// Bytes straight onto a socket (for Content-Length lies fetch will not send).
// `hangUp`: close our side after sending, which nginx may take as the client
// giving up (it then answers nobody); otherwise wait for nginx to close.
function socket(request, { hangUp = true } = {}) {
  return new Promise((resolve, reject) => {
    const s = net.connect(stack.port, '127.0.0.1');
    let data = '';
    s.setTimeout(15000, () => { s.destroy(); reject(new Error('socket timed out')); });
    s.on('data', (d) => { data += d; });
    s.on('end', () => {
      const [head, ...rest] = data.split('\r\n\r\n');
      const text = rest.join('\r\n\r\n');
      const headers = new Headers();
      for (const line of head.split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
      }
      let json = null;
      try { json = JSON.parse(text); } catch { /* not JSON */ }
      resolve({ status: Number(head.split(' ')[1]), headers, body: json, text });
    });
    s.on('error', reject);
    if (hangUp) s.end(request);
    else s.write(request);
  });
}

const msgs = () => `/api/rooms/${room.id}/messages`;
const bytes = (...parts) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
const deep = (n) => '{"text":' + '['.repeat(n) + ']'.repeat(n) + '}';
const manyKeys = (n) => '{' + Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(',') + ',"text":"x"}';
const FOREIGN_ORIGIN = 'https://evil.example';

// [what, send, status, code]
const CASES = [
  ['text with overlong C0 AF', () => raw('POST', msgs(), bytes('{"text":"a', [0xc0, 0xaf], '"}')), 400, 'invalid_text'],
  ['text with a surrogate ED A0 80', () => raw('POST', msgs(), bytes('{"text":"a', [0xed, 0xa0, 0x80], '"}')), 400, 'invalid_text'],
  ['text with a lone FF byte', () => raw('POST', msgs(), bytes('{"text":"a', [0xff], '"}')), 400, 'invalid_text'],
  ['room name with C0 AF', () => raw('POST', '/api/rooms', bytes('{"name":"r', [0xc0, 0xaf], '"}')), 400, 'invalid_room_name'],
  ['username with FF', () => raw('POST', '/api/register', bytes('{"username":"u', [0xff], 'x","password":"long enough pw"}'), { cookie: '' }), 400, 'invalid_username'],
  ['a raw NUL byte in the body', () => raw('POST', msgs(), bytes('{"text":"a', [0], 'b"}')), 400, 'invalid_json'],
  ['\\u0000 in message text', () => raw('POST', msgs(), '{"text":"a\\u0000b"}'), 400, 'invalid_text'],
  ['\\u0000 in a room name', () => raw('POST', '/api/rooms', '{"name":"a\\u0000b"}'), 400, 'invalid_room_name'],
  ['\\u0000 in a password', () => raw('POST', '/api/register', '{"username":"nulpw","password":"long enough\\u0000pw"}', { cookie: '' }), 400, 'invalid_password'],
  ['a lone escaped surrogate \\ud800', () => raw('POST', msgs(), '{"text":"\\ud800"}'), 400, 'invalid_json'],
  ['10,000-deep nesting', () => raw('POST', msgs(), deep(10000)), 400, 'invalid_json'],
  ['65-deep nesting (one over the limit)', () => raw('POST', msgs(), deep(65)), 400, 'invalid_json'],
  ['4,000 keys (under 64 KiB) with text last', () => raw('POST', msgs(), manyKeys(4000)), 201, null],
  ['100,000 keys (over 64 KiB)', () => raw('POST', msgs(), manyKeys(100000)), 413, 'body_too_large'],
  ['duplicate keys', () => raw('POST', msgs(), '{"text":"a","text":"b"}'), 400, 'invalid_json'],
  ['a comment', () => raw('POST', msgs(), '{"text":"a" /* hi */}'), 400, 'invalid_json'],
  ['trailing data after the object', () => raw('POST', msgs(), '{"text":"a"} {"text":"b"}'), 400, 'invalid_json'],
  ['a truncated body', () => raw('POST', msgs(), '{"text":"a'), 400, 'invalid_json'],
  ['an array instead of an object', () => raw('POST', msgs(), '["text","a"]'), 400, 'invalid_json'],
  ['text as a number', () => raw('POST', msgs(), '{"text":1}'), 400, 'invalid_text'],
  ['text as 1e400', () => raw('POST', msgs(), '{"text":1e400}'), 400, 'invalid_json'],
  ['client_id as a number', () => raw('POST', msgs(), '{"text":"a","client_id":1}'), 400, 'invalid_client_id'],
  ['client_id with a quote', () => raw('POST', msgs(), '{"text":"a","client_id":"x\'; DROP TABLE messages;--"}'), 400, 'invalid_client_id'],
  ['room name as an object', () => raw('POST', '/api/rooms', '{"name":{"a":1}}'), 400, 'invalid_room_name'],
  ['username as a string number id', () => raw('POST', '/api/login', '{"username":1,"password":"x"}', { cookie: '' }), 400, 'invalid_json'],
  ['room id 0', () => raw('GET', '/api/rooms/0/messages?after=0'), 404, 'not_found'],
  ['room id -1', () => raw('GET', '/api/rooms/-1/messages?after=0'), 404, 'not_found'],
  ['room id 2^63', () => raw('GET', '/api/rooms/9223372036854775808/messages?after=0'), 404, 'not_found'],
  ['room id 2^64', () => raw('POST', '/api/rooms/18446744073709551616/join', '{}'), 404, 'not_found'],
  ['room id 2^63-1 (valid, no such room)', () => raw('POST', '/api/rooms/9223372036854775807/join', '{}'), 404, 'room_not_found'],
  ['cursor 2^64', () => raw('GET', `${msgs()}?after=18446744073709551616`), 400, 'invalid_cursor'],
  ['cursor -1', () => raw('GET', `${msgs()}?after=-1`), 400, 'invalid_cursor'],
  ['cursor 1e3', () => raw('GET', `${msgs()}?after=1e3`), 400, 'invalid_cursor'],
  ['room name with CR/LF', () => raw('POST', '/api/rooms', '{"name":"a\\r\\nSet-Cookie: x=y"}'), 400, 'invalid_room_name'],
  ['room name with an RTL override', () => raw('POST', '/api/rooms', '{"name":"abc\\u202Etxt.exe"}'), 400, 'invalid_room_name'],
  ['username with ../', () => raw('POST', '/api/register', '{"username":"../etc","password":"long enough pw"}', { cookie: '' }), 400, 'invalid_username'],
  ['username with CR/LF', () => raw('POST', '/api/register', '{"username":"a\\r\\nb","password":"long enough pw"}', { cookie: '' }), 400, 'invalid_username'],
  ['username with markup', () => raw('POST', '/api/register', '{"username":"<b>x</b>","password":"long enough pw"}', { cookie: '' }), 400, 'invalid_username'],
  ['an empty cookie', () => raw('GET', '/api/me', undefined, { cookie: 'chat_session=' }), 401, 'not_logged_in'],
  ['a huge cookie (6 KiB)', () => raw('GET', '/api/me', undefined, { cookie: `chat_session=${'A'.repeat(6000)}` }), 401, 'not_logged_in'],
  ['a forged cookie first, then the real one', () => raw('GET', '/api/me', undefined, { cookie: `chat_session=forged.value; ${alice.cookie}` }), 401, 'not_logged_in'],
  ['GET on a write route', () => raw('GET', '/api/login'), 405, 'method_not_allowed'],
  ['a cross-site Origin', () => raw('POST', msgs(), '{"text":"csrf"}', { headers: { origin: FOREIGN_ORIGIN } }), 403, 'bad_origin'],
  ['Sec-Fetch-Site: cross-site', () => raw('POST', msgs(), '{"text":"csrf"}', { headers: { 'sec-fetch-site': 'cross-site' } }), 403, 'bad_origin'],
  ['bob posting into a room he is not in', () => raw('POST', msgs(), '{"text":"sneak"}', { cookie: bob.cookie }), 409, 'not_in_room'],
  ['bob deleting alice\'s room', () => raw('DELETE', `/api/rooms/${room.id}`, undefined, { cookie: bob.cookie }), 403, 'not_owner'],
  ['Content-Length over 64 KiB with a short body', () => socket(
    `POST ${msgs()} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nCookie: ${alice.cookie}\r\n` +
    'Content-Length: 100000\r\nConnection: close\r\n\r\n{"text":"lie"}'), 413, 'body_too_large'],
  ['Content-Length shorter than the body', () => socket(
    `POST ${msgs()} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nCookie: ${alice.cookie}\r\n` +
    'Content-Length: 5\r\nConnection: close\r\n\r\n{"text":"lie"}', { hangUp: false }), 400, 'invalid_json'],
];

for (const [what, send, status, code] of CASES) {
  test(`bad input: ${what} → ${status}${code ? ' ' + code : ''}, database unchanged`, async () => {
    const before = fingerprint();
    const r = await send();
    if (code === null) {
      // A legal request at the edge: accepted, and only that message added.
      assert.equal(r.status, status, r.text.slice(0, 300));
      return;
    }
    assertError(r, status, code, what);
    assert.equal(fingerprint(), before, `${what}: the database changed`);
  });
}

// Content-Length promises more than is sent, then the client hangs up:
// nginx never hands the worker half a body; the client gets a 4xx or
// nothing, and the next request is served as usual.
test('bad input: a body cut short by a hang-up → no message, nothing changed', async () => {
  const before = fingerprint();
  const r = await socket(
    `POST ${msgs()} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nCookie: ${alice.cookie}\r\n` +
    'Content-Length: 200\r\nConnection: close\r\n\r\n{"text":"half a mess');
  assert.ok(r.text === '' || (r.status >= 400 && r.status < 500), `got ${r.status} ${r.text.slice(0, 200)}`);
  assert.equal(fingerprint(), before, 'the database changed');
  const next = await raw('GET', '/api/me');
  assert.equal(next.status, 200, next.text);
});

test('SQL metacharacters and markup in every text field are stored and returned literally', async () => {
  const evil = `'); DROP TABLE messages; -- <script>alert(1)</script> "quoted" \\ back`;
  const r = await alice.post(msgs(), { text: evil });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.message.text, evil);
  const named = await alice.post('/api/rooms', { name: `<img src=x onerror=alert(1)> '; DROP TABLE rooms;--` });
  assert.equal(named.status, 201, named.text);
  assert.equal(named.body.room.name, `<img src=x onerror=alert(1)> '; DROP TABLE rooms;--`);
  assert.equal(sql(stack.db, `SELECT text FROM messages WHERE id = ${r.body.message.id}`), evil);
  assert.equal(sql(stack.db, "SELECT count(*) FROM sqlite_master WHERE name IN ('messages', 'rooms')"), '2');
  const again = await new Client(stack.base).post('/api/login', { username: "alice' OR '1'='1", password: PASSWORD });
  assertError(again, 401, 'invalid_credentials', 'SQL in a username');
});
