// Slow clients: each program runs ONE worker, and raw TCP clients misbehave
// as a slowloris would: one trickles a POST body a byte at a time, one sends
// half its headers and stalls, one sends its headers and part of a body and
// stalls. nginx reads whole requests before passing them on (request
// buffering) and cuts off a client that stalls for client_header_timeout or
// client_body_timeout, so meanwhile every other request (login, me, room
// list, join, post, poll) is answered while the trickler is still
// trickling, and the stalled connections are closed by nginx (408 or a
// plain close). The timeouts are shortened to 3 s for the test
// (CHAT_NGINX_CLIENT_TIMEOUT, conf/run.sh; 10 s otherwise).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startStack } from '../lib/stack.mjs';
import { Client } from '../lib/client.mjs';
import { PASSWORD, count, createRoom, join, users } from './helpers.mjs';

const TIMEOUT_S = 3;
const BYTE_EVERY_MS = 150; // well inside the body timeout: the trickle is never cut off
// The trickled body ends in PADDING spaces before its closing brace (JSON
// allows them): a window of up to PADDING x 150 ms = 60 s in which the other
// requests must all be answered. Once they are, the rest of the body goes at
// once, so a fast machine does not wait the whole window and a loaded one
// (or the sanitizer build) has room, while requests held up behind the
// trickler (no request buffering) would still wait for its end and fail.
const PADDING = 400;

let stack;
let alice; // trickles
let bob; // the well-behaved user
let room;

before(async () => {
  stack = await startStack({
    env: { CHAT_WORKERS: '1', CHAT_NGINX_CLIENT_TIMEOUT: `${TIMEOUT_S}s`, CHAT_POST_BURST: '1000' },
  });
  [alice, bob] = await users(stack.base, ['alice', 'bob']);
  room = await createRoom(alice, 'Slow lane');
  await join(alice, room.id);
  await join(bob, room.id);
});
after(() => stack?.stop());

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A raw connection: collects what the server sends; `closed` resolves with it
// and the time when the server (or the network) ends the connection.
function rawConnection() {
  const socket = connect(stack.port, '127.0.0.1');
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (d) => { received += d; });
  socket.on('error', () => {});
  const closed = new Promise((resolve) => socket.on('close', () => resolve({ received, at: Date.now() })));
  const opened = new Promise((resolve) => socket.on('connect', resolve));
  return { socket, opened, closed, received: () => received };
}

function head(method, path, extra = []) {
  return [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${stack.port}`, ...extra].join('\r\n');
}

const within = (promise, ms, what) => Promise.race([
  promise,
  sleep(ms).then(() => { throw new Error(`${what}: not within ${ms} ms`); }),
]);

test('with one worker per program, a trickled body and two stalled requests hold up nobody; nginx cuts the stalled ones off', { timeout: 150000 }, async () => {
  const path = `/api/rooms/${room.id}/messages`;
  const body = `${JSON.stringify({ text: 'sent one byte at a time', client_id: 'trickle-1' }).slice(0, -1)}${' '.repeat(PADDING)}}`;

  // 1. The trickler: full headers, then the body a byte at a time.
  const trickler = rawConnection();
  await trickler.opened;
  trickler.socket.write(`${head('POST', path, ['Content-Type: application/json', `Cookie: ${alice.cookie}`,
    `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close'])}\r\n\r\n`);
  let trickling = true;
  let othersDone = false;
  const trickle = (async () => {
    let i = 0;
    for (; i < body.length - 1 && !othersDone; i += 1) {
      trickler.socket.write(body[i]);
      await sleep(BYTE_EVERY_MS);
    }
    trickling = false; // from here on the request is complete
    trickler.socket.write(body.slice(i));
    return i;
  })();

  // 2. Half the headers of a poll, then nothing.
  const halfHeaders = rawConnection();
  await halfHeaders.opened;
  halfHeaders.socket.write(`GET ${path}?after=0 HTTP/1.1\r\nHost: 127.0.0.1:${stack.port}\r\nCook`);
  const halfHeadersSince = Date.now();

  // 3. All the headers of a post and part of its body, then nothing.
  const halfBody = rawConnection();
  await halfBody.opened;
  halfBody.socket.write(`${head('POST', path, ['Content-Type: application/json', `Cookie: ${bob.cookie}`,
    'Content-Length: 100'])}\r\n\r\n{"text":"never fin`);
  const halfBodySince = Date.now();

  // Meanwhile, a user does everything once, in turn and at once, with one
  // worker per program. Each answer must come while the trickle goes on.
  await sleep(300);
  const answered = [];
  const check = (what, r, status) => {
    assert.equal(r.status, status, `${what}: ${r.text}`);
    assert.ok(trickling, `${what} answered only after the trickle ended`);
    answered.push(what);
  };
  const carol = new Client(stack.base);
  check('register', await carol.post('/api/register', { username: 'carol', password: PASSWORD }), 201);
  check('login', await new Client(stack.base).post('/api/login', { username: 'bob', password: PASSWORD }), 200);
  check('me', await bob.get('/api/me'), 200);
  check('room list', await bob.get('/api/rooms'), 200);
  check('join', await carol.post(`/api/rooms/${room.id}/join`), 200);
  check('post', await bob.post(path, { text: 'I am not slow' }), 201);
  check('poll', await carol.get(`${path}?after=0`), 200);
  const together = await Promise.all([
    bob.post(path, { text: 'at once 1' }), carol.post(path, { text: 'at once 2' }),
    bob.get(`${path}?after=0`), carol.get('/api/rooms'),
  ]);
  together.forEach((r, i) => check(`at once ${i}`, r, i < 2 ? 201 : 200));
  othersDone = true;
  const trickled = await trickle;
  console.log(`slow-clients: ${answered.length} requests answered while the trickler was still sending ` +
    `(${trickled} bytes in ${((trickled * BYTE_EVERY_MS) / 1000).toFixed(1)} s)`);

  // The trickled post is whole in the end, and stored like any other.
  const { received: reply } = await within(trickler.closed, 10000, 'the trickled post\'s reply');
  assert.match(reply, /^HTTP\/1\.1 201 /, reply.slice(0, 200));
  assert.equal(count(stack.db, 'messages', "client_id = 'trickle-1'"), 1);

  // The stalled connections are cut off by nginx: 408 or a plain close,
  // after about the timeout (generously bounded: the machine is shared).
  for (const [what, conn, since] of [['half the headers', halfHeaders, halfHeadersSince],
    ['half a body', halfBody, halfBodySince]]) {
    const { received: got, at } = await within(conn.closed, TIMEOUT_S * 1000 + 15000, `${what}: closed by nginx`);
    const waited = at - since;
    assert.ok(got === '' || /^HTTP\/1\.1 408 /.test(got), `${what}: ${got.slice(0, 200)}`);
    assert.ok(waited >= TIMEOUT_S * 1000 - 500, `${what}: closed after ${waited} ms, before the timeout`);
    console.log(`slow-clients: ${what}: closed after ${waited} ms (${got ? got.split('\r\n')[0] : 'no reply'})`);
  }
  // Nothing of the stalled post reached the database.
  assert.equal(count(stack.db, 'messages', "text LIKE 'never fin%'"), 0);
});
