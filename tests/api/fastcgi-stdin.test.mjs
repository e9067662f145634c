// A kept FastCGI connection survives a request body whose closing record
// comes late. FastCGI ends a request's FCGI_STDIN with an empty record; a
// worker reads exactly CONTENT_LENGTH bytes (cgicc), so when that record
// had not arrived yet, libfcgi found it at the start of the connection's
// NEXT request, took it for a protocol error and closed the connection: nginx
// answered that next request 502 ("upstream prematurely closed connection"),
// sent as 503 unavailable, and retries no POST. It was the one 503 of `make
// bench` S12 (5 MB uploads, where nginx writes the body from its temporary
// file and the closing record in a later write); a soak of 1,069 uploads
// of 5 MB reproduced it once. core/serve.cc now reads a request's stdin to
// its end before finishing it. These tests talk FastCGI to the workers'
// sockets themselves, as nginx does, with the closing record sent late.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { startStack } from '../lib/stack.mjs';
import { pngRgb } from '../lib/images.mjs';
import { createRoom, join as joinRoom, users } from './helpers.mjs';

let stack;
let ann;
let room;

before(async () => {
  stack = await startStack({ env: { CHAT_UPLOAD_BURST: '1000', CHAT_POST_BURST: '1000' } });
  [ann] = await users(stack.base, ['ann']);
  room = await createRoom(ann, 'Kept');
  await joinRoom(ann, room.id);
});
after(() => stack?.stop());

const BEGIN = 1;
const END = 3;
const PARAMS = 4;
const STDIN = 5;
const STDOUT = 6;

function record(type, content = Buffer.alloc(0)) {
  const head = Buffer.from([1, type, 0, 1, content.length >> 8, content.length & 0xff, 0, 0]);
  return Buffer.concat([head, content]);
}

function pairs(env) {
  const out = [];
  for (const [k, v] of Object.entries(env)) {
    const name = Buffer.from(k);
    const value = Buffer.from(String(v));
    for (const b of [name, value]) {
      out.push(b.length < 128 ? Buffer.from([b.length])
        : Buffer.from([(b.length >>> 24) | 0x80, (b.length >> 16) & 0xff, (b.length >> 8) & 0xff, b.length & 0xff]));
    }
    out.push(name, value);
  }
  return Buffer.concat(out);
}

// One request's records up to its body, without the empty FCGI_STDIN record
// that closes it: BEGIN_REQUEST with FCGI_KEEP_CONN (as nginx's
// fastcgi_keep_conn sends it), the params, and the body in records.
function requestWithoutEnd(env, body) {
  const parts = [record(BEGIN, Buffer.from([0, 1, 1, 0, 0, 0, 0, 0])), record(PARAMS, pairs(env)), record(PARAMS)];
  for (let i = 0; i < body.length; i += 32768) parts.push(record(STDIN, body.subarray(i, i + 32768)));
  return Buffer.concat(parts);
}

// A FastCGI connection to a worker's socket; next() resolves with the
// stdout of the next complete request, or rejects if the worker closes the
// connection first.
function connect(program) {
  const sock = createConnection(join(stack.dir, 'run', `${program}.sock`));
  let buf = Buffer.alloc(0);
  let stdout = '';
  const waiting = [];
  let closed = null;
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 8) {
      const len = buf.readUInt16BE(4);
      const total = 8 + len + buf[6];
      if (buf.length < total) break;
      const type = buf[1];
      if (type === STDOUT) stdout += buf.subarray(8, 8 + len).toString('latin1');
      if (type === END) {
        waiting.shift()?.resolve(stdout);
        stdout = '';
      }
      buf = buf.subarray(total);
    }
  });
  const fail = (why) => {
    closed = why;
    while (waiting.length) waiting.shift().reject(new Error(why));
  };
  sock.on('close', () => fail('the worker closed the kept connection without answering'));
  sock.on('error', (e) => fail(e.message));
  return {
    write: (b) => sock.write(b),
    next: () => (closed ? Promise.reject(new Error(closed)) : new Promise((resolve, reject) => waiting.push({ resolve, reject }))),
    close: () => sock.destroy(),
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const host = () => stack.base.replace(/^http:\/\//, '').replace(/\/$/, '');

function env(method, uri, extra = {}) {
  return {
    GATEWAY_INTERFACE: 'CGI/1.1', SERVER_PROTOCOL: 'HTTP/1.1', REQUEST_METHOD: method,
    REQUEST_URI: uri, DOCUMENT_URI: uri.split('?')[0], QUERY_STRING: uri.split('?')[1] ?? '',
    HTTP_HOST: host(), HTTP_COOKIE: ann.cookie, REMOTE_ADDR: '127.0.0.1', ...extra,
  };
}

// Sends a request with a body whose closing record comes 300 ms after the
// body (the worker has read the body and answered by then), then a second
// request on the same connection: both must be answered.
async function lateEndThenNext(program, first, body, second, secondBody = Buffer.alloc(0)) {
  const c = connect(program);
  try {
    const one = c.next();
    c.write(requestWithoutEnd(first, body));
    await sleep(300);
    c.write(record(STDIN));
    const reply = await one.catch((e) => { throw new Error(`first request: ${e.message}`); });
    const two = c.next();
    c.write(Buffer.concat([requestWithoutEnd(second, secondBody), record(STDIN)]));
    return [reply, await two.catch((e) => { throw new Error(`second request, after "${reply.split('\r\n')[0]}": ${e.message}`); })];
  } finally {
    c.close();
  }
}

test('an upload whose closing stdin record comes late: answered, and the kept connection serves the next request', async () => {
  const boundary = 'kept-connection-boundary';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="k.png"\r\nContent-Type: image/png\r\n\r\n`),
    pngRgb(64, 48),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const upload = env('POST', `/api/rooms/${room.id}/files`, {
    CONTENT_TYPE: `multipart/form-data; boundary=${boundary}`, CONTENT_LENGTH: body.length,
    HTTP_ORIGIN: `http://${host()}`,
  });
  const [first, second] = await lateEndThenNext('files', upload, body, env('GET', '/api/files/999999'));
  assert.match(first, /^Status: 201/, first);
  assert.match(second, /^Status: 404/, second);
});

test('a JSON post whose closing stdin record comes late: the same kept connection answers the next one', async () => {
  const post = (text) => {
    const body = Buffer.from(JSON.stringify({ text }));
    return [env('POST', `/api/rooms/${room.id}/messages`, {
      CONTENT_TYPE: 'application/json', CONTENT_LENGTH: body.length, HTTP_ORIGIN: `http://${host()}`,
    }), body];
  };
  const [e1, b1] = post('late end');
  const [e2, b2] = post('next on the same connection');
  const [first, second] = await lateEndThenNext('post', e1, b1, e2, b2);
  assert.match(first, /^Status: 201/, first);
  assert.match(second, /^Status: 201/, second);
});

test('a body whose closing record never comes: answered after at most 5 s (serve.cc kStdinEndSeconds), then the connection is closed, never kept half-read', async () => {
  const body = Buffer.from(JSON.stringify({ text: 'no end' }));
  const c = connect('post');
  try {
    const started = Date.now();
    const one = c.next();
    c.write(requestWithoutEnd(env('POST', `/api/rooms/${room.id}/messages`, {
      CONTENT_TYPE: 'application/json', CONTENT_LENGTH: body.length, HTTP_ORIGIN: `http://${host()}`,
    }), body));
    const reply = await one;
    assert.match(reply, /^Status: 201/, reply);
    assert.ok(Date.now() - started >= 4000, 'the worker waited for the record');
    await assert.rejects(c.next(), /closed/);
  } finally {
    c.close();
  }
});
