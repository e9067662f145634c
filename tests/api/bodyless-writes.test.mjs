// Writes without a body (DESIGN "Sessions": one without a body needs no
// content type): DELETE /api/rooms/{id}, join, leave and logout work with no
// Content-Type, however the emptiness is framed (no Content-Length,
// Content-Length: 0, an empty chunked body). The CSRF defence stays: a
// foreign Origin or Sec-Fetch-Site: cross-site is still 403 bad_origin, and
// a request that does carry a body still needs application/json (415).
// Every refused request is shown to have changed nothing. Raw sockets, so
// exactly the headers of each row go out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { Client } from '../lib/client.mjs';
import { PASSWORD, createRoom, join, rawHttp, sql, users } from './helpers.mjs';

let stack;
let alice; // owns the rooms deleted
let bob; // joins and leaves the lobby
let lobby;

before(async () => {
  // Each case makes a fresh room or join: the per-user limits (room-limits) stay out of the way.
  stack = await startStack({ env: { CHAT_ROOM_CREATE_BURST: '1000', CHAT_JOIN_BURST: '1000' } });
  [alice, bob] = await users(stack.base, ['bodyless_alice', 'bodyless_bob']);
  lobby = await createRoom(alice, 'Bodyless lobby');
});
after(() => stack?.stop());

const roomOf = (c) => sql(stack.db, `SELECT ifnull(room_id, '') FROM users WHERE id = ${c.user.id}`);

// Each bodyless write route: prepare() sets up a fresh case and returns the
// request's path and cookie, and done() saying whether the write happened.
const ROUTES = [
  {
    name: 'DELETE /api/rooms/{id}', method: 'DELETE', ok: 204,
    async prepare() {
      const room = await createRoom(alice);
      return {
        path: `/api/rooms/${room.id}`, cookie: alice.cookie,
        done: async () => sql(stack.db, `SELECT deleted_at IS NOT NULL FROM rooms WHERE id = ${room.id}`) === '1',
      };
    },
  },
  {
    name: 'POST /api/rooms/{id}/join', method: 'POST', ok: 200,
    async prepare() {
      assert.equal((await bob.post(`/api/rooms/${lobby.id}/leave`)).status, 204);
      return { path: `/api/rooms/${lobby.id}/join`, cookie: bob.cookie, done: async () => roomOf(bob) === String(lobby.id) };
    },
  },
  {
    name: 'POST /api/rooms/{id}/leave', method: 'POST', ok: 204,
    async prepare() {
      await join(bob, lobby.id);
      return { path: `/api/rooms/${lobby.id}/leave`, cookie: bob.cookie, done: async () => roomOf(bob) === '' };
    },
  },
  {
    name: 'POST /api/logout', method: 'POST', ok: 204,
    async prepare() {
      const c = new Client(stack.base);
      const r = await c.post('/api/login', { username: 'bodyless_alice', password: PASSWORD });
      assert.equal(r.status, 200, r.text);
      return { path: '/api/logout', cookie: c.cookie, done: async () => (await c.get('/api/me')).status === 401 };
    },
  },
];

// Sends one write; `head` is extra header lines, `body` goes out with a
// Content-Length unless the head says chunked.
function send(method, path, cookie, head = '', body = '') {
  const framing = body && !/chunked/i.test(head) ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : '';
  return rawHttp(stack.port, `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${stack.port}\r\n`
    + `Connection: close\r\nCookie: ${cookie}\r\n${head}${framing}\r\n${body}`);
}

function assertErrorReply(res, status, code, what) {
  assert.equal(res.status, status, `${what}: ${res.raw.slice(0, 300)}`);
  assert.match(res.headers['content-type'] ?? '', /^application\/json/, what);
  assert.equal(JSON.parse(res.body).error.code, code, what);
}

const own = () => `Origin: http://127.0.0.1:${stack.port}\r\n`;
const NO_BODY = [
  ['no Content-Type and no Content-Length', () => ''],
  ['Content-Length: 0', () => 'Content-Length: 0\r\n'],
  ['an empty chunked body', () => 'Transfer-Encoding: chunked\r\n', '0\r\n\r\n'],
  ['the own Origin and Sec-Fetch-Site: same-origin', () => `${own()}Sec-Fetch-Site: same-origin\r\n`],
];
const FOREIGN = [
  ['Origin: http://evil.example', () => 'Origin: http://evil.example\r\n'],
  ['the Origin of another port', () => `Origin: http://127.0.0.1:${stack.port + 1}\r\n`],
  ['Origin: null', () => 'Origin: null\r\n'],
  ['Sec-Fetch-Site: cross-site', () => 'Sec-Fetch-Site: cross-site\r\n'],
];
const NOT_JSON = [
  ['{} with no Content-Type', () => '', '{}'],
  ['{} as text/plain', () => 'Content-Type: text/plain\r\n', '{}'],
  ['a form body', () => 'Content-Type: application/x-www-form-urlencoded\r\n', 'a=1'],
  ['one space and no Content-Type', () => '', ' '],
  ['a chunked {} with no Content-Type', () => 'Transfer-Encoding: chunked\r\n', '2\r\n{}\r\n0\r\n\r\n'],
];

for (const route of ROUTES) {
  test(`${route.name} without a body needs no Content-Type`, async () => {
    for (const [what, head, body = ''] of NO_BODY) {
      const c = await route.prepare();
      const res = await send(route.method, c.path, c.cookie, head(), body);
      assert.equal(res.status, route.ok, `${what}: ${res.raw.slice(0, 300)}`);
      assert.ok(await c.done(), `${what}: the write happened`);
    }
  });

  test(`${route.name} from a foreign origin is still 403 bad_origin and changes nothing`, async () => {
    for (const [what, head] of FOREIGN) {
      const c = await route.prepare();
      assertErrorReply(await send(route.method, c.path, c.cookie, head()), 403, 'bad_origin', what);
      assert.equal(await c.done(), false, `${what}: nothing changed`);
    }
  });

  test(`${route.name} with a body that is not application/json is 415 and changes nothing`, async () => {
    for (const [what, head, body] of NOT_JSON) {
      const c = await route.prepare();
      assertErrorReply(await send(route.method, c.path, c.cookie, head(), body), 415, 'unsupported_media_type', what);
      assert.equal(await c.done(), false, `${what}: nothing changed`);
    }
    // The same body as JSON is accepted: the 415 was about the type alone.
    const c = await route.prepare();
    const res = await send(route.method, c.path, c.cookie, 'Content-Type: application/json\r\n', '{}');
    assert.equal(res.status, route.ok, res.raw.slice(0, 300));
    assert.ok(await c.done());
  });
}

test('a route that needs a body answers 400 invalid_json to none (not 415), and creates nothing', async () => {
  const before = sql(stack.db, 'SELECT count(*) FROM rooms');
  assertErrorReply(await send('POST', '/api/rooms', alice.cookie), 400, 'invalid_json', 'POST /api/rooms');
  assert.equal(sql(stack.db, 'SELECT count(*) FROM rooms'), before);
});
