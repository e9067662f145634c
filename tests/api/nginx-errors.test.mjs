// Every answer under /api/ is the API's JSON, including what nginx refuses
// itself before a worker sees the request (conf/api-errors.conf). The
// requests go out as raw bytes on a TCP socket, so odd request lines,
// transfer codings and headers really reach nginx as written (node:http and
// fetch would refuse or rewrite them). Each case asserts the exact status,
// Content-Type application/json, the error code and the security headers.
//
// Statuses nginx makes only in rare states (500, 411, 408 in a location,
// 502/504) are driven through test-only locations that `return` them
// (CHAT_NGINX_EXTRA), which proves the error_page table covers each one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack } from '../lib/stack.mjs';
import { rawHttp as rawHelper } from './helpers.mjs';

// Test-only locations: one per status nginx can make, each simply returning it.
const RETURNED = [400, 405, 408, 411, 413, 414, 429, 494, 500, 501, 502, 503, 504, 505];
let stack;
let extraDir;

before(async () => {
  extraDir = mkdtempSync(join(tmpdir(), 'nginx-errors-'));
  const extra = join(extraDir, 'extra.conf');
  writeFileSync(extra, RETURNED.map((s) => `location = /api/_status/${s} { return ${s}; }\n`).join(''));
  stack = await startStack({ env: { CHAT_NGINX_EXTRA: extra, CHAT_NGINX_CLIENT_TIMEOUT: '2s' } });
});
after(async () => {
  await stack?.stop();
  if (extraDir) rmSync(extraDir, { recursive: true, force: true });
});

const rawHttp = (text, options) => rawHelper(stack.port, text, options);

const H = 'Host: 127.0.0.1\r\nConnection: close\r\n';

function assertJsonError(res, status, code, what) {
  const where = `${what}: ${res.raw.slice(0, 300)}`;
  assert.equal(res.status, status, where);
  assert.match(res.headers['content-type'] ?? '', /^application\/json/, where);
  const body = JSON.parse(res.body);
  assert.equal(body.error.code, code, where);
  assert.ok(typeof body.error.message === 'string' && body.error.message.length > 0, where);
  assert.match(res.headers['content-security-policy'] ?? '', /frame-ancestors 'none'/, where);
  assert.equal(res.headers['x-content-type-options'], 'nosniff', where);
}

// What a client can really send, and what nginx must answer.
// [what, bytes, status, code, rawHttp options]
const SENT = [
  ['Transfer-Encoding: gzip', `POST /api/rooms HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n`, 501, 'not_implemented'],
  ['Transfer-Encoding: gzip on a GET', `GET /api/me HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n`, 501, 'not_implemented'],
  ['a request line ending HTTP/2.0', `GET /api/me HTTP/2.0\r\n${H}\r\n`, 505, 'http_version_not_supported'],
  ['a request line ending HTTP/3.0', `GET /api/rooms HTTP/3.0\r\n${H}\r\n`, 505, 'http_version_not_supported'],
  ['/api/.env', `GET /api/.env HTTP/1.1\r\n${H}\r\n`, 404, 'not_found'],
  ['/api/.git/config', `GET /api/.git/config HTTP/1.1\r\n${H}\r\n`, 404, 'not_found'],
  ['/api/x/.htpasswd', `GET /api/x/.htpasswd HTTP/1.1\r\n${H}\r\n`, 404, 'not_found'],
  ['HEAD /api/.env', `HEAD /api/.env HTTP/1.1\r\n${H}\r\n`, 404, null],
  ['a malformed chunk', `POST /api/rooms HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n`, 400, 'bad_request'],
  ['chunked in HTTP/1.0', `POST /api/rooms HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400, 'bad_request'],
  ['a Content-Length that is not a number', `POST /api/rooms HTTP/1.1\r\n${H}Content-Length: abc\r\n\r\n`, 400, 'bad_request'],
  ['two Content-Lengths', `POST /api/rooms HTTP/1.1\r\n${H}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`, 400, 'bad_request'],
  ['no Host in HTTP/1.1', `GET /api/me HTTP/1.1\r\nConnection: close\r\n\r\n`, 400, 'bad_request'],
  ['a header line without a colon', `GET /api/me HTTP/1.1\r\n${H}Not a header\r\n\r\n`, 400, 'bad_request'],
  ['a lower-case method', `get /api/me HTTP/1.1\r\n${H}\r\n`, 400, 'bad_request'],
  ['a malformed percent-escape', `GET /api/rooms/%zz/messages HTTP/1.1\r\n${H}\r\n`, 400, 'bad_request'],
  ['a path above the root', `GET /api/../../etc/passwd HTTP/1.1\r\n${H}\r\n`, 400, 'bad_request'],
  ['CONNECT', `CONNECT 127.0.0.1:443 HTTP/1.1\r\n${H}\r\n`, 400, 'bad_request'],
  ['TRACE', `TRACE /api/me HTTP/1.1\r\n${H}\r\n`, 405, 'method_not_allowed'],
  ['a Content-Length over 64 KiB', `POST /api/rooms HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: 70000\r\n\r\n`, 413, 'body_too_large'],
  // The client hangs up after a short body: nginx has counted what came and
  // checks the size again on the way to the error page (once gave HTML).
  ['a Content-Length over 64 KiB, a short body and a hang-up (messages)', `POST /api/rooms/1/messages HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"text":"lie"}`, 413, 'body_too_large', { hangUp: true }],
  ['a Content-Length over 64 KiB and a hang-up (rooms)', `POST /api/rooms HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n`, 413, 'body_too_large', { hangUp: true }],
  ['a chunked body over 64 KiB', `POST /api/rooms HTTP/1.1\r\n${H}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n11170\r\n${'a'.repeat(70000)}\r\n0\r\n\r\n`, 413, 'body_too_large'],
  ['an over-long URI', `GET /api/rooms?x=${'a'.repeat(9000)} HTTP/1.1\r\n${H}\r\n`, 414, 'uri_too_long'],
  ['one header over the buffer', `GET /api/me HTTP/1.1\r\n${H}X-Big: ${'b'.repeat(20000)}\r\n\r\n`, 431, 'headers_too_large'],
  ['a cookie over the buffer', `GET /api/me HTTP/1.1\r\n${H}Cookie: chat_session=${'c'.repeat(9000)}\r\n\r\n`, 431, 'headers_too_large'],
];

for (const [what, bytes, status, code, options] of SENT) {
  test(`${what}: JSON ${status}${code ? ` ${code}` : ''}`, async () => {
    const res = await rawHttp(bytes, options);
    if (code === null) { // HEAD: no body, the JSON type all the same
      assert.equal(res.status, status, res.raw.slice(0, 300));
      assert.match(res.headers['content-type'] ?? '', /^application\/json/);
      assert.equal(res.body, '');
      return;
    }
    assertJsonError(res, status, code, what);
  });
}

// What each status nginx can make becomes: [returned, status sent, code].
const TABLE = {
  400: [400, 'bad_request'], 405: [405, 'method_not_allowed'], 408: [408, 'request_timeout'],
  411: [411, 'length_required'], 413: [413, 'body_too_large'], 414: [414, 'uri_too_long'],
  429: [429, 'rate_limited'], 494: [431, 'headers_too_large'], 500: [500, 'internal_error'],
  501: [501, 'not_implemented'], 502: [503, 'unavailable'], 503: [503, 'unavailable'],
  504: [503, 'unavailable'], 505: [505, 'http_version_not_supported'],
};

test('every status nginx can make under /api/ has its JSON page (a location returning each)', async () => {
  for (const s of RETURNED) {
    const res = await rawHttp(`GET /api/_status/${s} HTTP/1.1\r\n${H}\r\n`);
    const [status, code] = TABLE[s];
    // 408 is the one status nginx may end with a plain close instead (it
    // gives up on the client); when it answers, it answers JSON.
    if (s === 408 && res.status === 0) continue;
    assertJsonError(res, status, code, `return ${s}`);
    if (status === 429 || status === 503) assert.match(res.headers['retry-after'] ?? '', /^\d+$/, `return ${s}: Retry-After`);
  }
});

test('a body that stalls past client_body_timeout is cut off: a JSON 408 or a plain close, never HTML', async () => {
  const res = await rawHttp(`POST /api/rooms HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: 20\r\n\r\n{"na`);
  if (res.status === 0) {
    assert.equal(res.raw, '', 'nothing but a close');
  } else {
    assertJsonError(res, 408, 'request_timeout', 'stalled body');
  }
});

test('a page address nobody serves gets htdocs/404.html with the way back (only /api/ speaks JSON)', async () => {
  for (const path of ['/.env', '/js/.hidden', '/nothing-here.html']) {
    const res = await rawHttp(`GET ${path} HTTP/1.1\r\n${H}\r\n`);
    assert.equal(res.status, 404, `${path}: ${res.raw.slice(0, 200)}`);
    assert.doesNotMatch(res.headers['content-type'] ?? '', /json/, path);
    // Not nginx's bare page: htdocs/404.html, with the way back, no script.
    assert.match(res.headers['content-type'] ?? '', /^text\/html/, path);
    assert.match(res.body, /<a href="\/rooms" class="button">Back to rooms<\/a>/, path);
    assert.doesNotMatch(res.body, /<script/i, path);
    assert.doesNotMatch(res.body, /<center>nginx/, path);
  }
  // /api/ keeps its JSON 404, the 404 page is only ever an error's body.
  assertJsonError(await rawHttp(`GET /api/nothing-here HTTP/1.1\r\n${H}\r\n`), 404, 'not_found', '/api/nothing-here');
  assert.equal((await rawHttp(`GET /404.html HTTP/1.1\r\n${H}\r\n`)).status, 404);
});

test('with the workers stopped, every program\'s address answers JSON 503 unavailable with Retry-After', async () => {
  await stack.stopWorkers();
  try {
    for (const path of ['/api/me', '/api/rooms', '/api/rooms/1/messages']) {
      const res = await rawHttp(`GET ${path} HTTP/1.1\r\n${H}\r\n`);
      assertJsonError(res, 503, 'unavailable', path);
      assert.equal(res.headers['retry-after'], '2', path);
    }
  } finally {
    await stack.startWorkers();
  }
});
